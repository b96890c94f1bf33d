-- A counter every server reads a few times a second to know whether sessions
-- or users changed anywhere (a logout, a disabled user, a new password, other
-- roles or org), so that it can keep checked sessions in memory between those
-- reads instead of reading the session on every request (docs/deploy.md).
-- Every such change adds one to it in its own transaction.
CREATE TABLE IF NOT EXISTS growth_auth_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT  NOT NULL
);
INSERT INTO growth_auth_epoch (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

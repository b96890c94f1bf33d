-- Access: users, their sessions (bearer tokens and web sessions), and login
-- attempts for rate limiting and lockout. Tokens are stored only as SHA-256
-- hashes; passwords only as bcrypt hashes.
CREATE TABLE IF NOT EXISTS growth_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    org           TEXT    NOT NULL DEFAULT '',
    roles         TEXT    NOT NULL DEFAULT '',
    enabled       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE IF NOT EXISTS growth_sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES growth_users (id),
    kind       TEXT    NOT NULL,
    address    TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS ix_growth_sessions_user ON growth_sessions (user_id);
CREATE INDEX IF NOT EXISTS ix_growth_sessions_expires ON growth_sessions (expires_at);

-- ok: 1 succeeded, 0 failed, NULL still checking (counted as a failure, so
-- that parallel guesses cannot slip past the limits).
CREATE TABLE IF NOT EXISTS growth_login_attempts (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT    NOT NULL,
    address TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    ok      INTEGER
);
CREATE INDEX IF NOT EXISTS ix_growth_login_attempts_name ON growth_login_attempts (name, at);
CREATE INDEX IF NOT EXISTS ix_growth_login_attempts_address ON growth_login_attempts (address, at);

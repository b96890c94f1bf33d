-- Workflow: every transition of every record, and the approvals that count
-- towards a transition's quorum.
CREATE TABLE IF NOT EXISTS growth_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    app         TEXT        NOT NULL,
    entity      TEXT        NOT NULL,
    record_id   INTEGER     NOT NULL,
    event       TEXT        NOT NULL,
    from_state  TEXT        NOT NULL,
    to_state    TEXT        NOT NULL,
    actor       TEXT        NOT NULL,
    at          TEXT        NOT NULL,
    comment     TEXT        NOT NULL DEFAULT '',
    def_version TEXT        NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_growth_history_record ON growth_history (app, entity, record_id, id);

-- An approval is open (history_id = 0) until a transition out of its state
-- consumes it; history_id then names that transition. One open approval per
-- approver and step: the unique key refuses a second one.
CREATE TABLE IF NOT EXISTS growth_approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    app         TEXT        NOT NULL,
    entity      TEXT        NOT NULL,
    record_id   INTEGER     NOT NULL,
    event       TEXT        NOT NULL,
    from_state  TEXT        NOT NULL,
    approver    TEXT        NOT NULL,
    at          TEXT        NOT NULL,
    comment     TEXT        NOT NULL DEFAULT '',
    def_version TEXT        NOT NULL,
    history_id  INTEGER     NOT NULL DEFAULT 0,
    UNIQUE (app, entity, record_id, event, from_state, approver, history_id)
);
CREATE INDEX IF NOT EXISTS ix_growth_approvals_record ON growth_approvals (app, entity, record_id, history_id);

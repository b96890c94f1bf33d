-- Exchange (docs/exchange.md). The outbox holds every outbound message,
-- written in the transaction of the event that produced it and signed there;
-- the publisher sends the rows whose sent_at is NULL after they commit, with
-- msg_id as the broker's deduplication id, and stamps sent_at. The inbox
-- holds every inbound message applied, written in the transaction of the
-- event it fired, so that a redelivered message is seen and has no second
-- effect. Exceptions are inbound messages that were refused (bad signature,
-- unknown party or record, wrong state …), with the reason, until a user
-- resolves them. An exception is keyed by the message id and the SHA-256 of
-- the message as received: a redelivery is recognised, but a forged message
-- cannot take the id of a genuine one and have the genuine one dropped.
CREATE TABLE IF NOT EXISTS growth_exchange_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id     TEXT    NOT NULL UNIQUE,
    party      TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    app        TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    record_id  INTEGER NOT NULL,
    event      TEXT    NOT NULL,
    ref        TEXT    NOT NULL,
    envelope   TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    sent_at    TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ix_growth_exchange_outbox_unsent ON growth_exchange_outbox (id) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_growth_exchange_outbox_record ON growth_exchange_outbox (app, entity, record_id);

CREATE TABLE IF NOT EXISTS growth_exchange_inbox (
    msg_id      TEXT    PRIMARY KEY,
    party       TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    ref         TEXT    NOT NULL,
    app         TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    envelope    TEXT    NOT NULL,
    received_at TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_growth_exchange_inbox_record ON growth_exchange_inbox (app, entity, record_id);

CREATE TABLE IF NOT EXISTS growth_exchange_exceptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id      TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    party       TEXT    NOT NULL DEFAULT '',
    type        TEXT    NOT NULL DEFAULT '',
    ref         TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    envelope    TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT    NOT NULL DEFAULT '',
    comment     TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_growth_exchange_exceptions_msg ON growth_exchange_exceptions (msg_id, sha256);

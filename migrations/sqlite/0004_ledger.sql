-- The ledger: balances kept for speed, and the append-only movements they are
-- recomputed from (growth ledger verify). Amounts are integer fen, never float.
CREATE TABLE IF NOT EXISTS growth_balances (
    account_app    TEXT    NOT NULL,
    account_entity TEXT    NOT NULL,
    account_id     INTEGER NOT NULL,
    approved       INTEGER NOT NULL DEFAULT 0,
    reserved       INTEGER NOT NULL DEFAULT 0,
    consumed       INTEGER NOT NULL DEFAULT 0,
    frozen         INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 0,
    opened_at      TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (account_app, account_entity, account_id)
);

-- One row per movement; nothing is updated or deleted. The unique key makes an
-- effect apply once per change of its source record (source_version is the
-- record's version after the change) and account.
CREATE TABLE IF NOT EXISTS growth_ledger (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_app     TEXT    NOT NULL,
    account_entity  TEXT    NOT NULL,
    account_id      INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    source_app      TEXT    NOT NULL,
    source_entity   TEXT    NOT NULL,
    source_id       INTEGER NOT NULL,
    source_version  INTEGER NOT NULL,
    event           TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    at              TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL DEFAULT '',
    note            TEXT    NOT NULL DEFAULT '',
    UNIQUE (source_app, source_entity, source_id, source_version, account_app, account_entity, account_id, kind)
);
CREATE INDEX IF NOT EXISTS ix_growth_ledger_account ON growth_ledger (account_app, account_entity, account_id, id);

-- Idempotency keys of requests that changed something: a retry with the same
-- key returns what the first request did and changes nothing.
CREATE TABLE IF NOT EXISTS growth_idempotency (
    key        TEXT    PRIMARY KEY,
    app        TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    record_id  INTEGER NOT NULL,
    created_at TEXT    NOT NULL
);

-- Seed files already imported (growth seed), so that a second run skips them.
CREATE TABLE IF NOT EXISTS growth_seeds (
    app         TEXT    NOT NULL,
    file        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    rows        INTEGER NOT NULL,
    imported_at TEXT    NOT NULL,
    PRIMARY KEY (app, file)
);

-- Platform tables: schema state, definition versions, audit trail.
CREATE TABLE IF NOT EXISTS growth_schema_state (
    table_name TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS growth_definition_versions (
    hash       TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    files      TEXT NOT NULL
);

-- One hash chain per entity (chain = 'app.entity'), so that writes to different
-- entities do not queue behind one chain head; audit verify walks every chain.
CREATE TABLE IF NOT EXISTS growth_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    chain       TEXT    NOT NULL,
    chain_seq   INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    app         TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    changes     TEXT    NOT NULL,
    def_version TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    UNIQUE (chain, chain_seq)
);
CREATE INDEX IF NOT EXISTS ix_growth_audit_record ON growth_audit (app, entity, record_id);

CREATE TABLE IF NOT EXISTS growth_audit_heads (
    chain     TEXT PRIMARY KEY,
    chain_seq INTEGER NOT NULL,
    hash      TEXT    NOT NULL
);

CREATE TABLE IF NOT EXISTS growth_sequences (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

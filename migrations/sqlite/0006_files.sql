-- Attachments. Files live in the database rather than on disk so that an
-- upload is one transaction like any other write and a backup of the database
-- is a backup of everything; the price is size (max_size is capped at 100MB,
-- and a large file passes through memory). growth_file_refs says which record
-- field holds which file, so that reading a file is allowed to whoever may
-- read such a record.
CREATE TABLE IF NOT EXISTS growth_files (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256       TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);

CREATE TABLE IF NOT EXISTS growth_file_refs (
    app       TEXT    NOT NULL,
    entity    TEXT    NOT NULL,
    record_id INTEGER NOT NULL,
    field     TEXT    NOT NULL,
    file_id   INTEGER NOT NULL REFERENCES growth_files (id),
    PRIMARY KEY (app, entity, record_id, field)
);
CREATE INDEX IF NOT EXISTS ix_growth_file_refs_file ON growth_file_refs (file_id);

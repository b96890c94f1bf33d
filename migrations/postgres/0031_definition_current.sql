-- The definition version the database was last migrated to (one row). A
-- server whose definitions have another hash refuses writes and answers
-- /readyz with 503, so that during a rolling upgrade two definition
-- languages never write to one schema: servers with new definitions migrate
-- and take over; servers still on the old ones stop writing.
CREATE TABLE IF NOT EXISTS growth_definition_current (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    hash        TEXT    NOT NULL,
    migrated_at TIMESTAMPTZ NOT NULL
);

-- Saved filters: a user's named list queries (the filter, search, sort and
-- columns of a list page, as its query string), one set per user and entity.
-- The query is the same text a shared link carries, so a saved filter opens
-- exactly what the link would, and the list checks it again on every use.
CREATE TABLE IF NOT EXISTS growth_saved_filters (
    user_name TEXT NOT NULL,
    app       TEXT NOT NULL,
    entity    TEXT NOT NULL,
    name      TEXT NOT NULL,
    query     TEXT NOT NULL,
    PRIMARY KEY (user_name, app, entity, name)
);

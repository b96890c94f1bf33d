-- Sessions end after a time unused (LoginPolicy.SessionIdle): when each was
-- last used, recorded at most once a minute per session. NULL (sessions
-- opened before this column existed) counts from created_at.
ALTER TABLE growth_sessions ADD COLUMN last_used_at TEXT;

-- Uploads that were never attached to a record (docs/api.md, Files):
-- attached_at is set when a record field first holds the file, and stays set
-- when the field later holds another one, so that the files of a record's
-- history are kept. A user's files without it count against the upload
-- quota, and growth files sweep (and serve, hourly) deletes them once old.
ALTER TABLE growth_files ADD COLUMN attached_at TEXT;
UPDATE growth_files SET attached_at = created_at WHERE id IN (SELECT file_id FROM growth_file_refs);
CREATE INDEX IF NOT EXISTS ix_growth_files_unattached ON growth_files (created_by, created_at) WHERE attached_at IS NULL;

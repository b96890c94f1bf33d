-- The wider proof (docs/architecture.md, "Audit trail"): each audit row
-- commits to the stored row its write left (image: a hash of the record's
-- after-image, 'deleted' for a delete), to the record version it made, and
-- to the ledger rows its change wrote (ledger: their count and a digest of
-- their hashes); each ledger row carries a hash of its own content. proof
-- is the form of a row: 1 for rows written before this migration (chained,
-- but without image and ledger), 2 after.
ALTER TABLE growth_audit ADD COLUMN IF NOT EXISTS proof BIGINT NOT NULL DEFAULT 1;
ALTER TABLE growth_audit ADD COLUMN IF NOT EXISTS record_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE growth_audit ADD COLUMN IF NOT EXISTS image TEXT NOT NULL DEFAULT '';
ALTER TABLE growth_audit ADD COLUMN IF NOT EXISTS ledger TEXT NOT NULL DEFAULT '';
ALTER TABLE growth_ledger ADD COLUMN IF NOT EXISTS hash TEXT NOT NULL DEFAULT '';

-- Where the stronger proof begins: audit and ledger rows up to these ids were
-- written before it and are checked in their old form; any later row must
-- carry the new one (a row forged in the old form is named).
CREATE TABLE IF NOT EXISTS growth_proof_marks (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO growth_proof_marks (name, value) SELECT 'audit_before', COALESCE(MAX(id), 0) FROM growth_audit WHERE 1 = 1 ON CONFLICT (name) DO NOTHING;
INSERT INTO growth_proof_marks (name, value) SELECT 'ledger_before', COALESCE(MAX(id), 0) FROM growth_ledger WHERE 1 = 1 ON CONFLICT (name) DO NOTHING;

-- Idempotency keys are per user (issue 14): the same key from two users is two
-- keys, and a key remembers a fingerprint of its request (method, path, body)
-- so that reusing it for another request is refused, not answered with the
-- first one's record. Keys recorded before this migration take their user
-- from the audit row of the change they made.
ALTER TABLE growth_idempotency ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE growth_idempotency ADD COLUMN request TEXT NOT NULL DEFAULT '';
UPDATE growth_idempotency i SET actor = COALESCE((SELECT a.actor FROM growth_audit a
    WHERE a.app = i.app AND a.entity = i.entity AND a.record_id = i.record_id AND a.action = i.action
    ORDER BY a.id LIMIT 1), '');
ALTER TABLE growth_idempotency DROP CONSTRAINT growth_idempotency_pkey;
ALTER TABLE growth_idempotency ADD PRIMARY KEY (actor, key);

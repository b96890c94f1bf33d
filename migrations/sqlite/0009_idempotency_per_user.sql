-- Idempotency keys are per user (issue 14): the same key from two users is two
-- keys, and a key remembers a fingerprint of its request (method, path, body)
-- so that reusing it for another request is refused, not answered with the
-- first one's record. SQLite cannot change a primary key, so the table is
-- copied; keys recorded before this migration take their user from the audit
-- row of the change they made.
CREATE TABLE growth_idempotency_new (
    actor      TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    app        TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    record_id  INTEGER NOT NULL,
    request    TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    PRIMARY KEY (actor, key)
);
INSERT INTO growth_idempotency_new (actor, key, app, entity, action, record_id, request, created_at)
SELECT COALESCE((SELECT a.actor FROM growth_audit a
    WHERE a.app = i.app AND a.entity = i.entity AND a.record_id = i.record_id AND a.action = i.action
    ORDER BY a.id LIMIT 1), ''), i.key, i.app, i.entity, i.action, i.record_id, '', i.created_at
FROM growth_idempotency i;
DROP TABLE growth_idempotency;
ALTER TABLE growth_idempotency_new RENAME TO growth_idempotency;

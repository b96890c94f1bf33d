package engine_test

import (
	"context"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestIdempotencyMigrationKeepsKeys: a database whose idempotency keys were
// global (before migration 0008) keeps its keys, each now owned by the user
// whose change the audit trail records, so a retry after the upgrade still
// replays.
func TestIdempotencyMigrationKeepsKeys(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		db := enginetest.OpenDB(t, d)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		ts := "'2026-01-01T00:00:00Z'"
		exec := func(q string) {
			t.Helper()
			if _, err := db.Write.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// Back to the table as it was before 0009, with one key in it.
		exec(`DROP TABLE growth_idempotency`)
		exec(`CREATE TABLE growth_idempotency (key TEXT PRIMARY KEY, app TEXT NOT NULL, entity TEXT NOT NULL, action TEXT NOT NULL, record_id BIGINT NOT NULL, created_at TEXT NOT NULL)`)
		if d == engine.Postgres {
			exec(`ALTER TABLE growth_idempotency ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at::timestamptz`)
		}
		exec(`DELETE FROM growth_migrations WHERE version = '0009_idempotency_per_user'`)
		exec(`INSERT INTO growth_idempotency (key, app, entity, action, record_id, created_at) VALUES ('k1', 'fund', 'spend', 'create', 7, ` + ts + `)`)
		exec(`INSERT INTO growth_audit (chain, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, prev_hash, hash) VALUES ('fund.spend', 1, ` + ts + `, 'alice', 'fund', 'spend', 7, 'create', '{}', 'x', '', 'h')`)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var actor string
		if err := db.Write.QueryRowContext(ctx, `SELECT actor FROM growth_idempotency WHERE key = 'k1'`).Scan(&actor); err != nil {
			t.Fatal(err)
		}
		if actor != "alice" {
			t.Errorf("key k1 belongs to %q after the migration, want alice", actor)
		}
		// Keys are now per user: bob may use k1 too.
		exec(`INSERT INTO growth_idempotency (actor, key, app, entity, action, record_id, created_at) VALUES ('bob', 'k1', 'fund', 'spend', 'create', 8, ` + ts + `)`)
	})
}

package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// The server's own check for stale statistics analyses an entity's table
// after many creates, but not the audit trail and its heads, which the same
// creates fill: no query depends on their statistics, and analysing the
// trail cost PostgreSQL more than the entity's table (db_statistics.go).
func TestStatisticsLeaveTheAuditTrailAlone(t *testing.T) {
	rt := enginetest.Start(t, engine.Postgres, enginetest.Load(t, batchDefs), engine.OpenAccess{})
	ctx := context.Background()
	analysed := func(table string) bool {
		t.Helper()
		var n int
		if err := rt.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = $1 AND last_analyze IS NOT NULL`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	for _, in := range grantInputs(700, "s") {
		enginetest.Must(rt.Create(ctx, engine.SystemActor, "demo", "grant", in))
	}
	// PostgreSQL counts the changes a little after each transaction, so
	// the check is run until it sees the entity's table as stale.
	for deadline := time.Now().Add(30 * time.Second); !analysed("demo_grant"); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("demo_grant was not analysed within 30 s of 700 creates")
		}
		if err := rt.DB.AnalyzeStale(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := rt.DB.AnalyzeStale(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"growth_audit", "growth_audit_heads"} {
		if analysed(table) {
			t.Errorf("%s was analysed after the creates; want it left to autovacuum", table)
		}
	}
}

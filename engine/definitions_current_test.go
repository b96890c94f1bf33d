package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// A write under way on the old definitions when another server migrates
// the database to new ones is refused, not committed: the definitions are
// checked by a statement of the write's own transaction after the migration
// (on PostgreSQL, the statement that locks the audit head). SQLite needs no
// such test: a write transaction there holds the database's write lock from
// its BEGIN, so no server migrates while it runs.
func TestWriteUnderWayWhenAnotherServerMigratesIsRefused(t *testing.T) {
	v1 := tallyDefs
	v2 := map[string]string{"fund/app.yaml": strings.Replace(v1["fund/app.yaml"], "      project: {type: string, required: true}\n",
		"      project: {type: string, required: true}\n      note: string\n", 1)}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		if d != engine.Postgres {
			t.Skip("SQLite: a write transaction holds the write lock from its BEGIN")
		}
		ctx := context.Background()
		dsn := enginetest.FreshDSN(t, d)
		start := func(files map[string]string) *engine.Runtime {
			return enginetest.Must(engine.Start(ctx, enginetest.Connect(t, dsn), enginetest.Load(t, files),
				engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		}
		old := start(v1)
		err := old.CreateAfter(ctx, engine.SystemActor, "fund", "allocation", map[string]any{"project": "p"}, func() { start(v2) })
		var ue *engine.UnavailableError
		if !errors.As(err, &ue) || ue.Code != "definitions_changed" {
			t.Fatalf("a write under way during another server's migration: %v, want refused as definitions_changed", err)
		}
		res := enginetest.Must(old.List(ctx, engine.SystemActor, "fund", "allocation", engine.ListQuery{Total: true}))
		if res.Total == nil || *res.Total != 0 {
			t.Fatalf("%v records after the refused write, want 0", res.Total)
		}
	})
}

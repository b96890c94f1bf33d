package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// untouched fails t unless db is as empty as it was opened: a runtime that
// refuses to start leaves no table behind.
func untouched(t *testing.T, db *engine.DB) {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM growth_definition_versions`).Scan(&n); err == nil {
		t.Errorf("the database was migrated (%d definition versions) by a runtime that did not start", n)
	}
}

// TestRuntimeNeedsAccess: a runtime without an access checker does not
// start, and Start refuses before it touches the database; with one it
// starts.
func TestRuntimeNeedsAccess(t *testing.T) {
	p := enginetest.Load(t, testApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		db := enginetest.OpenDB(t, d)
		if rt, err := engine.NewRuntime(db, p, nil, nil); !errors.Is(err, engine.ErrNoAccess) || rt != nil {
			t.Errorf("NewRuntime without access: %v, %v; want ErrNoAccess", rt, err)
		}
		ctx := context.Background()
		if rt, err := engine.Start(ctx, db, p, engine.StartOptions{Logger: enginetest.QuietLogger()}); !errors.Is(err, engine.ErrNoAccess) || rt != nil {
			t.Errorf("Start without access: %v, %v; want ErrNoAccess", rt, err)
		}
		untouched(t, db)
		rt, err := engine.Start(ctx, db, p, engine.StartOptions{Access: enginetest.RoleAccess(t, p), Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		// Role access, not open access: an actor without roles may not create.
		var forbidden *engine.ForbiddenError
		if _, err := rt.Create(ctx, clerk, "demo", "grant", validGrant()); !errors.As(err, &forbidden) {
			t.Errorf("create by an actor without roles: %v, want forbidden", err)
		}
	})
}

// TestRuntimeRefusesWhatCheckRefuses: definitions that the metamodel loads
// but growth check refuses (a filter that names no field, a rollup's where
// that does not compile, a way round an approval tier) are refused with the
// same problems by Check, by NewRuntime and by Start, which leaves the
// database untouched.
func TestRuntimeRefusesWhatCheckRefuses(t *testing.T) {
	scenarios := []struct {
		name string
		dir  func(t *testing.T) string
		// bypass: a *QuorumBypassError, else a *metamodel.DefinitionError.
		bypass bool
		want   string
	}{
		{name: "schedule where", dir: func(t *testing.T) string {
			return enginetest.WriteDefinitions(t, map[string]string{"fund/app.yaml": strings.Replace(scheduleDefs["fund/app.yaml"], `where: "paid_total = '0'"`, `where: "paid_totl = '0'"`, 1)})
		}, want: `fund/app.yaml:30:12: schedule idle_funds: where: at 0: unknown field "paid_totl"`},
		{name: "rollup where", dir: func(t *testing.T) string {
			return enginetest.WriteDefinitions(t, map[string]string{"fund/app.yaml": `
app: fund
entities:
  batch:
    fields:
      total: {type: rollup, entity: line, via: batch, field: net, agg: sum, where: "nett > 0"}
  line:
    fields:
      batch: {type: ref, entity: batch}
      net:   money
`})
		}, want: `fund/app.yaml:6:84: field batch.total: where: at 0: unknown field "nett" (did you mean "net"?)`},
		{name: "quorum bypass", dir: func(*testing.T) string { return "../metamodel/review/testdata/bypass" }, bypass: true,
			want: "grants/app.yaml:19: workflow grant: amount above 1000000.00 needs 2 approvals"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := sc.dir(t)
			p, err := metamodel.Load(dir)
			if err != nil {
				t.Fatalf("the metamodel alone should accept these definitions: %v", err)
			}
			_, loadErr := engine.LoadDefinitions(dir)
			var de *metamodel.DefinitionError
			var qe *engine.QuorumBypassError
			if sc.bypass && !errors.As(loadErr, &qe) || !sc.bypass && !errors.As(loadErr, &de) {
				t.Fatalf("LoadDefinitions: %T %v", loadErr, loadErr)
			}
			if !strings.Contains(loadErr.Error(), sc.want) {
				t.Fatalf("LoadDefinitions says\n%v\nwant it to say %s", loadErr, sc.want)
			}
			same := func(what string, err error) {
				t.Helper()
				if err == nil || err.Error() != loadErr.Error() {
					t.Errorf("%s: %v\nwant what growth check says:\n%v", what, err, loadErr)
				}
			}
			same("Check", engine.Check(p))
			enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
				db := enginetest.OpenDB(t, d)
				rt, err := engine.NewRuntime(db, p, engine.OpenAccess{}, nil)
				same("NewRuntime", err)
				if rt != nil {
					t.Error("NewRuntime returned a runtime")
				}
				_, err = engine.Start(context.Background(), db, p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
				same("Start", err)
				untouched(t, db)
			})
		})
	}
}

// BenchmarkCheckShipped measures Check on the shipped definitions: what
// LoadDefinitions adds to metamodel.Load, and NewRuntime does again at
// start. Run it with
//
//	go test ./engine -run '^$' -bench CheckShipped
func BenchmarkCheckShipped(b *testing.B) {
	p := enginetest.LoadDir(b, "../definitions")
	b.ReportAllocs()
	for b.Loop() {
		if err := engine.Check(p); err != nil {
			b.Fatal(err)
		}
	}
}

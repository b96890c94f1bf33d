package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// ddlTrigram is the schema the PostgreSQL golden has pg_trgm in: search
// fields then get trigram indexes (docs/definitions.md, search).
const ddlTrigram = "public"

// TestDDLGolden: the tables, columns and indexes that the shipped
// definitions, and the test app with one field of every type, produce on
// SQLite and on PostgreSQL (with pg_trgm), written without a database, are
// those of testdata/ddl/*.sql, so that a change of the DDL shows in review.
// After a deliberate change, rewrite them with
//
//	go test ./engine -run TestDDLGolden -update-golden
func TestDDLGolden(t *testing.T) {
	defs := map[string]*metamodel.Project{
		"shipped":    enginetest.LoadDir(t, "../definitions"),
		"every_type": enginetest.Load(t, testApp),
	}
	for name, p := range defs {
		for _, sc := range []struct {
			dialect engine.Dialect
			trigram string
		}{{engine.SQLite, ""}, {engine.Postgres, ddlTrigram}} {
			t.Run(name+"/"+string(sc.dialect), func(t *testing.T) {
				got, err := engine.FreshSchemaSQL(sc.dialect, p, sc.trigram)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("ddl", name+"."+string(sc.dialect)+".sql"), []byte(got))
			})
		}
	}
}

// TestFreshDatabaseGetsGoldenDDL: what a fresh database of each dialect is
// planned to get (growth plan) is the DDL written without one, so that the
// goldens show what a database really gets.
func TestFreshDatabaseGetsGoldenDDL(t *testing.T) {
	p := enginetest.LoadDir(t, "../definitions")
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		db := enginetest.OpenDB(t, d)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		plan, err := db.PlanSchema(ctx, p, false)
		if err != nil {
			t.Fatal(err)
		}
		trigram, err := engine.TrigramSchema(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		want, err := engine.FreshSchemaSQL(d, p, trigram)
		if err != nil {
			t.Fatal(err)
		}
		if got := engine.PlanText(plan); got != want {
			t.Errorf("growth plan on a fresh %s database differs from the DDL written without one:\n%s", d, firstDifference([]byte(want), []byte(got)))
		}
	})
}

package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// The cost of data scope on list pages, 100,000 records over 10 departments
// of 100 agencies each (100 records per agency, 10,000 per department):
//
//	go test -run '^$' -bench 'BenchmarkList(Scoped|Unscoped)' -benchtime 2000x ./engine/
//
// Figures are in docs/performance.md.

const (
	scaleDepartments = 10
	scaleAgencies    = 100 // per department
	scaleRows        = 100_000
	scaleUsers       = 1000 // records are created by these in turn
)

// scaleDefs is the benchmark app: one org tree and one entity with an org field.
func scaleDefs() map[string]string {
	var codes strings.Builder
	for d := 1; d <= scaleDepartments; d++ {
		fmt.Fprintf(&codes, "      - {code: \"%03d\", name: 部门%d}\n", d, d)
		for a := 1; a <= scaleAgencies; a++ {
			fmt.Fprintf(&codes, "      - {code: \"%03d%03d\", name: 单位%d-%d, parent: \"%03d\"}\n", d, a, d, a, d)
		}
	}
	return map[string]string{"scale/app.yaml": `
app: scale
title: 规模
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
` + codes.String() + `
entities:
  item:
    title: 记录
    org_field: agency
    fields:
      agency: {type: code, codeset: org, required: true}
      year:   {type: int, required: true}
      amount: {type: money, required: true}
      title:  {type: string}
roles:
  clerk:   {title: 经办, scope: own_org, can: {item: [read]}}
  dept:    {title: 部门, scope: org_subtree, can: {item: [read]}}
  owner:   {title: 本人, scope: own, can: {item: [read]}}
  auditor: {title: 审计, scope: all, can: {item: [read]}}
`}
}

// scaleAgency is the agency of row i: rows go round every agency in turn.
func scaleAgency(i int) string {
	n := i % (scaleDepartments * scaleAgencies)
	return fmt.Sprintf("%03d%03d", n/scaleAgencies+1, n%scaleAgencies+1)
}

// startScale starts the benchmark app on d with RoleAccess and seeds it:
// one multi-row INSERT per batch of 500, all in one transaction.
func startScale(b *testing.B, d engine.Dialect) *engine.Runtime {
	b.Helper()
	p := enginetest.Load(b, scaleDefs())
	rt := enginetest.Start(b, d, p, engine.OpenAccess{})
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		b.Fatal(err)
	}
	rt.Access = access
	seedScale(b, rt, p.Entity(nil, "scale.item"))
	return rt
}

func seedScale(b *testing.B, rt *engine.Runtime, e *metamodel.Entity) {
	b.Helper()
	db := rt.DB
	ctx := context.Background()
	cols := []string{"version", "created_by", "created_at", "updated_at", "def_version", "agency", "year", "amount", "title"}
	at := any(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	if db.Dialect == engine.SQLite {
		at = "2026-03-02T09:00:00.000000Z"
	}
	const batch = 500
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < scaleRows; start += batch {
		var rows []string
		var args []any
		for i := start; i < start+batch && i < scaleRows; i++ {
			var ph []string
			for range cols {
				ph = append(ph, db.Placeholder(len(args)+len(ph)+1))
			}
			rows = append(rows, "("+strings.Join(ph, ", ")+")")
			args = append(args, 1, fmt.Sprintf("u%d", i%scaleUsers), at, at, rt.Project.Hash, scaleAgency(i), 2026, int64(i%100000)*100, fmt.Sprintf("记录 %d", i))
		}
		q := "INSERT INTO " + db.Quote(engine.TableName(e)) + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(rows, ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			_ = tx.Rollback()
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	// Planner statistics, as a served database has them (autovacuum on
	// PostgreSQL, PRAGMA optimize on SQLite).
	if _, err := db.Write.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// benchList lists page 1 (20 records, newest first) as actor.
func benchList(b *testing.B, rt *engine.Runtime, actor engine.Actor, want int) {
	b.Helper()
	ctx := context.Background()
	res, err := rt.List(ctx, actor, "scale", "item", engine.ListQuery{})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Items) != want {
		b.Fatalf("listed %d records, want %d", len(res.Items), want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := rt.List(ctx, actor, "scale", "item", engine.ListQuery{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListUnscoped(b *testing.B) {
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := startScale(b, d)
			benchList(b, rt, engine.Actor{User: "a1", Roles: []string{"scale.auditor"}}, 20)
		})
	}
}

func BenchmarkListScoped(b *testing.B) {
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := startScale(b, d)
			scopes := []struct {
				name  string
				actor engine.Actor
			}{
				{"own_org", engine.Actor{User: "c1", Org: "005050", Roles: []string{"scale.clerk"}}},
				{"org_subtree", engine.Actor{User: "d1", Org: "005", Roles: []string{"scale.dept"}}},
				{"own", engine.Actor{User: "u77", Roles: []string{"scale.owner"}}},
			}
			for _, sc := range scopes {
				b.Run(sc.name, func(b *testing.B) { benchList(b, rt, sc.actor, 20) })
			}
		})
	}
}

// BenchmarkListScopeRatio lists as the unscoped and as each scoped actor in
// turn, iteration by iteration, so that both see the same machine load, and
// reports the scoped list's time as a multiple of the unscoped one's
// (x-unscoped).
func BenchmarkListScopeRatio(b *testing.B) {
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := startScale(b, d)
			ctx := context.Background()
			unscoped := engine.Actor{User: "a1", Roles: []string{"scale.auditor"}}
			for _, sc := range []struct {
				name  string
				actor engine.Actor
			}{
				{"own_org", engine.Actor{User: "c1", Org: "005050", Roles: []string{"scale.clerk"}}},
				{"org_subtree", engine.Actor{User: "d1", Org: "005", Roles: []string{"scale.dept"}}},
				{"own", engine.Actor{User: "u77", Roles: []string{"scale.owner"}}},
			} {
				b.Run(sc.name, func(b *testing.B) {
					var plain, scoped time.Duration
					for b.Loop() {
						t0 := time.Now()
						if _, err := rt.List(ctx, unscoped, "scale", "item", engine.ListQuery{}); err != nil {
							b.Fatal(err)
						}
						t1 := time.Now()
						if _, err := rt.List(ctx, sc.actor, "scale", "item", engine.ListQuery{}); err != nil {
							b.Fatal(err)
						}
						plain, scoped = plain+t1.Sub(t0), scoped+time.Since(t1)
					}
					b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "unscoped-ns/op")
					b.ReportMetric(float64(scoped.Nanoseconds())/float64(b.N), "scoped-ns/op")
					b.ReportMetric(float64(scoped)/float64(plain), "x-unscoped")
				})
			}
		})
	}
}

// BenchmarkRoleAccess is the cost of the questions every request asks.
func BenchmarkRoleAccess(b *testing.B) {
	p, a := accessProject(b)
	grant := p.Entity(nil, "grants.grant")
	actor := accActor("c1", "101", "grants.clerk", "grants.department")
	b.Run("Can", func(b *testing.B) {
		for b.Loop() {
			if !a.Can(actor, grant, "update") {
				b.Fatal("denied")
			}
		}
	})
	b.Run("Scope", func(b *testing.B) {
		for b.Loop() {
			if a.Scope(actor, grant) == nil {
				b.Fatal("no scope")
			}
		}
	})
	b.Run("Hidden", func(b *testing.B) {
		for b.Loop() {
			if a.Hidden(actor, grant, "secret_note") {
				b.Fatal("hidden")
			}
		}
	})
}

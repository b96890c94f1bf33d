package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestListScopeAndFilter: a list keeps to the data scope whatever the filter
// says. A filter that already keeps every record inside the scope (one
// agency of the department, or a subtree below it) lists exactly that; one
// that names an agency outside, or reaches outside through OR or NOT, still
// lists nothing outside the scope.
func TestListScopeAndFilter(t *testing.T) {
	p, access := accessProject(t)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, access)
		ctx := context.Background()
		ids := map[string]int64{}
		for _, agency := range []string{"101001", "101002", "102001"} {
			rec := enginetest.Must(rt.Create(ctx, engine.SystemActor, "grants", "grant", map[string]any{"agency": agency, "amount": "10.00"}))
			ids[agency] = rec.ID
		}
		dept := accActor("d1", "101", "grants.department")
		clerk := accActor("c1", "101001", "grants.clerk")
		scenarios := []struct {
			actor  engine.Actor
			filter string
			want   []string
		}{
			{dept, "agency = '101001'", []string{"101001"}},
			{dept, "agency = '101002' and amount > 1", []string{"101002"}},
			{dept, "agency under '101'", []string{"101001", "101002"}},
			{dept, "agency = '102001'", nil},
			{dept, "agency under '102'", nil},
			{dept, "agency = '101001' or agency = '102001'", []string{"101001"}},
			{dept, "not (agency = '101001')", []string{"101002"}},
			{dept, "agency != '101001'", []string{"101002"}},
			{clerk, "agency = '101001'", []string{"101001"}},
			{clerk, "agency = '101002'", nil},
			{clerk, "agency under '101'", []string{"101001"}},
		}
		for _, sc := range scenarios {
			res, err := rt.List(ctx, sc.actor, "grants", "grant", engine.ListQuery{Filter: sc.filter, Sort: "id"})
			if err != nil {
				t.Fatalf("%s %q: %v", sc.actor.User, sc.filter, err)
			}
			var got, want []int64
			for _, r := range res.Items {
				got = append(got, r.ID)
			}
			for _, a := range sc.want {
				want = append(want, ids[a])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s lists %q: ids %v, want %v (%v)", sc.actor.User, sc.filter, got, want, sc.want)
			}
		}
	})
}

// TestStatisticsAfterManyCreates: on PostgreSQL, once a table has grown by
// hundreds of rows since its statistics were gathered, creates and lists
// have it analysed in the background (engine/db_statistics.go) rather than
// leaving the planner without statistics until autovacuum comes by.
func TestStatisticsAfterManyCreates(t *testing.T) {
	p, access := accessProject(t)
	rt := enginetest.Start(t, engine.Postgres, p, access)
	ctx := context.Background()
	analysed := func() bool {
		t.Helper()
		var n int
		if err := rt.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'grants_grant' AND last_analyze IS NOT NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	for range 700 {
		enginetest.Must(rt.Create(ctx, engine.SystemActor, "grants", "grant", map[string]any{"agency": "101001", "amount": "10.00"}))
	}
	dept := accActor("d1", "101", "grants.department")
	for deadline := time.Now().Add(30 * time.Second); !analysed(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("grants_grant was not analysed within 30 s of 700 creates and lists")
		}
		if _, err := rt.List(ctx, dept, "grants", "grant", engine.ListQuery{Filter: "agency = '101001'"}); err != nil {
			t.Fatal(err)
		}
	}
}

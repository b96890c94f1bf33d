package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestListPlannedOnce (PostgreSQL): a first page whose filter and data scope
// name only common values runs with its LIMIT written out, so that
// PostgreSQL may keep one plan for it; a value few rows hold, one no row
// holds, a comparison other than = or a later page are planned for their
// values as before. Either way a user sees the same pages, however often the
// list is asked for (PostgreSQL switches to a kept plan after five).
func TestListPlannedOnce(t *testing.T) {
	p, access := accessProject(t)
	rt := enginetest.Start(t, engine.Postgres, p, access)
	ctx := context.Background()
	var ids []int64
	for range 45 {
		rec := enginetest.Must(rt.Create(ctx, engine.SystemActor, "grants", "grant", map[string]any{"agency": "101001", "amount": "10.00"}))
		ids = append(ids, rec.ID)
	}
	other := enginetest.Must(rt.Create(ctx, engine.SystemActor, "grants", "grant", map[string]any{"agency": "101002", "amount": "10.00"}))
	if _, err := rt.DB.Write.ExecContext(ctx, `ANALYZE grants_grant`); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(ids) // newest first, the order of a list
	dept := accActor("d1", "101", "grants.department")
	auditor := accActor("a1", "101", "grants.auditor")
	otherDept := accActor("d2", "102", "grants.department")
	once := func(actor engine.Actor, q engine.ListQuery) bool {
		t.Helper()
		ok, err := engine.ListPlannedOnce(rt, actor, "grants", "grant", q)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	common := engine.ListQuery{Filter: "agency = '101001'"}
	// The statistics are read in the background on the first list.
	for deadline := time.Now().Add(10 * time.Second); !once(dept, common); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a list of the value every row but one holds was not planned once within 10 s")
		}
	}
	for _, c := range []struct {
		name  string
		actor engine.Actor
		q     engine.ListQuery
		want  bool
	}{
		{"no filter, no scope", auditor, engine.ListQuery{}, true},
		{"no filter, the scope of the department every row is in", dept, engine.ListQuery{}, true},
		{"no filter, the scope of a department no row is in", otherDept, engine.ListQuery{}, false},
		{"the department's scope and a comparison", dept, engine.ListQuery{Filter: "amount > 5"}, false},
		{"a value one row in 46 holds", dept, engine.ListQuery{Filter: "agency = '101002'"}, false},
		{"a value no row holds", auditor, engine.ListQuery{Filter: "agency = '102001'"}, false},
		{"a comparison", dept, engine.ListQuery{Filter: "agency = '101001' and amount > 5"}, false},
		{"a field no row has a value of", dept, engine.ListQuery{Filter: "agency = '101001' and purpose = 'x'"}, false},
	} {
		if got := once(c.actor, c.q); got != c.want {
			t.Errorf("%s: planned once %v, want %v", c.name, got, c.want)
		}
	}
	for round := range 8 {
		first := enginetest.Must(rt.List(ctx, dept, "grants", "grant", engine.ListQuery{Filter: "agency = '101001'", PageSize: 20}))
		third := enginetest.Must(rt.List(ctx, dept, "grants", "grant", engine.ListQuery{Filter: "agency = '101001'", PageSize: 20, Page: 3}))
		rare := enginetest.Must(rt.List(ctx, dept, "grants", "grant", engine.ListQuery{Filter: "agency = '101002'", PageSize: 20}))
		none := enginetest.Must(rt.List(ctx, auditor, "grants", "grant", engine.ListQuery{Filter: "agency = '102001'", PageSize: 20}))
		scoped := enginetest.Must(rt.List(ctx, dept, "grants", "grant", engine.ListQuery{PageSize: 20}))
		outside := enginetest.Must(rt.List(ctx, otherDept, "grants", "grant", engine.ListQuery{PageSize: 20}))
		if got := recordIDs(first.Items); !slices.Equal(got, ids[:20]) || !first.HasMore {
			t.Fatalf("round %d, first page: %v (has_more %v), want %v and more", round, got, first.HasMore, ids[:20])
		}
		if got := recordIDs(third.Items); !slices.Equal(got, ids[40:]) || third.HasMore {
			t.Fatalf("round %d, third page: %v (has_more %v), want %v and no more", round, got, third.HasMore, ids[40:])
		}
		if got := recordIDs(rare.Items); !slices.Equal(got, []int64{other.ID}) || rare.HasMore {
			t.Fatalf("round %d, 101002: %v, want [%d]", round, got, other.ID)
		}
		if len(none.Items) != 0 || none.HasMore {
			t.Fatalf("round %d, 102001: %d records", round, len(none.Items))
		}
		if want := append([]int64{other.ID}, ids[:19]...); !slices.Equal(recordIDs(scoped.Items), want) || !scoped.HasMore {
			t.Fatalf("round %d, department 101: %v (has_more %v), want %v and more", round, recordIDs(scoped.Items), scoped.HasMore, want)
		}
		if len(outside.Items) != 0 || outside.HasMore {
			t.Fatalf("round %d, department 102: %d records", round, len(outside.Items))
		}
	}
}

// freshGrants is a server on PostgreSQL whose grants table holds n records
// of agency 101001, written moments ago, with a department's actor and the
// list of that agency.
func freshGrants(t *testing.T, n int) (*engine.Runtime, engine.Actor, engine.ListQuery) {
	t.Helper()
	p, access := accessProject(t)
	rt := enginetest.Start(t, engine.Postgres, p, access)
	for range n {
		enginetest.Must(rt.Create(context.Background(), engine.SystemActor, "grants", "grant", map[string]any{"agency": "101001", "amount": "10.00"}))
	}
	return rt, accActor("d1", "101", "grants.department"), engine.ListQuery{Filter: "agency = '101001'"}
}

func recordIDs(recs []*engine.Record) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// When this server analyses a table (its stale-statistics check after many
// writes), the next list reads the table's most common values again at
// once, rather than up to five seconds later: right after a table was
// filled, the first lists found no statistics and were planned for their
// values until then.
func TestListReadsStatisticsAgainAfterAnalyze(t *testing.T) {
	rt, dept, q := freshGrants(t, 3)
	// The first list reads the statistics; wait until that read is done.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := engine.ListPlannedOnce(rt, dept, "grants", "grant", q); err != nil {
			t.Fatal(err)
		}
		if due, reading := engine.CommonValuesDue(rt, "grants_grant"); !due && !reading {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the statistics were not read within 10 s")
		}
	}
	if err := engine.Analyze(rt, "grants_grant"); err != nil {
		t.Fatal(err)
	}
	if due, _ := engine.CommonValuesDue(rt, "grants_grant"); !due {
		t.Fatal("after this server analysed the table, its statistics are not read again on the next list")
	}
	waitPlannedOnce(t, rt, dept, q, "after the table was analysed")
}

// A table with rows but no statistics yet (filled moments ago, fewer rows
// than the stale-statistics check waits for) is analysed by the first list
// that finds it so, and its lists of common values are then planned once;
// without statistics they were planned for their values until autovacuum
// came by, which for a small table is never.
func TestListAnalysesATableWithoutStatistics(t *testing.T) {
	rt, dept, q := freshGrants(t, 45)
	ctx := context.Background()
	waitPlannedOnce(t, rt, dept, q, "the table was not analysed")
	got := enginetest.Must(rt.List(ctx, dept, "grants", "grant", engine.ListQuery{Filter: "agency = '101001'", PageSize: 20}))
	if len(got.Items) != 20 || !got.HasMore {
		t.Fatalf("first page: %d records, has_more %v", len(got.Items), got.HasMore)
	}
}

// The first lists of a table filled moments ago, all arriving at once, wait
// for the first read of its statistics (which analyses it) rather than
// being planned for their values without statistics, which reads and sorts
// every matching row: each of them is planned once.
func TestListFirstListsWaitForStatistics(t *testing.T) {
	rt, dept, q := freshGrants(t, 45)
	once := make([]bool, 20)
	errs := make([]error, len(once))
	var wg sync.WaitGroup
	for i := range once {
		wg.Go(func() { once[i], errs[i] = engine.ListPlannedOnce(rt, dept, "grants", "grant", q) })
	}
	wg.Wait()
	for i := range once {
		if errs[i] != nil || !once[i] {
			t.Fatalf("list %d of the first %d: planned once %v, %v", i, len(once), once[i], errs[i])
		}
	}
}

// waitPlannedOnce waits up to 10 s for q, a list of grants by dept, to be
// planned once; why says what it means if it never is.
func waitPlannedOnce(t *testing.T, rt *engine.Runtime, dept engine.Actor, q engine.ListQuery, why string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		once, err := engine.ListPlannedOnce(rt, dept, "grants", "grant", q)
		if err != nil {
			t.Fatal(err)
		}
		if once {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a list of the value every row holds was not planned once: " + why)
		}
	}
}

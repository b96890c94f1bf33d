package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// A page read through the list pipeline (list_pipeline.go) holds the same
// records, value for value, as the same query run alone through
// database/sql: every field type, empty values included.
func TestListPipelineReadsAsAlone(t *testing.T) {
	rt := enginetest.Start(t, engine.Postgres, enginetest.Load(t, testApp), engine.OpenAccess{})
	ctx := context.Background()
	for i, in := range []map[string]any{
		{"year": 2026, "doc_no": "A-1", "agency": "101001", "amount": "10.00"},
		{"year": 2027, "doc_no": "A-2", "agency": "101002", "amount": "123456.78", "used": "0.01", "rate": "0.1234",
			"start": "2026-03-01", "approved_at": "2026-03-02T10:11:12Z", "urgent": true, "kind": "project", "note": "备注 'x' \\ %"},
		{"year": 2028, "doc_no": "A-3", "agency": "102001", "amount": "0", "rate": "-3.5000", "note": ""},
	} {
		if _, err := rt.Create(ctx, engine.SystemActor, "demo", "grant", in); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	for _, c := range []struct {
		where string
		args  []any
		size  int
	}{
		{"", nil, 20},
		{"", nil, 2},
		{` WHERE "agency" = $1`, []any{"101002"}, 20},
		{` WHERE "agency" = $1`, []any{"109999"}, 20},
	} {
		piped, pipedMore, err := engine.PipelinedPage(ctx, rt, "demo", "grant", c.where, c.args, c.size)
		if err != nil {
			t.Fatalf("%q: pipelined: %v", c.where, err)
		}
		alone, aloneMore, err := engine.AlonePage(ctx, rt, "demo", "grant", c.where, c.args, c.size)
		if err != nil {
			t.Fatalf("%q: alone: %v", c.where, err)
		}
		if pipedMore != aloneMore || !reflect.DeepEqual(piped, alone) {
			t.Errorf("%q size %d: pipelined %s (more %v), alone %s (more %v)", c.where, c.size, dumpRecords(piped), pipedMore, dumpRecords(alone), aloneMore)
		}
	}
}

func dumpRecords(recs []*engine.Record) string {
	s := ""
	for _, r := range recs {
		s += fmt.Sprintf("%+v ", *r)
	}
	return s
}

// A query that fails in a pipeline fails alone: the pages sent before it are
// answered, the ones after it (which PostgreSQL skipped) are marked not run,
// so that List runs them again on their own.
func TestListPipelineFailureStaysAlone(t *testing.T) {
	rt := enginetest.Start(t, engine.Postgres, enginetest.Load(t, testApp), engine.OpenAccess{})
	ctx := context.Background()
	rec := enginetest.Must(rt.Create(ctx, engine.SystemActor, "demo", "grant", map[string]any{"year": 2026, "doc_no": "B-1", "agency": "101001", "amount": "1.00"}))
	res, err := engine.SendTogether(rt, "demo", "grant", 20,
		engine.PipelineQuery{Where: ` WHERE "id" = $1`, Args: []any{rec.ID}},
		engine.PipelineQuery{Where: ` WHERE 1 / $1 = 1`, Args: []any{0}}, // division by zero
		engine.PipelineQuery{Where: ` WHERE "id" = $1`, Args: []any{rec.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || len(res[0].Records) != 1 || res[0].Records[0].ID != rec.ID {
		t.Errorf("the page before the failing one: %+v", res[0])
	}
	if res[1].Err == nil || res[2].Err == nil {
		t.Errorf("the failing page and the one after it: %v, %v; want errors", res[1].Err, res[2].Err)
	}
	// The connection is good for the next pipeline.
	res, err = engine.SendTogether(rt, "demo", "grant", 20, engine.PipelineQuery{Where: ` WHERE "id" = $1`, Args: []any{rec.ID}})
	if err != nil || res[0].Err != nil || len(res[0].Records) != 1 {
		t.Fatalf("after a failed pipeline: %v %+v", err, res)
	}
}

// Lists sent together see every write committed before they started: each
// of many goroutines creates a record and at once reads it back through the
// pipeline, while the others do the same; and concurrent lists of the
// common value, which go through the pipeline together, all get the same
// page.
func TestListPipelineSeesCommittedWrites(t *testing.T) {
	rt := enginetest.Start(t, engine.Postgres, enginetest.Load(t, testApp), engine.OpenAccess{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				rec, err := rt.Create(ctx, engine.SystemActor, "demo", "grant", map[string]any{"year": 2026, "doc_no": fmt.Sprintf("C-%d-%d", g, i), "agency": "101001", "amount": "1.00"})
				if err != nil {
					errs <- err
					return
				}
				got, _, err := engine.PipelinedPage(ctx, rt, "demo", "grant", ` WHERE "id" >= $1`, []any{rec.ID}, 200)
				if err != nil {
					errs <- err
					return
				}
				if !slices.ContainsFunc(got, func(r *engine.Record) bool { return r.ID == rec.ID }) {
					errs <- fmt.Errorf("record %d, committed before the list started, not in it", rec.ID)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := rt.DB.Write.ExecContext(ctx, `ANALYZE demo_grant`); err != nil {
		t.Fatal(err)
	}
	q := engine.ListQuery{Filter: "agency = '101001'", PageSize: 20}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		once, err := engine.ListPlannedOnce(rt, engine.SystemActor, "demo", "grant", q)
		if err != nil {
			t.Fatal(err)
		}
		if once {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the list of the common value was not planned once within 10 s")
		}
	}
	want := enginetest.Must(rt.List(ctx, engine.SystemActor, "demo", "grant", q))
	if len(want.Items) != 20 || !want.HasMore {
		t.Fatalf("first page: %d records, has_more %v", len(want.Items), want.HasMore)
	}
	pages := make([]*engine.ListResult, 50)
	lerrs := make([]error, 50)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[i], lerrs[i] = rt.List(ctx, engine.SystemActor, "demo", "grant", q)
		}()
	}
	wg.Wait()
	for i, p := range pages {
		if lerrs[i] != nil {
			t.Fatal(lerrs[i])
		}
		if !reflect.DeepEqual(p, want) {
			t.Fatalf("list %d of 50 at once differs from the one alone", i)
		}
	}
}

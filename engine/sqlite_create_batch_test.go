package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// On SQLite the creates of one entity that queue for the writer together
// are written together (sqlite_create_batch.go): each is answered with its
// own record, every record holds what its create was answered with, and the
// trail verifies. When one of them is refused by the database (a unique
// value taken), they all run alone: that one fails with its own answer, the
// others are written. One that its own checks refuse never queues.
func TestSQLiteCreatesWrittenTogether(t *testing.T) {
	rt := enginetest.Start(t, engine.SQLite, enginetest.Load(t, batchDefs), engine.OpenAccess{})
	ctx := context.Background()
	// queueTogether creates inputs while the writer is held, once queued
	// of them wait for it, and returns each one's record and error.
	queueTogether := func(inputs []map[string]any, queued int) ([]*engine.Record, []error) {
		release := rt.DB.HoldWriter(t)
		recs, errs := make([]*engine.Record, len(inputs)), make([]error, len(inputs))
		var wg sync.WaitGroup
		for i, in := range inputs {
			wg.Go(func() { recs[i], errs[i] = rt.Create(ctx, engine.SystemActor, "demo", "grant", in) })
		}
		rt.DB.WaitQueuedWrites(t, queued)
		release()
		wg.Wait()
		return recs, errs
	}

	recs, errs := queueTogether(grantInputs(40, "a"), 40)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		got := enginetest.Must(rt.Get(ctx, engine.SystemActor, "demo", "grant", recs[i].ID))
		for _, f := range []string{"code", "year", "amount", "due", "urgent", "sent", "note"} {
			if fmt.Sprint(got.Values[f]) != fmt.Sprint(recs[i].Values[f]) {
				t.Fatalf("record %d holds %s = %v, its create was answered with %v", recs[i].ID, f, got.Values[f], recs[i].Values[f])
			}
		}
	}
	if sets, together, apart := rt.CreateBatchCounts(); sets != 1 || together != 40 || apart != 0 {
		t.Fatalf("%d sets of %d creates written together, %d ran alone; want the 40 creates in one set", sets, together, apart)
	}
	checkTrail(t, rt, 40)

	_, errs = queueTogether(withBadOnes(grantInputs(40, "b"), "a-3"), 39)
	checkBadOnesFailAlone(t, errs)
	if sets, together, apart := rt.CreateBatchCounts(); sets != 1 || together != 40 || apart != 39 {
		t.Fatalf("%d sets of %d creates written together, %d ran alone; want the 39 queued to run alone", sets, together, apart)
	}
	checkTrail(t, rt, 40+38)
}

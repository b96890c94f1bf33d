package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// queueCreates creates demo.grant records of inputs on SQLite while the
// writer is held, lets it go once queued of them wait for it, and returns
// each one's record and error.
func queueCreates(t *testing.T, rt *engine.Runtime, inputs []map[string]any, queued int) ([]*engine.Record, []error) {
	t.Helper()
	release := rt.DB.HoldWriter(t)
	recs, errs := make([]*engine.Record, len(inputs)), make([]error, len(inputs))
	var wg sync.WaitGroup
	for i, in := range inputs {
		wg.Go(func() { recs[i], errs[i] = rt.Create(context.Background(), engine.SystemActor, "demo", "grant", in) })
	}
	rt.DB.WaitQueuedWrites(t, queued)
	release()
	wg.Wait()
	return recs, errs
}

// checkJointCounts fails unless rt's SQLite writer has written sets sets of
// together creates, and apart creates ran alone after their set failed.
func checkJointCounts(t *testing.T, rt *engine.Runtime, sets, together, apart int64) {
	t.Helper()
	if s, w, a := rt.CreateBatchCounts(); s != sets || w != together || a != apart {
		t.Fatalf("%d sets of %d creates written together, %d ran alone; want %d, %d, %d", s, w, a, sets, together, apart)
	}
}

// On SQLite the creates of one entity that queue for the writer together
// are written together (sqlite_create_batch.go): each is answered with its
// own record, every record holds what its create was answered with, and the
// trail verifies. When one of them is refused by the database (a unique
// value taken), they all run alone: that one fails with its own answer, the
// others are written. One that its own checks refuse never queues.
func TestSQLiteCreatesWrittenTogether(t *testing.T) {
	rt := enginetest.Start(t, engine.SQLite, enginetest.Load(t, batchDefs), engine.OpenAccess{})
	recs, errs := queueCreates(t, rt, grantInputs(40, "a"), 40)
	checkAsAnswered(t, rt, "a", recs, errs)
	checkJointCounts(t, rt, 1, 40, 0)
	checkTrail(t, rt, 40)

	_, errs = queueCreates(t, rt, withBadOnes(grantInputs(40, "b"), "a-3"), 39)
	checkBadOnesFailAlone(t, errs)
	checkJointCounts(t, rt, 1, 40, 39)
	checkTrail(t, rt, 40+38)
}

// A set of creates with more arguments than one SQLite statement takes is
// written in parts, each part's audit rows following the heads the part
// before it moved: 40 creates in parts of five are one set, each record
// holds what it was answered with, and the chains verify.
func TestSQLiteCreatesWrittenTogetherInParts(t *testing.T) {
	// grant's INSERT takes 12 arguments, its audit row 16: five rows a part.
	defer engine.SetJointArgumentLimit(5 * (12 + 16))()
	rt := enginetest.Start(t, engine.SQLite, enginetest.Load(t, batchDefs), engine.OpenAccess{})
	recs, errs := queueCreates(t, rt, grantInputs(40, "a"), 40)
	checkAsAnswered(t, rt, "a", recs, errs)
	checkJointCounts(t, rt, 1, 40, 0)
	checkTrail(t, rt, 40)
}

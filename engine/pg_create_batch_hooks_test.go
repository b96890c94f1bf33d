package engine

import "time"

// CreateBatchCounts are the batches of creates a runtime committed, the
// creates they wrote, and the creates of batches that gave up and ran alone
// (pg_create_batch.go); on SQLite, the sets of creates written together, the
// creates in them, and those that ran alone because that failed
// (sqlite_create_batch.go).
func (rt *Runtime) CreateBatchCounts() (batches, batched, fellBack int64) {
	if g := rt.DB.group; g != nil {
		return g.jointSets.Load(), g.joint.Load(), g.apart.Load()
	}
	return rt.creates.batches.Load(), rt.creates.batched.Load(), rt.creates.fellBack.Load()
}

// SetCreateBatching switches batched creates on or off for every runtime
// and returns the setting before.
func SetCreateBatching(on bool) bool {
	before := pgCreateBatchEnabled
	pgCreateBatchEnabled = on
	return before
}

// SetClock makes the runtime's clock always read t.
func (rt *Runtime) SetClock(t time.Time) { rt.now = func() time.Time { return t } }

// CreateBatchRetries is how many times a runtime tried a batch of creates
// again after PostgreSQL refused it a lock (pg_create_batch.go).
func (rt *Runtime) CreateBatchRetries() int64 { return rt.creates.retried.Load() }

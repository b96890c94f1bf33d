package engine

import "time"

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

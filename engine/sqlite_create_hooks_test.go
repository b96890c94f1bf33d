package engine

import (
	"context"
	"database/sql"
	"testing"
)

// GroupedWrites is how many writes SQLite's group commit has run
// (db_group.go), those that failed included.
func (db *DB) GroupedWrites() int64 {
	if db.group == nil {
		return 0
	}
	return db.group.writes.Load()
}

// HoldWriter holds SQLite's one writer with a write of its own until the
// returned release is called, so that the writes after it queue for one
// group; QueueWrites then waits until n writes wait behind it.
func (db *DB) HoldWriter(t *testing.T) (release func()) {
	t.Helper()
	gate, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- db.Tx(context.Background(), func(*sql.Tx) error { <-gate; return nil }) }()
	waitQueued(t, db, 0)
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("the write holding the writer: %v", err)
		}
	}
}

// WaitQueuedWrites waits until n writes wait for SQLite's writer.
func (db *DB) WaitQueuedWrites(t *testing.T, n int) {
	t.Helper()
	waitQueued(t, db, n)
}

// SetJointArgumentLimit sets the arguments one statement of creates written
// together may take, and returns the function that sets it back.
func SetJointArgumentLimit(n int) (restore func()) {
	before := jointArgumentLimit
	jointArgumentLimit = n
	return func() { jointArgumentLimit = before }
}

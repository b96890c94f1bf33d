package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Two transactions that lock two rows in opposite orders deadlock on
// PostgreSQL; the one the database picks fails as a conflict the client may
// retry, never as an internal error.
func TestDeadlockIsARetryableConflict(t *testing.T) {
	if len(enginetest.Dialects(t)) < 2 {
		t.Skip("PostgreSQL not configured: SQLite's single writer cannot deadlock")
	}
	db := enginetest.OpenDB(t, engine.Postgres)
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE lockpair (id INT PRIMARY KEY, v INT); INSERT INTO lockpair VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	var ready sync.WaitGroup
	ready.Add(2)
	run := func(first, second int) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE lockpair SET v = v + 1 WHERE id = $1`, first); err != nil {
				return err
			}
			ready.Done()
			ready.Wait()
			_, err := tx.ExecContext(ctx, `UPDATE lockpair SET v = v + 1 WHERE id = $1`, second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(1, 2) }()
	go func() { errs <- run(2, 1) }()
	var failed []error
	for range 2 {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 {
		t.Fatalf("%d transactions failed, want exactly one deadlock victim: %v", len(failed), failed)
	}
	var ce *engine.ConflictError
	if !errors.As(failed[0], &ce) || ce.Code != "retry" {
		t.Fatalf("deadlock surfaced as %v, want a retry conflict", failed[0])
	}
}

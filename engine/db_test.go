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

// Group commit gives every write a savepoint, and SQLite keeps what a
// savepoint may have to undo in a statement journal: a temporary file unless
// temporary storage is in memory. On a file database every connection keeps
// it in memory (the journal is never needed after a crash: the WAL is).
func TestSQLiteStatementJournalInMemory(t *testing.T) {
	db, err := engine.Open(context.Background(), "sqlite:"+t.TempDir()+"/g.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, pool := range map[string]*sql.DB{"write": db.Write, "read": db.Read} {
		var store int
		if err := pool.QueryRow(`PRAGMA temp_store`).Scan(&store); err != nil {
			t.Fatal(err)
		}
		if store != 2 {
			t.Errorf("%s pool: temp_store = %d, want 2 (memory)", name, store)
		}
	}
}

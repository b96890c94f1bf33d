package engine

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// CountPipedCommits counts the commits that send statements with them, and
// the statements, until restore.
func CountPipedCommits() (commits, stmts *atomic.Int64, restore func()) {
	commits, stmts = &atomic.Int64{}, &atomic.Int64{}
	pipedCommitHook = func(n int) {
		commits.Add(1)
		stmts.Add(int64(n))
	}
	return commits, stmts, func() { pipedCommitHook = nil }
}

// PgxConnOf is pgxConnOf, for tests that look at a pooled connection.
func PgxConnOf(driverConn any) (*pgx.Conn, bool) { return pgxConnOf(driverConn) }

// TestPipeRefusesStatementsAfterIt: once a statement waits for the commit,
// any other statement in the transaction is refused (it would run before
// the piped one), the transaction rolls back, and the connection serves
// the next transaction.
func TestPipeRefusesStatementsAfterIt(t *testing.T) {
	db := openTestPostgres(t)
	db.Write.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS pipe_t (n int)"); err != nil {
		t.Fatal(err)
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		pipe := commitPipeOf(tx)
		if pipe == nil {
			t.Fatal("a PostgreSQL write transaction has no commit pipe")
		}
		pipe.add(pipedStatement{sql: "INSERT INTO pipe_t VALUES (1)", failed: func(_ context.Context, err error, _ bool) error { return err }})
		_, err := tx.ExecContext(ctx, "INSERT INTO pipe_t VALUES (2)")
		return err
	})
	if !errors.Is(err, errAfterPipe) {
		t.Fatalf("a statement after the piped one: %v, want errAfterPipe", err)
	}
	// The pipe's statement fails when it matches no row: the commit is
	// skipped, the failure is the statement's.
	var noRow bool
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO pipe_t VALUES (3)"); err != nil {
			return err
		}
		commitPipeOf(tx).add(pipedStatement{sql: failingWithoutRow("UPDATE pipe_t SET n = n + 1 WHERE n = 99"), failed: func(_ context.Context, err error, nr bool) error {
			noRow = nr
			return errors.New("refused")
		}})
		return nil
	})
	if err == nil || err.Error() != "refused" || !noRow {
		t.Fatalf("a piped statement matching no row: %v (no row %v), want the statement's refusal", err, noRow)
	}
	var n int
	if err := db.Write.QueryRowContext(ctx, "SELECT count(*) FROM pipe_t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after two failed transactions: %d %v, want 0", n, err)
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO pipe_t VALUES (4)"); err != nil {
			return err
		}
		commitPipeOf(tx).add(pipedStatement{sql: failingWithoutRow("UPDATE pipe_t SET n = n + 1 WHERE n = 4"), failed: func(_ context.Context, err error, _ bool) error { return err }})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write.QueryRowContext(ctx, "SELECT n FROM pipe_t").Scan(&n); err != nil || n != 5 {
		t.Fatalf("the piped update: n = %d %v, want 5", n, err)
	}
}

// openTestPostgres opens the test PostgreSQL (the tables this file uses are
// temporary, on the pool's one connection).
func openTestPostgres(t *testing.T) *DB {
	t.Helper()
	dsn := os.Getenv("GROWTH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("PostgreSQL not configured (GROWTH_TEST_POSTGRES)")
	}
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

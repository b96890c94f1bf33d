package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestSQLiteStatementCache: an SQLite connection keeps the statements it
// ran by their text (engine/db_sqlite_stmts.go). Running a text again while
// a result set of the same text is still open, in a transaction that rolls
// back, after the table changed shape, and past the cache's size, all give
// what a fresh statement would.
func TestSQLiteStatementCache(t *testing.T) {
	ctx := context.Background()
	db := enginetest.OpenDB(t, engine.SQLite)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`)
	for i := 1; i <= 5; i++ {
		exec(`INSERT INTO t (n) VALUES (?)`, i*10)
	}
	const byID = `SELECT n FROM t WHERE id >= ? ORDER BY id`

	// The same text inside an open result set of it: each runs on its own.
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		outer, err := tx.QueryContext(ctx, byID, 1)
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []string
		for outer.Next() {
			var n int
			if err := outer.Scan(&n); err != nil {
				return err
			}
			var inner int
			if err := tx.QueryRowContext(ctx, byID, n/10).Scan(&inner); err != nil {
				return err
			}
			got = append(got, fmt.Sprintf("%d:%d", n, inner))
		}
		if want := "[10:10 20:20 30:30 40:40 50:50]"; fmt.Sprint(got) != want {
			t.Errorf("nested runs of one text: %v, want %s", got, want)
		}
		return outer.Err()
	})
	if err != nil {
		t.Fatal(err)
	}

	// A failing run and a rolled back transaction leave the statement usable.
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO t (id, n) VALUES (?, ?)`, 1, 1); err == nil {
		t.Fatal("a duplicate id was inserted")
	}
	_ = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO t (id, n) VALUES (?, ?)`, 6, 60); err != nil {
			t.Fatal(err)
		}
		return fmt.Errorf("roll back")
	})
	exec(`INSERT INTO t (id, n) VALUES (?, ?)`, 7, 70)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Write.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM t WHERE id >= ?`, 6); n != 1 {
		t.Errorf("after a rollback and an insert: %d rows from id 6, want 1 (id 7)", n)
	}

	// A cached statement sees the table's new shape.
	const all = `SELECT * FROM t WHERE id = ?`
	cols := func() int {
		t.Helper()
		rows, err := db.Write.QueryContext(ctx, all, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		c, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return len(c)
	}
	if n := cols(); n != 2 {
		t.Fatalf("columns before: %d", n)
	}
	exec(`ALTER TABLE t ADD COLUMN note TEXT`)
	if n := cols(); n != 3 {
		t.Errorf("columns after ALTER TABLE: %d, want 3", n)
	}

	// More texts than the cache holds: the first ones still run.
	for i := range 600 {
		if n := count(fmt.Sprintf(`SELECT COUNT(*) + %d FROM t`, i)); n != 6+i {
			t.Fatalf("text %d: %d, want %d", i, n, 6+i)
		}
	}
	if n := count(`SELECT COUNT(*) FROM t WHERE id >= ?`, 1); n != 6 {
		t.Errorf("after the cache turned over: %d rows, want 6", n)
	}
}

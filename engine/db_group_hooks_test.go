package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit: 200 writes at once on SQLite. Each in three fails (and
// rolls back its two rows), one panics, the rest commit; they are committed
// in fewer groups than writes, every write answers with its own outcome, and
// a failed or panicked write leaves nothing while the writes of its group
// stay.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE w (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, part INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const writes, panicking = 200, 77
	errFail := errors.New("refused")
	results := make([]error, writes)
	panics := make([]any, writes)
	// A gate write holds the writer until all 200 have queued, so that they
	// arrive while a transaction is under way however the goroutines are
	// scheduled on a busy machine.
	release, gateDone := make(chan struct{}), make(chan error, 1)
	go func() { gateDone <- db.Tx(ctx, func(*sql.Tx) error { <-release; return nil }) }()
	waitQueued(t, db, 0)
	var wg sync.WaitGroup
	for i := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			results[i] = db.Tx(ctx, func(tx *sql.Tx) error {
				for part := range 2 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO w (n, part) VALUES (?, ?)`, i, part); err != nil {
						return err
					}
				}
				if i == panicking {
					panic("write 77 panics")
				}
				if i%3 == 0 {
					return fmt.Errorf("write %d: %w", i, errFail)
				}
				return nil
			})
		}()
	}
	waitQueued(t, db, writes)
	close(release)
	wg.Wait()
	if err := <-gateDone; err != nil {
		t.Fatal(err)
	}
	var want []int
	for i := range writes {
		switch {
		case i == panicking:
			if panics[i] != "write 77 panics" {
				t.Errorf("write 77: panic %v, want its own panic raised again", panics[i])
			}
		case i%3 == 0:
			if !errors.Is(results[i], errFail) || panics[i] != nil {
				t.Errorf("write %d: %v (panic %v), want its own error", i, results[i], panics[i])
			}
		default:
			if results[i] != nil || panics[i] != nil {
				t.Errorf("write %d: %v (panic %v), want committed", i, results[i], panics[i])
			}
			want = append(want, i, i)
		}
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT n FROM w ORDER BY n, part`)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	rows.Close()
	sort.Ints(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows written: %d, want the %d of the committed writes, two each", len(got), len(want))
	}
	groups, grouped := db.group.groups.Load(), db.group.writes.Load()
	if grouped != writes+1 || groups >= writes {
		t.Errorf("%d writes in %d groups, want all %d writes and the gate in fewer groups", grouped, groups, writes)
	}
	t.Logf("%d writes in %d groups", grouped, groups)
}

// waitQueued waits until n writes wait in the group-commit queue, behind the
// group under way.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.group.mu.Lock()
		queued, leading := len(db.group.queue), db.group.leading
		db.group.mu.Unlock()
		if leading && queued == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued (leading %v), want %d", queued, leading, n)
		}
		time.Sleep(time.Millisecond)
	}
}

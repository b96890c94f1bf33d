package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit on SQLite. SQLite has one writer, so write transactions run
// one after another on the write pool's one connection, and each paid for
// its own BEGIN and COMMIT, the COMMIT writing every page the transaction
// touched to the WAL: a quarter of a create's CPU (docs/performance.md).
// Writes that arrive while a transaction commits now wait together and run
// as one database transaction, each in a savepoint of its own: a write that
// fails or panics is rolled back to its savepoint and fails alone; the others
// commit together, once, and every write returns only after that commit. A
// write sees the writes before it in its group, as it would have seen them
// committed one after another, and nothing is answered before it is durable
// as before (the same synchronous setting, the same one COMMIT per answer
// given). The first waiting write leads the next group, so no write waits
// for more than the group in progress and its own.
//
// PostgreSQL has many writers and keeps one transaction per request.

// maxGroup bounds the writes committed together.
const maxGroup = 64

// errGroupFailed is the answer of the writes of a group whose transaction
// could not go on (its savepoint could not be taken or released, which
// leaves the transaction in no known state): the whole group is rolled back.
var errGroupFailed = errors.New("write group rolled back")

type groupCommit struct {
	db      *sql.DB
	mu      sync.Mutex
	queue   []*groupWrite
	leading bool
	// groups counts the groups committed and writes the writes they held
	// (those that failed alone included), for tests and figures.
	groups, writes atomic.Int64
}

// groupWrite is one write transaction waiting for, or in, a group.
type groupWrite struct {
	ctx      context.Context
	fn       func(tx *sql.Tx) error
	err      error
	panicked any
	turn     chan struct{} // this write leads the next group
	done     chan struct{} // its group committed or rolled back
}

// run runs fn in the next group and returns once that group is committed
// (nil) or fn's error, or panics with fn's panic.
func (g *groupCommit) run(ctx context.Context, fn func(tx *sql.Tx) error) error {
	w := &groupWrite{ctx: ctx, fn: fn, turn: make(chan struct{}, 1), done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if !g.leading {
		g.leading = true
		w.turn <- struct{}{}
	}
	g.mu.Unlock()
	for {
		select {
		case <-w.done:
			if w.panicked != nil {
				panic(w.panicked)
			}
			return w.err
		case <-w.turn:
			g.lead()
		}
	}
}

// lead commits the writes waiting now (this one first) as one group, then
// hands the lead to the first write that arrived meanwhile.
func (g *groupCommit) lead() {
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	group := append([]*groupWrite(nil), g.queue[:n]...)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	g.mu.Unlock()
	g.commit(group)
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].turn <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
}

// commit runs a group in one transaction and tells each write its outcome.
// The group's own statements use a context of their own: one client giving
// up must not end the others' transaction.
func (g *groupCommit) commit(group []*groupWrite) {
	defer func() {
		for _, w := range group {
			close(w.done)
		}
	}()
	ctx := context.Background()
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		for _, w := range group {
			w.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	ok := make([]bool, len(group))
	for i, w := range group {
		if err := w.ctx.Err(); err != nil {
			w.err = err
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT growth_write`); err != nil {
			g.abandon(tx, group, fmt.Errorf("%w: savepoint: %v", errGroupFailed, err))
			return
		}
		w.panicked, w.err = runWrite(w.fn, tx)
		steps := []string{`RELEASE growth_write`}
		if w.err != nil || w.panicked != nil {
			steps = []string{`ROLLBACK TO growth_write`, `RELEASE growth_write`}
		}
		for _, step := range steps {
			if _, err := tx.ExecContext(ctx, step); err != nil {
				g.abandon(tx, group, fmt.Errorf("%w: %s: %v", errGroupFailed, step, err))
				return
			}
		}
		ok[i] = w.err == nil && w.panicked == nil
	}
	if err := tx.Commit(); err != nil {
		for i, w := range group {
			if ok[i] {
				w.err = fmt.Errorf("commit: %w", err)
			}
		}
		return
	}
	g.groups.Add(1)
	g.writes.Add(int64(len(group)))
}

// abandon rolls the group's transaction back and fails every write of it
// that had not failed on its own.
func (g *groupCommit) abandon(tx *sql.Tx, group []*groupWrite, err error) {
	_ = tx.Rollback()
	for _, w := range group {
		if w.err == nil && w.panicked == nil {
			w.err = err
		}
	}
}

// runWrite runs fn on tx, catching a panic to be raised again in the
// goroutine of the write it belongs to.
func runWrite(fn func(tx *sql.Tx) error, tx *sql.Tx) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, fn(tx)
}

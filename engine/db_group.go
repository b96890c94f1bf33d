package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
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
// Writes of one kind that need only their own rows (creates of an entity
// without references or effects, sqlite_create_batch.go) can be written
// together: the group's writes of one kind go in one savepoint as one set of
// statements for all of them (jointWrite). If that fails, it is rolled back
// and each of them runs alone, as any write, so that the one at fault fails
// alone with its own answer.
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
	// (those that failed alone included); jointSets the sets of writes
	// written together, joint the writes in them, and apart the writes
	// that ran alone because writing them together failed; for tests and
	// figures.
	groups, writes, jointSets, joint, apart atomic.Int64
}

// groupWrite is one write transaction waiting for, or in, a group.
type groupWrite struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	// joint, when set, can write this write together with the group's
	// others of its kind; fn is its way alone.
	joint    jointWrite
	err      error
	panicked any
	turn     chan struct{} // this write leads the next group
	done     chan struct{} // its group committed or rolled back
}

// jointWrite is a write that can be written together with others of its
// kind, by one set of statements.
type jointWrite interface {
	// jointKind: writes of the same kind can be written together.
	jointKind() any
	// writeJointly writes all of them (this one among them) in tx and
	// returns nil, or an error once something failed, what it wrote being
	// then rolled back by the caller.
	writeJointly(tx *sql.Tx, all []jointWrite) error
}

// run runs fn in the next group and returns once that group is committed
// (nil) or fn's error, or panics with fn's panic. joint, when not nil, may
// write it together with others of its kind instead (jointWrite).
func (g *groupCommit) run(ctx context.Context, joint jointWrite, fn func(tx *sql.Tx) error) error {
	w := &groupWrite{ctx: ctx, fn: fn, joint: joint, turn: make(chan struct{}, 1), done: make(chan struct{})}
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
	if len(g.queue) == 1 {
		// Alone so far: let the goroutines ready to run (requests being
		// read and checked on a busy server) queue their writes first.
		// It waits for nothing when there are none.
		g.mu.Unlock()
		runtime.Gosched()
		g.mu.Lock()
	}
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
	// written: written together with a write before it in the group;
	// alone: to run alone, writing it together with others having failed.
	written, alone := make([]bool, len(group)), make([]bool, len(group))
	for i, w := range group {
		if written[i] {
			continue
		}
		if err := w.ctx.Err(); err != nil {
			w.err = err
			continue
		}
		if w.joint != nil && !alone[i] {
			together, apart, err := g.writeJointly(tx, group, i)
			if err != nil {
				g.abandon(tx, group, err)
				return
			}
			for _, j := range together {
				written[j], ok[j] = true, true
			}
			for _, j := range apart {
				alone[j] = true
			}
			if written[i] {
				continue
			}
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT growth_write`); err != nil {
			g.abandon(tx, group, fmt.Errorf("%w: savepoint: %v", errGroupFailed, err))
			return
		}
		w.panicked, w.err = runWrite(w.fn, tx)
		if err := g.endSavepoint(tx, w.err != nil || w.panicked != nil); err != nil {
			g.abandon(tx, group, err)
			return
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

// writeJointly writes group[i] together with the writes of its kind after
// it in the group (whose clients are still there), in one savepoint, and
// returns their indexes as together. When there is no other of its kind,
// or writing them together failed and was rolled back, it returns those
// that must run alone as apart instead: i only, or all of them. An error
// means the savepoint could not be taken or ended.
func (g *groupCommit) writeJointly(tx *sql.Tx, group []*groupWrite, i int) (together, apart []int, err error) {
	kind := group[i].joint.jointKind()
	all := []jointWrite{group[i].joint}
	together = []int{i}
	for j := i + 1; j < len(group); j++ {
		if w := group[j]; w.joint != nil && w.joint.jointKind() == kind && w.ctx.Err() == nil {
			together, all = append(together, j), append(all, w.joint)
		}
	}
	if len(together) == 1 {
		return nil, together, nil
	}
	if _, err := tx.ExecContext(context.Background(), `SAVEPOINT growth_write`); err != nil {
		return nil, nil, fmt.Errorf("%w: savepoint: %v", errGroupFailed, err)
	}
	panicked, werr := runWrite(func(tx *sql.Tx) error { return group[i].joint.writeJointly(tx, all) }, tx)
	failed := werr != nil || panicked != nil
	if err := g.endSavepoint(tx, failed); err != nil {
		return nil, nil, err
	}
	if failed {
		g.apart.Add(int64(len(together)))
		return nil, together, nil
	}
	g.jointSets.Add(1)
	g.joint.Add(int64(len(together)))
	return together, nil, nil
}

// endSavepoint releases the write's savepoint, rolled back to first when
// the write failed.
func (g *groupCommit) endSavepoint(tx *sql.Tx, failed bool) error {
	steps := []string{`RELEASE growth_write`}
	if failed {
		steps = []string{`ROLLBACK TO growth_write`, `RELEASE growth_write`}
	}
	for _, step := range steps {
		if _, err := tx.ExecContext(context.Background(), step); err != nil {
			return fmt.Errorf("%w: %s: %v", errGroupFailed, step, err)
		}
	}
	return nil
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

// WriteGroups are the counts of SQLite's group commit since the server
// started: the groups committed, the writes they held, and the creates
// written together with others of their entity (sqlite_create_batch.go).
// ok is false on PostgreSQL.
func (db *DB) WriteGroups() (groups, writes, together int64, ok bool) {
	if db.group == nil {
		return 0, 0, 0, false
	}
	return db.group.groups.Load(), db.group.writes.Load(), db.group.joint.Load(), true
}

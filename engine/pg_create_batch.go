package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Batched creates on PostgreSQL. PostgreSQL's cost of a create is mostly per
// statement and per transaction, not per row: a create ran four statements
// (BEGIN, the INSERT that locks its audit head, the audit row and head move,
// COMMIT), and PostgreSQL's backends used more CPU for them than Growth
// itself (docs/performance.md). Creates of one entity that arrive while
// another batch of that entity is being written now wait together and are
// written by one transaction of five statements in two round trips (a pgx
// pipeline each), whatever their number:
//
//  1. BEGIN;
//  2. SET LOCAL lock_timeout (below);
//  3. one multi-row INSERT … SELECT FROM unnest(…) RETURNING id, which in the
//     same statement locks the heads of the audit chains the new ids fall in,
//     in chain order, and reads the current definitions (the write's
//     definitions check);
//  4. the audit rows of all, hashed in Go chain by chain in id order, in one
//     INSERT, and every head moved once to its chain's last row, in the same
//     statement;
//  5. COMMIT;
//
// and each create is answered only after that COMMIT. Every create keeps its
// own audit row, with the hash it would have had written alone.
//
// Only creates that need nothing but their row and audit row are batched:
// entities without references, workflow or attachment, whose effects all
// say that creating records of them needs nothing (BulkEffect.PlanBulk, the
// test an import's COPY uses), and creates without an idempotency key. A
// request that its own checks refuse (validation, rules, data scope) never
// joins a batch: it runs on the ordinary path, which answers it as before.
//
// A batch that fails for any reason — a unique value taken, a head missing,
// the definitions changed, a lock not granted in time, a lost connection —
// is rolled back whole, and then each of its creates runs alone on the
// ordinary path (Runtime.Create), so that no request fails because of
// another one: the one that was at fault fails alone, with its own answer.
//
// Locks. A batch locks its heads in chain order in one statement; every
// other batch does the same, so batches never wait on each other crosswise.
// A write that locks two heads of the entity in another order (an update
// moving a child between two parents of the entity) could still close a
// cycle with a batch; so a batch waits for a lock at most batchLockTimeout,
// far below PostgreSQL's deadlock_timeout, and then runs its creates alone:
// in such a cycle it is always the batch that gives way, never the other
// write.
//
// A batch hands the lead on either when it has ended, so that the batches
// of an entity in one server never wait for each other's heads, or early,
// once its rows are in and its heads locked, so that the next batch's
// INSERT travels while this one commits and then waits in PostgreSQL for
// its heads; each queue measures which answers its creates sooner
// (handOnChoice). A batch may find heads held by the batch before it,
// another server's batch or another write, and a COMMIT that takes longer
// than batchLockTimeout (a disk busy with a checkpoint) then makes it give
// up; when its creates ran alone they held heads across their own commits,
// so that the batches after them gave up too: one run of the side-by-side
// benchmark fell to a tenth of its rate for ten seconds. A batch refused a
// lock therefore waits until every batch of its entity begun before it has
// ended, and tries again, batchAttempts times in all, before its creates
// run alone.

// maxCreateBatch bounds the creates written by one batch.
const maxCreateBatch = 64

// createBatchLeaders is how many creates of one entity lead batches at
// once. One, handing the lead on early or at its batch's end (lead): more
// leaders made smaller batches that waited for each other's heads (three
// were slower, docs/performance.md).
const createBatchLeaders = 1

// batchLockTimeout bounds how long a batch waits for a lock (above).
const batchLockTimeout = "100ms"

// batchAttempts is how many times a batch refused a lock is tried (above).
const batchAttempts = 3

// pgCreateBatchEnabled lets tests and benchmarks switch batching off, to
// compare with the path of one transaction per create.
var pgCreateBatchEnabled = true

// pgCreateBatches holds a runtime's queues of creates, one per entity.
type pgCreateBatches struct {
	queues sync.Map // *entityStore → *pgCreateQueue
	// batches counts the batches committed and batched the creates they
	// wrote; fellBack counts the creates of failed batches that ran alone;
	// retried the batches tried again after a lock was refused.
	batches, batched, fellBack, retried atomic.Int64
}

// pgCreateQueue is the creates of one entity waiting for, or in, a batch.
type pgCreateQueue struct {
	eligible bool
	mu       sync.Mutex
	queue    []*pgCreate
	leaders  int // batches being written
	// insertText is the batch's INSERT (batchInsertSQL), built once.
	insertText string
	// last is closed once the latest batch begun, and every batch begun
	// before it, has ended.
	last chan struct{}
	// lastSize is the number of creates of the latest batch begun.
	lastSize int
	// grew has a value once a create joined the queue since a leader last
	// looked (cohort).
	grew chan struct{}
	// handOn chooses when a batch hands the lead on (handOnChoice).
	handOn handOnChoice
}

// pgCreate is one create waiting for, or in, a batch.
type pgCreate struct {
	ctx     context.Context
	queued  time.Time // when it joined the queue
	rec     *Record
	args    []any  // the INSERT's arguments
	changes string // the audit row's changes, canonical JSON
	err     error
	written bool          // the batch committed it
	turn    chan struct{} // this create leads the next batch
	done    chan struct{} // its batch committed or gave up
}

// CreateBatchCounts are the batches of creates a runtime committed, the
// creates they wrote, and the creates of batches that gave up and ran alone
// (pg_create_batch.go); on SQLite, the sets of creates written together, the
// creates in them, and those that ran alone because that failed
// (sqlite_create_batch.go).
func (rt *Runtime) CreateBatchCounts() (batches, batched, fellBack int64) {
	if g := rt.DB.group; g != nil {
		return g.jointSets.Load(), g.joint.Load(), g.apart.Load()
	}
	if rt.creates == nil {
		return 0, 0, 0
	}
	return rt.creates.batches.Load(), rt.creates.batched.Load(), rt.creates.fellBack.Load()
}

// queue returns the queue of s's creates, deciding once whether they can be
// batched.
func (b *pgCreateBatches) queue(rt *Runtime, s *entityStore) *pgCreateQueue {
	if q, ok := b.queues.Load(s); ok {
		return q.(*pgCreateQueue)
	}
	q, _ := b.queues.LoadOrStore(s, &pgCreateQueue{eligible: rt.batchableCreates(s), grew: make(chan struct{}, 1), handOn: handOnChoice{left: handOnTrial}})
	return q.(*pgCreateQueue)
}

// batchableCreates reports whether creates of s need nothing but their row
// and audit row (see the top of this file); on SQLite, whether they can be
// written together (sqlite_create_batch.go).
func (rt *Runtime) batchableCreates(s *entityStore) bool {
	e := s.entity
	if e.Workflow != nil || s.hasState || rt.links.refs[e] != nil {
		return false
	}
	for _, f := range e.Fields {
		if f.Target != nil {
			return false
		}
	}
	steps, why := rt.bulkPlan(e)
	return len(steps) == 0 && why == ""
}

// createBatched writes a create of values (decoded, its access checked) in
// a batch. ok is false when it was not written that way — the entity does
// not qualify, the request's own checks refuse it, or its batch failed —
// and the caller then runs it on the ordinary path, with values untouched.
func (rt *Runtime) createBatched(ctx context.Context, actor Actor, s *entityStore, values map[string]any, idem Idempotency) (rec *Record, err error, ok bool) {
	if !pgCreateBatchEnabled || rt.creates == nil || idem.Key != "" || rt.DB.Dialect != Postgres {
		return nil, nil, false
	}
	q := rt.creates.queue(rt, s)
	if !q.eligible {
		return nil, nil, false
	}
	w, ok := rt.prepareBatchedCreate(ctx, actor, s, maps.Clone(values))
	if !ok {
		return nil, nil, false
	}
	q.run(rt, s, w)
	if !w.written {
		if w.err != nil {
			return nil, w.err, true
		}
		rt.creates.fellBack.Add(1)
		return nil, nil, false
	}
	return w.rec, nil, true
}

// prepareBatchedCreate checks a create for a batch, as the ordinary path
// does before its INSERT (newRecord: for an entity without references, whose
// checks read nothing in the database), and works out the audit row's
// changes. ok is false when anything refuses the record: the ordinary path
// then answers it.
func (rt *Runtime) prepareBatchedCreate(ctx context.Context, actor Actor, s *entityStore, values map[string]any) (*pgCreate, bool) {
	nr, err := rt.newRecord(ctx, nil, actor, s, values, createOptions{})
	if err != nil {
		return nil, false
	}
	changes, ok := appendCanonical(nil, nr.changes)
	if !ok {
		return nil, false
	}
	return &pgCreate{ctx: ctx, rec: nr.rec, args: nr.args, changes: string(changes), turn: make(chan struct{}, 1), done: make(chan struct{})}, true
}

// run writes w in the next batch of q and returns once that batch committed
// or gave up. The first create waiting leads the next batch, so no create
// waits for more than the batch in progress and its own (and, when it leads
// with few others, at most cohortWait between them).
func (q *pgCreateQueue) run(rt *Runtime, s *entityStore, w *pgCreate) {
	q.mu.Lock()
	w.queued = time.Now()
	q.queue = append(q.queue, w)
	select {
	case q.grew <- struct{}{}:
	default:
	}
	if q.leaders < createBatchLeaders {
		q.leaders++
		w.turn <- struct{}{}
	}
	q.mu.Unlock()
	for {
		select {
		case <-w.done:
			return
		case <-w.turn:
			q.lead(rt, s)
		}
	}
}

// lead writes the creates waiting now (this one first) as one batch, then
// hands the lead to the first that arrived meanwhile.
func (q *pgCreateQueue) lead(rt *Runtime, s *entityStore) {
	q.cohort()
	q.mu.Lock()
	n := min(len(q.queue), maxCreateBatch)
	batch := append([]*pgCreate(nil), q.queue[:n]...)
	q.queue = append(q.queue[:0], q.queue[n:]...)
	earlier, ended := q.last, make(chan struct{})
	q.last, q.lastSize = ended, n
	handEarly := q.handOn.early()
	q.mu.Unlock()
	defer func() {
		if earlier == nil {
			close(ended)
			return
		}
		go func() {
			<-earlier
			close(ended)
		}()
	}()
	// The lead passes on when the batch has ended, even by a panic (which
	// goes on in this create's goroutine; the others run alone) — or, when
	// handing on early answers creates sooner (handOnChoice), as soon as
	// the batch has its rows in and its heads locked, so that the next batch
	// sends its INSERT while this one commits.
	var once sync.Once
	handoff := func() {
		once.Do(func() {
			q.mu.Lock()
			if len(q.queue) > 0 {
				q.queue[0].turn <- struct{}{}
			} else {
				q.leaders--
			}
			q.mu.Unlock()
		})
	}
	defer handoff()
	early := handoff // called by the batch once its rows are in
	if !handEarly {
		early = func() {}
	}
	rt.writeBatch(q, s, batch, early, earlier)
	var waited time.Duration
	now := time.Now()
	for _, w := range batch {
		waited += now.Sub(w.queued)
	}
	q.mu.Lock()
	q.handOn.measured(handEarly, waited, len(batch))
	q.mu.Unlock()
}

// handOnChoice chooses when the batches of a queue hand the lead on, by
// trying both: handing it on early, once a batch has its rows in and its
// heads locked, lets the next batch send its INSERT while this one commits —
// what pays where a batch's time is mostly waiting for PostgreSQL (a
// network hop, a slow WAL flush); handing it on when the batch has ended
// makes larger batches that never wait in PostgreSQL for each other's
// heads — what pays where the CPUs are busy (docs/performance.md). Each
// way is tried for handOnTrial batches, then the one whose creates waited
// less on average, from joining the queue to their batch's end (early only
// when clearly less), is kept for handOnKeep batches, and both are tried
// again.
type handOnChoice struct {
	phase   int // 0 trying early, 1 trying at the end, 2 keeping keepEarly
	left    int // batches left in the phase
	keep    bool
	waited  [2]time.Duration // by the creates of each trial: [at the end, early]
	creates [2]int
}

// handOnTrial and handOnKeep are the lengths of a trial of one way and of
// keeping the better one, in batches.
const handOnTrial, handOnKeep = 64, 1024

// early reports whether the batch beginning now hands the lead on early.
func (h *handOnChoice) early() bool {
	switch h.phase {
	case 0:
		return true
	case 1:
		return false
	}
	return h.keep
}

// measured counts a batch that ended: its creates waited so long in all.
func (h *handOnChoice) measured(early bool, waited time.Duration, creates int) {
	if h.phase < 2 && early == (h.phase == 0) {
		i := 0
		if early {
			i = 1
		}
		h.waited[i] += waited
		h.creates[i] += creates
	}
	if h.left--; h.left > 0 {
		return
	}
	switch h.phase {
	case 0:
		h.phase, h.left = 1, handOnTrial
	case 1:
		// Early when its creates waited a twentieth less per create, or
		// more: else handing on at the end, which costs less CPU.
		h.keep = h.creates[1] > 0 && h.creates[0] > 0 &&
			20*h.waited[1]*time.Duration(h.creates[0]) < 19*h.waited[0]*time.Duration(h.creates[1])
		h.phase, h.left = 2, handOnKeep
	default:
		*h = handOnChoice{left: handOnTrial}
	}
}

// cohortWait bounds how long a leader waits for the creates of the batch
// before it to come back (cohort): long enough for the creates a batch of
// 50 answered to be decoded and checked again on two busy cores.
var cohortWait = 3 * time.Millisecond

// cohort holds a leader that finds fewer than half as many creates
// waiting as the batch before it wrote: it waits for that batch to end
// (it has, or is about to: the lead passes on at its end), then until that
// many are waiting, or at most cohortWait.
//
// Without it, batches at 50 clients ran 48 2 48 2 or 1 49 1 49: the few
// creates that arrived while a batch of 48 was written were the next batch,
// led at once, while the 48, just answered, were still on their way back;
// they came back as the batch after it. A batch of two costs PostgreSQL and
// Growth a whole batch's statements and round trips, and the 48 a turn
// behind it. Waiting for the creates coming back makes batches of about
// half the clients each, written one after another while the other half
// are answered and come back (docs/performance.md). Where few come back,
// the wait is at most cohortWait.
func (q *pgCreateQueue) cohort() {
	q.mu.Lock()
	earlier, want := q.last, q.lastSize/2
	few := len(q.queue) < want
	q.mu.Unlock()
	if !few || earlier == nil {
		return
	}
	<-earlier
	t := time.NewTimer(cohortWait)
	defer t.Stop()
	for {
		q.mu.Lock()
		enough := len(q.queue) >= want
		q.mu.Unlock()
		if enough {
			return
		}
		select {
		case <-q.grew:
		case <-t.C:
			return
		}
	}
}

// errBatchGaveUp marks a batch that did not commit: its creates run alone.
var errBatchGaveUp = errors.New("create batch gave up")

// writeBatch writes batch in one transaction and tells each create whether
// it was written. The batch's statements use a context of their own: one
// client giving up must not end the others' transaction; a create whose
// client has gone before the batch starts is left out with its context's
// error, as it would have failed to begin.
// earlier is closed once every batch of q begun before this one has ended.
func (rt *Runtime) writeBatch(q *pgCreateQueue, s *entityStore, batch []*pgCreate, handoff func(), earlier <-chan struct{}) {
	defer func() {
		for _, w := range batch {
			close(w.done)
		}
	}()
	live := batch[:0:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.err = err
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	err := rt.writeBatchTx(q, s, live, handoff)
	for attempt := 1; err != nil && attempt < batchAttempts && lockNotGranted(err); attempt++ {
		if earlier != nil {
			<-earlier
		}
		rt.creates.retried.Add(1)
		err = rt.writeBatchTx(q, s, live, handoff)
	}
	if err != nil {
		if errors.Is(err, errCommitUnknown) {
			// As a create alone whose COMMIT went unanswered: it fails,
			// and is not written again.
			rt.Log.Error("database error", "op", "create batch commit", "table", s.table, "error", err.Error())
			for _, w := range live {
				w.err = fmt.Errorf("commit %s: %w", s.table, errInternal)
			}
			return
		}
		rt.Log.Debug("create batch ran alone", "entity", s.entity.QualifiedName(), "creates", len(live), "error", err.Error())
		return
	}
	for _, w := range live {
		w.written = true
	}
	rt.creates.batches.Add(1)
	rt.creates.batched.Add(int64(len(live)))
}

// batchHead is an audit chain's head locked by a batch.
type batchHead struct {
	seq  int64
	hash string
}

// errCommitUnknown is a batch whose COMMIT was sent but not answered: it
// may have committed, so its creates must not run again.
var errCommitUnknown = errors.New("the batch's commit was not answered")

// writeBatchTx is the batch's transaction (the top of this file), on a
// connection of the pool used through pgx, so that its statements go in two
// round trips: BEGIN, SET LOCAL and the INSERT together; then, once the
// audit rows are hashed, their INSERT and the COMMIT together. Any error
// before the COMMIT rolls it back whole. An error of the COMMIT's round trip
// that the server did not answer is errCommitUnknown.
func (rt *Runtime) writeBatchTx(q *pgCreateQueue, s *entityStore, batch []*pgCreate, handoff func()) error {
	ctx := context.Background()
	conn, err := rt.DB.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pc, ok := pgxConnOf(driverConn)
		if !ok {
			return fmt.Errorf("%w: the PostgreSQL connection is a %T, not pgx", errBatchGaveUp, driverConn)
		}
		err := rt.pipelineBatch(ctx, pc, q, s, batch, handoff)
		if err != nil && !pc.IsClosed() && pc.PgConn().TxStatus() != 'I' {
			if _, rerr := pc.Exec(ctx, "rollback"); rerr != nil {
				// The connection is in no known state: the pool drops it.
				return errors.Join(err, driver.ErrBadConn)
			}
		}
		return err
	})
}

// pipelineBatch runs the batch's statements on pc (writeBatchTx).
func (rt *Runtime) pipelineBatch(ctx context.Context, pc *pgx.Conn, q *pgCreateQueue, s *entityStore, batch []*pgCreate, handoff func()) error {
	e := s.entity
	app, entity := e.App.Name, e.Name
	n := len(batch)
	text := q.insertText
	if text == "" {
		text = batchInsertSQL(rt.DB, s)
		q.insertText = text
	}
	args, err := batchColumns(s, batch)
	if err != nil {
		return err
	}
	args = append(args, app+"."+entity+"#")
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(`SET LOCAL lock_timeout = '` + batchLockTimeout + `'`)
	b.Queue(text, args...)
	br := pc.SendBatch(ctx, b)
	ids := make([]int64, 0, n)
	heads := map[string]*batchHead{}
	missing := false
	current := ""
	err = func() error {
		for range 2 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var chain, hash, cur *string
			var seq *int64
			if err := rows.Scan(&id, &chain, &seq, &hash, &cur); err != nil {
				return err
			}
			ids = append(ids, id)
			if cur != nil {
				current = *cur
			}
			if chain == nil || seq == nil || hash == nil {
				missing = true
				continue
			}
			heads[*chain] = &batchHead{*seq, *hash}
		}
		return rows.Err()
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(ids) != n {
		return fmt.Errorf("%w: %d ids for %d records", errBatchGaveUp, len(ids), n)
	}
	if current != rt.Project.Hash {
		return fmt.Errorf("%w: the definitions changed", errBatchGaveUp)
	}
	// The ids were drawn in the order of the arrays' rows, which the INSERT
	// takes one after another: the i-th smallest is the i-th record's.
	slices.Sort(ids)
	chainOf := make([]string, n)
	var chains []string
	for i, id := range ids {
		batch[i].rec.ID = id
		chainOf[i] = AuditChain(app, entity, id)
		if heads[chainOf[i]] == nil && !slices.Contains(chains, chainOf[i]) {
			chains = append(chains, chainOf[i])
		}
	}
	if missing || len(chains) > 0 {
		// A chain's first row: its head is created, as lockAuditHead does.
		if err := lockNewHeads(ctx, pc, chains, heads); err != nil {
			return err
		}
	}

	// The audit rows, chain by chain in id order (ids ascend, so each
	// chain's rows come in id order).
	var (
		aChain, aActor, aChanges, aPrev, aHash, aImage []string
		aSeq, aRecord                                  []int64
		aAt                                            []time.Time
		scratch                                        []byte
	)
	for i, w := range batch {
		rec := w.rec
		h := heads[chainOf[i]]
		if h == nil {
			return fmt.Errorf("%w: chain %s not locked", errBatchGaveUp, chainOf[i])
		}
		at := rec.CreatedAt.UTC().Truncate(time.Microsecond)
		image := s.recordImage(rec)
		seq := h.seq + 1
		var hash string
		hash, scratch = auditRowHash(scratch, chainOf[i], seq, at.Format(sqliteTime), rec.CreatedBy, app, entity, rec.ID, "create", w.changes, rec.DefVersion, h.hash, rec.Version, image, "")
		aChain, aSeq, aAt, aActor, aRecord = append(aChain, chainOf[i]), append(aSeq, seq), append(aAt, at), append(aActor, rec.CreatedBy), append(aRecord, rec.ID)
		aChanges, aPrev, aHash, aImage = append(aChanges, w.changes), append(aPrev, h.hash), append(aHash, hash), append(aImage, image)
		h.seq, h.hash = seq, hash
	}
	hChains := slices.Sorted(maps.Keys(heads))
	hSeq, hHash := make([]int64, len(hChains)), make([]string, len(hChains))
	for i, c := range hChains {
		hSeq[i], hHash[i] = heads[c].seq, heads[c].hash
	}
	handoff()
	b = &pgx.Batch{}
	b.Queue(batchAuditSQL, aChain, aSeq, aAt, aActor, app, entity, aRecord, aChanges, batch[0].rec.DefVersion, aPrev, aHash, aImage, hChains, hSeq, hHash)
	b.Queue("commit")
	br = pc.SendBatch(ctx, b)
	_, err = br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	var pgErr *pgconn.PgError
	var unsent pgx.ErrPreprocessingBatch
	switch {
	case err != nil && !errors.As(err, &pgErr) && !errors.As(err, &unsent) && !pgconn.SafeToRetry(err):
		// Sent, and not answered: it may have committed.
		return fmt.Errorf("%w: %v", errCommitUnknown, err)
	case err != nil:
		return err
	case tag.String() != "COMMIT":
		return fmt.Errorf("%w: commit answered %q", errBatchGaveUp, tag.String())
	}
	return nil
}

// lockNewHeads creates the heads of chains (sorted here) that have none yet
// and locks them, adding them to heads; a head another write created
// meanwhile is locked as it is.
func lockNewHeads(ctx context.Context, pc *pgx.Conn, chains []string, heads map[string]*batchHead) error {
	slices.Sort(chains)
	if _, err := pc.Exec(ctx, `INSERT INTO growth_audit_heads (chain, chain_seq, hash) SELECT c, 0, $2 FROM unnest($1::text[]) AS c ORDER BY c ON CONFLICT (chain) DO NOTHING`,
		chains, genesisHash); err != nil {
		return err
	}
	rows, err := pc.Query(ctx, `SELECT chain, chain_seq, hash FROM growth_audit_heads WHERE chain = ANY($1) ORDER BY chain FOR UPDATE`, chains)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var chain string
		h := &batchHead{}
		if err := rows.Scan(&chain, &h.seq, &h.hash); err != nil {
			return err
		}
		heads[chain] = h
	}
	return rows.Err()
}

// batchInsertSQL is the statement that inserts a batch of records of s,
// each column given as one array (batchColumns), locks the heads of the
// audit chains of their ids in chain order, and reads the current
// definitions: a row per record, with its chain's head (none when the chain
// has no head yet). The last argument is the prefix of the entity's chains.
// Its text is the same whatever the number of records, so that each
// connection prepares it once.
func batchInsertSQL(db *DB, s *entityStore) string {
	head, _, _ := strings.Cut(s.insertSQL, " VALUES ")
	var sel, arrays, names []string
	for i, typ := range batchColumnTypes(s) {
		name := "c" + strconv.Itoa(i+1)
		names = append(names, name)
		col := name
		if typ == "date" {
			col, typ = name+"::date", "text"
		}
		sel = append(sel, col)
		arrays = append(arrays, db.Placeholder(i+1)+"::"+typ+"[]")
	}
	prefix := "CAST(" + db.Placeholder(len(names)+1) + " AS text)"
	chainOf := func(id string) string {
		return prefix + " || lpad((" + id + " % " + strconv.Itoa(AuditShards) + ")::text, 2, '0')"
	}
	return "WITH r AS (" + head + " SELECT " + strings.Join(sel, ", ") + " FROM unnest(" + strings.Join(arrays, ", ") + ") AS u(" + strings.Join(names, ", ") + ")" +
		" RETURNING " + db.Quote("id") + "), h AS MATERIALIZED (SELECT chain, chain_seq, hash FROM growth_audit_heads WHERE chain IN (SELECT " +
		chainOf("r.id") + " FROM r) ORDER BY chain FOR UPDATE)" +
		" SELECT r.id, h.chain, h.chain_seq, h.hash, (SELECT hash FROM growth_definition_current WHERE id = 1) FROM r LEFT JOIN h ON h.chain = " + chainOf("r.id")
}

// batchColumnTypes are the PostgreSQL types of the INSERT's arguments, in
// its order (version, created_by, created_at, updated_at, def_version, the
// fields); "date" is sent as text and cast.
func batchColumnTypes(s *entityStore) []string {
	types := []string{"bigint", "text", "timestamptz", "timestamptz", "text"}
	for _, c := range s.columns {
		switch c.Kind {
		case metamodel.ColumnInt, metamodel.ColumnScaled:
			types = append(types, "bigint")
		case metamodel.ColumnBool:
			types = append(types, "boolean")
		case metamodel.ColumnDate:
			types = append(types, "date")
		case metamodel.ColumnTimestamp:
			types = append(types, "timestamptz")
		default:
			types = append(types, "text")
		}
	}
	return types
}

// batchColumns gathers the INSERT arguments of the batch's records into one
// array per column, of the column's Go type (nil for NULL). A value of
// another type than expected gives the batch up: its creates run alone.
func batchColumns(s *entityStore, batch []*pgCreate) ([]any, error) {
	types := batchColumnTypes(s)
	cols := make([]any, len(types))
	var err error
	for j, typ := range types {
		switch typ {
		case "bigint":
			cols[j], err = batchColumn(batch, j, func(v any) (int64, bool) {
				switch x := v.(type) {
				case int64:
					return x, true
				case int:
					return int64(x), true
				}
				return 0, false
			})
		case "boolean":
			cols[j], err = batchColumn(batch, j, asType[bool])
		case "timestamptz":
			cols[j], err = batchColumn(batch, j, asType[time.Time])
		default: // text, and dates as text
			cols[j], err = batchColumn(batch, j, asType[string])
		}
		if err != nil {
			return nil, err
		}
	}
	return cols, nil
}

// batchColumn is argument j of every create of batch, as the elements of a
// PostgreSQL array (nil for NULL); conv takes a non-nil argument.
func batchColumn[T any](batch []*pgCreate, j int, conv func(any) (T, bool)) ([]*T, error) {
	a := make([]*T, len(batch))
	for i, w := range batch {
		v := w.args[j]
		if v == nil {
			continue
		}
		x, ok := conv(v)
		if !ok {
			return nil, fmt.Errorf("%w: column %d is a %T", errBatchGaveUp, j, v)
		}
		a[i] = &x
	}
	return a, nil
}

// asType is v as a T, when it is one.
func asType[T any](v any) (T, bool) {
	x, ok := v.(T)
	return x, ok
}

// batchAuditSQL inserts a batch's audit rows and moves each chain's head to
// its last row, in one statement.
const batchAuditSQL = `WITH a AS (INSERT INTO growth_audit (chain, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, prev_hash, hash, proof, record_version, image, ledger)
SELECT v.chain, v.seq, v.at, v.actor, $5::text, $6::text, v.record_id, 'create', v.changes, $9::text, v.prev, v.hash, 2, 1, v.image, ''
FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $7::bigint[], $8::text[], $10::text[], $11::text[], $12::text[]) AS v(chain, seq, at, actor, record_id, changes, prev, hash, image))
UPDATE growth_audit_heads AS h SET chain_seq = u.seq, hash = u.hash FROM unnest($13::text[], $14::bigint[], $15::text[]) AS u(chain, seq, hash) WHERE h.chain = u.chain`

// lockNotGranted reports a statement that PostgreSQL stopped because a lock
// was not granted within the lock timeout (55P03): nothing was written.
func lockNotGranted(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "55P03"
}

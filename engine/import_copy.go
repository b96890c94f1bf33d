package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// On PostgreSQL a clean import file is written with COPY when its records
// need nothing row by row once they are validated (docs/import.md):
//
//  1. the references of all rows are checked with one query per ref field;
//  2. the ids are taken from the table's identity sequence in one query, in
//     file order;
//  3. the rows, ids included, are copied into the entity table (pgx
//     CopyFrom on the connection under database/sql);
//  4. the effects' work on create is done for all records at once, in effect
//     order (BulkEffect: the workflow's creation history rows in one
//     INSERT, the ledger's draws and adjustments checked against the
//     balances in file order and written in one COPY, ledger_bulk.go);
//  5. the audit rows are appended per chain: each head locked once, the rows
//     copied, each head moved once (import_audit.go);
//  6. what the effects queued for after the audit rows: the balance updates,
//     one per account, then the parents' rollups, each parent once;
//
// all in one transaction. Anything a row could be refused for there (a
// reference, a unique value already in the table, an overdraft, a parent's
// rule) rolls it back and the file is written again row by row, which names
// the lines.
//
// Whether an entity qualifies is decided by the effects themselves: each
// registered effect that acts on the entity says what creating records of it
// needs (BulkEffect.PlanBulk). An effect that has no bulk step, or that needs
// per-row work — a file claimed, a voucher posted on create — keeps the
// entity on the per-row path, and the import report says which. So does an
// _events column, whose transitions run per row (and are the only way an
// import can generate records: generate actions belong to transitions).

// Every effect the runtime registers says what creating records needs of it.
var (
	_ BulkEffect = idempotencyEffect{}
	_ BulkEffect = creationHistory{}
	_ BulkEffect = (*ledger)(nil)
	_ BulkEffect = rollupEffect{}
	_ BulkEffect = blockLockEffect{}
	_ BulkEffect = fileEffect{}
	_ BulkEffect = scheduleGuardEffect{}
	_ BulkEffect = exchangeEffect{}
)

// importCopyEnabled lets tests write a file row by row on PostgreSQL too, to
// compare the two paths.
var importCopyEnabled = true

// copyTxObserver, when a benchmark sets it, is called as the COPY
// transaction begins and returns what to call once it has ended: the import
// benchmarks read the database server's CPU time for it.
var copyTxObserver func(tx *sql.Tx) (ended func())

// Import methods, as ImportReport.Method names them.
const (
	ImportByCopy = "copy"
	ImportByRows = "rows"
)

// copyPlan returns the bulk steps of creating records of e, or why an
// import into e must be written row by row.
func (rt *Runtime) copyPlan(e *metamodel.Entity) (steps []BulkStep, why string) {
	switch {
	case rt.DB.Dialect != Postgres:
		return nil, "SQLite has no COPY"
	case !importCopyEnabled:
		return nil, "COPY is switched off"
	}
	return rt.bulkPlan(e)
}

// copyImported writes the records of v with COPY in one transaction; see
// the top of this file. The rows stream as they are validated; a refused
// row stops the COPY (errImportAbort), and so does settle, called once the
// rows are in: it waits for every row's checks and says whether any row was
// bad (errImportAbort) or the checks failed. A row the database or an
// effect refuses returns errImportRetry, having written nothing.
func (rt *Runtime) copyImported(ctx context.Context, s *entityStore, actor Actor, v *rowValidation, steps []BulkStep, progress func(done, total int), settle func() error, last func(tx *sql.Tx) error) error {
	recs := v.records
	var ended func()
	err := rt.DB.copyTx(ctx, func(tx *sql.Tx, copyFrom copyFunc, copyRaw copyRawFunc) error {
		if copyTxObserver != nil && ended == nil {
			ended = copyTxObserver(tx)
		}
		if err := rt.checkDefinitions(ctx, tx); err != nil {
			return err
		}
		ids, err := rt.takeIDs(ctx, tx, s, len(recs))
		if err != nil {
			return err
		}
		// The rows of the table, and what the audit rows say of each
		// record, are worked out on the CPUs as the rows are validated; the
		// COPY sends each chunk of rows as soon as it is ready, and progress
		// follows the rows sent.
		changes, images := make([]string, len(recs)), make([]string, len(recs))
		stream := newCopyStream(len(v.chunks))
		if progress != nil {
			stream.onChunk = func(c int) {
				for i := c * validateChunk; i < min(len(recs), (c+1)*validateChunk); i++ {
					progress(i+1, len(recs))
				}
			}
		}
		var prepErr error
		prepared := make(chan struct{})
		go func() {
			defer close(prepared)
			prepErr = s.createdAudit(v, ids, changes, images, stream)
		}()
		defer func() { <-prepared }()
		cols := s.copyColumns()
		for i, c := range cols {
			cols[i] = rt.DB.Quote(c)
		}
		if _, err := copyRaw(`COPY `+rt.DB.Quote(s.table)+` (`+strings.Join(cols, ", ")+`) FROM STDIN (FORMAT binary)`, stream); err != nil {
			<-prepared
			switch {
			case v.bad.Load() || v.stop.Load():
				return errImportAbort
			case prepErr != nil:
				return prepErr
			}
			return rt.copyError(s, err)
		}
		if err := settle(); err != nil {
			return err
		}
		if err := rt.checkRefsBulk(ctx, tx, actor, s.entity, recs); err != nil {
			return err
		}
		// The records have their ids from here on.
		if <-prepared; prepErr != nil {
			return prepErr
		}
		batch := &CreatedBatch{Actor: actor, Entity: s.entity, Records: recs, ledgerRows: make([][]string, len(recs)), copyFrom: copyFrom}
		ec := EffectContext{Context: ctx, Tx: tx, RT: rt}
		for _, step := range steps {
			if err := step(ec, batch); err != nil {
				return rowRetry(err)
			}
		}
		entries := make([]AuditEntry, len(recs))
		for i, rec := range recs {
			entries[i] = AuditEntry{App: rec.App, Entity: rec.Entity, RecordID: rec.ID, Action: "create", Actor: actor.User, At: rec.CreatedAt,
				DefVersion: rec.DefVersion, Version: rec.Version, Image: images[i], Ledger: batch.ledgerRows[i]}
		}
		if err := rt.DB.appendAuditBatch(ctx, tx, copyRaw, entries, changes); err != nil {
			return err
		}
		for _, fn := range batch.after {
			if err := fn(); err != nil {
				return rowRetry(err)
			}
		}
		return last(tx)
	})
	if ended != nil {
		ended()
	}
	if err != nil {
		_ = v.wait()
		for _, rec := range recs {
			if rec != nil {
				rec.ID = 0
			}
		}
	}
	return err
}

// createdAudit works out, chunk by chunk as the records of v are
// validated, each record's row of the table in binary COPY form (handed to
// rows, when not nil) and what its audit row says of it: its changes as
// JSON and the image of its row (import_canonical.go), the record having
// taken its id from ids. A refused row gives its chunk up: the COPY stops
// there.
func (s *entityStore) createdAudit(v *rowValidation, ids []int64, changes, images []string, rows *copyStream) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, max(1, min(runtime.GOMAXPROCS(0), len(v.chunks))))
	for p := range errs {
		wg.Go(func() {
			w := newCreatedAuditWriter(s)
			for {
				c := int(next.Add(1) - 1)
				if c >= len(v.chunks) {
					return
				}
				lo, hi := v.chunk(c)
				var buf []byte
				for i := lo; i < hi && errs[p] == nil; i++ {
					rec := v.records[i]
					if rec == nil {
						break
					}
					rec.ID = ids[i]
					if changes[i], images[i], errs[p] = w.write(rec); errs[p] == nil && rows != nil {
						buf, errs[p] = appendRecordCopyRow(buf, s, ids[i], rec)
						if i == lo {
							// Room for the chunk's rows, if they are alike.
							buf = slices.Grow(buf, len(buf)*(hi-lo))
						}
					}
				}
				if rows == nil {
					continue
				}
				if errs[p] != nil || v.bad.Load() || v.stop.Load() {
					rows.abort(c)
				} else {
					rows.ready(c, buf)
				}
				runtime.Gosched() // the COPY's writes wait for a CPU (validateRows)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// rowRetry turns a row's refusal in the COPY transaction into
// errImportRetry: the per-row path names the line.
func rowRetry(err error) error {
	if _, isRow := asRowError(err); isRow {
		return errImportRetry
	}
	return err
}

// checkRefsBulk checks that every reference of recs names a record within
// actor's data scope, with one query per ref field. A missing one (or one
// outside the scope) is errImportRetry: the per-row path names its line.
func (rt *Runtime) checkRefsBulk(ctx context.Context, tx *sql.Tx, actor Actor, e *metamodel.Entity, recs []*Record) error {
	for _, f := range e.Fields {
		if f.Target == nil {
			continue
		}
		seen := map[int64]bool{}
		var ids []int64
		for _, rec := range recs {
			if id, ok := rec.Values[f.Name].(int64); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		target := rt.stores[f.Target.QualifiedName()]
		if !rt.Access.Can(actor, f.Target, "read") {
			return errImportRetry
		}
		var found int
		q := `SELECT COUNT(*) FROM ` + rt.DB.Quote(target.table) + ` WHERE ` + rt.DB.Quote("id") + ` = ANY($1)`
		args := []any{ids}
		if scope := rt.Access.Scope(actor, f.Target); scope != nil {
			cond, scopeArgs, err := filter.Compile(scope, rt.scopeResolver(target), binder{rt.DB}, 1)
			if err != nil {
				return fmt.Errorf("data scope of %s: %w", f.Target.QualifiedName(), err)
			}
			q += " AND " + cond
			args = append(args, scopeArgs...)
		}
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&found); err != nil {
			return rt.dbError(target, "check references", err)
		}
		if found != len(ids) {
			return errImportRetry
		}
	}
	return nil
}

// takeIDs draws n ids from the identity sequence of s's table, ascending, so
// that records get them in file order as they would row by row. The
// sequence is looked up once (pg_get_serial_sequence reads the catalogue's
// dependencies: per row, it was most of the statement's 30-40 ms for 10,000
// ids).
func (rt *Runtime) takeIDs(ctx context.Context, tx *sql.Tx, s *entityStore, n int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence($1, 'id')::regclass AS seq)
SELECT nextval(s.seq) FROM s, generate_series(1, $2)`, rt.DB.Quote(s.table), n)
	if err != nil {
		return nil, rt.dbError(s, "import ids", err)
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, rt.dbError(s, "import ids", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, rt.dbError(s, "import ids", err)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("import ids for %s: got %d of %d", s.table, len(ids), n)
	}
	slices.Sort(ids)
	return ids, nil
}

// copyError sorts what COPY refused: a value the database would refuse in an
// INSERT too (a unique value already there, a constraint, a value out of
// range) is a row's problem, for the per-row path to name; anything else
// stops the import.
func (rt *Runtime) copyError(s *entityStore, err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "23") || strings.HasPrefix(pg.Code, "22")) {
		return errImportRetry
	}
	return rt.dbError(s, "import copy", err)
}

// copyFunc copies rows into a table on the import transaction's connection.
type copyFunc func(table string, columns []string, src pgx.CopyFromSource) (int64, error)

// copyRawFunc runs a COPY … FROM STDIN statement on the import
// transaction's connection, with r as its data.
type copyRawFunc func(sql string, r io.Reader) (int64, error)

// copyTx is Tx on one connection taken from the pool, whose pgx connection
// fn may COPY into through copyFrom and copyRaw, inside the transaction.
func (db *DB) copyTx(ctx context.Context, fn func(tx *sql.Tx, copyFrom copyFunc, copyRaw copyRawFunc) error) (err error) {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	copyFrom := func(table string, columns []string, src pgx.CopyFromSource) (n int64, err error) {
		// The pgx connection may be used only inside Raw; the transaction is
		// open on it, so the COPY is part of it.
		err = conn.Raw(func(driverConn any) error {
			c, ok := pgxConnOf(driverConn)
			if !ok {
				return fmt.Errorf("copy: the PostgreSQL connection is a %T, not pgx", driverConn)
			}
			n, err = c.CopyFrom(ctx, pgx.Identifier{table}, columns, src)
			return err
		})
		return n, err
	}
	copyRaw := func(sql string, r io.Reader) (n int64, err error) {
		err = conn.Raw(func(driverConn any) error {
			c, ok := pgxConnOf(driverConn)
			if !ok {
				return fmt.Errorf("copy: the PostgreSQL connection is a %T, not pgx", driverConn)
			}
			tag, err := c.PgConn().CopyFrom(ctx, r, sql)
			n = tag.RowsAffected()
			return err
		})
		return n, err
	}
	if err = fn(tx, copyFrom, copyRaw); err != nil {
		if retryable(err) {
			return errRetry(err)
		}
		return err
	}
	if err = tx.Commit(); err != nil {
		if retryable(err) {
			return errRetry(err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// What each effect does when records are created in bulk.

// An import carries no idempotency key (its rows are written with an empty
// one), so there is nothing to record.
func (idempotencyEffect) PlanBulk(*Runtime, *metamodel.Entity) (BulkStep, bool) {
	return nil, true
}

// A scheduled run's guard applies only to the creates that run makes, which
// carry it in their context; an import never does.
func (scheduleGuardEffect) PlanBulk(*Runtime, *metamodel.Entity) (BulkStep, bool) {
	return nil, true
}

// A record with a file claims it (growth_file_refs) row by row.
func (fileEffect) PlanBulk(_ *Runtime, e *metamodel.Entity) (BulkStep, bool) {
	if slices.ContainsFunc(e.Fields, func(f *metamodel.Field) bool { return f.Is(metamodel.Attachment) }) {
		return nil, false
	}
	return nil, true
}

// The records a new blocking record points at are share-locked, all in one
// query per block.
func (blockLockEffect) PlanBulk(rt *Runtime, e *metamodel.Entity) (BulkStep, bool) {
	var blocks []*metamodel.Block
	for _, b := range e.Blocks {
		if b.RefField != nil && b.Target != nil {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return nil, true
	}
	return func(ec EffectContext, batch *CreatedBatch) error {
		for _, b := range blocks {
			var ids []int64
			for _, rec := range batch.Records {
				if id, ok := rec.Values[b.RefField.Name].(int64); ok && id > 0 {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				continue
			}
			s := rt.stores[b.Target.QualifiedName()]
			rows, err := ec.Tx.QueryContext(ec, `SELECT `+rt.DB.Quote("id")+` FROM `+rt.DB.Quote(s.table)+` WHERE `+rt.DB.Quote("id")+` = ANY($1) ORDER BY `+rt.DB.Quote("id")+` FOR SHARE`, ids)
			if err != nil {
				return rt.dbError(s, "lock blocked records", err)
			}
			rows.Close()
		}
		return nil
	}, true
}

// A workflow record's creation history row, for all records in one INSERT.
func (creationHistory) PlanBulk(rt *Runtime, e *metamodel.Entity) (BulkStep, bool) {
	if e.Workflow == nil {
		return nil, true
	}
	return func(ec EffectContext, batch *CreatedBatch) error {
		recs := batch.Records
		ids := make([]int64, len(recs))
		states := make([]string, len(recs))
		ats := make([]time.Time, len(recs))
		versions := make([]string, len(recs))
		for i, rec := range recs {
			ids[i], states[i], ats[i], versions[i] = rec.ID, rec.State, rec.CreatedAt, rec.DefVersion
		}
		_, err := ec.Tx.ExecContext(ec, `INSERT INTO growth_history (app, entity, record_id, event, from_state, to_state, actor, at, comment, def_version)
SELECT $1, $2, r.id, 'create', '', r.state, $3, r.at, '', r.def_version
FROM unnest($4::bigint[], $5::text[], $6::timestamptz[], $7::text[]) WITH ORDINALITY AS r(id, state, at, def_version, n) ORDER BY r.n`,
			e.App.Name, e.Name, batch.Actor.User, ids, states, ats, versions)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		return nil
	}, true
}

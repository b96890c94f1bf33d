package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// A draw on PostgreSQL holds its account's balance row from its conditional
// UPDATE to its COMMIT, and PostgreSQL lets the row go only once the commit
// is flushed; draws on one hot account run one after another. Sent one at a
// time, the UPDATE's answer travels to Growth and the COMMIT back before the
// flush even starts, all of it with the row held. A create whose last
// statements are its balance updates (Runtime.Create) therefore hands them
// to its transaction's commit pipe: the commit sends them and the COMMIT
// together, in one round trip (a pgconn batch: Bind/Execute of each
// statement, then COMMIT, then one Sync).
//
// Each piped statement must fail, not merely match no row, when its
// condition does not hold: PostgreSQL skips what follows a failed statement
// up to the Sync, so a refused draw's COMMIT never runs. The balance update
// is therefore sent as (failingWithoutRow)
//
//	WITH u AS (UPDATE … RETURNING 1)
//	SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('growth: no row matched: ' || count(*))::int END FROM u
//
// whose cast fails (22P02, with that text) when the UPDATE matched no row;
// plain SQL has no RAISE, and the text names the cause in PostgreSQL's log,
// where a refused draw now shows as an ERROR. The transaction is then
// rolled back, and the statement's own failed function explains the refusal
// (reading the balance afresh) exactly as the unpiped UPDATE does.
//
// database/sql cannot send two statements in one round trip, nor end a
// transaction without its driver sending COMMIT or ROLLBACK; so Growth opens
// PostgreSQL through pgx's database/sql driver wrapped (pgConnector): a
// transaction begun with a commit pipe in its context commits through it.
// Everything else is pgx's driver as it is.

// commitPipe holds the statements a PostgreSQL write transaction sends
// together with its COMMIT.
type commitPipe struct {
	// bound is set when the driver took the pipe for the transaction: only
	// then may statements be handed to it.
	bound bool
	stmts []pipedStatement
}

// pipedStatement is a statement sent with the COMMIT.
type pipedStatement struct {
	sql  string
	args []any
	// failed is the write's error when the statement failed, called after
	// the transaction was rolled back; noRow says it failed because it
	// matched no row (failingWithoutRow).
	failed func(ctx context.Context, err error, noRow bool) error
}

type commitPipeKey struct{}

// pipeNoRow is the text of the error of a failingWithoutRow statement that
// matched no row.
const pipeNoRow = "growth: no row matched"

// failingWithoutRow turns a data-modifying statement into one that fails
// when it matches no row. The text cast is not folded into a constant when
// the statement is planned: it depends on count(*).
func failingWithoutRow(stmt string) string {
	return "WITH u AS (" + stmt + " RETURNING 1) SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('" + pipeNoRow + ": ' || count(*))::int END FROM u"
}

// matchedNoRow reports whether err is a failingWithoutRow statement's
// failure for matching no row.
func matchedNoRow(err *pgconn.PgError) bool {
	return err.Code == "22P02" && strings.Contains(err.Message, pipeNoRow)
}

// commitPipes holds the bound pipe of each PostgreSQL write transaction in
// progress, by its *sql.Tx (DB.Tx).
var commitPipes sync.Map

// beginPiped begins a PostgreSQL write transaction with a commit pipe.
func (db *DB) beginPiped(ctx context.Context) (*sql.Tx, *commitPipe, error) {
	pipe := &commitPipe{}
	tx, err := db.Write.BeginTx(context.WithValue(ctx, commitPipeKey{}, pipe), nil)
	if err != nil {
		return nil, nil, err
	}
	if !pipe.bound {
		return tx, nil, nil
	}
	commitPipes.Store(tx, pipe)
	return tx, pipe, nil
}

// endPiped forgets tx's pipe once the transaction is over.
func endPiped(tx *sql.Tx, pipe *commitPipe) {
	if pipe != nil {
		commitPipes.Delete(tx)
	}
}

// commitPipeOf is the pipe tx commits through, or nil (SQLite, or a
// transaction not begun by DB.Tx).
func commitPipeOf(tx *sql.Tx) *commitPipe {
	if v, ok := commitPipes.Load(tx); ok {
		return v.(*commitPipe)
	}
	return nil
}

// add hands a statement to the commit.
func (p *commitPipe) add(s pipedStatement) { p.stmts = append(p.stmts, s) }

// commitError is the write's error for err, what the commit of a
// transaction with pipe returned: a piped statement's failure becomes what
// that statement says (ok true); any other error is the commit's.
func (p *commitPipe) commitError(ctx context.Context, err error) (error, bool) {
	pe, ok := errors.AsType[*pipeError](err)
	if p == nil || !ok || pe.stmt >= len(p.stmts) {
		return err, false
	}
	return p.stmts[pe.stmt].failed(ctx, pe.err, pe.noRow), true
}

// pipeError is a piped statement's failure, as the driver's Commit returns
// it (the transaction rolled back).
type pipeError struct {
	stmt  int
	noRow bool
	err   error
}

func (e *pipeError) Error() string {
	return "piped statement " + strconv.Itoa(e.stmt) + ": " + e.err.Error()
}
func (e *pipeError) Unwrap() error { return e.err }

// pipedCommitHook, when set (by tests), is told of each commit that sends
// statements with it.
var pipedCommitHook func(stmts int)

// errAfterPipe: a statement ran after statements were handed to the commit,
// which would run it before them. It is a fault in Growth, never the data.
var errAfterPipe = errors.New("engine: a statement after the statements sent with the commit")

// pgConnector opens pgx's database/sql connections wrapped in pgConn.
type pgConnector struct{ driver.Connector }

func newPgConnector(dsn string) (driver.Connector, error) {
	c, err := stdlib.GetDefaultDriver().(driver.DriverContext).OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return pgConnector{c}, nil
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return dc, nil
	}
	return &pgConn{Conn: sc}, nil
}

// pgConn is pgx's connection, whose transactions may commit through a pipe.
type pgConn struct {
	*stdlib.Conn
	// tx is the piped transaction open on the connection, if any.
	tx *pgTx
	// prepared are the piped statements prepared on the connection.
	prepared map[string]*pgconn.StatementDescription
}

// pgxConnOf is the pgx connection of a driver connection (sql.Conn.Raw).
func pgxConnOf(driverConn any) (*pgx.Conn, bool) {
	switch c := driverConn.(type) {
	case *pgConn:
		return c.Conn.Conn(), true
	case *stdlib.Conn:
		return c.Conn(), true
	}
	return nil, false
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	pipe, _ := ctx.Value(commitPipeKey{}).(*commitPipe)
	if pipe == nil {
		return tx, nil
	}
	pipe.bound = true
	c.tx = &pgTx{Tx: tx, c: c, ctx: ctx, pipe: pipe}
	return c.tx, nil
}

// piping reports whether statements wait for the commit.
func (c *pgConn) piping() bool { return c.tx != nil && len(c.tx.pipe.stmts) > 0 }

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.piping() {
		return nil, errAfterPipe
	}
	return c.Conn.ExecContext(ctx, query, args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.piping() {
		return nil, errAfterPipe
	}
	return c.Conn.QueryContext(ctx, query, args)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.piping() {
		return nil, errAfterPipe
	}
	return c.Conn.PrepareContext(ctx, query)
}

// prepare prepares a piped statement on the connection, once.
func (c *pgConn) prepare(ctx context.Context, query string) (*pgconn.StatementDescription, error) {
	if sd, ok := c.prepared[query]; ok {
		return sd, nil
	}
	if c.prepared == nil {
		c.prepared = map[string]*pgconn.StatementDescription{}
	}
	sd, err := c.Conn.Conn().PgConn().Prepare(ctx, "growth_piped_"+strconv.Itoa(len(c.prepared)), query, nil)
	if err != nil {
		return nil, err
	}
	c.prepared[query] = sd
	return sd, nil
}

// pgTx is a transaction that commits through its pipe.
type pgTx struct {
	driver.Tx
	c    *pgConn
	ctx  context.Context
	pipe *commitPipe
}

func (t *pgTx) Rollback() error {
	t.c.tx = nil
	return t.Tx.Rollback()
}

// Commit sends the piped statements and the COMMIT in one round trip, or
// only the COMMIT when none were handed over. A piped statement that fails
// skips the COMMIT; the transaction is then rolled back and Commit returns
// a *pipeError.
func (t *pgTx) Commit() error {
	t.c.tx = nil
	stmts := t.pipe.stmts
	if len(stmts) == 0 {
		return t.Tx.Commit()
	}
	if pipedCommitHook != nil {
		pipedCommitHook(len(stmts))
	}
	pc := t.c.Conn.Conn()
	m := pc.TypeMap()
	var b pgconn.Batch
	for i, s := range stmts {
		sd, err := t.c.prepare(t.ctx, s.sql)
		if err == nil && len(sd.ParamOIDs) != len(s.args) {
			err = fmt.Errorf("piped statement takes %d arguments, %d given", len(sd.ParamOIDs), len(s.args))
		}
		values := make([][]byte, len(s.args))
		formats := make([]int16, len(s.args))
		for j := 0; err == nil && j < len(s.args); j++ {
			formats[j] = m.FormatCodeForOID(sd.ParamOIDs[j])
			values[j], err = m.Encode(sd.ParamOIDs[j], formats[j], s.args[j], nil)
		}
		if err != nil {
			return t.failed(&pipeError{stmt: i, err: err})
		}
		b.ExecStatement(sd, values, formats, nil)
	}
	b.ExecParams("commit", nil, nil, nil, nil)
	results, err := pc.PgConn().ExecBatch(t.ctx, &b).ReadAll()
	if err == nil {
		if len(results) != len(stmts)+1 || results[len(stmts)].CommandTag.String() != "COMMIT" {
			return t.failed(pgx.ErrTxCommitRollback)
		}
		return nil
	}
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		// The connection failed (pgconn closed it, and the pool drops it),
		// or the context ended before anything was sent.
		return t.failed(err)
	}
	at := len(results)
	for i, r := range results {
		if r.Err != nil {
			at = i
			break
		}
	}
	if at >= len(stmts) {
		return t.failed(err) // the COMMIT failed
	}
	return t.failed(&pipeError{stmt: at, noRow: matchedNoRow(pgErr), err: err})
}

// failed rolls back what is left of the transaction and returns err.
func (t *pgTx) failed(err error) error {
	if pc := t.c.Conn.Conn().PgConn(); pc.IsClosed() || pc.TxStatus() == 'I' {
		return err
	}
	if rerr := t.Tx.Rollback(); rerr != nil {
		// pgx closed the connection: the pool drops it.
		return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
	}
	return err
}

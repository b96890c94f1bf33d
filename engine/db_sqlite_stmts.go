package engine

import (
	"context"
	"database/sql/driver"
	"reflect"
	"sync"

	moderncsqlite "modernc.org/sqlite"
)

// SQLite parses the text of a statement into a program before it runs it;
// for the short statements of a request that took a fifth of the CPU on the
// create path (docs/performance.md). modernc.org/sqlite keeps the program of
// a statement prepared once, but database/sql prepares afresh on every
// ExecContext and QueryContext that names SQL text, which is how the engine
// calls it (SQL built once per entity at load, run on a transaction or a
// pool). So each connection keeps the statements it ran, by their text, and
// runs the same text again on the same program: the engine's calls stay as
// they are, and the cache sits below database/sql, where a connection is used
// by one goroutine at a time.

// stmtCacheSize bounds the statements kept per connection; the engine's
// statements are a few per entity, plus the lists' filter shapes.
const stmtCacheSize = 256

// sqliteConnector opens modernc.org/sqlite connections with a statement cache.
type sqliteConnector struct {
	dsn    string
	driver *moderncsqlite.Driver
	// uninterrupted connections run every statement to its end even when
	// the caller's context is done (database/sql still refuses the next
	// one). The write pool's are: SQLite answers an interrupted write in a
	// transaction by rolling back the whole transaction, which under group
	// commit (db_group.go) holds other requests' writes.
	uninterrupted bool
}

var _ driver.Connector = (*sqliteConnector)(nil)

func newSQLiteConnector(dsn string, uninterrupted bool) *sqliteConnector {
	return &sqliteConnector{dsn: dsn, driver: &moderncsqlite.Driver{}, uninterrupted: uninterrupted}
}

func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{conn: conn, stmts: map[string]*cachedStmt{}, uninterrupted: c.uninterrupted}, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.driver }

// sqliteConn is what modernc.org/sqlite's connection offers.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a connection that keeps its prepared statements by text.
type cachingConn struct {
	conn          driver.Conn
	mu            sync.Mutex
	stmts         map[string]*cachedStmt
	clock         uint64
	uninterrupted bool
}

// context is the context statements run under: ctx, or none that ends for
// an uninterrupted connection.
func (c *cachingConn) context(ctx context.Context) context.Context {
	if c.uninterrupted {
		return context.Background()
	}
	return ctx
}

var (
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

// cachedStmt is a statement of the cache; busy while a result set of it is
// open, when the same text runs on a statement of its own instead.
type cachedStmt struct {
	stmt driver.Stmt
	busy bool
	used uint64
}

func (c *cachingConn) inner() sqliteConn { return c.conn.(sqliteConn) }

// statement returns a statement of query to run now, and the function that
// gives it back once its result is read.
func (c *cachingConn) statement(ctx context.Context, query string) (driver.Stmt, func() error, error) {
	c.mu.Lock()
	if s, ok := c.stmts[query]; ok && !s.busy {
		s.busy = true
		c.clock++
		s.used = c.clock
		c.mu.Unlock()
		return s.stmt, func() error { c.giveBack(s); return nil }, nil
	}
	_, taken := c.stmts[query]
	c.mu.Unlock()
	st, err := c.inner().PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if taken {
		// The cached one is in use further up (a query run while a result
		// set of the same text is open): this one is the caller's alone.
		return st, st.Close, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stmts) >= stmtCacheSize {
		c.evictLocked()
	}
	c.clock++
	s := &cachedStmt{stmt: st, busy: true, used: c.clock}
	c.stmts[query] = s
	return st, func() error { c.giveBack(s); return nil }, nil
}

func (c *cachingConn) giveBack(s *cachedStmt) {
	c.mu.Lock()
	s.busy = false
	c.mu.Unlock()
}

// evictLocked closes the least recently used statement that is not in use.
func (c *cachingConn) evictLocked() {
	var oldest string
	var at uint64
	for q, s := range c.stmts {
		if !s.busy && (oldest == "" || s.used < at) {
			oldest, at = q, s.used
		}
	}
	if oldest != "" {
		_ = c.stmts[oldest].stmt.Close()
		delete(c.stmts, oldest)
	}
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx = c.context(ctx)
	st, done, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	defer done()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx = c.context(ctx)
	st, done, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		_ = done()
		return nil, err
	}
	return &cachedRows{rows: rows, done: done}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.inner().Prepare(query)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner().PrepareContext(c.context(ctx), query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.inner().BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner().BeginTx(c.context(ctx), opts)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.inner().Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner().ResetSession(ctx) }

func (c *cachingConn) IsValid() bool { return c.inner().IsValid() }

// Close finalises every cached statement, then closes the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	for q, s := range c.stmts {
		_ = s.stmt.Close()
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return c.conn.Close()
}

// cachedRows gives its statement back to the cache when closed. It passes on
// the column type information modernc.org/sqlite gives (gorm's migrator and
// database/sql's ColumnTypes read it).
type cachedRows struct {
	rows driver.Rows
	done func() error
}

var (
	_ driver.RowsColumnTypeDatabaseTypeName = (*cachedRows)(nil)
	_ driver.RowsColumnTypeLength           = (*cachedRows)(nil)
	_ driver.RowsColumnTypeNullable         = (*cachedRows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*cachedRows)(nil)
	_ driver.RowsColumnTypeScanType         = (*cachedRows)(nil)
)

func (r *cachedRows) Columns() []string { return r.rows.Columns() }

func (r *cachedRows) Next(dest []driver.Value) error { return r.rows.Next(dest) }

func (r *cachedRows) Close() error {
	err := r.rows.Close()
	if r.done != nil {
		_ = r.done()
		r.done = nil
	}
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.rows.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(i)
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	return r.rows.(driver.RowsColumnTypeLength).ColumnTypeLength(i)
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	return r.rows.(driver.RowsColumnTypeNullable).ColumnTypeNullable(i)
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.rows.(driver.RowsColumnTypePrecisionScale).ColumnTypePrecisionScale(i)
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	return r.rows.(driver.RowsColumnTypeScanType).ColumnTypeScanType(i)
}

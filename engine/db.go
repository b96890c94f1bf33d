package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/growth-gov/growth/migrations"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// Dialect is the SQL flavour of a database.
type Dialect string

// The two supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. On SQLite every write goes through a pool of one
// connection (SQLite allows one writer; queuing in Go is cheaper than
// "database is locked"), and reads use their own pool in WAL mode. On
// PostgreSQL both are the same pool. The SQL text it needs (placeholders,
// quoting, column types, argument forms) is its Dialect's: that text needs
// no connection, so definitions are checked and their tables written
// without a database.
type DB struct {
	Dialect
	Write *sql.DB
	Read  *sql.DB
	// Gorm wraps the write pool for the migrator and simple queries.
	Gorm *gorm.DB
	// Name says which database this is, without credentials, for logs.
	Name string
	// statistics keeps PostgreSQL's statistics of busy tables fresh
	// (db_statistics.go).
	statistics statisticsKeeper
	// group commits SQLite's write transactions in groups (db_group.go).
	group *groupCommit
	// lists sends PostgreSQL's lists together (list_pipeline.go).
	lists listPipeline
}

// Open opens "sqlite:PATH" (PATH may be ":memory:") or a postgres:// URL.
func Open(ctx context.Context, dsn string) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("database %q: use sqlite:PATH or a postgres:// URL", redact(dsn))
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: no path given (sqlite:growth.db)")
	}
	memory := path == ":memory:"
	if !memory {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("sqlite: %w", err)
			}
		}
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	if !memory {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Set("_txlock", "immediate")
	dsn := path + "?" + q.Encode()
	if memory {
		// One shared in-memory database for both pools.
		dsn = "file:growth-mem-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "?mode=memory&cache=shared&" + q.Encode()
	}
	// Each pool's connections keep their prepared statements
	// (db_sqlite_stmts.go); the read pool keeps its four open for that.
	write := sql.OpenDB(newSQLiteConnector(dsn, true))
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read := write
	if !memory {
		read = sql.OpenDB(newSQLiteConnector(dsn, false))
		read.SetMaxOpenConns(4)
		read.SetMaxIdleConns(4)
	}
	if err := write.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	g, err := gorm.Open(sqlite.New(sqlite.Config{Conn: write}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return &DB{Dialect: SQLite, Write: write, Read: read, Gorm: g, Name: "sqlite:" + path, group: &groupCommit{db: write}}, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	// pgx's database/sql driver, whose transactions may send their last
	// statements with the COMMIT (ledger_pipeline.go).
	connector, err := newPgConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", redact(dsn), err)
	}
	pool := sql.OpenDB(connector)
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(20)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", redact(dsn), err)
	}
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: pool}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &DB{Dialect: Postgres, Write: pool, Read: pool, Gorm: g, Name: redact(dsn)}, nil
}

// redact removes a password from a database URL before it is logged or shown.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.Write.Close()
	if db.Read != db.Write {
		err = errors.Join(err, db.Read.Close())
	}
	return err
}

// Placeholder is the n-th (1-based) bind parameter.
func (d Dialect) Placeholder(n int) string {
	if d == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// Quote quotes an identifier. Identifiers come from checked definitions (lower
// case, digits, _), so quoting is belt and braces, not the defence.
func (Dialect) Quote(name string) string { return quoteName(name) }

// quoteName quotes an identifier the same way in both dialects.
func quoteName(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Tx runs fn in one write transaction: committed when fn returns nil, rolled
// back otherwise, so that a request that fails leaves nothing behind. On
// SQLite fn runs in a savepoint of a transaction it may share with the
// writes that arrived with it (db_group.go); Tx returns once that
// transaction committed.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	return db.jointTx(ctx, nil, fn)
}

// jointTx is Tx for a write that SQLite's group commit may write together
// with others of its kind (joint, when not nil; db_group.go).
func (db *DB) jointTx(ctx context.Context, joint jointWrite, fn func(tx *sql.Tx) error) (err error) {
	if db.group != nil {
		return db.group.run(ctx, joint, fn)
	}
	// On PostgreSQL the transaction may send its last statements with its
	// COMMIT (ledger_pipeline.go); a failure of one of them is that
	// statement's, not the commit's.
	tx, pipe, err := db.beginPiped(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer endPiped(tx, pipe)
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		if retryable(err) {
			return errRetry(err)
		}
		return err
	}
	if err = tx.Commit(); err != nil {
		if retryable(err) {
			return errRetry(err)
		}
		if err, piped := pipe.commitError(ctx, err); piped {
			return err
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports a PostgreSQL deadlock (40P01) or serialization failure
// (40001): two requests crossed, and the database chose this one to fail.
// Nothing was written; the client may simply try again.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// errRetry is the conflict a retryable failure becomes for the client.
func errRetry(err error) error {
	return conflict(errcode.Retry, "与同时进行的其他操作冲突，未作任何更改，请重试")
}

// migrationLockClass is the first key of the PostgreSQL advisory lock that
// migrations and schema changes hold ("grow" in ASCII); the second is the
// hash of the schema, so that installations in different schemas of one
// database do not wait for each other.
const migrationLockClass = 0x67726f77

// WithMigrationLock runs fn while holding the migration lock: on PostgreSQL
// a session advisory lock on one connection kept aside for the purpose, so
// that servers starting together take turns to migrate, and the ones after
// the first find nothing left to do. A server that dies while holding it
// loses its connection, and with it the lock. SQLite has one server by
// design, and its single writer already takes turns.
func (db *DB) WithMigrationLock(ctx context.Context, fn func() error) (err error) {
	if db.Dialect != Postgres {
		return fn()
	}
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, migrationLockClass); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		// A background context: the lock must go even when ctx is done.
		if _, uerr := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, migrationLockClass); uerr != nil {
			// Closing the connection ends the session and its locks.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("migration unlock: %w", uerr))
		}
	}()
	return fn()
}

// Migrate applies the platform's own SQL migrations not yet applied, under
// the migration lock.
func (db *DB) Migrate(ctx context.Context) error {
	return db.WithMigrationLock(ctx, func() error { return db.migrate(ctx) })
}

// errMigrationTaken rolls back a migration another server has applied.
var errMigrationTaken = errors.New("migration applied by another server")

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS growth_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	dir := string(db.Dialect)
	entries, err := fs.ReadDir(migrations.FS, dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		version := strings.TrimSuffix(e.Name(), ".sql")
		var n int
		if err := db.Write.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_migrations WHERE version = `+db.Placeholder(1), version).Scan(&n); err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
		if n > 0 {
			continue
		}
		text, err := fs.ReadFile(migrations.FS, dir+"/"+e.Name())
		if err != nil {
			return err
		}
		// The version row is written first: it takes the write lock, so a
		// second server migrating the same SQLite file (which has no advisory
		// lock) waits for the first and then finds the version taken.
		applied := false
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO growth_migrations (version, applied_at) VALUES (`+db.Placeholder(1)+`, `+db.Placeholder(2)+`)`, version, time.Now().UTC().Format(time.RFC3339)); err != nil {
				if isUniqueViolation(err) {
					applied = true
					return errMigrationTaken
				}
				return fmt.Errorf("migration %s: %w", version, err)
			}
			for _, stmt := range splitSQL(string(text)) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w\n%s", version, err, stmt)
				}
			}
			return nil
		})
		if applied {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// splitSQL splits a migration file into statements at semicolons that end a
// line; migrations hold no procedural code, so this is enough.
func splitSQL(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

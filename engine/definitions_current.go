package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// Several servers share one database, and during a rolling upgrade some run
// new definitions while others still run the old ones. The database records
// the definition version it was last migrated to (growth_definition_current);
// a server whose definitions have another hash refuses every write with an
// UnavailableError (503) saying why, and its /readyz answers 503 so that a
// load balancer stops sending it requests. It still serves reads.
//
// Start takes over the database (migrates it and records its own version as
// current) when the database has no current version yet, when it already is
// this server's version, or when this server's definitions are new to the
// database (never recorded): the newest migrator wins. A server whose
// definitions were recorded before but are no longer current is an old one
// restarting mid upgrade: it leaves the schema alone and starts refusing
// writes. `growth migrate` takes over whatever the version (StartOptions.
// TakeOver), which is how an operator rolls back on purpose.

// UnavailableError is a request this server cannot serve now, though another
// server may (HTTP 503).
type UnavailableError struct {
	Code      errcode.Code
	Message   string
	MessageEn string
}

func (e *UnavailableError) Error() string { return e.Message }

// Text is the message in English when english is set and there is one.
func (e *UnavailableError) Text(english bool) string {
	return errcode.Text{Zh: e.Message, En: e.MessageEn}.In(english)
}

// Is makes errors.Is(err, errcode.X) true for the error's code.
func (e *UnavailableError) Is(target error) bool { return target == e.Code }

// unavailable is an UnavailableError of code, its message built from format
// and args.
func unavailable(code errcode.Code, format string, args ...any) *UnavailableError {
	t := code.Format(format, args...)
	return &UnavailableError{Code: code, Message: t.Zh, MessageEn: t.En}
}

// currentDefinition is the hash of the version the database was last
// migrated to, or "" when none was recorded.
func (db *DB) currentDefinition(ctx context.Context, q querier) (string, error) {
	var hash string
	err := q.QueryRowContext(ctx, `SELECT hash FROM growth_definition_current WHERE id = 1`).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("current definition version: %w", err)
	}
	return hash, nil
}

// knownDefinition reports whether hash was ever recorded in the database.
func (db *DB) knownDefinition(ctx context.Context, hash string) (bool, error) {
	var n int
	if err := db.Write.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_definition_versions WHERE hash = `+db.Placeholder(1), hash).Scan(&n); err != nil {
		return false, fmt.Errorf("definition versions: %w", err)
	}
	return n > 0, nil
}

// setCurrentDefinition records hash as the version the database is migrated to.
func (db *DB) setCurrentDefinition(ctx context.Context, hash string) error {
	ph := db.Placeholder
	_, err := db.Write.ExecContext(ctx, `INSERT INTO growth_definition_current (id, hash, migrated_at) VALUES (1, `+ph(1)+`, `+ph(2)+`)
ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, migrated_at = excluded.migrated_at`, hash, db.timeArg(time.Now()))
	if err != nil {
		return fmt.Errorf("current definition version: %w", err)
	}
	return nil
}

// checkDefinitions refuses a write when the database was migrated to other
// definitions than this server's. It reads inside the write's transaction,
// so a write that commits after another server took over is refused.
func (rt *Runtime) checkDefinitions(ctx context.Context, q querier) error {
	current, err := rt.DB.currentDefinition(ctx, q)
	if err != nil {
		return err
	}
	if current == rt.Project.Hash {
		return nil
	}
	return rt.definitionsDiffer(current)
}

func (rt *Runtime) definitionsDiffer(current string) error {
	return unavailable(errcode.DefinitionsChanged,
		"本服务器的定义版本 %s 与数据库当前的定义版本 %s 不一致（数据库已由另一版本的定义迁移），本服务器暂停写入，只可查询；请改用已升级的服务器，或以当前定义重启本服务器",
		short(rt.Project.Hash), short(current))
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	if hash == "" {
		return "（无）"
	}
	return hash
}

// writeTx is DB.Tx for a write of records: the write commits only if the
// database is on this server's definitions.
//
// On SQLite a write transaction holds the database's write lock from its
// BEGIN (IMMEDIATE) to its COMMIT, so what it reads of the current
// definitions cannot change under it, and group commit runs many writes in
// one transaction (db_group.go): the definitions are read once per database
// transaction, by its first write, not once per write.
//
// On PostgreSQL the check is not a statement of its own: the statement that
// locks the write's first audit head reads the current definitions too (a
// create's INSERT, insertLockingHead; else readAuditHead). That is later in
// the transaction than a check first was, so a write under way when another
// server takes over is refused more often than before, never less.
// A write that locks no audit head reads them at its end; one that fails
// before its check reads them then, so that a write refused because the
// database is no longer on its definitions (a column gone) says so.
func (rt *Runtime) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return rt.jointWriteTx(ctx, nil, fn)
}

// jointWriteTx is writeTx for a write that SQLite's group commit may write
// together with others of its kind (joint, when not nil; db_group.go), whose
// writeJointly checks the definitions with sqliteDefinitionsChecked.
func (rt *Runtime) jointWriteTx(ctx context.Context, joint jointWrite, fn func(tx *sql.Tx) error) error {
	if rt.DB.Dialect == Postgres {
		return rt.DB.Tx(ctx, func(tx *sql.Tx) error { return rt.checkedWrite(ctx, tx, fn) })
	}
	return rt.DB.jointTx(ctx, joint, func(tx *sql.Tx) error {
		if err := rt.sqliteDefinitionsChecked(ctx, tx); err != nil {
			return err
		}
		return fn(tx)
	})
}

// sqliteDefinitionsChecked checks the definitions in tx, a SQLite write
// transaction, unless a write before this one in it did (writeTx).
func (rt *Runtime) sqliteDefinitionsChecked(ctx context.Context, tx *sql.Tx) error {
	if rt.definitions != nil && rt.definitions.checked.Load() == tx {
		return nil
	}
	if err := rt.checkDefinitions(ctx, tx); err != nil {
		return err
	}
	if rt.definitions != nil {
		rt.definitions.checked.Store(tx)
	}
	return nil
}

// definitionsChecked remembers the SQLite transaction whose definitions were
// last checked. Holding the *sql.Tx keeps it from being collected, so no
// later transaction can have the same address.
type definitionsChecked struct {
	checked atomic.Pointer[sql.Tx]
}

// defsCheck is the definitions check of one PostgreSQL write transaction,
// made by the first audit head it locks (readAuditHead).
type defsCheck struct {
	want    string
	differ  func(current string) error
	done    bool
	current string
}

// pendingDefsChecks holds the defsCheck of each PostgreSQL write
// transaction in progress, by its *sql.Tx.
var pendingDefsChecks sync.Map

// pendingDefsCheck is the check tx has still to make, or nil.
func pendingDefsCheck(tx *sql.Tx) *defsCheck {
	v, ok := pendingDefsChecks.Load(tx)
	if !ok {
		return nil
	}
	if chk := v.(*defsCheck); !chk.done {
		return chk
	}
	return nil
}

// note records the current definitions the write's transaction read, and
// refuses the write if they are not this server's.
func (chk *defsCheck) note(current string) error {
	chk.done, chk.current = true, current
	if current != chk.want {
		return chk.differ(current)
	}
	return nil
}

// checkedWrite runs fn in tx on PostgreSQL, the definitions being checked
// by the statement that locks the first audit head, or else after fn.
func (rt *Runtime) checkedWrite(ctx context.Context, tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	chk := &defsCheck{want: rt.Project.Hash, differ: rt.definitionsDiffer}
	pendingDefsChecks.Store(tx, chk)
	err := func() error {
		defer pendingDefsChecks.Delete(tx)
		return fn(tx)
	}()
	switch {
	case chk.done && chk.current != chk.want:
		return rt.definitionsDiffer(chk.current)
	case chk.done:
		return err
	case err != nil:
		// The transaction may be aborted: read outside it.
		if current, cerr := rt.DB.currentDefinition(ctx, rt.DB.Read); cerr == nil && current != rt.Project.Hash {
			return rt.definitionsDiffer(current)
		}
		return err
	}
	return rt.checkDefinitions(ctx, tx)
}

// Ready reports whether this server can serve: the database answers and is
// on this server's definitions. A load balancer's readiness check (/readyz)
// uses it.
func (rt *Runtime) Ready(ctx context.Context) error {
	current, err := rt.DB.currentDefinition(ctx, rt.DB.Read)
	if err != nil {
		rt.Log.Warn("not ready: the database does not answer", "error", err.Error())
		return unavailable(errcode.Database, "数据库无法访问")
	}
	if current != rt.Project.Hash {
		return rt.definitionsDiffer(current)
	}
	return nil
}

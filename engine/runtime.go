package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Runtime is the façade the REST API and the web UI both call: every read and
// write of a record goes through it, in one transaction per call.
type Runtime struct {
	DB      *DB
	Project *metamodel.Project
	Log     *slog.Logger

	// Access decides what each actor may do and see; a runtime does not
	// start without one (NewRuntime).
	Access Access
	// ImportLimits bound what one import reads (import_limits.go); zero
	// fields take DefaultImportLimits.
	ImportLimits ImportLimits
	// UploadQuota caps one user's uploads that no record holds yet
	// (files_quota.go); 0 means DefaultUploadQuota.
	UploadQuota int64

	stores  map[string]*entityStore // by "app.entity"
	effects []namedEffect           // in the order they run (effects.go)
	// links are the rollups, refs and blocks planned at load (rollup.go).
	links recordLinks
	// workflows are the state machines of the workflows, by "app.entity".
	workflows map[string]*machine
	now       func() time.Time
	// exchange holds the keys and outbound messages of the exchanges (exchange.go).
	exchange *exchangeState
	// definitions remembers the write transaction whose definitions were
	// checked last (writeTx, definitions_current.go).
	definitions *definitionsChecked
	// creates batches creates on PostgreSQL (pg_create_batch.go).
	creates *pgCreateBatches
}

// StartOptions tune Start.
type StartOptions struct {
	// Access decides what each actor may do and see. Required: Start refuses
	// to run without it (ErrNoAccess). NewRoleAccess builds it from the
	// definitions' roles; OpenAccess lets everyone do everything, for tools
	// and tests that ask for it.
	Access Access
	// AllowDestructive applies destructive schema changes (old data archived).
	AllowDestructive bool
	Logger           *slog.Logger
	// TakeOver makes these definitions the database's current version even
	// when they are an older one than the current (growth migrate: a
	// deliberate rollback). Without it, a server whose definitions were
	// current once but no longer are starts refusing writes and leaves the
	// schema alone (definitions_current.go).
	TakeOver bool
}

// Start builds the runtime (NewRuntime: the definitions are checked and an
// access checker is required) before it touches the database, then brings
// the database in line with the definitions (platform migrations, then
// additive schema changes) and records the definition version. A destructive
// change stops it with ErrDestructive.
func Start(ctx context.Context, db *DB, p *metamodel.Project, opts StartOptions) (*Runtime, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	rt, err := NewRuntime(db, p, opts.Access, log)
	if err != nil {
		return nil, err
	}
	// Under the migration lock, so that servers starting together apply each
	// change once: the first applies, the others find the database in line.
	err = db.WithMigrationLock(ctx, func() error {
		if err := db.migrate(ctx); err != nil {
			return err
		}
		current, err := db.currentDefinition(ctx, db.Write)
		if err != nil {
			return err
		}
		if current != "" && current != p.Hash && !opts.TakeOver {
			known, err := db.knownDefinition(ctx, p.Hash)
			if err != nil {
				return err
			}
			if known {
				// An old server restarting mid upgrade: the newer
				// definitions stay in charge.
				log.Warn("the database was migrated to newer definitions: this server refuses writes until it runs them",
					"definition_version", short(p.Hash), "database_version", short(current))
				return nil
			}
		}
		plan, err := db.PlanSchema(ctx, p, opts.AllowDestructive)
		if err != nil {
			return err
		}
		if err := db.ApplySchema(ctx, plan); err != nil {
			return err
		}
		for _, s := range plan.Steps {
			log.Info("schema change applied", "table", s.Table, "change", s.Description)
		}
		if err := db.recordDefinitionVersion(ctx, p); err != nil {
			return err
		}
		if err := db.setCurrentDefinition(ctx, p.Hash); err != nil {
			return err
		}
		if current != "" && current != p.Hash {
			log.Info("definitions took over the database", "definition_version", short(p.Hash), "previous_version", short(current))
		}
		return rt.backfillRollups(ctx, plan)
	})
	if err != nil {
		return nil, err
	}
	return rt, nil
}

// ErrNoAccess is returned by NewRuntime and Start without an access checker:
// a runtime never falls back to letting everyone in.
var ErrNoAccess = errors.New("a runtime needs an access checker: engine.NewRoleAccess for the definitions' roles, or engine.OpenAccess where everyone may do everything")

// NewRuntime builds a runtime over a database whose schema is already in
// line. It refuses to build one without access, and on definitions that do
// not check (check.go): a runtime serves nothing growth check would refuse.
// It does not touch the database.
func NewRuntime(db *DB, p *metamodel.Project, access Access, log *slog.Logger) (*Runtime, error) {
	if access == nil {
		return nil, ErrNoAccess
	}
	if log == nil {
		log = slog.Default()
	}
	stores, err := newStores(db.Dialect, p)
	if err != nil {
		return nil, err
	}
	if err := check(p, db.Dialect, stores); err != nil {
		return nil, err
	}
	rt := &Runtime{DB: db, Project: p, Log: log, Access: access, stores: stores, now: time.Now, definitions: &definitionsChecked{}, creates: &pgCreateBatches{}}
	rt.initWorkflows()
	if err := addRecordLinks(rt); err != nil {
		return nil, err
	}
	addExchange(rt)
	rt.addEffects()
	return rt, nil
}

func (db *DB) recordDefinitionVersion(ctx context.Context, p *metamodel.Project) error {
	files, err := json.Marshal(p.Files)
	if err != nil {
		return err
	}
	var n int
	if err := db.Write.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_definition_versions WHERE hash = `+db.Placeholder(1), p.Hash).Scan(&n); err != nil {
		return fmt.Errorf("definition versions: %w", err)
	}
	if n > 0 {
		return nil
	}
	_, err = db.Write.ExecContext(ctx, `INSERT INTO growth_definition_versions (hash, created_at, files) VALUES (`+db.Placeholder(1)+`, `+db.Placeholder(2)+`, `+db.Placeholder(3)+`)`,
		p.Hash, db.timeArg(time.Now()), string(files))
	return err
}

// Entity resolves app and entity names, or ErrUnknown.
func (rt *Runtime) Entity(app, entity string) (*metamodel.Entity, error) {
	s := rt.stores[app+"."+entity]
	if s == nil {
		return nil, fmt.Errorf("%w: %s.%s", ErrUnknown, app, entity)
	}
	return s.entity, nil
}

func (rt *Runtime) store(app, entity string) (*entityStore, error) {
	s := rt.stores[app+"."+entity]
	if s == nil {
		return nil, fmt.Errorf("%w: %s.%s", ErrUnknown, app, entity)
	}
	return s, nil
}

// Create validates input and stores a new record, with its audit row, in one
// transaction.
func (rt *Runtime) Create(ctx context.Context, actor Actor, app, entity string, input map[string]any) (*Record, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	idem := idempotencyOf(ctx)
	if rec, replayed, err := rt.IdempotentReplay(ctx, actor, idem, app, entity, "create", 0); replayed {
		return rec, err
	}
	e := s.entity
	if !rt.Access.Can(actor, e, "create") {
		return nil, Forbidden("您无权新建%s", entityLabel(e))
	}
	values, verr := decodeInput(e, input, rt.writable(actor, e))
	if verr != nil {
		return nil, verr
	}
	if rec, err, ok := rt.createBatched(ctx, actor, s, values, idem); ok {
		if err == nil {
			rt.DB.freshenStatistics()
		}
		return rec, err
	}
	opt := createOptions{idempotency: idem, lastInTx: true}
	if opt.prepared, err = rt.prepareCreate(ctx, actor, s, values, opt); err != nil {
		return nil, err
	}
	var rec *Record
	err = rt.jointWriteTx(ctx, rt.jointCreate(s, opt.prepared, idem), func(tx *sql.Tx) error {
		rec, err = rt.createInTx(ctx, tx, actor, s, values, opt)
		return err
	})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		// Written together with other creates (sqlite_create_batch.go).
		rec = opt.prepared.rec
	}
	rt.DB.freshenStatistics()
	return rec, nil
}

// createOptions tune createInTx.
type createOptions struct {
	// system skips the actor's data scope on the new record and its
	// references, but not validation: the record is the platform's
	// consequence of something the actor was allowed to do (a record a
	// transition generates).
	system bool
	// origin, when set, is noted in the audit row as _generated_by.
	origin string
	// idempotency is the client's key for the create (Create's context).
	idempotency Idempotency
	// guard is a scheduled create's unless, checked again in the
	// transaction (scheduleGuardEffect).
	guard *scheduleGuard
	// rollups, when set, collects the rollups the new record makes due
	// instead of running them (generate runs them once, at the end).
	rollups *rollupBatch
	// prepared is the new record checked before the write's turn
	// (create_prepared.go), or nil: createInTx checks it.
	prepared *newRecord
	// lastInTx: the create is the whole transaction, which commits when it
	// returns; on PostgreSQL its balance updates go with the COMMIT.
	lastInTx bool
}

// createInTx stores a new record of decoded values inside tx: defaults,
// computed fields and rules, the actor's data scope, references, the row,
// its audit row and the effects. Create and generated records share it.
func (rt *Runtime) createInTx(ctx context.Context, tx *sql.Tx, actor Actor, s *entityStore, values map[string]any, opt createOptions) (*Record, error) {
	e := s.entity
	nr := opt.prepared
	if nr == nil {
		var err error
		if nr, err = rt.newRecord(ctx, tx, actor, s, values, opt); err != nil {
			return nil, err
		}
	}
	rec, now, args := nr.rec, nr.rec.CreatedAt, nr.args
	// On PostgreSQL a create that is not nested in another change's effects
	// locks its audit chain's head in its INSERT (insertLockingHead).
	var held *auditSlot
	if rt.DB.Dialect == Postgres && ctx.Value(pendingSlotsKey{}) == nil {
		var err error
		if rec.ID, held, err = rt.DB.insertLockingHead(ctx, tx, s, rec.App, rec.Entity, args); err != nil {
			if _, refused := errors.AsType[*UnavailableError](err); refused {
				return nil, err
			}
			return nil, rt.dbError(s, "create", err)
		}
	} else if rt.DB.Dialect == SQLite && ctx.Value(pendingSlotsKey{}) == nil {
		// On SQLite it reads the head in its INSERT (insertReadingHead).
		var err error
		if rec.ID, held, err = rt.DB.insertReadingHead(ctx, tx, s, rec.App, rec.Entity, args); err != nil {
			return nil, rt.dbError(s, "create", err)
		}
	} else if err := tx.QueryRowContext(ctx, s.insertSQL, args...).Scan(&rec.ID); err != nil {
		return nil, rt.dbError(s, "create", err)
	}
	changes := nr.changes
	if opt.origin != "" {
		changes["_generated_by"] = [2]any{nil, opt.origin}
	}
	// The audit row is written after the effects, so that it commits to the
	// ledger rows they wrote (proof.go); its chain is locked before them.
	ch := &Change{Actor: actor, Entity: e, Action: "create", New: rec, IdempotencyKey: opt.idempotency.Key, request: opt.idempotency.Request,
		scheduleGuard: opt.guard, rollups: opt.rollups}
	actx, slot := ctx, held
	if held != nil {
		actx = rt.DB.holdAuditHead(ctx, held, ch)
	} else {
		var err error
		if actx, slot, err = rt.DB.lockAuditHead(ctx, tx, rec.App, rec.Entity, rec.ID, ch); err != nil {
			return nil, err
		}
	}
	if err := rt.applyEffects(actx, tx, ch); err != nil {
		return nil, err
	}
	if err := rt.DB.writeAudit(actx, tx, slot, AuditEntry{App: rec.App, Entity: rec.Entity, RecordID: rec.ID, Action: "create", Actor: actor.User, At: now,
		Changes: changes, DefVersion: rec.DefVersion, Version: rec.Version, Image: s.recordImage(rec), Ledger: ch.ledgerRows}); err != nil {
		return nil, err
	}
	if opt.lastInTx {
		ch.commitPipe = commitPipeOf(tx)
	}
	if err := ch.runBalanceUpdates(); err != nil {
		return nil, err
	}
	return rec, nil
}

// prepare computes derived fields and validates the complete record.
func (rt *Runtime) prepare(e *metamodel.Entity, rec *Record) error {
	if err := rt.compute(e, rec); err != nil {
		return err
	}
	if verr := validate(e, rec, rec.Values); verr != nil {
		return verr
	}
	return nil
}

// compute computes derived fields (prepare's first step). When a computed
// field's expression fails, the user is told about the fields they wrote
// first: an empty or invalid input is usually why. Only when those are fine
// is the failure reported, on the computed field, as a plain sentence; what
// the expression said goes to the log, for the implementer, not to the user.
func (rt *Runtime) compute(e *metamodel.Entity, rec *Record) error {
	failed := computeFields(e, rec, rec.Values)
	if len(failed) == 0 {
		return nil
	}
	if verr := validateFields(e, rec.Values); verr != nil {
		return verr
	}
	verr := &ValidationError{}
	for _, f := range e.Fields {
		err, ok := failed[f]
		if !ok {
			continue
		}
		if rt.Log != nil {
			rt.Log.Warn("a computed field could not be computed", "entity", e.QualifiedName(), "field", f.Name, "expr", f.Expr, "record", rec.ID, "error", err.Error())
		}
		verr.Add(f.Name, errcode.Computed, "%s 无法根据填写的内容计算，请检查相关字段", fieldLabel(f))
	}
	return verr
}

// checkRefs verifies, inside the transaction, that every ref points at a record.
func (rt *Runtime) checkRefs(ctx context.Context, tx *sql.Tx, e *metamodel.Entity, values map[string]any) error {
	verr := &ValidationError{}
	for _, f := range e.Fields {
		id, ok := values[f.Name].(int64)
		if !ok || f.Target == nil {
			continue
		}
		target := rt.stores[f.Target.QualifiedName()]
		var one int
		err := tx.QueryRowContext(ctx, target.existsSQL, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			verr.Add(f.Name, errcode.RefNotFound, "%s #%d 不存在", entityLabel(f.Target), id)
			continue
		}
		if err != nil {
			return rt.dbError(target, "check reference", err)
		}
	}
	if verr.empty() {
		return nil
	}
	return verr
}

// Get reads one record.
func (rt *Runtime) Get(ctx context.Context, actor Actor, app, entity string, id int64) (*Record, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	if !rt.Access.Can(actor, s.entity, "read") {
		return nil, Forbidden("您无权查看%s", entityLabel(s.entity))
	}
	q, args := s.getSQL, []any{id}
	if scope := rt.Access.Scope(actor, s.entity); scope != nil {
		cond, scopeArgs, err := filter.Compile(scope, rt.scopeResolver(s), binder{rt.DB}, 1)
		if err != nil {
			return nil, fmt.Errorf("data scope of %s: %w", s.entity.QualifiedName(), err)
		}
		q += " AND " + cond
		args = append(args, scopeArgs...)
	}
	rec, err := s.scan(rt.DB.Read.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFound("%s #%d", entityLabel(s.entity), id)
	}
	if err != nil {
		return nil, rt.dbError(s, "get", err)
	}
	return rec, nil
}

// getForUpdate reads a record inside a write transaction, locking its row on
// PostgreSQL (SQLite's single writer already serialises).
func (rt *Runtime) getForUpdate(ctx context.Context, tx *sql.Tx, s *entityStore, id int64) (*Record, error) {
	q := s.getSQL
	if rt.DB.Dialect == Postgres {
		q += " FOR UPDATE"
	}
	rec, err := s.scan(tx.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFound("%s #%d", entityLabel(s.entity), id)
	}
	if err != nil {
		return nil, rt.dbError(s, "get", err)
	}
	return rec, nil
}

// Update changes the fields given in input on record id, if its version is
// still version (optimistic concurrency: a stale version is a conflict).
func (rt *Runtime) Update(ctx context.Context, actor Actor, app, entity string, id, version int64, input map[string]any) (*Record, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	e := s.entity
	if !rt.Access.Can(actor, e, "update") {
		return nil, Forbidden("您无权修改%s", entityLabel(e))
	}
	changes, verr := decodeInput(e, input, rt.writable(actor, e))
	if verr != nil {
		return nil, verr
	}
	var rec *Record
	err = rt.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		rec, err = rt.updateInTx(ctx, tx, actor, s, id, version, changes, idempotencyOf(ctx))
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// updateInTx is Update's work inside tx, on changes already decoded; idem
// is the client's key, if any.
func (rt *Runtime) updateInTx(ctx context.Context, tx *sql.Tx, actor Actor, s *entityStore, id, version int64, changes map[string]any, idem Idempotency) (*Record, error) {
	e := s.entity
	app, entity := e.App.Name, e.Name
	var rec *Record
	err := func() error {
		old, err := rt.getForUpdate(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if !rt.sees(actor, e, "update", old) {
			return Forbidden("%s #%d 不在您的数据范围内", entityLabel(e), id)
		}
		if old.Version != version {
			return staleError(e, old.Version, version)
		}
		if e.Workflow != nil && !editableIn(e.Workflow, old.State) {
			return conflict(errcode.State, "%s 在“%s”状态下不能修改", entityLabel(e), stateLabel(e.Workflow, old.State))
		}
		values := make(map[string]any, len(old.Values))
		for k, v := range old.Values {
			values[k] = v
		}
		for k, v := range changes {
			values[k] = v
		}
		now := rt.now().UTC().Truncate(time.Microsecond)
		rec = &Record{App: app, Entity: entity, ID: id, Version: old.Version + 1, State: old.State, CreatedBy: old.CreatedBy, CreatedAt: old.CreatedAt, UpdatedAt: now, DefVersion: rt.Project.Hash, Values: values}
		if err := rt.loadRefs(ctx, tx, e, rec, &namedRefs{actor: actor, named: changes}); err != nil {
			return err
		}
		if err := rt.markFrozen(ctx, tx, e, rec); err != nil {
			return err
		}
		if err := rt.compute(e, rec); err != nil {
			return err
		}
		if verr := validateFields(e, rec.Values); verr != nil {
			return verr
		}
		if !rt.sees(actor, e, "update", rec) {
			return Forbidden("不能把%s改到您的数据范围以外", entityLabel(e))
		}
		if verr := validateRules(e, rec, rec.Values); verr != nil {
			return verr
		}
		if err := rt.checkRefScope(ctx, tx, actor, e, changes); err != nil {
			return err
		}
		if err := rt.checkRefs(ctx, tx, e, values); err != nil {
			return err
		}
		diff := diffValues(e, old.Values, values)
		if len(diff) == 0 {
			rec = old
			return nil
		}
		return rt.writeChange(ctx, tx, s, &Change{Actor: actor, Entity: e, Action: "update", Old: old, New: rec, IdempotencyKey: idem.Key, request: idem.Request}, diff)
	}()
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// writeUpdate stores rec over old (whose version it checks again in SQL).
func (rt *Runtime) writeUpdate(ctx context.Context, tx *sql.Tx, s *entityStore, old, rec *Record, action string, diff map[string][2]any) error {
	args := []any{rt.DB.timeArg(rec.UpdatedAt), rec.DefVersion}
	if s.hasState {
		args = append(args, rec.State)
	}
	args = append(args, s.fieldArgs(rt.DB, rec.Values)...)
	args = append(args, rec.ID, old.Version)
	res, err := tx.ExecContext(ctx, s.updateSQL, args...)
	if err != nil {
		return rt.dbError(s, action, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return staleError(s.entity, -1, old.Version)
	}
	if old.State != rec.State {
		diff["state"] = [2]any{old.State, rec.State}
	}
	return nil
}

// writeChange is writeUpdate followed by the effects of the change and its
// audit row, which commits to the stored row and to the ledger rows the
// effects wrote; workflow events use it with their transition.
func (rt *Runtime) writeChange(ctx context.Context, tx *sql.Tx, s *entityStore, ch *Change, diff map[string][2]any) error {
	rec := ch.New
	if err := rt.writeUpdate(ctx, tx, s, ch.Old, rec, ch.Action, diff); err != nil {
		return err
	}
	actx, slot, err := rt.DB.lockAuditHead(ctx, tx, rec.App, rec.Entity, rec.ID, ch)
	if err != nil {
		return err
	}
	if err := rt.applyEffects(actx, tx, ch); err != nil {
		return err
	}
	if err := rt.DB.writeAudit(actx, tx, slot, AuditEntry{App: rec.App, Entity: rec.Entity, RecordID: rec.ID, Action: ch.Action, Actor: ch.Actor.User, At: rec.UpdatedAt, Changes: diff, DefVersion: rec.DefVersion,
		Version: rec.Version, Image: s.recordImage(rec), Ledger: ch.ledgerRows}); err != nil {
		return err
	}
	return ch.runBalanceUpdates()
}

func staleError(e *metamodel.Entity, current, given int64) error {
	if current > 0 {
		return conflict(errcode.Stale, "%s 已被他人修改（当前版本 %d，您的版本 %d），请刷新后重试", entityLabel(e), current, given)
	}
	return conflict(errcode.Stale, "%s 已被他人修改（您的版本 %d 已过期），请刷新后重试", entityLabel(e), given)
}

// Delete removes record id if its version is still version; the audit row
// keeps its last values.
func (rt *Runtime) Delete(ctx context.Context, actor Actor, app, entity string, id, version int64) error {
	s, err := rt.store(app, entity)
	if err != nil {
		return err
	}
	e := s.entity
	if !rt.Access.Can(actor, e, "delete") {
		return Forbidden("您无权删除%s", entityLabel(e))
	}
	return rt.writeTx(ctx, func(tx *sql.Tx) error {
		old, err := rt.getForUpdate(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if !rt.sees(actor, e, "delete", old) {
			return Forbidden("%s #%d 不在您的数据范围内", entityLabel(e), id)
		}
		if old.Version != version {
			return staleError(e, old.Version, version)
		}
		if e.Workflow != nil && !editableIn(e.Workflow, old.State) {
			return conflict(errcode.State, "%s 在“%s”状态下不能删除", entityLabel(e), stateLabel(e.Workflow, old.State))
		}
		if _, err := tx.ExecContext(ctx, s.deleteSQL, id, version); err != nil {
			return rt.dbError(s, "delete", err)
		}
		idem := idempotencyOf(ctx)
		ch := &Change{Actor: actor, Entity: e, Action: "delete", Old: old, IdempotencyKey: idem.Key, request: idem.Request}
		actx, slot, err := rt.DB.lockAuditHead(ctx, tx, app, entity, id, ch)
		if err != nil {
			return err
		}
		if err := rt.applyEffects(actx, tx, ch); err != nil {
			return err
		}
		if err := rt.DB.writeAudit(actx, tx, slot, AuditEntry{App: app, Entity: entity, RecordID: id, Action: "delete", Actor: actor.User, At: rt.now(),
			Changes: diffValues(e, old.Values, nil), DefVersion: rt.Project.Hash, Version: old.Version + 1, Image: ImageDeleted, Ledger: ch.ledgerRows}); err != nil {
			return err
		}
		return ch.runBalanceUpdates()
	})
}

func editableIn(w *metamodel.Workflow, state string) bool {
	if len(w.Editable) == 0 {
		return state == w.Initial
	}
	for _, s := range w.Editable {
		if s == state {
			return true
		}
	}
	return false
}

func stateLabel(w *metamodel.Workflow, state string) string {
	if l := w.Labels[state]; l != "" {
		return l
	}
	return state
}

// diffValues lists changed fields as [before, after] in JSON form.
func diffValues(e *metamodel.Entity, before, after map[string]any) map[string][2]any {
	out := map[string][2]any{}
	for _, f := range e.Fields {
		var b, a any
		if before != nil && before[f.Name] != nil {
			b = f.Kind.JSON(f, before[f.Name])
		}
		if after != nil && after[f.Name] != nil {
			a = f.Kind.JSON(f, after[f.Name])
		}
		if (b == nil) == (a == nil) && (a == nil || fmt.Sprint(b) == fmt.Sprint(a)) {
			continue
		}
		out[f.Name] = [2]any{b, a}
	}
	return out
}

// dbError turns a database error into a conflict (unique constraints) or an
// internal error whose SQL and driver text go to the log, never to the client.
func (rt *Runtime) dbError(s *entityStore, op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ve *ValidationError
	var ce *ConflictError
	if errors.As(err, &ve) || errors.As(err, &ce) || errors.Is(err, ErrNotFound) {
		return err
	}
	if retryable(err) {
		return errRetry(err)
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "23505") || strings.Contains(msg, "duplicate key") {
		fields := uniqueFields(s, msg)
		var zh, en []string
		fe := map[string][]FieldError{}
		for _, name := range fields {
			if f := s.entity.Field(name); f != nil {
				zh, en = append(zh, f.DisplayLabel()), append(en, fieldLabel(f).En)
			}
			fe[name] = []FieldError{fieldError(errcode.Duplicate, errcode.Duplicate.Format("已存在相同的值"))}
		}
		ce := conflict(errcode.Duplicate, "%s 中已存在相同的%s", entityLabel(s.entity), errcode.Label(strings.Join(zh, "、"), strings.Join(en, ", ")))
		ce.Fields = fe
		return ce
	}
	rt.Log.Error("database error", "op", op, "table", s.table, "error", msg)
	return fmt.Errorf("%s %s: %w", op, s.table, errInternal)
}

var errInternal = errors.New("internal database error")

// uniqueFields finds which unique index a constraint error names.
func uniqueFields(s *entityStore, msg string) []string {
	spec := Spec(s.entity)
	for _, ix := range spec.Indexes {
		if ix.Unique && strings.Contains(msg, ix.Name) {
			return ix.Columns
		}
	}
	// SQLite names columns: "UNIQUE constraint failed: t.a, t.b (2067)".
	if i := strings.Index(msg, "UNIQUE constraint failed: "); i >= 0 {
		var out []string
		for _, part := range strings.Split(msg[i+len("UNIQUE constraint failed: "):], ", ") {
			part = strings.Fields(part + " ")[0]
			if k := strings.LastIndexByte(part, '.'); k >= 0 {
				out = append(out, part[k+1:])
			}
		}
		return out
	}
	return nil
}

// writable says which fields actor may write on e.
func (rt *Runtime) writable(actor Actor, e *metamodel.Entity) func(*metamodel.Field) bool {
	return func(f *metamodel.Field) bool {
		return !rt.Access.Hidden(actor, e, f.Name) && !rt.Access.ReadOnly(actor, e, f.Name)
	}
}

// HiddenFor returns the fields actor may not see on e, for rendering.
func (rt *Runtime) HiddenFor(actor Actor, e *metamodel.Entity) func(string) bool {
	return func(field string) bool { return rt.Access.Hidden(actor, e, field) }
}

type idempotencyKey struct{}

// WithIdempotencyKey attaches a client's idempotency key to the context of
// Create, Update or Delete, so that a retried request applies once. (Fire
// takes it in FireRequest.Idempotency and ignores the context.)
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, Idempotency{Key: key})
}

// WithIdempotentRequest is WithIdempotencyKey with a fingerprint of the
// request the key came with (Idempotency.Request).
func WithIdempotentRequest(ctx context.Context, key, fingerprint string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, Idempotency{Key: key, Request: fingerprint})
}

// idempotencyOf is the key Create, Update and Delete were given in ctx. It
// is read once, where they start; below, the key travels explicitly.
func idempotencyOf(ctx context.Context) Idempotency {
	v, _ := ctx.Value(idempotencyKey{}).(Idempotency)
	return v
}

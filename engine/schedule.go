package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// Scheduled rules (schedules: in the definitions) look at the records a
// filter selects, keep those their when expression holds for, and create a
// record for each through the normal create path (validation, effects,
// audit) as SystemActor. A run is one transaction and each record's create a
// savepoint in it: a record that fails is rolled back to its savepoint and
// reported, and the others go on; a run that stops early (the database
// failed, the server stopped) keeps nothing. unless names records of the
// created entity that make a new one unnecessary; it is checked before the
// create and again after it (under a lock on PostgreSQL), so that two runs
// at once never create the same warning twice.
//
// When several servers run the schedules (ServeSchedules), each due time of
// a schedule (its interval's slot, the tick's time truncated to the
// interval) runs once among them: a run first claims its slot with a row in
// growth_schedule_runs inside its own transaction. A second server's claim
// of the same slot waits on that row: when the first run commits, the
// second finds the slot done and skips it; when the first server dies mid
// run, its transaction and claim roll back together and the waiting server
// runs the slot in full. Nothing is ever half done, and no due time is lost
// while a server is left to tick.

// ScheduleRun is what one run of one schedule did.
type ScheduleRun struct {
	// Schedule is "app.schedule"; Title its title.
	Schedule string
	Title    string
	Started  time.Time
	Duration time.Duration
	// Examined records were selected by where; Matched also met when;
	// Created got a new record; Skipped had one already (unless), or an
	// event to fire that their state does not have; Updated had fields
	// changed (set); Fired had the event fired (fire); Resolved counts the
	// records closed because a condition cleared (create: resolve); Failed
	// could not get what the rule does.
	Examined, Matched, Created, Skipped, Updated, Fired, Resolved, Failed int
	// Failures lists the first MaxScheduleFailures failures.
	Failures []ScheduleFailure
	// Error is why the run stopped early ("" when it ran through); such a
	// run kept nothing (Created is 0).
	Error string
	// Due is the slot a run of the loop claimed (zero for RunSchedules);
	// RanElsewhere says another server had already run it, and this server
	// did nothing.
	Due          time.Time
	RanElsewhere bool
}

// ScheduleFailure is one record a schedule could not create a record for.
type ScheduleFailure struct {
	RecordID int64
	Reason   string
}

// MaxScheduleFailures caps the failures a run lists; Failed counts them all.
const MaxScheduleFailures = 20

// ScheduleReport is the runs of RunSchedules, in definition order.
type ScheduleReport struct {
	Runs []*ScheduleRun
}

// OK reports whether every run ran through without a failure.
func (r *ScheduleReport) OK() bool {
	for _, run := range r.Runs {
		if run.Failed > 0 || run.Error != "" {
			return false
		}
	}
	return true
}

// scheduleBatch is how many records a run reads at a time (a variable for
// tests of the paging).
var scheduleBatch = 500

// Schedules lists the schedules whose qualified names ("app.schedule") match
// any of patterns ("app.*", "*.name", or none for all), in definition order.
// A pattern that matches nothing is ErrUnknown.
func (rt *Runtime) Schedules(patterns ...string) ([]*metamodel.Schedule, error) {
	var all []*metamodel.Schedule
	for _, a := range rt.Project.Apps {
		all = append(all, a.Schedules...)
	}
	if len(patterns) == 0 {
		return all, nil
	}
	var out []*metamodel.Schedule
	for _, p := range patterns {
		found := false
		for _, s := range all {
			if ok, _ := path.Match(p, s.QualifiedName()); ok {
				found = true
				if !containsSchedule(out, s) {
					out = append(out, s)
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: 没有与 %s 相符的定时规则", ErrUnknown, p)
		}
	}
	return out, nil
}

func containsSchedule(list []*metamodel.Schedule, s *metamodel.Schedule) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// RunSchedules runs the schedules named by patterns (see Schedules; none: all)
// once each, one after another. The error is for unknown names or a cancelled
// ctx; what each run did, failures included, is in the report.
func (rt *Runtime) RunSchedules(ctx context.Context, patterns ...string) (*ScheduleReport, error) {
	list, err := rt.Schedules(patterns...)
	if err != nil {
		return nil, err
	}
	rep := &ScheduleReport{}
	for _, s := range list {
		run := rt.runSchedule(ctx, s, time.Time{})
		rep.Runs = append(rep.Runs, run)
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// ScheduleLease bounds how long a run's transaction may sit idle (on
// PostgreSQL, idle_in_transaction_session_timeout): a server that hangs mid
// run, rather than dying, loses its transaction and claim after this long,
// and another server may run the slot.
var ScheduleLease = time.Minute

// errRanElsewhere ends the transaction of a run whose slot another server ran.
var errRanElsewhere = errors.New("schedule: this due time ran on another server")

// runSchedule runs one schedule once, in one transaction. A non-zero due
// claims that slot first, so that it runs once among the servers.
func (rt *Runtime) runSchedule(ctx context.Context, s *metamodel.Schedule, due time.Time) *ScheduleRun {
	run := &ScheduleRun{Schedule: s.QualifiedName(), Title: s.Label(), Started: rt.now().UTC()}
	if !due.IsZero() {
		run.Due = due.UTC().Truncate(s.Interval)
	}
	defer func() {
		run.Duration = rt.now().UTC().Sub(run.Started)
		if run.RanElsewhere {
			rt.Log.Debug("scheduled rule already ran on another server", "schedule", run.Schedule, "due", run.Due)
			return
		}
		level := rt.Log.Info
		if run.Failed > 0 || run.Error != "" {
			level = rt.Log.Warn
		}
		level("scheduled rule ran", "schedule", run.Schedule, "examined", run.Examined, "matched", run.Matched,
			"created", run.Created, "skipped", run.Skipped, "updated", run.Updated, "fired", run.Fired, "resolved", run.Resolved,
			"failed", run.Failed, "error", run.Error, "duration", run.Duration)
	}()
	err := rt.writeTx(ctx, func(tx *sql.Tx) error {
		if !run.Due.IsZero() {
			claimed, err := rt.claimScheduleRun(ctx, tx, run)
			if err != nil {
				return err
			}
			if !claimed {
				run.RanElsewhere = true
				return errRanElsewhere
			}
		}
		if err := rt.runScheduleIn(ctx, tx, s, run); err != nil {
			return err
		}
		if run.Due.IsZero() {
			return nil
		}
		ph := rt.DB.Placeholder
		_, err := tx.ExecContext(ctx, `UPDATE growth_schedule_runs SET finished_at = `+ph(1)+`, examined = `+ph(2)+`, matched = `+ph(3)+`, created = `+ph(4)+
			`, skipped = `+ph(5)+`, failed = `+ph(6)+` WHERE schedule = `+ph(7)+` AND due_at = `+ph(8),
			rt.DB.timeArg(rt.now()), run.Examined, run.Matched, run.Created, run.Skipped, run.Failed, run.Schedule, rt.DB.timeArg(run.Due))
		return err
	})
	if err == nil && run.Fired+run.Resolved > 0 {
		// Events the run fired may have messages to send (an outbox).
		rt.notifyExchange()
	}
	switch {
	case err == nil, errors.Is(err, errRanElsewhere):
	default:
		if run.Error == "" {
			run.Error = err.Error()
			if cerr := ctx.Err(); cerr != nil {
				run.Error = cerr.Error()
			}
		}
		run.Created, run.Updated, run.Fired, run.Resolved = 0, 0, 0, 0
	}
	return run
}

// claimScheduleRun claims run's slot inside tx, or reports that another
// server has run it. The insert waits while another server's run holds the
// same slot uncommitted, and goes through if that run rolls back.
func (rt *Runtime) claimScheduleRun(ctx context.Context, tx *sql.Tx, run *ScheduleRun) (bool, error) {
	if rt.DB.Dialect == Postgres {
		ms := ScheduleLease.Milliseconds()
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL idle_in_transaction_session_timeout = %d`, ms)); err != nil {
			return false, fmt.Errorf("schedule lease: %w", err)
		}
	}
	ph := rt.DB.Placeholder
	host, _ := os.Hostname()
	res, err := tx.ExecContext(ctx, `INSERT INTO growth_schedule_runs (schedule, due_at, ran_by, started_at) VALUES (`+ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`) ON CONFLICT DO NOTHING`,
		run.Schedule, rt.DB.timeArg(run.Due), fmt.Sprintf("%s:%d", host, os.Getpid()), rt.DB.timeArg(run.Started))
	if err != nil {
		return false, fmt.Errorf("schedule claim: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("schedule claim: %w", err)
	}
	return n == 1, nil
}

// runScheduleIn does the work of one run inside tx. A record that fails is
// counted in run; an error stops the run (and rolls it back).
func (rt *Runtime) runScheduleIn(ctx context.Context, tx *sql.Tx, s *metamodel.Schedule, run *ScheduleRun) error {
	src := rt.stores[s.Target.QualifiedName()]
	where, whereArgs, err := rt.definitionWhere(src, s.Where)
	if err != nil {
		run.Error = fmt.Sprintf("where: %v", err)
		return err
	}
	create := s.Create
	if create == nil {
		create = &metamodel.ScheduleCreate{}
	}
	var dst *entityStore
	if create.Target != nil {
		dst = rt.stores[create.Target.QualifiedName()]
	}
	var unless filter.Node
	if strings.TrimSpace(create.Unless) != "" {
		if unless, err = filter.Parse(create.Unless); err != nil {
			run.Error = fmt.Sprintf("unless: %v", err)
			return err
		}
	}
	resolve := create.Resolve != nil && unless != nil && dst != nil
	shape := metamodel.NewRecordShape(s.Target)
	setNames := make([]string, 0, len(create.SetPrograms))
	for name := range create.SetPrograms {
		setNames = append(setNames, name)
	}
	sort.Strings(setNames)
	base := map[string]any{}
	for name, fn := range rt.Project.Functions() {
		base[name] = fn
	}
	fail := func(id int64, format string, args ...any) {
		run.Failed++
		if len(run.Failures) < MaxScheduleFailures {
			run.Failures = append(run.Failures, ScheduleFailure{RecordID: id, Reason: fmt.Sprintf(format, args...)})
		}
	}
	q := rt.DB.Quote
	var last int64
	for {
		// In the order of their arguments: SQLite's ? are positional.
		var conds []string
		if where != "" {
			conds = append(conds, "("+where+")")
		}
		conds = append(conds, q("id")+" > "+rt.DB.Placeholder(len(whereArgs)+1))
		args := append(append([]any{}, whereArgs...), last)
		sqlText := src.selectSQL + " WHERE " + strings.Join(conds, " AND ") + " ORDER BY " + q("id") + fmt.Sprintf(" LIMIT %d", scheduleBatch)
		batch, err := rt.readRecords(ctx, tx, src, sqlText, args)
		if err != nil {
			return err
		}
		for _, rec := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			last = rec.ID
			run.Examined++
			now := rt.now()
			// createValues are the values create: set gives for rec, as
			// input and parsed; ok is false when one failed.
			createValues := func() (map[string]any, map[string]any, bool) {
				env := map[string]any{"today": Today(now), "src": shape.Value(rec.ID, rec.State, rec.CreatedBy, rec.CreatedAt, rec.UpdatedAt, rec.Values)}
				for k, v := range base {
					env[k] = v
				}
				input := map[string]any{}
				values := map[string]any{}
				for _, name := range setNames {
					prog, f := create.SetPrograms[name], dst.entity.Field(name)
					out, err := metamodel.Run(prog, env)
					if err != nil {
						fail(rec.ID, "set %s 无法计算：%v", name, err)
						return nil, nil, false
					}
					in := setInput(f, out)
					input[name] = in
					if in != nil {
						v, err := f.Kind.Parse(f, in)
						if err != nil {
							fail(rec.ID, "set %s：%s", name, metamodel.AsInputError(err).Message)
							return nil, nil, false
						}
						values[name] = v
					}
				}
				return input, values, true
			}
			if s.WhenProgram != nil {
				env := exprEnv(s.Target, rec, rec.Values)
				env["today"] = Today(now)
				ok, err := metamodel.RunBool(s.WhenProgram, env)
				if err != nil {
					fail(rec.ID, "when 无法计算：%v", err)
					continue
				}
				if !ok {
					if resolve {
						if _, values, ok := createValues(); ok {
							if err := rt.resolveScheduled(ctx, tx, s, dst, unless, values, run, fail, rec.ID); err != nil {
								return err
							}
						}
					}
					continue
				}
			}
			run.Matched++
			if err := rt.scheduleActions(ctx, tx, s, rec, now, run, fail); err != nil {
				return err
			}
			if s.Create == nil {
				continue
			}
			input, values, ok := createValues()
			if !ok {
				continue
			}
			var guard *scheduleGuard
			if unless != nil {
				cond, args, err := rt.bindUnless(dst, unless, values)
				if err != nil {
					fail(rec.ID, "unless：%v", err)
					continue
				}
				exists, err := rt.exists(ctx, tx, dst, cond, args, 0)
				if err != nil {
					return err
				}
				if exists {
					run.Skipped++
					continue
				}
				guard = &scheduleGuard{entity: dst.entity, cond: cond, args: args}
			}
			err := rt.createInSavepoint(ctx, tx, dst, input, guard)
			var sp *savepointError
			switch {
			case errors.As(err, &sp):
				return sp.err
			case errors.Is(err, errScheduleDuplicate):
				run.Skipped++
			case err != nil:
				if cerr := ctx.Err(); cerr != nil {
					return cerr
				}
				fail(rec.ID, "%s", failureReason(err))
			default:
				run.Created++
			}
		}
		if len(batch) < scheduleBatch {
			return nil
		}
	}
}

// savepointError is a failure of the savepoint itself, which ends the run.
type savepointError struct{ err error }

func (e *savepointError) Error() string { return e.err.Error() }

// createInSavepoint creates a record of dst from input as SystemActor,
// through the create path, inside a savepoint of tx: a record that fails
// leaves the run's transaction as it was. guard, when set, is the
// schedule's unless, checked again in the transaction.
func (rt *Runtime) createInSavepoint(ctx context.Context, tx *sql.Tx, dst *entityStore, input map[string]any, guard *scheduleGuard) error {
	e := dst.entity
	if !rt.Access.Can(SystemActor, e, "create") {
		return Forbidden("您无权新建%s", entityLabel(e))
	}
	values, verr := decodeInput(e, input, rt.writable(SystemActor, e))
	if verr != nil {
		return verr
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT growth_schedule_record"); err != nil {
		return &savepointError{fmt.Errorf("savepoint: %w", err)}
	}
	if _, err := rt.createInTx(ctx, tx, SystemActor, dst, values, createOptions{guard: guard}); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT growth_schedule_record"); rerr != nil {
			return &savepointError{fmt.Errorf("rollback to savepoint: %w (after %v)", rerr, err)}
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT growth_schedule_record"); err != nil {
		return &savepointError{fmt.Errorf("release savepoint: %w", err)}
	}
	return nil
}

// readRecords reads every row of a query into records.
func (rt *Runtime) readRecords(ctx context.Context, q querier, s *entityStore, sqlText string, args []any) ([]*Record, error) {
	rows, err := q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, rt.dbError(s, "schedule", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		rec, err := s.scan(rows)
		if err != nil {
			return nil, rt.dbError(s, "schedule", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, rt.dbError(s, "schedule", err)
	}
	return out, nil
}

// failureReason is the user-facing text of a failed create.
func failureReason(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return strings.TrimPrefix(ve.Error(), "validation: ")
	}
	return err.Error()
}

// setInput turns an expression's result into input for field f as a client
// would send it, so that the create path parses it like any other.
func setInput(f *metamodel.Field, out any) any {
	text := f.Kind.Column(f).Kind == metamodel.ColumnText
	switch v := out.(type) {
	case nil:
		return nil
	case int:
		if text {
			return strconv.Itoa(v)
		}
		return int64(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case decimal.Decimal:
		return v.String()
	case time.Time:
		if text {
			return v.Format(time.DateOnly)
		}
		return v
	}
	return out
}

// bindUnless binds the $names of unless to the values being set and
// compiles it over the created entity.
func (rt *Runtime) bindUnless(dst *entityStore, unless filter.Node, values map[string]any) (string, []any, error) {
	var missing string
	bound, err := filter.Bind(unless, func(name string) (filter.Value, bool) {
		f := dst.entity.Field(name)
		v, ok := values[name]
		if f == nil || !ok || v == nil {
			if missing == "" {
				missing = name
			}
			return filter.Value{}, false
		}
		return filterValue(f, v), true
	})
	if missing != "" {
		return "", nil, fmt.Errorf("$%s 没有值", missing)
	}
	if err != nil {
		return "", nil, err
	}
	return filter.Compile(bound, rt.scopeResolver(dst), binder{rt.DB}, 0)
}

// filterValue writes a canonical value as a filter literal its field parses.
func filterValue(f *metamodel.Field, v any) filter.Value {
	switch x := v.(type) {
	case int64:
		return filter.Value{Kind: filter.Number, Text: strconv.FormatInt(x, 10)}
	case bool:
		return filter.Value{Kind: filter.Bool, Text: strconv.FormatBool(x)}
	case decimal.Decimal:
		return filter.Value{Kind: filter.String, Text: x.String()}
	case time.Time:
		if f.Kind.Column(f).Kind == metamodel.ColumnDate {
			return filter.Value{Kind: filter.String, Text: x.Format(time.DateOnly)}
		}
		return filter.Value{Kind: filter.String, Text: x.Format(time.RFC3339Nano)}
	}
	return filter.Value{Kind: filter.String, Text: fmt.Sprint(v)}
}

// exists reports whether a record of s meets cond, other than record except.
func (rt *Runtime) exists(ctx context.Context, q querier, s *entityStore, cond string, args []any, except int64) (bool, error) {
	sqlText := "SELECT 1 FROM " + rt.DB.Quote(s.table) + " WHERE (" + cond + ")"
	if except > 0 {
		sqlText += " AND " + rt.DB.Quote("id") + " <> " + rt.DB.Placeholder(len(args)+1)
		args = append(append([]any{}, args...), except)
	}
	rows, err := q.QueryContext(ctx, sqlText+" LIMIT 1", args...)
	if err != nil {
		return false, rt.dbError(s, "unless", err)
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// scheduleGuard goes with a scheduled create (createOptions.guard, then
// Change.scheduleGuard): the unless condition that the new record must still
// not meet inside its transaction.
type scheduleGuard struct {
	entity *metamodel.Entity
	cond   string
	args   []any
}

// errScheduleDuplicate rolls back a create whose unless matched a record
// committed since the check before it.
var errScheduleDuplicate = errors.New("schedule: a matching record exists")

// scheduleGuardEffect checks a scheduled create's unless again inside its
// transaction. On PostgreSQL an advisory lock per created entity makes
// concurrent checks take turns, so the second sees the first's record; SQLite
// has one writer, so they take turns anyway.
type scheduleGuardEffect struct{}

// newScheduleGuard makes the guard when the project has schedules.
func newScheduleGuard(rt *Runtime) Effect {
	for _, a := range rt.Project.Apps {
		if len(a.Schedules) > 0 {
			return scheduleGuardEffect{}
		}
	}
	return nil
}

func (scheduleGuardEffect) Apply(ec EffectContext, ch *Change) error {
	g := ch.scheduleGuard
	if g == nil || ch.Action != "create" || ch.New == nil || ch.Entity != g.entity {
		return nil
	}
	rt := ec.RT
	s := rt.stores[g.entity.QualifiedName()]
	if rt.DB.Dialect == Postgres {
		h := fnv.New64a()
		h.Write([]byte("growth schedule " + s.table))
		if _, err := ec.Tx.ExecContext(ec, "SELECT pg_advisory_xact_lock("+rt.DB.Placeholder(1)+")", int64(h.Sum64())); err != nil {
			return fmt.Errorf("schedule lock: %w", err)
		}
	}
	found, err := rt.exists(ec, ec.Tx, s, g.cond, g.args, ch.New.ID)
	if err != nil {
		return err
	}
	if found {
		return errScheduleDuplicate
	}
	return nil
}

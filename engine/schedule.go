package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
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
// audit) as SystemActor, one transaction per record: a record that fails is
// reported and the others go on. unless names records of the created entity
// that make a new one unnecessary; it is checked before the create and again
// inside the create's transaction (under a lock on PostgreSQL), so that two
// runs at once never create the same warning twice.

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
	// Error is why the run stopped early ("" when it ran through).
	Error string
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
		run := rt.runSchedule(ctx, s)
		rep.Runs = append(rep.Runs, run)
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// runSchedule runs one schedule once.
func (rt *Runtime) runSchedule(ctx context.Context, s *metamodel.Schedule) *ScheduleRun {
	run := &ScheduleRun{Schedule: s.QualifiedName(), Title: s.Label(), Started: rt.now().UTC()}
	defer func() {
		run.Duration = rt.now().UTC().Sub(run.Started)
		level := rt.Log.Info
		if run.Failed > 0 || run.Error != "" {
			level = rt.Log.Warn
		}
		level("scheduled rule ran", "schedule", run.Schedule, "examined", run.Examined, "matched", run.Matched,
			"created", run.Created, "skipped", run.Skipped, "updated", run.Updated, "fired", run.Fired, "resolved", run.Resolved,
			"failed", run.Failed, "error", run.Error, "duration", run.Duration)
	}()
	src := rt.stores[s.Target.QualifiedName()]
	where, whereArgs, err := rt.definitionWhere(src, s.Where)
	if err != nil {
		run.Error = fmt.Sprintf("where: %v", err)
		return run
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
			return run
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
		batch, err := rt.readRecords(ctx, src, sqlText, args)
		if err != nil {
			run.Error = err.Error()
			return run
		}
		for _, rec := range batch {
			if err := ctx.Err(); err != nil {
				run.Error = err.Error()
				return run
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
							if err := rt.resolveScheduled(ctx, s, dst, unless, values, run, fail, rec.ID); err != nil {
								run.Error = err.Error()
								return run
							}
						}
					}
					continue
				}
			}
			run.Matched++
			if err := rt.scheduleActions(ctx, s, rec, now, run, fail); err != nil {
				run.Error = err.Error()
				return run
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
				exists, err := rt.exists(ctx, rt.DB.Read, dst, cond, args, 0)
				if err != nil {
					run.Error = err.Error()
					return run
				}
				if exists {
					run.Skipped++
					continue
				}
				guard = &scheduleGuard{entity: dst.entity, cond: cond, args: args}
			}
			cctx := ctx
			if guard != nil {
				cctx = context.WithValue(ctx, scheduleGuardKey{}, guard)
			}
			_, err := rt.Create(cctx, SystemActor, dst.entity.App.Name, dst.entity.Name, input)
			switch {
			case errors.Is(err, errScheduleDuplicate):
				run.Skipped++
			case err != nil:
				if ctx.Err() != nil {
					run.Error = ctx.Err().Error()
					return run
				}
				fail(rec.ID, "%s", failureReason(err))
			default:
				run.Created++
			}
		}
		if len(batch) < scheduleBatch {
			return run
		}
	}
}

// readRecords reads every row of a query into records.
func (rt *Runtime) readRecords(ctx context.Context, s *entityStore, sqlText string, args []any) ([]*Record, error) {
	rows, err := rt.DB.Read.QueryContext(ctx, sqlText, args...)
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

// scheduleGuard travels in the create's context: the unless condition that
// the new record must still not meet inside its transaction.
type scheduleGuard struct {
	entity *metamodel.Entity
	cond   string
	args   []any
}

type scheduleGuardKey struct{}

// errScheduleDuplicate rolls back a create whose unless matched a record
// committed since the check before it.
var errScheduleDuplicate = errors.New("schedule: a matching record exists")

// scheduleGuardEffect checks a scheduled create's unless again inside its
// transaction. On PostgreSQL an advisory lock per created entity makes
// concurrent checks take turns, so the second sees the first's record; SQLite
// has one writer, so they take turns anyway.
type scheduleGuardEffect struct{}

func addScheduleGuard(rt *Runtime) {
	for _, a := range rt.Project.Apps {
		if len(a.Schedules) > 0 {
			rt.AddEffect(scheduleGuardEffect{})
			return
		}
	}
}

func (scheduleGuardEffect) Apply(ec EffectContext, ch *Change) error {
	g, ok := ec.Context.Value(scheduleGuardKey{}).(*scheduleGuard)
	if !ok || ch.Action != "create" || ch.New == nil || ch.Entity != g.entity {
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

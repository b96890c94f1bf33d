package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// Besides creating records, a schedule acts on the records it matches and on
// what it created before. set changes fields of the matched record (a late
// fee), fire fires an event of it (mark a notice overdue), both as the
// platform through the normal update and event paths (validation, effects,
// audit), one transaction each. create: resolve fires an event on the
// records unless finds for a record the rule selects but whose when no
// longer holds: the warning closes once its condition clears.

// scheduleComment is the comment of the events a schedule fires.
func scheduleComment(s *metamodel.Schedule) string { return "定时规则：" + s.Label() }

// scheduleActions applies s's set and fire to the matched record rec.
func (rt *Runtime) scheduleActions(ctx context.Context, tx *sql.Tx, s *metamodel.Schedule, rec *Record, now time.Time, run *ScheduleRun, fail func(int64, string, ...any)) error {
	store := rt.stores[s.Target.QualifiedName()]
	if len(s.SetPrograms) > 0 {
		env := exprEnv(s.Target, rec, rec.Values)
		env["today"] = Today(now)
		names := make([]string, 0, len(s.SetPrograms))
		for name := range s.SetPrograms {
			names = append(names, name)
		}
		sort.Strings(names)
		input := map[string]any{}
		for _, name := range names {
			f := s.Target.Field(name)
			out, err := metamodel.Run(s.SetPrograms[name], env)
			if err != nil {
				fail(rec.ID, "set %s 无法计算：%v", name, err)
				return nil
			}
			in := setInput(f, out)
			var v any
			if in != nil {
				if v, err = f.Kind.Parse(f, in); err != nil {
					fail(rec.ID, "set %s：%s", name, metamodel.AsInputError(err).Message)
					return nil
				}
			}
			if !sameValue(f, rec.Values[name], v) {
				input[name] = in
			}
		}
		if len(input) > 0 {
			err := rt.inSavepoint(ctx, tx, func() error {
				changes, verr := decodeInput(s.Target, input, rt.writable(SystemActor, s.Target))
				if verr != nil {
					return verr
				}
				updated, err := rt.updateInTx(ctx, tx, SystemActor, store, rec.ID, rec.Version, changes)
				if err == nil {
					rec = updated
				}
				return err
			})
			var sp *savepointError
			switch {
			case errors.As(err, &sp):
				return sp.err
			case err != nil && ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				fail(rec.ID, "%s", failureReason(err))
				return nil
			}
			run.Updated++
		}
	}
	if s.Fire != "" {
		fired, err := rt.scheduleFire(ctx, tx, s.Target, rec.ID, rec.State, s.Fire, scheduleComment(s))
		var sp *savepointError
		switch {
		case errors.As(err, &sp):
			return sp.err
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			fail(rec.ID, "%s：%s", s.Fire, failureReason(err))
		case fired:
			run.Fired++
		default:
			run.Skipped++
		}
	}
	return nil
}

// scheduleFire fires event on record id of e as the platform, inside a
// savepoint of tx; fired is false when the record's state has no such event
// (nothing to do).
func (rt *Runtime) scheduleFire(ctx context.Context, tx *sql.Tx, e *metamodel.Entity, id int64, state, event, comment string) (bool, error) {
	m := rt.workflows[e.QualifiedName()]
	if m == nil || m.transition(state, event) == nil {
		return false, nil
	}
	fired := false
	err := rt.inSavepoint(ctx, tx, func() error {
		if !rt.Access.Can(SystemActor, e, event) {
			return Forbidden("您无权对%s执行“%s”", entityLabel(e), eventLabel(m.w, event))
		}
		res, err := rt.fireInTx(ctx, tx, SystemActor, rt.stores[e.QualifiedName()], m, id, event, comment, nil)
		if err == nil {
			fired = res.Fired
		}
		return err
	})
	return fired, err
}

// inSavepoint runs fn inside a savepoint of tx: when fn fails, what it did
// is rolled back and the run's transaction goes on. A failure of the
// savepoint itself is a *savepointError, which ends the run.
func (rt *Runtime) inSavepoint(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT growth_schedule_action"); err != nil {
		return &savepointError{fmt.Errorf("savepoint: %w", err)}
	}
	if err := fn(); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT growth_schedule_action"); rerr != nil {
			return &savepointError{fmt.Errorf("rollback to savepoint: %w (after %v)", rerr, err)}
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT growth_schedule_action"); err != nil {
		return &savepointError{fmt.Errorf("release savepoint: %w", err)}
	}
	return nil
}

// resolveScheduled fires create: resolve's event on the records of dst that
// unless finds for the values create: set gives the record whose condition
// cleared.
func (rt *Runtime) resolveScheduled(ctx context.Context, tx *sql.Tx, s *metamodel.Schedule, dst *entityStore, unless filter.Node, values map[string]any, run *ScheduleRun, fail func(int64, string, ...any), srcID int64) error {
	cond, args, err := rt.bindUnless(dst, unless, values)
	if err != nil {
		fail(srcID, "unless：%v", err)
		return nil
	}
	q := rt.DB.Quote
	rows, err := tx.QueryContext(ctx, "SELECT "+q("id")+", "+q("state")+" FROM "+q(dst.table)+" WHERE ("+cond+") ORDER BY "+q("id"), args...)
	if err != nil {
		return rt.dbError(dst, "schedule resolve", err)
	}
	type open struct {
		id    int64
		state string
	}
	var found []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.id, &o.state); err != nil {
			rows.Close()
			return rt.dbError(dst, "schedule resolve", err)
		}
		found = append(found, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rt.dbError(dst, "schedule resolve", err)
	}
	for _, o := range found {
		fired, err := rt.scheduleFire(ctx, tx, dst.entity, o.id, o.state, s.Create.Resolve.Fire, scheduleComment(s))
		var sp *savepointError
		switch {
		case errors.As(err, &sp):
			return sp.err
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			fail(srcID, "%s #%d %s：%s", dst.entity.Label(), o.id, s.Create.Resolve.Fire, failureReason(err))
		case fired:
			run.Resolved++
		}
	}
	return nil
}

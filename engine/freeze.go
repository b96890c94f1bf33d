package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/growth-gov/growth/metamodel"
)

// A computed field with freeze_on keeps the value it had when the first of
// those events fired: a notice's amount is fixed at issue, whatever the rate
// becomes later. The record's history says which events have fired; the
// fields frozen by them are marked on the record before it is computed
// again (on update, on the next events, when a rollup it reads changes).

// freezeEvents are the events any computed field of e freezes at.
func freezeEvents(e *metamodel.Entity) []string {
	var out []string
	for _, f := range e.Fields {
		for _, ev := range f.FreezeOn {
			if !slices.Contains(out, ev) {
				out = append(out, ev)
			}
		}
	}
	return out
}

// markFrozen marks on rec the computed fields one of whose freeze_on events
// has fired on the stored record, read through q (the write's transaction).
func (rt *Runtime) markFrozen(ctx context.Context, q querier, e *metamodel.Entity, rec *Record) error {
	events := freezeEvents(e)
	if len(events) == 0 || rec.ID == 0 {
		return nil
	}
	ph := rt.DB.Placeholder
	args := []any{rec.App, rec.Entity, rec.ID}
	in := ""
	for i, ev := range events {
		if i > 0 {
			in += ", "
		}
		in += ph(len(args) + 1)
		args = append(args, ev)
	}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT event FROM growth_history WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+
		` AND event IN (`+in+`)`, args...)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var fired []string
	for rows.Next() {
		var ev string
		if err := rows.Scan(&ev); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		fired = append(fired, ev)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	for _, f := range e.Fields {
		if f.FrozenBy(fired) {
			if rec.frozen == nil {
				rec.frozen = map[string]bool{}
			}
			rec.frozen[f.Name] = true
		}
	}
	return nil
}

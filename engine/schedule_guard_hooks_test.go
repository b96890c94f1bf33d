package engine

import (
	"context"
	"database/sql"

	"github.com/growth-gov/growth/engine/filter"
)

// ErrScheduleDuplicate is the refusal of a scheduled create whose unless
// matches a record committed since the run's own check.
var ErrScheduleDuplicate = errScheduleDuplicate

// CreateScheduled creates a record of app.entity from input as a schedule's
// create does, with unless (a filter without $names) checked again inside
// the create's transaction: as when another run committed a matching record
// after this run looked.
func (rt *Runtime) CreateScheduled(ctx context.Context, app, entity string, input map[string]any, unless string) error {
	dst, err := rt.store(app, entity)
	if err != nil {
		return err
	}
	node, err := filter.Parse(unless)
	if err != nil {
		return err
	}
	cond, args, err := rt.bindUnless(dst, node, nil)
	if err != nil {
		return err
	}
	return rt.writeTx(ctx, func(tx *sql.Tx) error {
		return rt.createInSavepoint(ctx, tx, dst, input, &scheduleGuard{entity: dst.entity, cond: cond, args: args})
	})
}

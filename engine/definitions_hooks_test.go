package engine

import (
	"context"
	"database/sql"
)

// CreateAfter creates a record of app.entity as Create does, but first runs
// meanwhile inside the create's transaction, once it has begun: as when
// another server migrates the database while the write is under way.
func (rt *Runtime) CreateAfter(ctx context.Context, actor Actor, app, entity string, input map[string]any, meanwhile func()) error {
	s, err := rt.store(app, entity)
	if err != nil {
		return err
	}
	values, verr := decodeInput(s.entity, input, nil)
	if verr != nil {
		return verr
	}
	return rt.writeTx(ctx, func(tx *sql.Tx) error {
		meanwhile()
		_, err := rt.createInTx(ctx, tx, actor, s, values, createOptions{})
		return err
	})
}

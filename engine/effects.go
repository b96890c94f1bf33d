package engine

import (
	"context"
	"database/sql"
)

// EffectContext is what an effect may use: the request's context, the open
// transaction, and the runtime.
type EffectContext struct {
	context.Context
	Tx *sql.Tx
	RT *Runtime
}

// AddEffect registers an effect; every later change runs it.
func (rt *Runtime) AddEffect(e Effect) { rt.effects = append(rt.effects, e) }

func (rt *Runtime) applyEffects(ctx context.Context, tx *sql.Tx, ch *Change) error {
	ec := EffectContext{Context: ctx, Tx: tx, RT: rt}
	for _, e := range rt.effects {
		if err := e.Apply(ec, ch); err != nil {
			return err
		}
	}
	return nil
}

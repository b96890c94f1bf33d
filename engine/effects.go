package engine

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/growth-gov/growth/metamodel"
)

// Effects are the consequences of a record change applied in the change's
// own transaction (Effect, access.go). effectRegistry below is every effect
// of the platform, in the order they run on each change; a runtime runs those
// its definitions give something to do, then any added with AddEffect.
// docs/architecture.md ("Adding an effect") says how to add one.

// effectSpec is an effect of the platform: its name (in logs and import
// reports) and how a runtime makes it, or nil when its definitions give the
// effect nothing to do.
type effectSpec struct {
	name string
	make func(rt *Runtime) Effect
}

// effectRegistry is the order in which effects run. They all run in the
// change's one transaction, so most do not depend on one another; the order
// is fixed so that a change writes the same rows in the same order on every
// server. What does depend on it: the ledger runs before rollups, because a
// change's balance updates wait for its audit row and a write nested in its
// effects (a parent's rollup) runs them first, so that balances move in the
// order the changes happen (docs/architecture.md).
var effectRegistry = []effectSpec{
	{"workflow history", newCreationHistory},
	{"idempotency", func(*Runtime) Effect { return idempotencyEffect{} }},
	{"ledger", newLedger},
	{"books", newBooks},
	{"rollups", newRollupEffect},
	{"block locks", newBlockLockEffect},
	{"files", newFileEffect},
	{"schedule guard", newScheduleGuard},
	{"exchange", func(*Runtime) Effect { return exchangeEffect{} }},
}

// namedEffect is an effect a runtime runs, with its name.
type namedEffect struct {
	name string
	Effect
}

// EffectContext is what an effect may use: the request's context, the open
// transaction, and the runtime.
type EffectContext struct {
	context.Context
	Tx *sql.Tx
	RT *Runtime
}

// addEffects makes the registered effects the definitions need, in registry
// order.
func (rt *Runtime) addEffects() {
	for _, spec := range effectRegistry {
		if e := spec.make(rt); e != nil {
			rt.effects = append(rt.effects, namedEffect{spec.name, e})
		}
	}
}

// AddEffect registers an effect after the platform's; every later change
// runs it.
func (rt *Runtime) AddEffect(e Effect) {
	rt.effects = append(rt.effects, namedEffect{fmt.Sprintf("%T", e), e})
}

func (rt *Runtime) applyEffects(ctx context.Context, tx *sql.Tx, ch *Change) error {
	ec := EffectContext{Context: ctx, Tx: tx, RT: rt}
	for _, e := range rt.effects {
		if err := e.Apply(ec, ch); err != nil {
			return err
		}
	}
	return nil
}

// EntityEffect is an Effect that acts on the changes of some entities only
// and says which; an effect without it is taken to act on every entity.
type EntityEffect interface {
	Effect
	ActsOn(e *metamodel.Entity) bool
}

// BulkEffect is an Effect that can do at once, for all the records an import
// creates of one entity, what Apply does for each (import_copy.go). An effect
// that is not one keeps the imports into the entities it acts on row by row,
// and their reports say so.
type BulkEffect interface {
	Effect
	// PlanBulk returns the step for creating records of e: nil when that
	// needs nothing of the effect, or ok false when only Apply, record by
	// record, will do.
	PlanBulk(rt *Runtime, e *metamodel.Entity) (step BulkStep, ok bool)
}

// BulkStep does inside the import's transaction, for all the records of b,
// what an effect's Apply does on the creation of each. A row's refusal (a
// *ValidationError or *ConflictError) makes the import write the file again
// row by row, which names every refused line.
type BulkStep func(ec EffectContext, b *CreatedBatch) error

// CreatedBatch is the records of one entity an import creates together: in
// their table, ids set, audit rows not yet written.
type CreatedBatch struct {
	Actor   Actor
	Entity  *metamodel.Entity
	Records []*Record

	// ledgerRows[i] are the hashes of the ledger rows Records[i] wrote, for
	// its audit row.
	ledgerRows [][]string
	after      []func() error
	copyFrom   copyFunc
}

// AfterAudit queues fn to run once the batch's audit rows are written, in
// the order queued: what follows a change's audit row on the per-row path
// (balance updates), or the end of the import (rollups).
func (b *CreatedBatch) AfterAudit(fn func() error) { b.after = append(b.after, fn) }

// bulkPlan returns the steps of the runtime's effects for creating records
// of e in bulk, in effect order; or, when some effect can only work record
// by record, why not.
func (rt *Runtime) bulkPlan(e *metamodel.Entity) (steps []BulkStep, why string) {
	for _, eff := range rt.effects {
		if scoped, ok := eff.Effect.(EntityEffect); ok && !scoped.ActsOn(e) {
			continue
		}
		bulk, ok := eff.Effect.(BulkEffect)
		if !ok {
			return nil, fmt.Sprintf("effect %q has no bulk step", eff.name)
		}
		step, ok := bulk.PlanBulk(rt, e)
		if !ok {
			return nil, fmt.Sprintf("effect %q works record by record on %s", eff.name, e.QualifiedName())
		}
		if step != nil {
			steps = append(steps, step)
		}
	}
	return steps, ""
}

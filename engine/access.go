package engine

import (
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// Access decides what an actor may do and see. The runtime asks it on every
// path — list, get, create, update, delete, workflow events, history, exports —
// so enforcement lives in one place. RoleAccess (the roles of the
// definitions, casbin) is what the platform runs with; a runtime has no
// default and does not start without one (NewRuntime).
type Access interface {
	// Can reports whether actor may take action on entity e: create, read,
	// update, delete, export, or a workflow event name.
	Can(actor Actor, e *metamodel.Entity, action string) bool
	// Scope is the condition records must meet for actor to see them, added to
	// every query as SQL; nil means every record.
	Scope(actor Actor, e *metamodel.Entity) filter.Node
	// Sees is Scope's in-memory twin, for a record about to be created.
	Sees(actor Actor, e *metamodel.Entity, rec *Record) bool
	// Hidden reports a field actor may never see: it leaves the server in no format.
	Hidden(actor Actor, e *metamodel.Entity, field string) bool
	// ReadOnly reports a field actor may see but not write.
	ReadOnly(actor Actor, e *metamodel.Entity, field string) bool
}

// OpenAccess lets every actor do everything. It is never a default: a test
// or tool that does not exercise access control names it (enginetest.Start,
// the benchmark harness), and the books then open to every caller.
type OpenAccess struct{}

var _ Access = OpenAccess{}

func (OpenAccess) Can(Actor, *metamodel.Entity, string) bool      { return true }
func (OpenAccess) Scope(Actor, *metamodel.Entity) filter.Node     { return nil }
func (OpenAccess) Sees(Actor, *metamodel.Entity, *Record) bool    { return true }
func (OpenAccess) Hidden(Actor, *metamodel.Entity, string) bool   { return false }
func (OpenAccess) ReadOnly(Actor, *metamodel.Entity, string) bool { return false }

// Effect is a consequence of a record change applied in the same transaction
// as the change itself: the ledger's reserve, consume and release are effects.
// An effect that fails rolls the whole change back.
type Effect interface {
	Apply(ctx EffectContext, ch *Change) error
}

// Change describes one committed-to-be record change for effects.
type Change struct {
	Actor  Actor
	Entity *metamodel.Entity
	// Action is create, update, delete, or the workflow event's name.
	Action string
	// Transition is the workflow transition fired, for events.
	Transition *metamodel.Transition
	Old, New   *Record
	// IdempotencyKey is the client's key for this request, if it sent one.
	IdempotencyKey string

	// What the caller of the write decided for its effects travels here, on
	// the change, not in the context. request is the fingerprint of the
	// client request the key came with (idempotency.go); inbound is the
	// message an inbound event applies, whose inbox row the exchange effect
	// writes (exchange.go); scheduleGuard is a scheduled create's unless,
	// checked again in its transaction (schedule.go); rollups, when set,
	// collects the rollups the change makes due instead of running them
	// (records a transition generates run theirs once, at the end), and
	// rollupDepth counts the rollup writes the change is nested in
	// (MaxRollupDepth).
	request       string
	inbound       *inboundApply
	scheduleGuard *scheduleGuard
	rollups       *rollupBatch
	rollupDepth   int

	// ledgerRows are the hashes of the ledger rows the change wrote; its
	// audit row, appended after the effects, commits to them.
	ledgerRows []string
	// balanceUpdates are the change's conditional balance updates, run in
	// order right after its audit row (runBalanceUpdates): a hot balance
	// row is then locked from its update to the commit, as long as before
	// the audit row committed to the ledger rows.
	balanceUpdates []func() error
	// commitPipe, when set, takes the balance updates still to run: they are
	// the transaction's last statements and go with its COMMIT
	// (ledger_pipeline.go).
	commitPipe *commitPipe
}

// runBalanceUpdates runs the change's pending balance updates, in order.
func (ch *Change) runBalanceUpdates() error {
	for len(ch.balanceUpdates) > 0 {
		f := ch.balanceUpdates[0]
		ch.balanceUpdates = ch.balanceUpdates[1:]
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

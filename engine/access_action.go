package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// ActionAccess is an Access whose write scope depends on the action: with
// several roles, the record a user may update is within the scope of a role
// that may update, not of one that may only read or approve. The runtime asks
// SeesFor when the Access has it, and Sees otherwise.
type ActionAccess interface {
	Access
	// SeesFor reports whether rec is within the data scope in which actor may
	// take action (create, update, delete or a workflow event) on e.
	SeesFor(actor Actor, e *metamodel.Entity, action string, rec *Record) bool
}

// sees is the runtime's one question before a write touches rec.
func (rt *Runtime) sees(actor Actor, e *metamodel.Entity, action string, rec *Record) bool {
	if a, ok := rt.Access.(ActionAccess); ok {
		return a.SeesFor(actor, e, action, rec)
	}
	return rt.Access.Sees(actor, e, rec)
}

// checkRefScope refuses references, among values, to records the actor may
// not read: a record outside the actor's data scope gets the answer a missing
// record gets, so that ids guessed across orgs reveal nothing.
func (rt *Runtime) checkRefScope(ctx context.Context, tx *sql.Tx, actor Actor, e *metamodel.Entity, values map[string]any) error {
	verr := &ValidationError{}
	for _, f := range e.Fields {
		id, ok := values[f.Name].(int64)
		if !ok || f.Target == nil {
			continue
		}
		if !rt.Access.Can(actor, f.Target, "read") {
			verr.Add(f.Name, errcode.RefForbidden, "您无权查看%s，不能引用", entityLabel(f.Target))
			continue
		}
		scope := rt.Access.Scope(actor, f.Target)
		if scope == nil {
			continue
		}
		target := rt.stores[f.Target.QualifiedName()]
		cond, args, err := filter.Compile(scope, rt.scopeResolver(target), binder{rt.DB}, 1)
		if err != nil {
			return fmt.Errorf("data scope of %s: %w", f.Target.QualifiedName(), err)
		}
		var one int
		err = tx.QueryRowContext(ctx, target.existsSQL+" AND "+cond, append([]any{id}, args...)...).Scan(&one)
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

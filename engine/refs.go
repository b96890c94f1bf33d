package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// Expressions read the records an entity's ref fields point at through refs
// (metamodel/refs.go). The runtime decides at load which entities need them
// and which of their ref fields (metamodel.RefsUsed), and loads those records
// by id before their expressions run: inside the write's transaction for
// create, update, events and rollups, from the read pool for a list of
// available events and for the rows of an import before its transaction.
// A reference the actor names in a write (create, the fields an update
// changes, the rows of an import) is read within the actor's data scope: a
// record outside it is left empty, exactly as a missing one, so that no rule
// or computed field runs against a record the actor cannot see and the
// answer (checkRefScope then refuses it as "does not exist") is the one a
// missing id gets. References already stored on a record (events, rollups,
// an update that leaves them alone) were checked when they were set and are
// read as the system: a rule is the system's check there, not the actor's
// read.

// refsPlan is what one entity's expressions read through refs.
type refsPlan struct {
	shape  *metamodel.RefsShape
	fields []*metamodel.Field
	// paths are the paths through references read (metamodel.RefPaths):
	// "order", "order.party", "fund#balance".
	paths map[string]bool
}

// planRefs finds the entities whose expressions use refs.
func planRefs(rt *Runtime) map[*metamodel.Entity]*refsPlan {
	out := map[*metamodel.Entity]*refsPlan{}
	for _, a := range rt.Project.Apps {
		for _, e := range a.Entities {
			names := metamodel.RefsUsed(e)
			if len(names) == 0 {
				continue
			}
			p := &refsPlan{shape: metamodel.NewRefsShape(e), paths: map[string]bool{}}
			for _, path := range metamodel.RefPaths(e) {
				p.paths[path] = true
			}
			for _, name := range names {
				if f := e.Field(name); f != nil && f.Target != nil && p.shape.Target(name) != nil {
					p.fields = append(p.fields, f)
				}
			}
			out[e] = p
		}
	}
	return out
}

// namedRefs are the references an actor named in a write: the fields of
// named (the decoded input) are read within actor's data scope.
type namedRefs struct {
	actor Actor
	named map[string]any
}

// loadRefs reads, through q, the records rec's ref fields point at that
// e's expressions use, and attaches them to rec for exprEnv. A ref to a
// record that does not exist is left empty: checkRefs reports it. by, when
// not nil, names the references to read within an actor's data scope; one
// outside it is left empty too (checkRefScope reports it as missing).
func (rt *Runtime) loadRefs(ctx context.Context, q querier, e *metamodel.Entity, rec *Record, by *namedRefs) error {
	p := rt.links.refs[e]
	if p == nil {
		return nil
	}
	records := make(map[string]any, len(p.fields))
	for _, f := range p.fields {
		id, ok := rec.Values[f.Name].(int64)
		if !ok || id <= 0 {
			continue
		}
		s := rt.stores[f.Target.QualifiedName()]
		query, args := s.getSQL, []any{id}
		if _, named := by.names(f.Name); named {
			if !rt.Access.Can(by.actor, f.Target, "read") {
				continue
			}
			if scope := rt.Access.Scope(by.actor, f.Target); scope != nil {
				cond, scopeArgs, err := filter.Compile(scope, rt.scopeResolver(s), binder{rt.DB}, 1)
				if err != nil {
					return fmt.Errorf("data scope of %s: %w", f.Target.QualifiedName(), err)
				}
				query += " AND " + cond
				args = append(args, scopeArgs...)
			}
		}
		r, err := s.scan(q.QueryRowContext(ctx, query, args...))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return rt.dbError(s, "read reference", err)
		}
		v, err := rt.refValue(ctx, q, p, p.shape.Target(f.Name), r, f.Name, by)
		if err != nil {
			return err
		}
		records[f.Name] = v
	}
	rec.refs = p.shape.Value(records)
	return nil
}

// refValue is the referenced record r as its shape shows it in expressions:
// its fields, the records below it that a path of the plan reads (through
// its own refs), and its balance figures when one is read. The records
// below are the chain's, not ones the actor named: for a write by a user
// they are read within the user's data scope, so that a record the user may
// not see reads as empty, exactly as a missing one, and no rule's message
// can tell anything about it; as the system (rollups, schedules) they are
// read as they are.
func (rt *Runtime) refValue(ctx context.Context, q querier, p *refsPlan, shape *metamodel.RecordShape, r *Record, path string, by *namedRefs) (any, error) {
	v := shape.Value(r.ID, r.State, r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.Values)
	var figures *metamodel.BalanceFigures
	if shape.HasBalance() && p.paths[path+"#"+metamodel.BalanceName] {
		f, err := rt.balanceFigures(ctx, q, shape.Entity, r.ID)
		if err != nil {
			return nil, err
		}
		figures = f
	}
	var nested map[string]any
	if refs := shape.Refs(); refs != nil {
		for _, f := range shape.Entity.Fields {
			sub := path + "." + f.Name
			id, ok := r.Values[f.Name].(int64)
			if f.Target == nil || !ok || id <= 0 || !p.paths[sub] || refs.Target(f.Name) == nil {
				continue
			}
			s := rt.stores[f.Target.QualifiedName()]
			query, args := s.getSQL, []any{id}
			if by != nil && by.actor.User != SystemActor.User {
				if !rt.Access.Can(by.actor, f.Target, "read") {
					continue
				}
				if scope := rt.Access.Scope(by.actor, f.Target); scope != nil {
					cond, scopeArgs, err := filter.Compile(scope, rt.scopeResolver(s), binder{rt.DB}, 1)
					if err != nil {
						return nil, fmt.Errorf("data scope of %s: %w", f.Target.QualifiedName(), err)
					}
					query += " AND " + cond
					args = append(args, scopeArgs...)
				}
			}
			below, err := s.scan(q.QueryRowContext(ctx, query, args...))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return nil, rt.dbError(s, "read reference", err)
			}
			nv, err := rt.refValue(ctx, q, p, refs.Target(f.Name), below, sub, by)
			if err != nil {
				return nil, err
			}
			if nested == nil {
				nested = map[string]any{}
			}
			nested[f.Name] = nv
		}
	}
	if nested == nil && figures == nil {
		return v, nil
	}
	return shape.With(v, nested, figures), nil
}

// balanceFigures reads the balance of account id of e through q; an account
// not open yet has every figure zero.
func (rt *Runtime) balanceFigures(ctx context.Context, q querier, e *metamodel.Entity, id int64) (*metamodel.BalanceFigures, error) {
	var am Amounts
	err := q.QueryRowContext(ctx, newLedgerSQL(rt.DB).read, e.App.Name, e.Name, id).Scan(&am.Approved, &am.Reserved, &am.Consumed, &am.Frozen)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("balance of %s: %w", accountLabel(e, id), err)
	}
	return &metamodel.BalanceFigures{Approved: Yuan(am.Approved), Reserved: Yuan(am.Reserved), Consumed: Yuan(am.Consumed),
		Frozen: Yuan(am.Frozen), Available: Yuan(am.Available())}, nil
}

// names reports whether field is among the references named (nil names none).
func (n *namedRefs) names(field string) (any, bool) {
	if n == nil {
		return nil, false
	}
	v, ok := n.named[field]
	return v, ok
}

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
			p := &refsPlan{shape: metamodel.NewRefsShape(e)}
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

// usesRefs reports whether e's expressions read refs.
func (rt *Runtime) usesRefs(e *metamodel.Entity) bool { return rt.links.refs[e] != nil }

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
		records[f.Name] = p.shape.Target(f.Name).Value(r.ID, r.State, r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.Values)
	}
	rec.refs = p.shape.Value(records)
	return nil
}

// names reports whether field is among the references named (nil names none).
func (n *namedRefs) names(field string) (any, bool) {
	if n == nil {
		return nil, false
	}
	v, ok := n.named[field]
	return v, ok
}

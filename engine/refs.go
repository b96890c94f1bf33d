package engine

import (
	"context"
	"database/sql"
	"errors"

	"github.com/growth-gov/growth/metamodel"
)

// Expressions read the records an entity's ref fields point at through refs
// (metamodel/refs.go). The runtime decides at load which entities need them
// and which of their ref fields (metamodel.RefsUsed), and loads those records
// by id before their expressions run: inside the write's transaction for
// create, update, events and rollups, from the read pool for a list of
// available events and for the rows of an import before its transaction.
// They are read without the actor's data scope: a rule is the system's
// check, not the actor's read, and its outcome shows no field of the
// referenced record.

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

// loadRefs reads, through q, the records rec's ref fields point at that
// e's expressions use, and attaches them to rec for exprEnv. A ref to a
// record that does not exist is left empty: checkRefs reports it.
func (rt *Runtime) loadRefs(ctx context.Context, q querier, e *metamodel.Entity, rec *Record) error {
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
		r, err := s.scan(q.QueryRowContext(ctx, s.getSQL, id))
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

package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/growth-gov/growth/metamodel"
)

// A rollup field added to an entity that already has records starts empty;
// schema sync fills it by recomputing every parent once, as the platform
// (SystemActor), each parent in its own transaction. A parent whose existing
// children already break one of its rules keeps its old values and is logged:
// start-up does not fail on data that was valid under the old definitions.

// backfillRollups recomputes the rollup columns that plan added to tables
// with records.
func (rt *Runtime) backfillRollups(ctx context.Context, plan *Plan) error {
	added := map[string][]string{}
	for _, s := range plan.Steps {
		if s.AddsColumn != "" {
			added[s.Table] = append(added[s.Table], s.AddsColumn)
		}
	}
	for _, a := range rt.Project.Apps {
		for _, e := range a.Entities {
			cols := added[TableName(e)]
			var links []*rollupLink
			for _, l := range rt.rollupLinksOf(e) {
				if slices.ContainsFunc(l.fields, func(f *metamodel.Field) bool { return slices.Contains(cols, f.Name) }) {
					links = append(links, l)
				}
			}
			if len(links) == 0 {
				continue
			}
			if err := rt.RecomputeRollups(ctx, e, links); err != nil {
				return err
			}
		}
	}
	return nil
}

// rollupLinksOf lists the rollup links whose parent is e.
func (rt *Runtime) rollupLinksOf(e *metamodel.Entity) []*rollupLink {
	var out []*rollupLink
	for _, links := range rt.links.rollups {
		for _, l := range links {
			if l.parent == e {
				out = append(out, l)
			}
		}
	}
	return out
}

// RecomputeRollups recomputes links (every rollup of e when nil) for every
// record of e.
func (rt *Runtime) RecomputeRollups(ctx context.Context, e *metamodel.Entity, links []*rollupLink) error {
	if links == nil {
		links = rt.rollupLinksOf(e)
	}
	s := rt.stores[e.QualifiedName()]
	rows, err := rt.DB.Read.QueryContext(ctx, "SELECT "+rt.DB.Quote("id")+" FROM "+rt.DB.Quote(s.table)+" ORDER BY "+rt.DB.Quote("id"))
	if err != nil {
		return fmt.Errorf("recomputing rollups of %s: %w", e.QualifiedName(), err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	filled := 0
	for _, id := range ids {
		err := rt.DB.Tx(ctx, func(tx *sql.Tx) error {
			return rt.recomputeRollups(ctx, tx, SystemActor, rollupParent{entity: e, id: id}, links, 0)
		})
		if err != nil {
			rt.Log.Warn("rollup not filled: the record's children break its rules under the new definitions", "entity", e.QualifiedName(), "id", id, "error", err.Error())
			continue
		}
		filled++
	}
	if len(ids) > 0 {
		rt.Log.Info("rollups filled", "entity", e.QualifiedName(), "records", filled, "of", len(ids))
	}
	return nil
}

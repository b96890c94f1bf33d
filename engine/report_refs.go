package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// labelRefGroups labels the groups of a report's ref fields with the name of
// the record each points at (its entity's title_fields, or first string
// field), so that a report grouped by a party shows the party's name
// next to its id. The records are read as the reader: one the reader may
// not see, or whose name field is hidden from the reader, gets no label,
// exactly as a reference to a record that does not exist.
func (rt *Runtime) labelRefGroups(ctx context.Context, actor Actor, e *metamodel.Entity, r *metamodel.Report, rows []ReportRow) {
	for _, g := range r.GroupBy {
		f := e.Field(g)
		if f == nil || f.Target == nil {
			continue
		}
		var names []*metamodel.Field
		for _, nf := range f.Target.NameFields() {
			if !rt.Access.Hidden(actor, f.Target, nf.Name) {
				names = append(names, nf)
			}
		}
		if len(names) == 0 || !rt.Access.Can(actor, f.Target, "read") {
			continue
		}
		labels := map[int64]string{}
		for i := range rows {
			id, ok := rows[i].Values[g].(int64)
			if !ok {
				continue
			}
			label, seen := labels[id]
			if !seen {
				label = rt.recordName(ctx, actor, f.Target, names, id)
				labels[id] = label
			}
			if label != "" {
				rows[i].Labels[g] = label
			}
		}
	}
}

// recordName is the text of record id's name fields as the reader sees
// them, joined by a space (empty ones left out), or "" when the reader
// cannot read the record.
func (rt *Runtime) recordName(ctx context.Context, actor Actor, e *metamodel.Entity, names []*metamodel.Field, id int64) string {
	rec, err := rt.Get(ctx, actor, e.App.Name, e.Name, id)
	if err != nil {
		return ""
	}
	var parts []string
	for _, name := range names {
		v := rec.Values[name.Name]
		if v == nil {
			continue
		}
		text, _ := metamodel.ValueLabel(name, v, false)
		if text == "" {
			text = fmt.Sprint(name.Kind.JSON(name, v))
		}
		if text != "" {
			parts = append(parts, text)
		}
	}
	return strings.Join(parts, " ")
}

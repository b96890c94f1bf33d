package engine

import (
	"context"
	"fmt"

	"github.com/growth-gov/growth/metamodel"
)

// labelRefGroups labels the groups of a report's ref fields with the name of
// the record each points at (its entity's title_field, or first string
// field), so that a report grouped by a party shows the party's name
// next to its id. The records are read as the reader: one the reader may
// not see, or whose name field is hidden from the reader, gets no label,
// exactly as a reference to a record that does not exist.
func (rt *Runtime) labelRefGroups(ctx context.Context, actor Actor, e *metamodel.Entity, r *metamodel.Report, rows []ReportRow) {
	for _, g := range r.GroupBy {
		f := e.Field(g)
		if f == nil || f.Type != "ref" || f.Target == nil {
			continue
		}
		name := f.Target.NameField()
		if name == nil || !rt.Access.Can(actor, f.Target, "read") || rt.Access.Hidden(actor, f.Target, name.Name) {
			continue
		}
		names := map[int64]string{}
		for i := range rows {
			id, ok := rows[i].Values[g].(int64)
			if !ok {
				continue
			}
			label, seen := names[id]
			if !seen {
				label = rt.recordName(ctx, actor, f.Target, name, id)
				names[id] = label
			}
			if label != "" {
				rows[i].Labels[g] = label
			}
		}
	}
}

// recordName is the text of record id's name field as the reader sees it,
// or "" when the reader cannot read the record.
func (rt *Runtime) recordName(ctx context.Context, actor Actor, e *metamodel.Entity, name *metamodel.Field, id int64) string {
	rec, err := rt.Get(ctx, actor, e.App.Name, e.Name, id)
	if err != nil || rec.Values[name.Name] == nil {
		return ""
	}
	v := rec.Values[name.Name]
	switch name.Type {
	case "code":
		if name.Set != nil {
			if n := name.Set.Lookup(v.(string)); n != nil {
				return n.Name
			}
		}
	case "enum":
		return metamodel.EnumLabel(name, v.(string))
	}
	return fmt.Sprint(name.Kind.JSON(name, v))
}

package metamodel

import (
	"fmt"
	"slices"
	"strings"
)

// rollupType is an aggregate over other records that point at this one: the
// sum of a batch's lines, the number of a contract's instalments, the
// latest progress of a project.
//
//	net_total: {type: rollup, entity: line, via: batch, field: net, agg: sum, where: "state != 'void'"}
//
// The children are the records of entity (this app's, or app.entity) whose
// ref field via points at the record; field is the child field aggregated
// (none for count) and where a filter (docs/filter.md) on the children. The
// value is stored like any column, so it is listed, filtered and reported;
// the engine recomputes it in the transaction of every change to a child
// (engine/rollup.go). A rollup field is read-only: Setup marks it so.
type rollupType struct{}

func init() { RegisterFieldType(rollupType{}) }

// Rollup is a rollup field's definition, resolved by the checker.
type Rollup struct {
	// Agg is sum, count, min or max.
	Agg string
	// Child is the entity aggregated, Via its ref field naming the parent, and
	// Of its field aggregated (nil for count).
	Child *Entity
	Via   *Field
	Of    *Field
	// Where is the filter on the children, as written ("" for all).
	Where string
	// Result describes the stored values: an int field for count, else a
	// field of the aggregated field's value type (money, decimal with its
	// scale, int, date, datetime) without its limits.
	Result *Field
}

// RollupOf is f's resolved rollup, or nil when f is not a rollup field or
// did not resolve.
func RollupOf(f *Field) *Rollup {
	r, _ := f.Settings.(*Rollup)
	if r == nil || r.Result == nil {
		return nil
	}
	return r
}

// rollupAggregable names the value types each aggregate takes, for
// messages (aggregable decides).
var rollupAggregable = map[string][]string{
	"sum": {"int", "decimal", "money"},
	"min": {"int", "decimal", "money", "date", "datetime"},
	"max": {"int", "decimal", "money", "date", "datetime"},
}

func (rollupType) Name() string { return "rollup" }

func (rollupType) Setup(f *Field, ps *Problems) {
	OnlyKeys(f, ps, "entity", "field", "via", "agg", "where")
	r := &Rollup{Agg: f.Agg, Where: f.Where}
	f.Settings = r
	// Rollups are the platform's to write, never a user's.
	f.Readonly = true
	switch {
	case f.Agg == "":
		ps.Addf(f.Pos, "field %s: a rollup field needs agg: one of %s", f.where(), strings.Join(Aggregates, ", "))
	case !slices.Contains(Aggregates, f.Agg):
		ps.Addf(f.At["agg"], "field %s: agg must be one of %s, got %q%s", f.where(), strings.Join(Aggregates, ", "), f.Agg, suggest(f.Agg, Aggregates))
	case f.Agg == "count" && f.Of != "":
		ps.Addf(f.At["field"], "field %s: count counts the records; it takes no field", f.where())
	case f.Agg != "count" && f.Of == "":
		ps.Addf(f.Pos, "field %s: agg %s needs field: the field of the %s records aggregated", f.where(), f.Agg, f.Entity)
	}
	if f.Entity == "" {
		ps.Addf(f.Pos, "field %s: a rollup field needs entity: the entity whose records are aggregated", f.where())
	}
	if f.Via == "" {
		ps.Addf(f.Pos, "field %s: a rollup field needs via: the ref field of the %s records that points at this record", f.where(), f.Entity)
	}
	if f.Required {
		ps.Addf(f.At["required"], "field %s: a rollup field is computed by the platform; it cannot be required", f.where())
	}
	if f.Default != nil {
		ps.Addf(f.At["default"], "field %s: a rollup field is computed by the platform; it takes no default", f.where())
		f.Default = nil // reported once, not again as an invalid default
	}
	if f.Unique {
		ps.Addf(f.At["unique"], "field %s: a rollup field cannot be unique", f.where())
	}
}

// Column is the result's column; an unresolved rollup (the load fails
// anyway) is an int.
func (rollupType) Column(f *Field) Column {
	if r := RollupOf(f); r != nil {
		return r.Result.Kind.Column(r.Result)
	}
	return Column{Kind: ColumnInt}
}

// Parse reads a value of the result type: filters compare a rollup with a
// literal (net_total > 10000).
func (rollupType) Parse(f *Field, in any) (any, error) {
	if r := RollupOf(f); r != nil {
		return r.Result.Kind.Parse(r.Result, in)
	}
	return nil, fmt.Errorf("rollup field %s did not resolve", f.Name)
}

func (rollupType) Validate(f *Field, v any) error { return nil }

func (rollupType) JSON(f *Field, v any) any {
	if r := RollupOf(f); r != nil {
		return r.Result.Kind.JSON(r.Result, v)
	}
	return v
}

// AppendJSON is the result type's, when it has one.
func (rollupType) AppendJSON(dst []byte, f *Field, v any) ([]byte, bool) {
	if r := RollupOf(f); r != nil {
		if a, ok := r.Result.Kind.(JSONAppender); ok {
			return a.AppendJSON(dst, r.Result, v)
		}
	}
	return dst, false
}

func (rollupType) Zero(f *Field) any {
	if r := RollupOf(f); r != nil {
		return r.Result.Kind.Zero(r.Result)
	}
	return nil
}

// Empty is the value of a rollup over no records: 0 for sum and count, none
// for min and max.
func (r *Rollup) Empty() any {
	if r.Agg == "min" || r.Agg == "max" {
		return nil
	}
	return r.Result.Kind.Zero(r.Result)
}

// Result is the resolved result: the stored values' type and scale.
func (rollupType) Result(f *Field) *Field {
	if r := RollupOf(f); r != nil {
		return r.Result
	}
	return nil
}

// Schema describes the result and what is aggregated; a field of the
// records aggregated that the reader may not see is not named.
func (rollupType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	r := RollupOf(f)
	if r == nil {
		return columnSchema(rollupType{}.Column(f))
	}
	s := SchemaOf(r.Result, shown)
	if r.Of != nil && !shown(r.Of) {
		s.Description = joinText(s.Description, fmt.Sprintf("Kept by the platform: an aggregate (%s) over %s records whose `%s` is this record.", r.Agg, r.Child.QualifiedName(), r.Via.Name))
		return s
	}
	what := "the number of"
	if r.Of != nil {
		what = fmt.Sprintf("the %s of `%s` over", r.Agg, r.Of.Name)
	}
	note := fmt.Sprintf("Kept by the platform: %s the %s records whose `%s` is this record", what, r.Child.QualifiedName(), r.Via.Name)
	if r.Where != "" {
		note += " and that match `" + r.Where + "`"
	}
	s.Description = joinText(s.Description, note+".")
	return s
}

// aggregable reports whether agg takes values described by vf: a sum
// takes quantities, min and max dates and instants too.
func aggregable(agg string, vf *Field) bool {
	switch agg {
	case "sum":
		return IsNumber(vf)
	case "min", "max":
		k := vf.Kind.Column(vf).Kind
		return IsNumber(vf) || k == ColumnDate || k == ColumnTimestamp
	}
	return false
}

// checkRollups resolves every rollup field: its child entity, the child's
// ref field pointing back, and the field aggregated, whose type gives the
// rollup's (so a rollup of a rollup resolves the inner one first). It runs
// after every entity's fields are set up and before any expression is
// compiled, since expressions see a rollup with its result type.
func checkRollups(p *Project, ps *Problems) {
	resolving, done := map[*Field]bool{}, map[*Field]bool{}
	var resolve func(f *Field, chain []string)
	resolve = func(f *Field, chain []string) {
		r, _ := f.Settings.(*Rollup)
		if r == nil {
			return
		}
		chain = append(chain, f.where())
		if resolving[f] {
			ps.Addf(f.At["field"], "field %s: rollup fields aggregate each other in a cycle: %s", f.where(), strings.Join(chain, " → "))
			return
		}
		if done[f] {
			return
		}
		done[f], resolving[f] = true, true
		defer delete(resolving, f)
		owner := f.Owner
		if f.Entity == "" || f.Via == "" {
			return
		}
		child := p.Entity(owner.App, f.Entity)
		if child == nil {
			ps.Addf(f.At["entity"], "field %s: entity %q does not exist%s", f.where(), f.Entity, entityHint(p, owner.App, f.Entity))
			return
		}
		via := child.Field(f.Via)
		switch {
		case via == nil:
			ps.Addf(f.At["via"], "field %s: via names %q, which is not a field of %s%s", f.where(), f.Via, child.Name, suggest(f.Via, fieldNames(child)))
			return
		case !via.Is(RecordRef):
			ps.Addf(f.At["via"], "field %s: via names %s field %s.%s; it must be a ref field of %s pointing at %s", f.where(), via.Type, child.Name, via.Name, child.Name, owner.Name)
			return
		case via.Target != owner:
			if via.Target != nil {
				ps.Addf(f.At["via"], "field %s: via names %s.%s, which points at %s, not at %s", f.where(), child.Name, via.Name, via.Target.Name, owner.Name)
			}
			return
		}
		var result *Field
		if r.Agg == "count" {
			result = &Field{Name: f.Name, Type: "int", Kind: LookupFieldType("int")}
		} else if slices.Contains(Aggregates, r.Agg) && f.Of != "" {
			of := child.Field(f.Of)
			if of == nil {
				ps.Addf(f.At["field"], "field %s: field %q is not a field of %s%s", f.where(), f.Of, child.Name, suggest(f.Of, fieldNames(child)))
				return
			}
			resolve(of, chain)
			if of.Kind == nil || (of.Computed() && of.ValueField() == of) {
				return
			}
			vf := of.ValueField()
			if !aggregable(r.Agg, vf) {
				ps.Addf(f.At["field"], "field %s: %s takes %s fields; %s.%s holds %s", f.where(), r.Agg, strings.Join(rollupAggregable[r.Agg], ", "), child.Name, of.Name, vf.Type)
				return
			}
			result = &Field{Name: f.Name, Type: vf.Type, Scale: vf.Scale, Kind: vf.Kind}
			r.Of = of
		} else {
			return
		}
		result.Owner = owner
		result.Kind.Setup(result, &Problems{})
		r.Child, r.Via, r.Result = child, via, result
	}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			for _, f := range e.Fields {
				resolve(f, nil)
			}
		}
	}
}

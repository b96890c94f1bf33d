package metamodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// computedType is a read-only value computed from the record's other fields on
// every write (Expr), and stored so that it can be listed, filtered and summed.
// Returns names the type of the result; it defaults to money.
type computedType struct{}

type computedSettings struct {
	result FieldType
	shadow *Field // a field of the result type, for its settings
}

func init() { RegisterFieldType(computedType{}) }

func (computedType) Name() string { return "computed" }

var computedResults = map[string]bool{"int": true, "decimal": true, "money": true, "string": true, "bool": true, "date": true}

func (computedType) Setup(f *Field, ps *Problems) {
	onlyKeys(f, ps, "expr", "returns", "scale", "freeze_on")
	if f.Expr == "" {
		ps.Addf(f.Pos, "field %s: a computed field needs expr", f.where())
	}
	ret := f.Returns
	if ret == "" {
		ret = "money"
	}
	if !computedResults[ret] {
		ps.Addf(f.At["returns"], "field %s: returns must be one of int, decimal, money, string, bool, date; got %q", f.where(), ret)
		ret = "money"
	}
	shadow := &Field{Name: f.Name, Type: ret, Scale: f.Scale, Kind: LookupFieldType(ret)}
	shadow.Kind.Setup(shadow, &Problems{})
	f.Settings = &computedSettings{result: shadow.Kind, shadow: shadow}
}

func settingsOf(f *Field) *computedSettings { return f.Settings.(*computedSettings) }

func (computedType) Column(f *Field) Column {
	s := settingsOf(f)
	return s.result.Column(s.shadow)
}

// Parse converts an evaluated result into the result type; a decimal result is
// rounded half away from zero to the result's scale (四舍五入).
func (computedType) Parse(f *Field, in any) (any, error) {
	s := settingsOf(f)
	if d, ok := in.(decimal.Decimal); ok {
		if col := s.result.Column(s.shadow); col.Kind == ColumnScaled {
			in = d.Round(int32(col.Scale))
		} else if col.Kind == ColumnInt {
			in = d.Round(0).IntPart()
		}
	}
	if n, ok := in.(int); ok {
		in = int64(n)
	}
	if n, ok := in.(float64); ok {
		return nil, fmt.Errorf("computed field %s gave a float (%v); use decimals", f.Name, n)
	}
	return s.result.Parse(s.shadow, in)
}

func (computedType) Validate(f *Field, v any) error { return nil }
func (computedType) JSON(f *Field, v any) any {
	s := settingsOf(f)
	return s.result.JSON(s.shadow, v)
}
func (computedType) Zero(f *Field) any {
	s := settingsOf(f)
	return s.result.Zero(s.shadow)
}

// ResultType is the type a computed field stores, or the field's own type.
func ResultType(f *Field) string {
	switch f.Type {
	case "computed":
		if f.Returns == "" {
			return "money"
		}
		return f.Returns
	case "rollup":
		if r := RollupOf(f); r != nil {
			return ResultType(r.Result)
		}
	}
	return f.Type
}

// checkFreezeOn checks that the events a computed field freezes at are
// events of its entity's workflow; it runs once workflows are bound.
func checkFreezeOn(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			for _, f := range e.Fields {
				if len(f.FreezeOn) == 0 || f.Type != "computed" {
					continue
				}
				if e.Workflow == nil {
					ps.Addf(f.At["freeze_on"], "field %s: freeze_on names workflow events, and entity %s has no workflow", f.where(), e.Name)
					continue
				}
				var events []string
				for _, t := range e.Workflow.Transitions {
					events = append(events, t.Event)
				}
				for i, ev := range f.FreezeOn {
					if !slices.Contains(events, ev) {
						ps.Addf(itemPos(f.At, "freeze_on", i), "field %s: freeze_on: %q is not an event of workflow %s (events: %s)%s", f.where(), ev, e.Workflow.Name, strings.Join(events, ", "), suggest(ev, events))
					}
				}
			}
		}
	}
}

// FrozenBy reports whether f keeps its value once one of events has fired.
func (f *Field) FrozenBy(events []string) bool {
	for _, ev := range f.FreezeOn {
		if slices.Contains(events, ev) {
			return true
		}
	}
	return false
}

package metamodel

import (
	"fmt"
	"reflect"
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
	OnlyKeys(f, ps, "expr", "returns", "scale", "freeze_on")
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

// settingsOf is f's parsed settings; nil before Setup.
func settingsOf(f *Field) *computedSettings {
	s, _ := f.Settings.(*computedSettings)
	return s
}

// Result is the field of the result type, with the scale given.
func (computedType) Result(f *Field) *Field {
	if s := settingsOf(f); s != nil {
		return s.shadow
	}
	return nil
}

// Traits are none of its own: what the values are is the result's
// (f.ValueField()); a computed text is neither searched nor cleared by "".
func (computedType) Traits(f *Field) Trait { return 0 }

func (computedType) Column(f *Field) Column {
	if s := settingsOf(f); s != nil {
		return s.result.Column(s.shadow)
	}
	return Column{Kind: ColumnScaled, Scale: 2}
}

// Parse converts an evaluated result into the result type; a decimal result is
// rounded half away from zero to the result's scale (四舍五入).
func (computedType) Parse(f *Field, in any) (any, error) {
	s := settingsOf(f)
	if s == nil {
		return nil, fmt.Errorf("computed field %s is not set up", f.Name)
	}
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
	if s := settingsOf(f); s != nil {
		return s.result.JSON(s.shadow, v)
	}
	return v
}

// AppendJSON is the result type's, when it has one.
func (computedType) AppendJSON(dst []byte, f *Field, v any) ([]byte, bool) {
	if s := settingsOf(f); s != nil {
		if a, ok := s.result.(JSONAppender); ok {
			return a.AppendJSON(dst, s.shadow, v)
		}
	}
	return dst, false
}

// Zero is the result type's; nil before Setup, so that an expression
// naming the field does not add a second problem.
func (computedType) Zero(f *Field) any {
	if s := settingsOf(f); s != nil {
		return s.result.Zero(s.shadow)
	}
	return nil
}

// ListFilter is the result type's: a computed amount is a range on every
// list, like an amount typed in.
func (computedType) ListFilter(f *Field) Filter {
	if s := settingsOf(f); s != nil {
		return FilterOf(s.shadow)
	}
	return Filter{Kind: "text"}
}

// Schema describes the result, and the expression when the reader may see
// every field it reads.
func (computedType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	s := settingsOf(f)
	if s == nil {
		return columnSchema(computedType{}.Column(f))
	}
	vs := SchemaOf(s.shadow, shown)
	note := "Computed by the platform on every write"
	if f.Expr != "" && readsOnlyShown(f, shown) {
		note += ": `" + f.Expr + "`"
	}
	vs.Description = joinText(vs.Description, note+".")
	return vs
}

// readsOnlyShown reports whether f's expression reads only fields shown.
func readsOnlyShown(f *Field, shown func(*Field) bool) bool {
	for _, name := range FieldsRead(f) {
		if g := f.Owner.Field(name); g != nil && !shown(g) {
			return false
		}
	}
	return true
}

// compile compiles the expression against its entity's environment and
// checks that it gives the result type.
func (computedType) compile(f *Field, env map[string]any, ps *Problems) {
	s := settingsOf(f)
	if s == nil || f.Expr == "" {
		return
	}
	prog, err := CompileValue(f.Expr, env)
	if err != nil {
		ps.Addf(f.At["expr"], "field %s: expr does not compile: %s", f.where(), exprError(err, env))
		return
	}
	want := reflect.TypeOf(s.result.Zero(s.shadow))
	if got := prog.Node().Type(); got != nil && got.Kind() != reflect.Interface && !compatible(got, want) {
		ps.Addf(f.At["expr"], "field %s: the expression gives %s, but the field returns %s (set returns:)", f.where(), typeName(got), ResultType(f))
	}
	f.Program = prog
}

// checkFreezeOn checks that the events a computed field freezes at are
// events of its entity's workflow; it runs once workflows are bound.
func checkFreezeOn(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			for _, f := range e.Fields {
				if len(f.FreezeOn) == 0 || settingsOf(f) == nil {
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

package metamodel

import (
	"fmt"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// refType refers to a record of another entity (in this app or another) by id.
// That the record exists is checked by the engine inside the write's transaction.
type refType struct{}

func init() { RegisterFieldType(refType{}) }

func (refType) Name() string { return "ref" }

func (refType) Setup(f *Field, ps *Problems) {
	OnlyKeys(f, ps, "entity")
	if f.Entity == "" {
		ps.Addf(f.Pos, "field %s: a ref field needs entity", f.where())
	}
}

// Resolve finds the entity the field refers to.
func (refType) Resolve(f *Field, p *Project, ps *Problems) {
	if f.Entity == "" || f.Owner == nil {
		return
	}
	f.Target = p.Entity(f.Owner.App, f.Entity)
	if f.Target == nil {
		ps.Addf(f.At["entity"], "field %s: entity %q does not exist%s", f.where(), f.Entity, entityHint(p, f.Owner.App, f.Entity))
	}
}

func (refType) Traits(f *Field) Trait  { return RecordRef | Identifier }
func (refType) Column(f *Field) Column { return Column{Kind: ColumnInt} }

func (refType) Parse(f *Field, in any) (any, error) {
	v, err := parseInt(in)
	if err != nil {
		return nil, inputErr(errcode.Type, "应为记录编号（整数）")
	}
	if v.(int64) <= 0 {
		return nil, inputErr(errcode.Type, "记录编号应为正整数")
	}
	return v, nil
}

func (refType) Validate(f *Field, v any) error { return nil }
func (refType) JSON(f *Field, v any) any       { return v }
func (refType) Zero(f *Field) any              { return 0 }

func (refType) FormInput(f *Field) Input   { return Input{Widget: "ref"} }
func (refType) ListFilter(f *Field) Filter { return Filter{Kind: "ref"} }

func (refType) ImportHint(f *Field, en bool) string {
	return pick(en, "所引用记录的编号", "The number of the record referred to")
}

// Schema is a positive id, with the entity and its API path.
func (refType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	one := int64(1)
	s := ValueSchema{Type: "integer", Format: "int64", Minimum: &one}
	if t := f.Target; t != nil && t.App != nil {
		s.Description = fmt.Sprintf("The id of a %s record (`%s`, /api/%s/%s/{id}).", t.Label(), t.QualifiedName(), t.App.Name, t.Name)
		s.RefEntity = t.QualifiedName()
	} else {
		s.Description = fmt.Sprintf("The id of a %s record.", f.Entity)
	}
	return s
}

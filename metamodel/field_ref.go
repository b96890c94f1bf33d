package metamodel

import "github.com/growth-gov/growth/metamodel/errcode"

// refType refers to a record of another entity (in this app or another) by id.
// That the record exists is checked by the engine inside the write's transaction.
type refType struct{}

func init() { RegisterFieldType(refType{}) }

func (refType) Name() string { return "ref" }

func (refType) Setup(f *Field, ps *Problems) {
	onlyKeys(f, ps, "entity")
	if f.Entity == "" {
		ps.Addf(f.Pos, "field %s: a ref field needs entity", f.where())
	}
}

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

package metamodel

import (
	"strings"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// enumType is one of a short fixed list of values, each with a label.
type enumType struct{}

func init() { RegisterFieldType(enumType{}) }

func (enumType) Name() string { return "enum" }

func (enumType) Setup(f *Field, ps *Problems) {
	onlyKeys(f, ps, "values")
	if len(f.Values) == 0 {
		ps.Addf(f.Pos, "field %s: an enum needs values", f.where())
	}
	seen := map[string]bool{}
	for _, v := range f.Values {
		if v.Value == "" {
			ps.Addf(v.Pos, "field %s: an enum value is empty", f.where())
		}
		if seen[v.Value] {
			ps.Addf(v.Pos, "field %s: enum value %q is listed twice", f.where(), v.Value)
		}
		seen[v.Value] = true
	}
}

func (enumType) Column(f *Field) Column {
	size := 1
	for _, v := range f.Values {
		size = max(size, len(v.Value))
	}
	return Column{Kind: ColumnText, Size: max(size, 32)}
}

func (enumType) Parse(f *Field, in any) (any, error) { return parseText(in) }

func (enumType) Validate(f *Field, v any) error {
	s := v.(string)
	var allowed []string
	for _, ev := range f.Values {
		if ev.Value == s {
			return nil
		}
		allowed = append(allowed, ev.Value)
	}
	return inputErr(errcode.Enum, "应为以下之一：%s", strings.Join(allowed, ", "))
}

func (enumType) JSON(f *Field, v any) any { return v }
func (enumType) Zero(f *Field) any        { return "" }

// EnumLabel returns the label of value in an enum field, or the value itself.
func EnumLabel(f *Field, value string) string {
	for _, ev := range f.Values {
		if ev.Value == value && ev.Label != "" {
			return ev.Label
		}
	}
	return value
}

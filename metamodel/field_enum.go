package metamodel

import (
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// enumType is one of a short fixed list of values, each with a label.
type enumType struct{}

func init() { RegisterFieldType(enumType{}) }

func (enumType) Name() string { return "enum" }

func (enumType) Setup(f *Field, ps *Problems) {
	OnlyKeys(f, ps, "values")
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
func (enumType) Traits(f *Field) Trait    { return Choice }

// Label is the value's label in the language asked (the Chinese one when
// it has no English one), or the value itself when it has none.
func (enumType) Label(f *Field, v string, en bool) (string, bool) {
	for _, ev := range f.Values {
		if ev.Value != v {
			continue
		}
		if en && ev.LabelEn != "" {
			return ev.LabelEn, true
		}
		if ev.Label != "" {
			return ev.Label, true
		}
	}
	return v, true
}

// EnumLabel returns the label of value in an enum field, or the value itself.
func EnumLabel(f *Field, value string) string {
	l, _ := enumType{}.Label(f, value, false)
	return l
}

func (enumType) FormInput(f *Field) Input   { return Input{Widget: "select"} }
func (enumType) ListFilter(f *Field) Filter { return Filter{Kind: "select"} }

// ImportHint lists the values with their labels.
func (t enumType) ImportHint(f *Field, en bool) string {
	var values []string
	for _, v := range f.Values {
		label, _ := t.Label(f, v.Value, en)
		values = append(values, v.Value+"（"+label+"）")
	}
	return fmt.Sprintf(pick(en, "可选值：%s", "One of: %s"), strings.Join(values, pick(en, "、", ", ")))
}

// Schema lists the values, and their labels in the description.
func (enumType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	s := ValueSchema{Type: "string"}
	var labels []string
	for _, v := range f.Values {
		s.Enum = append(s.Enum, v.Value)
		label := v.Label
		if v.LabelEn != "" {
			label = JoinNonEmpty(" / ", label, v.LabelEn)
		}
		if label != "" {
			labels = append(labels, fmt.Sprintf("`%s`: %s", v.Value, label))
		}
	}
	if len(labels) > 0 {
		s.Description = "Values: " + strings.Join(labels, "; ") + "."
	}
	return s
}

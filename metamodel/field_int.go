package metamodel

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// intType is a whole number (a year, a count, a month).
type intType struct{}

type intSettings struct {
	min, max *int64
}

func init() { RegisterFieldType(intType{}) }

func (intType) Name() string { return "int" }

func (intType) Setup(f *Field, ps *Problems) {
	OnlyKeys(f, ps, "min", "max")
	s := &intSettings{}
	for _, lim := range []struct {
		key, text string
		dst       **int64
	}{{"min", f.Min, &s.min}, {"max", f.Max, &s.max}} {
		if lim.text == "" {
			continue
		}
		n, err := strconv.ParseInt(lim.text, 10, 64)
		if err != nil {
			ps.Addf(f.At[lim.key], "field %s: %s must be a whole number, got %q", f.where(), lim.key, lim.text)
			continue
		}
		*lim.dst = &n
	}
	f.Settings = s
}

func (intType) Column(f *Field) Column { return Column{Kind: ColumnInt} }

func (intType) Parse(f *Field, in any) (any, error) { return parseInt(in) }

func parseInt(in any) (any, error) {
	switch v := in.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, inputErr(errcode.Type, "应为整数，收到 %s", v)
		}
		return n, nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return nil, inputErr(errcode.Type, "应为整数，收到 %v", v)
		}
		return int64(v), nil
	case int64:
		return v, nil
	case int:
		return int64(v), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, inputErr(errcode.Type, "应为整数，收到 %q", v)
		}
		return n, nil
	}
	return nil, inputErr(errcode.Type, "应为整数")
}

func (intType) Validate(f *Field, v any) error {
	n := v.(int64)
	s, _ := f.Settings.(*intSettings)
	if s == nil {
		return nil
	}
	if s.min != nil && n < *s.min {
		return inputErr(errcode.Min, "不能小于 %d", *s.min)
	}
	if s.max != nil && n > *s.max {
		return inputErr(errcode.Max, "不能大于 %d", *s.max)
	}
	return nil
}

func (intType) JSON(f *Field, v any) any { return v }
func (intType) Zero(f *Field) any        { return 0 }

// FormInput is a number input with the field's limits.
func (intType) FormInput(f *Field) Input { return Input{Widget: "int", Min: f.Min, Max: f.Max} }

func (intType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	s := ValueSchema{Type: "integer", Format: "int64"}
	if n, err := strconv.ParseInt(f.Min, 10, 64); err == nil {
		s.Minimum = &n
	}
	if n, err := strconv.ParseInt(f.Max, 10, 64); err == nil {
		s.Maximum = &n
	}
	return s
}

package metamodel

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// decimalType is an exact decimal with a fixed number of digits after the point
// (rates, quantities). moneyType below is the same with two digits.
type decimalType struct {
	name       string
	fixedScale int  // >0: the scale is fixed by the type (money)
	money      bool // amounts in yuan (money)
}

type decimalSettings struct {
	scale    int
	min, max *decimal.Decimal
}

// maxDecimalDigits keeps stored values inside int64 with room for sums of many rows.
var maxDecimalDigits = 15

func init() {
	RegisterFieldType(decimalType{name: "decimal"})
}

func (t decimalType) Name() string { return t.name }

func (t decimalType) Setup(f *Field, ps *Problems) {
	s := &decimalSettings{scale: f.Scale}
	if t.fixedScale > 0 {
		OnlyKeys(f, ps, "min", "max")
		s.scale = t.fixedScale
	} else {
		OnlyKeys(f, ps, "min", "max", "scale")
		if f.Scale < 0 || f.Scale > 8 {
			ps.Addf(f.At["scale"], "field %s: scale must be between 0 and 8", f.where())
		}
	}
	for _, lim := range []struct {
		key, text string
		dst       **decimal.Decimal
	}{{"min", f.Min, &s.min}, {"max", f.Max, &s.max}} {
		if lim.text == "" {
			continue
		}
		d, err := decimal.NewFromString(lim.text)
		if err != nil {
			ps.Addf(f.At[lim.key], "field %s: %s must be a number, got %q", f.where(), lim.key, lim.text)
			continue
		}
		if !d.Equal(d.Truncate(int32(s.scale))) {
			ps.Addf(f.At[lim.key], "field %s: %s %s has more decimals than the field keeps (%d); write it with at most %d", f.where(), lim.key, lim.text, s.scale, s.scale)
			continue
		}
		*lim.dst = &d
	}
	f.Settings = s
}

func (t decimalType) scale(f *Field) int {
	if t.fixedScale > 0 {
		return t.fixedScale
	}
	return f.Scale
}

func (t decimalType) Column(f *Field) Column { return Column{Kind: ColumnScaled, Scale: t.scale(f)} }

func (t decimalType) Traits(f *Field) Trait {
	if t.money {
		return Money
	}
	return 0
}

// Parse accepts a decimal written as a string ("1234.56", thousands separators
// allowed) or a JSON integer. A JSON number with a fraction is refused: it has
// already passed through a binary float in the client and may not be exact.
func (t decimalType) Parse(f *Field, in any) (any, error) {
	var text string
	switch v := in.(type) {
	case string:
		text = strings.ReplaceAll(strings.TrimSpace(v), ",", "")
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return nil, inputErr(errcode.Type, "金额和小数请以字符串传送，如 \"1234.56\"")
		}
		text = string(v)
	case float64:
		return nil, inputErr(errcode.Type, "金额和小数请以字符串传送，如 \"1234.56\"")
	case decimal.Decimal:
		text = v.String()
	case int64:
		return decimal.NewFromInt(v), nil
	default:
		return nil, inputErr(errcode.Type, "应为数字")
	}
	if text == "" {
		return nil, inputErr(errcode.Type, "应为数字")
	}
	for i, r := range text {
		if !(r >= '0' && r <= '9' || r == '.' || (i == 0 && (r == '-' || r == '+'))) {
			return nil, inputErr(errcode.Type, "%q 不是有效的数字", text)
		}
	}
	d, err := decimal.NewFromString(text)
	if err != nil {
		return nil, inputErr(errcode.Type, "%q 不是有效的数字", text)
	}
	scale := t.scale(f)
	if -d.Exponent() > int32(scale) && !d.Equal(d.Truncate(int32(scale))) {
		return nil, inputErr(errcode.Scale, "最多 %d 位小数", scale)
	}
	if len(d.Truncate(0).Abs().String()) > maxDecimalDigits-scale {
		return nil, inputErr(errcode.Range, "数值过大")
	}
	return d.Truncate(int32(scale)), nil
}

func (t decimalType) Validate(f *Field, v any) error {
	d := v.(decimal.Decimal)
	s, _ := f.Settings.(*decimalSettings)
	if s == nil {
		return nil
	}
	if s.min != nil && d.LessThan(*s.min) {
		return inputErr(errcode.Min, "不能小于 %s", s.min.StringFixed(int32(s.scale)))
	}
	if s.max != nil && d.GreaterThan(*s.max) {
		return inputErr(errcode.Max, "不能大于 %s", s.max.StringFixed(int32(s.scale)))
	}
	return nil
}

func (t decimalType) JSON(f *Field, v any) any {
	return v.(decimal.Decimal).StringFixed(int32(t.scale(f)))
}

// AppendJSON writes JSON(f, v) for a value with the field's scale whose
// digits fit an int64 (every value read from the database): "-1234.50",
// quoted, without big.Int arithmetic.
func (t decimalType) AppendJSON(dst []byte, f *Field, v any) ([]byte, bool) {
	d, ok := v.(decimal.Decimal)
	scale := t.scale(f)
	if !ok || d.Exponent() != -int32(scale) || d.NumDigits() > 18 {
		return dst, false
	}
	n := d.CoefficientInt64()
	dst = append(dst, '"')
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var digits [20]byte
	text := strconv.AppendInt(digits[:0], n, 10)
	if scale > 0 {
		if len(text) <= scale { // 0.05: zeros before the digits
			dst = append(dst, '0', '.')
			for range scale - len(text) {
				dst = append(dst, '0')
			}
			dst = append(dst, text...)
		} else {
			dst = append(dst, text[:len(text)-scale]...)
			dst = append(dst, '.')
			dst = append(dst, text[len(text)-scale:]...)
		}
	} else {
		dst = append(dst, text...)
	}
	return append(dst, '"'), true
}

func (t decimalType) Zero(f *Field) any { return decimal.Zero }

// FormInput is an amount input (money, spelt in words as it is typed) or a
// decimal one, taking the field's decimals.
func (t decimalType) FormInput(f *Field) Input {
	if t.money {
		return Input{Widget: "money", Scale: t.scale(f)}
	}
	return Input{Widget: "decimal", Scale: t.scale(f)}
}

// ListFilter is a range; lists offer one on every amount.
func (t decimalType) ListFilter(f *Field) Filter { return Filter{Kind: "range", Always: t.money} }

func (t decimalType) ImportHint(f *Field, en bool) string {
	if t.money {
		return pick(en, "金额，最多两位小数，如 1234.56", "An amount, at most two decimals, e.g. 1234.56")
	}
	return columnHint(t.Column(f), en)
}

// Schema is an exact decimal string; its limits cannot be JSON Schema
// keywords on a string, so they go in the description.
func (t decimalType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	s := DecimalSchema(t.scale(f))
	var limits []string
	if f.Min != "" {
		limits = append(limits, "at least "+f.Min)
	}
	if f.Max != "" {
		limits = append(limits, "at most "+f.Max)
	}
	if len(limits) > 0 {
		s.Description += "; " + strings.Join(limits, ", ")
	}
	return s
}

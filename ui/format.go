package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// How values look: in lists and on record pages money has thousands
// separators and its two decimals, codes show their names, enums their
// labels (metamodel.ValueLabel), a field type that writes its values its own
// way does (metamodel.Displayer); in inputs values are written so that the
// field type parses them back exactly (the same Parse the API uses).

// GroupDigits writes d with thousands separators and exactly scale decimals:
// 1234567.8 → "1,234,567.80". It works on the decimal's text, never on a float.
func GroupDigits(d decimal.Decimal, scale int32) string {
	text := d.StringFixed(scale)
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimPrefix(text, "-")
	whole, frac, _ := strings.Cut(text, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// scaleOf is the number of decimals a decimal-valued field shows.
func scaleOf(f *metamodel.Field, d decimal.Decimal) int32 {
	if c := f.Kind.Column(f); c.Kind == metamodel.ColumnScaled {
		return int32(c.Scale)
	}
	if e := -d.Exponent(); e > 0 {
		return e
	}
	return 0
}

// isMoney reports whether f holds an amount of money (or computes one).
func isMoney(f *metamodel.Field) bool { return f.ValueField().Is(metamodel.Money) }

// isNumeric reports whether f's values are right-aligned numbers.
func isNumeric(f *metamodel.Field) bool { return metamodel.IsNumber(f) }

// isDate reports whether f's values are calendar dates.
func isDate(f *metamodel.Field) bool { return f.Kind.Column(f).Kind == metamodel.ColumnDate }

// display renders a canonical value for reading, in l, with times in loc.
func display(l Lang, f *metamodel.Field, v any, loc *time.Location) string {
	if v == nil {
		return ""
	}
	if vf := f.ValueField(); vf.Kind != nil {
		if d, ok := vf.Kind.(metamodel.Displayer); ok {
			return d.Display(vf, v, l == English, loc)
		}
	}
	switch x := v.(type) {
	case decimal.Decimal:
		return GroupDigits(x, scaleOf(f, x))
	case int64:
		if f.Is(metamodel.RecordRef) {
			return "#" + strconv.FormatInt(x, 10)
		}
		return strconv.FormatInt(x, 10)
	case bool:
		if x {
			return l.T("form.yes")
		}
		return l.T("form.no")
	case time.Time:
		if isDate(f) {
			return x.Format(time.DateOnly)
		}
		return x.In(loc).Format("2006-01-02 15:04")
	case string:
		if label, ok := metamodel.ValueLabel(f, x, l == English); ok {
			return label
		}
		return x
	}
	return ""
}

// inputValue renders a canonical value the way its input holds it, so that
// posting the form unchanged parses back to the same value.
func inputValue(f *metamodel.Field, v any, loc *time.Location) string {
	if v == nil {
		return ""
	}
	switch x := v.(type) {
	case decimal.Decimal:
		return GroupDigits(x, scaleOf(f, x))
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if isDate(f) {
			return x.Format(time.DateOnly)
		}
		return x.In(loc).Format("2006-01-02T15:04")
	case string:
		return x
	}
	return ""
}

// defaultValue is f's default as a canonical value, or nil: the value the
// engine fills in.
func defaultValue(f *metamodel.Field) any {
	v, _ := metamodel.DefaultValue(f)
	return v
}

// chineseDigits and chineseUnits spell amounts the way cheques and vouchers do.
var (
	chineseDigits = []string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	chineseUnits  = []string{"", "拾", "佰", "仟"}
	chineseGroups = []string{"", "万", "亿", "万亿"}
)

// AmountInWords spells an amount in Chinese capital numerals (大写金额), as on
// a voucher or a cheque: 1234.56 → 壹仟贰佰叁拾肆元伍角陆分; 100 → 壹佰元整.
func AmountInWords(d decimal.Decimal) string {
	if d.IsZero() {
		return "零元整"
	}
	prefix := ""
	if d.IsNegative() {
		prefix, d = "负", d.Neg()
	}
	text := d.StringFixed(2)
	whole, frac, _ := strings.Cut(text, ".")
	var b strings.Builder
	b.WriteString(prefix)
	if whole != "0" {
		// Groups of four digits from the right: 万, 亿.
		var groups []string
		for len(whole) > 4 {
			groups = append([]string{whole[len(whole)-4:]}, groups...)
			whole = whole[:len(whole)-4]
		}
		groups = append([]string{whole}, groups...)
		zero := false
		for gi, g := range groups {
			level := len(groups) - 1 - gi
			groupHasDigit := false
			for i, c := range g {
				digit := int(c - '0')
				unit := len(g) - 1 - i
				if digit == 0 {
					zero = true
					continue
				}
				if zero && b.Len() > len(prefix) {
					b.WriteString("零")
				}
				zero = false
				b.WriteString(chineseDigits[digit])
				b.WriteString(chineseUnits[unit])
				groupHasDigit = true
			}
			if groupHasDigit && level < len(chineseGroups) {
				b.WriteString(chineseGroups[level])
			}
		}
		b.WriteString("元")
	}
	jiao, fen := int(frac[0]-'0'), int(frac[1]-'0')
	switch {
	case jiao == 0 && fen == 0:
		b.WriteString("整")
	case fen == 0:
		b.WriteString(chineseDigits[jiao] + "角整")
	case jiao == 0:
		if b.Len() > len(prefix) {
			b.WriteString("零")
		}
		b.WriteString(chineseDigits[fen] + "分")
	default:
		b.WriteString(chineseDigits[jiao] + "角" + chineseDigits[fen] + "分")
	}
	return b.String()
}

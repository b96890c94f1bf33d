package ui_test

import (
	"testing"

	"github.com/growth-gov/growth/ui"
	"github.com/shopspring/decimal"
)

func TestGroupDigits(t *testing.T) {
	scenarios := []struct {
		in    string
		scale int32
		want  string
	}{
		{"0", 2, "0.00"},
		{"1234567.89", 2, "1,234,567.89"},
		{"-1234567.8", 2, "-1,234,567.80"},
		{"999", 2, "999.00"},
		{"1000", 0, "1,000"},
		{"9999999999999.99", 2, "9,999,999,999,999.99"},
		{"0.125", 3, "0.125"},
	}
	for _, sc := range scenarios {
		if got := ui.GroupDigits(decimal.RequireFromString(sc.in), sc.scale); got != sc.want {
			t.Errorf("GroupDigits(%s, %d) = %q, want %q", sc.in, sc.scale, got, sc.want)
		}
	}
}

// Amounts in words as printed on payment vouchers (大写金额).
func TestAmountInWords(t *testing.T) {
	scenarios := []struct{ in, want string }{
		{"0", "零元整"},
		{"0.05", "伍分"},
		{"0.50", "伍角整"},
		{"1", "壹元整"},
		{"10", "壹拾元整"},
		{"100.01", "壹佰元零壹分"},
		{"1001.10", "壹仟零壹元壹角整"},
		{"1234.56", "壹仟贰佰叁拾肆元伍角陆分"},
		{"100000", "壹拾万元整"},
		{"100010", "壹拾万零壹拾元整"},
		{"1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"},
		{"100000000", "壹亿元整"},
		{"100000001", "壹亿零壹元整"},
		{"-20.30", "负贰拾元叁角整"},
		{"100.00", "壹佰元整"},
		{"1005.05", "壹仟零伍元零伍分"},
		{"10000.10", "壹万元壹角整"},
		{"100000000.00", "壹亿元整"},
		{"1000010000", "壹拾亿零壹万元整"},
		{"20000000.08", "贰仟万元零捌分"},
		{"0.10", "壹角整"},
	}
	for _, sc := range scenarios {
		if got := ui.AmountInWords(decimal.RequireFromString(sc.in)); got != sc.want {
			t.Errorf("AmountInWords(%s) = %s, want %s", sc.in, got, sc.want)
		}
	}
}

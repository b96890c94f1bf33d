package metamodel

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// setupField builds a field of type typ with the settings edit gives it, the
// way the checker does, and fails the test if the settings are refused.
func setupField(t *testing.T, typ string, edit func(f *Field)) *Field {
	t.Helper()
	f := &Field{Name: "f", Type: typ, Kind: LookupFieldType(typ)}
	if f.Kind == nil {
		t.Fatalf("no field type %q", typ)
	}
	if edit != nil {
		edit(f)
	}
	ps := &Problems{}
	f.Kind.Setup(f, ps)
	if err := ps.Err(); err != nil {
		t.Fatalf("settings refused: %v", err)
	}
	return f
}

// TestFieldParseValidate feeds each field type the inputs clients send (JSON
// values, form and CSV strings) and checks the canonical value as the API
// renders it, or the stable error code.
func TestFieldParseValidate(t *testing.T) {
	maxLen3 := func(f *Field) { f.MaxLength = 3 }
	pattern := func(f *Field) { f.Pattern = `[0-9]{3}` }
	limits := func(f *Field) { f.Min, f.Max = "1", "12" }
	moneyLimits := func(f *Field) { f.Min, f.Max = "0", "1000000" }
	scale4 := func(f *Field) { f.Scale = 4 }
	enumAB := func(f *Field) { f.Values = []*EnumValue{{Value: "a", Label: "甲"}, {Value: "b"}} }
	scenarios := []struct {
		name     string
		typ      string
		edit     func(f *Field)
		in       any
		want     any    // the value as JSON renders it, when no error is expected
		wantCode string // the InputError code expected
	}{
		{"money string", "money", nil, "1234.56", "1234.56", ""},
		{"money whole string", "money", nil, "100", "100.00", ""},
		{"money trailing zero beyond scale", "money", nil, "12.340", "12.34", ""},
		{"money negative", "money", nil, "-0.01", "-0.01", ""},
		{"money three decimals", "money", nil, "12.345", nil, "scale"},
		{"money float64 from JSON", "money", nil, 12.5, nil, "type"},
		{"money JSON integer", "money", nil, json.Number("100"), "100.00", ""},
		{"money JSON number with fraction", "money", nil, json.Number("100.5"), nil, "type"},
		{"money thousands separators", "money", nil, "1,234.50", "1234.50", ""},
		{"money blanks around", "money", nil, " 7.1 ", "7.10", ""},
		{"money letters", "money", nil, "abc", nil, "type"},
		{"money exponent", "money", nil, "1e3", nil, "type"},
		{"money empty", "money", nil, "", nil, "type"},
		{"money bool", "money", nil, true, nil, "type"},
		{"money huge", "money", nil, "12345678901234567890", nil, "range"},
		{"money largest", "money", nil, "9999999999999.99", "9999999999999.99", ""},
		{"money one digit too many", "money", nil, "99999999999999.99", nil, "range"},
		{"money below min", "money", moneyLimits, "-0.01", nil, "min"},
		{"money above max", "money", moneyLimits, "1000000.01", nil, "max"},
		{"money at max", "money", moneyLimits, "1000000", "1000000.00", ""},
		{"decimal scale 4", "decimal", scale4, "0.0325", "0.0325", ""},
		{"decimal scale 4 too fine", "decimal", scale4, "0.03251", nil, "scale"},
		{"decimal scale 0", "decimal", nil, "3", "3", ""},
		{"decimal scale 0 fraction", "decimal", nil, "3.5", nil, "scale"},

		{"int string", "int", nil, "2026", int64(2026), ""},
		{"int JSON number", "int", nil, json.Number("42"), int64(42), ""},
		{"int whole float64", "int", nil, float64(42), int64(42), ""},
		{"int fraction float64", "int", nil, 42.5, nil, "type"},
		{"int JSON fraction", "int", nil, json.Number("1.5"), nil, "type"},
		{"int letters", "int", nil, "4x", nil, "type"},
		{"int bool", "int", nil, false, nil, "type"},
		{"int below min", "int", limits, "0", nil, "min"},
		{"int above max", "int", limits, "13", nil, "max"},
		{"int in range", "int", limits, "12", int64(12), ""},

		{"date", "date", nil, "2026-01-31", "2026-01-31", ""},
		{"date leap day", "date", nil, "2024-02-29", "2024-02-29", ""},
		{"date not a day", "date", nil, "2026-02-30", nil, "type"},
		{"date slashes", "date", nil, "2026/01/31", nil, "type"},
		{"date time of day dropped", "date", nil, time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC), "2026-03-04", ""},
		{"date number", "date", nil, json.Number("20260131"), nil, "type"},
		{"datetime to UTC", "datetime", nil, "2026-01-02T15:04:05+08:00", "2026-01-02T07:04:05Z", ""},
		{"datetime without zone", "datetime", nil, "2026-01-02 15:04:05", nil, "type"},

		{"enum listed", "enum", enumAB, "a", "a", ""},
		{"enum not listed", "enum", enumAB, "z", nil, "enum"},
		{"enum number", "enum", enumAB, json.Number("1"), nil, "type"},

		{"string max_length in characters", "string", maxLen3, "三个字", "三个字", ""},
		{"string one character too many", "string", maxLen3, "四个字儿", nil, "too_long"},
		{"string default limit 255", "string", nil, strings.Repeat("字", 255), strings.Repeat("字", 255), ""},
		{"string over default limit", "string", nil, strings.Repeat("a", 256), nil, "too_long"},
		{"string pattern match", "string", pattern, "123", "123", ""},
		{"string pattern mismatch", "string", pattern, "12a", nil, "pattern"},
		{"string pattern is anchored", "string", pattern, "1234", nil, "pattern"},
		{"string number", "string", nil, json.Number("12"), nil, "type"},
		{"string invalid UTF-8", "string", nil, "\xff", nil, "type"},
		{"text long", "text", nil, strings.Repeat("字", maxTextRunes), strings.Repeat("字", maxTextRunes), ""},
		{"text too long", "text", nil, strings.Repeat("a", maxTextRunes+1), nil, "too_long"},

		{"bool JSON", "bool", nil, true, true, ""},
		{"bool form 是", "bool", nil, "是", true, ""},
		{"bool CSV 0", "bool", nil, "0", false, ""},
		{"bool other", "bool", nil, "maybe", nil, "type"},

		{"ref id", "ref", func(f *Field) { f.Entity = "x" }, json.Number("7"), int64(7), ""},
		{"ref zero", "ref", func(f *Field) { f.Entity = "x" }, "0", nil, "type"},
		{"ref text", "ref", func(f *Field) { f.Entity = "x" }, "abc", nil, "type"},
		{"code text", "code", func(f *Field) { f.CodeSet = "x" }, "205", "205", ""},
		{"code number", "code", func(f *Field) { f.CodeSet = "x" }, json.Number("205"), nil, "type"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := setupField(t, sc.typ, sc.edit)
			v, err := f.Kind.Parse(f, sc.in)
			if err == nil {
				err = f.Kind.Validate(f, v)
			}
			if sc.wantCode != "" {
				if err == nil {
					t.Fatalf("want error %q, got value %v", sc.wantCode, v)
				}
				if ie := AsInputError(err); string(ie.Code) != sc.wantCode || ie.Message == "" {
					t.Fatalf("want error code %q, got %q (%s)", sc.wantCode, ie.Code, ie.Message)
				}
				return
			}
			if err != nil {
				t.Fatalf("want %v, got error %v", sc.want, err)
			}
			if got := f.Kind.JSON(f, v); got != sc.want {
				t.Fatalf("want %#v, got %#v", sc.want, got)
			}
		})
	}
}

// TestMoneyIsExact checks that money parses to an exact decimal, never a float.
func TestMoneyIsExact(t *testing.T) {
	f := setupField(t, "money", nil)
	a, err := f.Kind.Parse(f, "0.1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Kind.Parse(f, "0.2")
	if err != nil {
		t.Fatal(err)
	}
	sum := a.(decimal.Decimal).Add(b.(decimal.Decimal))
	if !sum.Equal(decimal.RequireFromString("0.3")) {
		t.Fatalf("0.1 + 0.2 = %s", sum)
	}
	if col := f.Kind.Column(f); col.Kind != ColumnScaled || col.Scale != 2 {
		t.Fatalf("money is stored as %+v, want scaled with 2 digits", col)
	}
}

// TestFieldSettings checks the settings each field type refuses at load.
func TestFieldSettings(t *testing.T) {
	scenarios := []struct {
		name string
		typ  string
		edit func(f *Field)
		want string
	}{
		{"string bad pattern", "string", func(f *Field) { f.Pattern = "[0-9" }, "pattern does not compile"},
		{"string negative max_length", "string", func(f *Field) { f.MaxLength = -1 }, "max_length must be positive"},
		{"int min not whole", "int", func(f *Field) { f.Min = "1.5" }, "min must be a whole number"},
		{"money max not a number", "money", func(f *Field) { f.Max = "lots" }, "max must be a number"},
		{"decimal scale too large", "decimal", func(f *Field) { f.Scale = 9 }, "scale must be between 0 and 8"},
		{"enum without values", "enum", nil, "an enum needs values"},
		{"enum value twice", "enum", func(f *Field) { f.Values = []*EnumValue{{Value: "a"}, {Value: "a"}} }, `enum value "a" is listed twice`},
		{"code without codeset", "code", nil, "a code field needs codeset"},
		{"ref without entity", "ref", nil, "a ref field needs entity"},
		{"computed without expr", "computed", nil, "a computed field needs expr"},
		{"computed bad returns", "computed", func(f *Field) { f.Expr = "1"; f.Returns = "text" }, "returns must be one of"},
		{"key of another type", "money", func(f *Field) { f.At = map[string]Pos{"max_length": {}} }, `key "max_length" does not apply to type money`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := &Field{Name: "f", Type: sc.typ, Kind: LookupFieldType(sc.typ)}
			if sc.edit != nil {
				sc.edit(f)
			}
			ps := &Problems{}
			f.Kind.Setup(f, ps)
			err := ps.Err()
			if err == nil || !strings.Contains(err.Error(), sc.want) {
				t.Fatalf("want a problem containing %q, got %v", sc.want, err)
			}
		})
	}
}

// TestFieldTypeNames checks the registry lists every built-in type once.
func TestFieldTypeNames(t *testing.T) {
	got := strings.Join(FieldTypeNames(), " ")
	want := "bool code computed date datetime decimal enum file int money ref rollup string text"
	if got != want {
		t.Fatalf("field types %q, want %q", got, want)
	}
}

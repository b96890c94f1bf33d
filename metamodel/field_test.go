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

// TestFieldTypesAnswer checks what each built-in type answers the layers
// above, which ask instead of naming types: its traits, whether it is a
// quantity or computed, its form input, its list filter, its import hint.
func TestFieldTypesAnswer(t *testing.T) {
	p, err := loadText(t, `app: app1
codesets:
  fund: {title: 资金性质, codes: [{code: "1", name: 一般公共预算}]}
entities:
  party:
    fields:
      name: string
  line:
    fields:
      plan: {type: ref, entity: plan}
      net:  money
  plan:
    fields:
      name:   {type: string, max_length: 40, pattern: "[A-Z]+"}
      note:   text
      year:   {type: int, min: "2000", max: "2100"}
      rate:   {type: decimal, scale: 4}
      amount: money
      due:    date
      at:     datetime
      urgent: bool
      kind:   {type: enum, values: [{value: a, label: 甲, label_en: A}]}
      fund:   {type: code, codeset: fund}
      party:  {type: ref, entity: party}
      scan:   file
      fee:    {type: computed, expr: "amount"}
      day:    {type: computed, returns: date, expr: "due"}
      total:  {type: rollup, entity: line, via: plan, field: net, agg: sum}
      lines:  {type: rollup, entity: line, via: plan, agg: count}
`)
	if err != nil {
		t.Fatal(err)
	}
	e := p.App("app1").Entity("plan")
	scenarios := []struct {
		field    string
		traits   Trait
		number   bool
		computed bool
		input    Input
		filter   Filter
		hint     string
	}{
		{"name", Textual | Searchable, false, false, Input{Widget: "text", MaxLength: 40, Pattern: "[A-Z]+"}, Filter{Kind: "text"}, ""},
		{"note", Textual | LongText | Searchable, false, false, Input{Widget: "textarea"}, Filter{Kind: "text"}, ""},
		{"year", 0, true, false, Input{Widget: "int", Min: "2000", Max: "2100"}, Filter{Kind: "number"}, "A whole number"},
		{"rate", 0, true, false, Input{Widget: "decimal", Scale: 4}, Filter{Kind: "range"}, "A number with at most 4 decimals"},
		{"amount", Money, true, false, Input{Widget: "money", Scale: 2}, Filter{Kind: "range", Always: true}, "An amount, at most two decimals, e.g. 1234.56"},
		{"due", 0, false, false, Input{Widget: "date"}, Filter{Kind: "daterange", Always: true}, "A date, e.g. 2026-03-31"},
		{"at", 0, false, false, Input{Widget: "datetime"}, Filter{Kind: "daterange"}, "A date and time, e.g. 2026-03-31T09:30:00+08:00"},
		{"urgent", 0, false, false, Input{Widget: "bool"}, Filter{Kind: "bool"}, "yes/no (true/false, 1/0)"},
		{"kind", Choice, false, false, Input{Widget: "select"}, Filter{Kind: "select"}, "One of: a（A）"},
		{"fund", CodeRef | Searchable, false, false, Input{Widget: "code"}, Filter{Kind: "code"}, "A code of the code set 资金性质"},
		{"party", RecordRef | Identifier, false, false, Input{Widget: "ref"}, Filter{Kind: "ref"}, "The number of the record referred to"},
		{"scan", Attachment | Identifier, false, false, Input{Widget: "file"}, Filter{Kind: "number"}, "A whole number"},
		{"fee", 0, true, true, Input{Widget: "decimal", Scale: 2}, Filter{Kind: "range", Always: true}, "A number with at most 2 decimals"},
		{"day", 0, false, true, Input{Widget: "date"}, Filter{Kind: "daterange", Always: true}, "A date, e.g. 2026-03-31"},
		{"total", 0, true, true, Input{Widget: "decimal", Scale: 2}, Filter{Kind: "range"}, "A number with at most 2 decimals"},
		{"lines", 0, true, true, Input{Widget: "int"}, Filter{Kind: "number"}, "A whole number"},
	}
	for _, sc := range scenarios {
		t.Run(sc.field, func(t *testing.T) {
			f := e.Field(sc.field)
			if got := traitsOf(f); got != sc.traits {
				t.Errorf("traits %b, want %b", got, sc.traits)
			}
			if IsNumber(f) != sc.number || f.Computed() != sc.computed {
				t.Errorf("number %v computed %v, want %v %v", IsNumber(f), f.Computed(), sc.number, sc.computed)
			}
			if got := InputOf(f); got != sc.input {
				t.Errorf("input %+v, want %+v", got, sc.input)
			}
			if got := FilterOf(f); got != sc.filter {
				t.Errorf("filter %+v, want %+v", got, sc.filter)
			}
			if got := ImportHintOf(f, true); got != sc.hint {
				t.Errorf("import hint %q, want %q", got, sc.hint)
			}
		})
	}
	if money := e.Field("fee").ValueField(); !money.Is(Money) || ResultType(e.Field("total")) != "money" {
		t.Error("a computed or rollup amount does not hold money")
	}
	if l, ok := ValueLabel(e.Field("kind"), "a", false); l != "甲" || !ok {
		t.Errorf("enum label %q %v", l, ok)
	}
	if l, ok := ValueLabel(e.Field("fund"), "1", true); l != "一般公共预算" || !ok {
		t.Errorf("code label %q %v", l, ok)
	}
	if _, ok := ValueLabel(e.Field("fund"), "9", false); ok {
		t.Error("an unknown code has a label")
	}
}

package engine_test

import (
	"context"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

// TestCodeAttrTypedByYear: a money attribute of a code is a decimal in
// expressions (no dec(float(…))), and the value in force in the record's
// year is the one used: 45.50 × 3 in 2026, 50.00 × 3 from 2027.
func TestCodeAttrTypedByYear(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"fee/app.yaml": `
app: fee
codesets:
  item:
    title: 收入项目
    levels: [2, 2]
    attributes:
      rate:   {title: 征收标准, type: money}
      months: {title: 缴款期限（月）, type: int}
      waived: {title: 免征, type: bool}
    codes:
      - {code: "01", name: 行政事业性收费}
      - {code: "0101", name: 证照工本费, parent: "01", attrs: {rate: "45.50", months: "1"}, attrs_from: {2027: {rate: "50.00"}, 2029: {months: "2"}}}
      - {code: "0102", name: 免征项目, parent: "01", attrs: {rate: "10.00", waived: "true"}}
entities:
  notice:
    year_field: year
    fields:
      year:   {type: int, required: true}
      item:   {type: code, codeset: item, leaf_only: true, required: true}
      qty:    {type: int, required: true}
      amount: {type: computed, expr: 'code_attr("item", item, "rate", year) * qty'}
      months: {type: computed, returns: int, expr: 'code_attr("item", item, "months", year) + 0'}
    rules:
      - assert: '!code_attr("item", item, "waived")'
        message: 该项目免征
        fields: [item]
`})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		for _, c := range []struct {
			year   int
			amount string
			months int64
		}{{2026, "136.5", 1}, {2027, "150", 1}, {2030, "150", 2}} {
			rec, err := rt.Create(ctx, engine.SystemActor, "fee", "notice", map[string]any{"year": c.year, "item": "0101", "qty": 3})
			if err != nil {
				t.Fatalf("%d: %v", c.year, err)
			}
			if got := rec.Values["amount"].(decimal.Decimal); got.String() != c.amount {
				t.Errorf("%d: amount %s, want %s", c.year, got, c.amount)
			}
			if got := rec.Values["months"]; got != c.months {
				t.Errorf("%d: months %v, want %d", c.year, got, c.months)
			}
		}
		if _, err := rt.Create(ctx, engine.SystemActor, "fee", "notice", map[string]any{"year": 2026, "item": "0102", "qty": 1}); err == nil {
			t.Error("a waived item was accepted: the bool attribute did not read as true")
		}
	})
}

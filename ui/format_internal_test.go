package ui

import (
	"testing"
	"time"

	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

// Rollups and computed fields show like the type they hold: a summed amount
// is money with thousands separators and two decimals, a count a number.
func TestDisplayOfDerivedFields(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"d/app.yaml": `
app: d
title: 派生
entities:
  batch:
    fields:
      total: {type: rollup, entity: line, via: batch, field: amount, agg: sum}
      lines: {type: rollup, entity: line, via: batch, agg: count}
      half:  {type: computed, expr: "total / 2"}
      rate:  {type: computed, returns: decimal, scale: 3, expr: "total / 3"}
  line:
    fields:
      batch:  {type: ref, entity: batch}
      amount: money
`})
	e := p.App("d").Entity("batch")
	scenarios := []struct {
		field   string
		value   any
		want    string
		money   bool
		numeric bool
	}{
		{"total", decimal.RequireFromString("1234567.8"), "1,234,567.80", true, true},
		{"lines", int64(1200), "1200", false, true},
		{"half", decimal.RequireFromString("617283.9"), "617,283.90", true, true},
		{"rate", decimal.RequireFromString("411522.6"), "411,522.600", false, true},
	}
	for _, sc := range scenarios {
		f := e.Field(sc.field)
		if got := display(Chinese, f, sc.value, time.UTC); got != sc.want {
			t.Errorf("%s: %q, want %q", sc.field, got, sc.want)
		}
		if isMoney(f) != sc.money || isNumeric(f) != sc.numeric {
			t.Errorf("%s: money %v numeric %v", sc.field, isMoney(f), isNumeric(f))
		}
	}
}

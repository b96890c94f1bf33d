package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

var reportDefs = map[string]string{"rep/app.yaml": `
app: rep
title: 报表测试
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
      - {code: "102", name: 教育厅}
      - {code: "102001", name: 教育厅本级, parent: "102"}
entities:
  budget:
    title: 额度
    fields:
      year:   {type: int, required: true}
      agency: {type: code, codeset: org, required: true}
      amount: {type: money, required: true}
    balance: {amount: amount, open_on: [release]}
  spend:
    title: 支出
    fields:
      budget: {type: ref, entity: budget, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: budget, amount: amount, consume_on: [create]}
workflows:
  budget:
    entity: budget
    initial: draft
    states: [draft, released]
    final: [released]
    transitions:
      - {event: release, from: draft, to: released}
reports:
  ledger:
    title: 额度台账
    entity: budget
    group_by: [agency]
    filters: [year]
    where: "state = 'released'"
    measures:
      - {name: approved, label: 批复, balance: approved}
      - {name: spent, label: 已支出, balance: consumed}
      - {name: available, label: 可用, balance: available}
      - {name: rate, label: 执行率, expr: "spent / approved * 100", scale: 1}
      - {name: entered, label: 录入金额, agg: sum, field: amount}
      - {name: count, label: 笔数, agg: count}
  by_state:
    title: 按状态
    entity: budget
    group_by: [state]
    measures:
      - {name: total, agg: sum, field: amount}
      - {name: count, agg: count}
`}

func TestReport(t *testing.T) {
	p := enginetest.Load(t, reportDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		budget := func(year int, agency, amount string, release bool) int64 {
			rec := enginetest.Must(rt.Create(ctx, clerk, "rep", "budget", map[string]any{"year": fmt.Sprint(year), "agency": agency, "amount": amount}))
			if release {
				enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "rep", Entity: "budget", ID: rec.ID, Event: "release"}))
			}
			return rec.ID
		}
		spend := func(b int64, amount string) {
			enginetest.Must(rt.Create(ctx, clerk, "rep", "spend", map[string]any{"budget": fmt.Sprint(b), "amount": amount}))
		}
		a := budget(2026, "101001", "1000.00", true)
		b := budget(2026, "101001", "500.50", true)
		c := budget(2026, "102001", "300.00", true)
		budget(2026, "102001", "999.99", false) // not released: outside the report's where
		budget(2025, "101001", "7.00", true)
		spend(a, "250.25")
		spend(b, "0.25")
		spend(c, "300.00")

		res, err := rt.Report(ctx, clerk, "rep", "ledger", "year = 2026")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 2 {
			t.Fatalf("%d rows, want 2 agencies", len(res.Rows))
		}
		want := []map[string]string{
			{"agency": "101001", "approved": "1500.5", "spent": "250.5", "available": "1250", "rate": "16.7", "entered": "1500.5", "count": "2"},
			{"agency": "102001", "approved": "300", "spent": "300", "available": "0", "rate": "100", "entered": "300", "count": "1"},
		}
		for i, w := range want {
			for k, v := range w {
				if got := fmt.Sprint(res.Rows[i].Values[k]); got != v {
					t.Errorf("row %d %s = %s, want %s", i, k, got, v)
				}
			}
		}
		if res.Rows[0].Labels["agency"] != "财政厅本级" {
			t.Errorf("label = %q", res.Rows[0].Labels["agency"])
		}
		tot := res.Totals.Values
		if tot["approved"].(decimal.Decimal).String() != "1800.5" || tot["available"].(decimal.Decimal).String() != "1250" ||
			tot["count"].(int64) != 3 || tot["rate"].(decimal.Decimal).String() != "30.6" {
			t.Errorf("totals = %v", tot)
		}

		byState, err := rt.Report(ctx, clerk, "rep", "by_state", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(byState.Rows) != 2 || byState.Rows[0].Values["state"] != "draft" || byState.Rows[0].Values["count"].(int64) != 1 {
			t.Errorf("by state: %+v", byState.Rows)
		}

		// Only declared filters, and an empty result has zero totals.
		_, err = rt.Report(ctx, clerk, "rep", "ledger", "amount > '1'")
		var bq *engine.BadQueryError
		if !errors.As(err, &bq) {
			t.Errorf("filter on an undeclared field: err = %v", err)
		}
		empty := enginetest.Must(rt.Report(ctx, clerk, "rep", "ledger", "year = 1999"))
		if len(empty.Rows) != 0 || empty.Totals.Values["count"].(int64) != 0 || empty.Totals.Values["rate"] != nil {
			t.Errorf("empty report: %+v", empty.Totals.Values)
		}
		if _, err := rt.Report(ctx, clerk, "rep", "nope", ""); !errors.Is(err, engine.ErrUnknown) {
			t.Errorf("unknown report: %v", err)
		}
	})
}

// TestReportExactTotals sums 10,000 records at the largest money amount: the
// total (99,999,999,999,999,900.00) passes int64 in minor units, and must come
// back to the fen on both databases, per group and in the totals row.
func TestReportExactTotals(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"big/app.yaml": `
app: big
entities:
  pay:
    fields:
      agency: {type: text, required: true}
      amount: {type: money, required: true}
reports:
  by_agency:
    entity: pay
    group_by: [agency]
    measures:
      - {name: amount, agg: sum, field: amount}
      - {name: count, agg: count}
  total:
    entity: pay
    measures:
      - {name: amount, agg: sum, field: amount}
`})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		for _, agency := range []string{"a", "b"} {
			rec := enginetest.Must(rt.Create(ctx, clerk, "big", "pay", map[string]any{"agency": agency, "amount": "9999999999999.99"}))
			// 4,999 copies of the record, so each agency holds 5,000.
			cols := "version, created_by, created_at, updated_at, def_version, agency, amount"
			if _, err := rt.DB.Write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
INSERT INTO big_pay (`+cols+`) SELECT `+cols+` FROM big_pay, n WHERE id = `+fmt.Sprint(rec.ID)); err != nil {
				t.Fatal(err)
			}
		}
		half, all := "49999999999999950.00", "99999999999999900.00"
		res, err := rt.Report(ctx, clerk, "big", "by_agency", "")
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range res.Rows {
			if got := row.Values["amount"].(decimal.Decimal).StringFixed(2); got != half || row.Values["count"].(int64) != 5000 {
				t.Errorf("row %d: amount %s count %v, want %s over 5000", i, got, row.Values["count"], half)
			}
		}
		if got := res.Totals.Values["amount"].(decimal.Decimal).StringFixed(2); got != all {
			t.Errorf("totals row: %s, want %s", got, all)
		}
		total, err := rt.Report(ctx, clerk, "big", "total", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := total.Totals.Values["amount"].(decimal.Decimal).StringFixed(2); got != all {
			t.Errorf("ungrouped total: %s, want %s", got, all)
		}
	})
}

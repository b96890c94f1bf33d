package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var queryDefs = map[string]string{"q/app.yaml": `
app: q
codesets:
  fc:
    title: 功能分类
    levels: [3, 2, 2]
    codes:
      - {code: "205", name: 教育支出}
      - {code: "20502", name: 普通教育, parent: "205"}
      - {code: "2050201", name: 学前教育, parent: "20502"}
      - {code: "2050202", name: 小学教育, parent: "20502"}
      - {code: "20503", name: 职业教育, parent: "205"}
      - {code: "2050301", name: 初等职业教育, parent: "20503"}
      - {code: "208", name: 社会保障和就业支出}
      - {code: "20801", name: 人力资源和社会保障管理事务, parent: "208"}
      - {code: "2080101", name: 行政运行, parent: "20801"}
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
      - {code: "101002", name: 国库中心, parent: "101"}
      - {code: "102", name: 教育厅}
      - {code: "102001", name: 教育厅本级, parent: "102"}
entities:
  project:
    title: 项目
    fields:
      name: {type: string, label: 项目名称, required: true}
  indicator:
    title: 指标
    fields:
      project:    {type: ref, entity: project, label: 项目}
      func_class: {type: code, codeset: fc, label: 功能分类, required: true}
      agency:     {type: code, codeset: org, label: 单位, required: true}
      amount:     {type: money, required: true}
    balance: amount
  plan:
    title: 用款计划
    fields:
      indicator: {type: ref, entity: indicator, label: 指标, required: true}
      amount:    {type: money, required: true}
    draws:
      - {on: indicator, amount: amount, consume_on: [create]}
  payment:
    title: 支付
    fields:
      indicator: {type: ref, entity: indicator, label: 指标, required: true}
      amount:    {type: money, required: true}
    draws:
      - {on: indicator, amount: amount, consume_on: [create], refund_on: [refund]}
workflows:
  payment:
    entity: payment
    initial: paid
    states: [paid, refunded]
    final: [refunded]
    transitions:
      - {event: refund, from: paid, to: refunded}
tags:
  教育支出:
    entity: payment
    where: "indicator.func_class under '205'"
  学校项目:
    entity: payment
    where: "#教育支出 and indicator.project.name = '学校'"
reports:
  education:
    entity: payment
    where: "tag('教育支出')"
    measures:
      - {name: amount, agg: sum, field: amount}
  by_class:
    title: 支付按功能分类
    entity: payment
    group_by: [indicator.func_class]
    levels: {indicator.func_class: 3}
    filters: [indicator.project.name, indicator.agency]
    tags: [教育支出, 学校项目]
    measures:
      - {name: amount, label: 支付金额, agg: sum, field: amount}
      - {name: count, label: 笔数, agg: count}
  by_dept_class:
    entity: payment
    group_by: [indicator.agency, indicator.func_class]
    levels: {indicator.agency: 1, indicator.func_class: 1}
    measures:
      - {name: amount, agg: sum, field: amount}
  ledger:
    title: 指标执行（按来源）
    entity: indicator
    group_by: [agency]
    measures:
      - {name: approved, balance: approved}
      - {name: planned, label: 计划, movement: consume, source: plan}
      - {name: paid, label: 支付, movement: consume, source: q.payment}
      - {name: refunded, label: 退回, movement: refund, source: payment}
      - {name: used, label: 已使用, balance: consumed}
`}

// TestReportAcrossReferences groups payments by the functional class of their
// indicator at 类/款/项 with subtotals, filters them by the indicator's
// project, and splits an indicator's use by the records that caused it.
func TestReportAcrossReferences(t *testing.T) {
	p := enginetest.Load(t, queryDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		create := func(entity string, in map[string]any) int64 {
			return enginetest.Must(rt.Create(ctx, clerk, "q", entity, in)).ID
		}
		school := create("project", map[string]any{"name": "学校"})
		roads := create("project", map[string]any{"name": "道路"})
		ind := func(project int64, fc, agency string) int64 {
			return create("indicator", map[string]any{"project": fmt.Sprint(project), "func_class": fc, "agency": agency, "amount": "10000.00"})
		}
		i1 := ind(school, "2050201", "101001")
		i2 := ind(school, "2050202", "101002")
		i3 := ind(roads, "2050301", "102001")
		i4 := ind(roads, "2080101", "102001")
		i5 := ind(roads, "208", "101001") // coded at 类 only
		pay := func(i int64, amount string) int64 {
			return create("payment", map[string]any{"indicator": fmt.Sprint(i), "amount": amount})
		}
		pay(i1, "100.00")
		pay(i1, "0.01")
		pay(i2, "200.00")
		pay(i3, "300.00")
		pay(i4, "400.00")
		pay(i5, "50.00")
		refunded := pay(i4, "40.00")
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "q", Entity: "payment", ID: refunded, Event: "refund"}))
		create("plan", map[string]any{"indicator": fmt.Sprint(i1), "amount": "1000.00"})
		create("plan", map[string]any{"indicator": fmt.Sprint(i4), "amount": "5.00"})

		res, err := rt.Report(ctx, clerk, "q", "by_class", "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, row := range res.Rows {
			kind := "row"
			if row.Subtotal {
				kind = fmt.Sprintf("sub%d", row.Level)
			}
			got = append(got, fmt.Sprintf("%s %v %s %v %v", kind, row.Values["indicator.func_class"], row.Labels["indicator.func_class"], row.Values["amount"], row.Values["count"]))
		}
		want := []string{
			"sub1 205 教育支出 600.01 4",
			"sub2 20502 普通教育 300.01 3",
			"row 2050201 学前教育 100.01 2",
			"row 2050202 小学教育 200 1",
			"sub2 20503 职业教育 300 1",
			"row 2050301 初等职业教育 300 1",
			"sub1 208 社会保障和就业支出 490 3",
			"row 208 社会保障和就业支出 50 1",
			"sub2 20801 人力资源和社会保障管理事务 440 2",
			"row 2080101 行政运行 440 2",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if res.Totals.Values["amount"].(fmt.Stringer).String() != "1090.01" || res.Columns[0].Label != "指标·功能分类" {
			t.Errorf("totals %v, column %q", res.Totals.Values, res.Columns[0].Label)
		}

		// A filter along two references: the indicator's project's name.
		var bq *engine.BadQueryError
		roadsOnly := enginetest.Must(rt.Report(ctx, clerk, "q", "by_class", "indicator.project.name = '道路' and indicator.agency under '102'"))
		if fmt.Sprint(roadsOnly.Totals.Values["amount"]) != "740" || fmt.Sprint(roadsOnly.Totals.Values["count"]) != "3" {
			t.Errorf("roads: %v", roadsOnly.Totals.Values)
		}
		// The list takes the same path filter: the drill-down behind a figure.
		list := enginetest.Must(rt.List(ctx, clerk, "q", "payment", engine.ListQuery{Filter: "indicator.project.name = '道路' and indicator.func_class under '208'"}))
		if len(list.Items) != 3 {
			t.Errorf("list along references: %d payments, want 3", len(list.Items))
		}

		// Data tags: in the reader's filter (those the report names), in a
		// report's where, in a list's filter.
		schoolRes := enginetest.Must(rt.Report(ctx, clerk, "q", "by_class", "#学校项目"))
		if fmt.Sprint(schoolRes.Totals.Values["amount"]) != "300.01" || fmt.Sprint(schoolRes.Totals.Values["count"]) != "3" {
			t.Errorf("tag 学校项目: %v", schoolRes.Totals.Values)
		}
		edu := enginetest.Must(rt.Report(ctx, clerk, "q", "education", ""))
		if fmt.Sprint(edu.Totals.Values["amount"]) != "600.01" {
			t.Errorf("report where with a tag: %v", edu.Totals.Values)
		}
		if l := enginetest.Must(rt.List(ctx, clerk, "q", "payment", engine.ListQuery{Filter: "tag('教育支出') and amount >= 200"})); len(l.Items) != 2 {
			t.Errorf("list with a tag: %d payments, want 2", len(l.Items))
		}
		_, err = rt.Report(ctx, clerk, "q", "by_class", "#民生支出")
		if !errors.As(err, &bq) || !strings.Contains(bq.Message, "the tags here are 教育支出, 学校项目") {
			t.Errorf("unknown tag: %v", err)
		}
		_, err = rt.Report(ctx, clerk, "q", "ledger", "#教育支出")
		if !errors.As(err, &bq) || !strings.Contains(bq.Message, "no tags may be used here") {
			t.Errorf("tag on a report without tags: %v", err)
		}

		// A filter the report does not declare: 400 naming what it takes.
		_, err = rt.Report(ctx, clerk, "q", "by_class", "amount > 1")
		if !errors.As(err, &bq) || !strings.Contains(bq.Message, "indicator.project.name, indicator.agency") {
			t.Errorf("undeclared filter: %v", err)
		}

		// Department, then 类 within it.
		dept := enginetest.Must(rt.Report(ctx, clerk, "q", "by_dept_class", ""))
		got = nil
		for _, row := range dept.Rows {
			got = append(got, fmt.Sprintf("%d %v %v %v", row.Level, row.Values["indicator.agency"], row.Values["indicator.func_class"], row.Values["amount"]))
		}
		want = []string{"1 101 <nil> 350.01", "2 101 205 300.01", "2 101 208 50", "1 102 <nil> 740", "2 102 205 300", "2 102 208 440"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("by department:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// Use split by source: plans, payments, refunds.
		ledger := enginetest.Must(rt.Report(ctx, clerk, "q", "ledger", ""))
		got = nil
		for _, row := range ledger.Rows {
			got = append(got, fmt.Sprintf("%v planned %v paid %v refunded %v used %v", row.Values["agency"], row.Values["planned"], row.Values["paid"], row.Values["refunded"], row.Values["used"]))
		}
		want = []string{
			"101001 planned 1000 paid 150.01 refunded 0 used 1150.01",
			"101002 planned 0 paid 200 refunded 0 used 200",
			"102001 planned 5 paid 740 refunded 40 used 705",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("ledger by source:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestReportDrillDown: the filter behind each figure lists exactly the
// records the figure counts, for rows, subtotals and the totals row.
func TestReportDrillDown(t *testing.T) {
	p := enginetest.Load(t, queryDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		create := func(entity string, in map[string]any) int64 {
			return enginetest.Must(rt.Create(ctx, clerk, "q", entity, in)).ID
		}
		pr := create("project", map[string]any{"name": "学校"})
		for i, fc := range []string{"2050201", "2050202", "2050301", "2080101", "208"} {
			ind := create("indicator", map[string]any{"project": fmt.Sprint(pr), "func_class": fc, "agency": "101001", "amount": "1000.00"})
			for n := 0; n <= i; n++ {
				create("payment", map[string]any{"indicator": fmt.Sprint(ind), "amount": "1.00"})
			}
		}
		res := enginetest.Must(rt.Report(ctx, clerk, "q", "by_class", "indicator.project.name = '学校'"))
		rows := append(res.Rows, res.Totals)
		for i, row := range rows {
			f := res.DrillFilter(row, i < len(res.Rows))
			list, err := rt.List(ctx, clerk, "q", "payment", engine.ListQuery{Filter: f, PageSize: 100})
			if err != nil {
				t.Fatalf("row %d: %s: %v", i, f, err)
			}
			if int64(len(list.Items)) != row.Values["count"].(int64) {
				t.Errorf("row %d: %s lists %d payments, the report counts %v", i, f, len(list.Items), row.Values["count"])
			}
		}
		if f := res.DrillFilter(res.Rows[0], true); f != "indicator.project.name = '学校' and indicator.func_class under '205'" {
			t.Errorf("subtotal drill filter: %s", f)
		}
	})
}

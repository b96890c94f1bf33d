package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// spendDefs: payments on indicators classed by a 3-2-2 functional class,
// a report grouping them by the indicator's class at 类/款/项, and a tag.
var spendDefs = map[string]string{"sp/app.yaml": `
app: sp
title: 支出
codesets:
  fc:
    title: 功能分类
    levels: [3, 2, 2]
    codes:
      - {code: "205", name: 教育支出}
      - {code: "20502", name: 普通教育, parent: "205"}
      - {code: "2050201", name: 学前教育, parent: "20502"}
      - {code: "2050202", name: 小学教育, parent: "20502"}
      - {code: "201", name: 一般公共服务支出}
      - {code: "20101", name: 人大事务, parent: "201"}
      - {code: "2010101", name: 行政运行, parent: "20101"}
entities:
  indicator:
    title: 指标
    fields:
      func_class: {type: code, codeset: fc, label: 功能分类, required: true}
      amount:     {type: money, label: 金额, required: true}
  payment:
    title: 支付
    fields:
      indicator: {type: ref, entity: indicator, label: 指标, required: true}
      amount:    {type: money, label: 金额, required: true}
tags:
  教育:
    title: 教育支出
    entity: payment
    where: "indicator.func_class under '205'"
reports:
  by_class:
    title: 支付按功能分类
    entity: payment
    group_by: [indicator.func_class]
    levels: {indicator.func_class: 3}
    filters: [indicator.func_class]
    tags: [教育]
    chart: {type: bar, measures: [amount, count]}
    measures:
      - {name: amount, label: 支付金额, agg: sum, field: amount}
      - {name: count, label: 笔数, agg: count}
  share:
    title: 支付结构
    entity: payment
    group_by: [indicator.func_class]
    chart: pie
    measures:
      - {name: amount, label: 支付金额, agg: sum, field: amount}
  trend:
    title: 支付走势
    entity: payment
    group_by: [indicator.func_class]
    chart: {type: line}
    measures:
      - {name: amount, label: 支付金额, agg: sum, field: amount}
roles:
  clerk:
    title: 经办
    scope: all
    dashboard: [share, by_class]
    can:
      indicator: [read]
      payment: [read, export]
`}

func seedSpend(t *testing.T, s *server) {
	t.Helper()
	ctx := context.Background()
	for i, fc := range []string{"2050201", "2050202", "2010101"} {
		ind, err := s.rt.Create(ctx, engine.SystemActor, "sp", "indicator", map[string]any{"func_class": fc, "amount": "1000.00"})
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n <= i; n++ {
			if _, err := s.rt.Create(ctx, engine.SystemActor, "sp", "payment", map[string]any{"indicator": fmt.Sprint(ind.ID), "amount": fmt.Sprintf("%d.50", 10*(i+1))}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The report page shows subtotal rows per 类 and 款, each figure links to the
// list of the records behind it, and the list shows (and applies) that
// filter; the CSV export has the same subtotal rows with their level.
func TestReportSubtotalsAndDrillDown(t *testing.T) {
	p := enginetest.Load(t, spendDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "", "sp.clerk")
		seedSpend(t, s)
		b := s.browser(t)
		b.login("clerk")
		page := b.get("/ui/reports/sp/by_class")
		page.want(t, "report", 200, `class="subtotal level-1"`, `class="subtotal level-2"`, `<span class="code">205</span> 教育支出`,
			`<span class="code">20502</span> 普通教育`, "指标·功能分类")
		// The 教育支出 subtotal: 10.50 + 2 × 20.50 = 51.50 over 3 payments.
		links := regexp.MustCompile(`<a href="([^"]+)" class="drill">51.50</a>`).FindStringSubmatch(page.body)
		if links == nil {
			t.Fatalf("no drill-down link on the 205 subtotal: %s", page.section("report"))
		}
		drill := html.UnescapeString(links[1])
		u, _ := url.Parse(drill)
		if u.Path != "/ui/sp/payment" || u.Query().Get("filter") != "indicator.func_class under '205'" {
			t.Errorf("drill-down link %s", drill)
		}
		list := b.get(drill)
		list.want(t, "drilled list", 200, `name="filter"`, `value="indicator.func_class under &#39;205&#39;"`, "10.50", "20.50")
		list.lacks(t, "drilled list", "30.50")
		b.get("/ui/sp/payment?filter="+url.QueryEscape("indicator.func_clas = '1'")).want(t, "a bad condition", 400)

		// The chart: server-side SVG, one bar per 类 and measure, each bar
		// linked to the records behind it.
		chart := page.section("chart")
		if !strings.Contains(chart, `data-chart="bar"`) || strings.Count(chart, `class="bar"`) != 4 || !strings.Contains(chart, "205 教育支出 · 支付金额：51.50") ||
			!strings.Contains(chart, `<a href="/ui/sp/payment?filter=indicator.func_class+under+%27205%27">`) {
			t.Errorf("bar chart: %s", chart)
		}
		pie := b.get("/ui/reports/sp/share").section("chart")
		if !strings.Contains(pie, `data-chart="pie"`) || strings.Count(pie, `class="slice"`) != 3 || !strings.Contains(pie, "2050202 小学教育 · 支付金额：41.00（28.7%）") {
			t.Errorf("pie chart: %s", pie)
		}
		if line := b.get("/ui/reports/sp/trend").section("chart"); !strings.Contains(line, "<polyline") || strings.Count(line, `class="point"`) != 3 {
			t.Errorf("line chart: %s", line)
		}
		// The portal's dashboard: the reports the user's role names, with
		// their charts.
		dash := b.get("/").section("dashboard")
		if !strings.Contains(dash, `href="/ui/reports/sp/share"`) || !strings.Contains(dash, `data-chart="pie"`) || !strings.Contains(dash, `data-chart="bar"`) ||
			strings.Index(dash, "支付结构") > strings.Index(dash, "支付按功能分类") {
			t.Errorf("dashboard: %s", dash)
		}

		// The data-tag picker: on the report page and on the list.
		page.want(t, "tag picker", 200, `name="tag"`, `<option value="教育">教育支出</option>`)
		tagged := b.get("/ui/reports/sp/by_class?tag=" + url.QueryEscape("教育"))
		tagged.want(t, "report with a tag", 200, `<option value="教育" selected>教育支出</option>`, "51.50")
		tagged.lacks(t, "report with a tag", "91.50", "143.00")
		total := regexp.MustCompile(`(?s)id="totals".*?<a href="([^"]+)" class="drill">51.50</a>`).FindStringSubmatch(tagged.body)
		if total == nil {
			t.Fatalf("no drill-down on the totals row")
		}
		if u, _ := url.Parse(html.UnescapeString(total[1])); u.Query().Get("filter") != "tag('教育')" {
			t.Errorf("totals drill-down %s", u)
		}
		b.get("/ui/sp/payment?tag="+url.QueryEscape("教育")).want(t, "list with a tag", 200, `name="tag"`, "10.50", "20.50")
		b.get("/ui/sp/payment?tag="+url.QueryEscape("教育")).lacks(t, "list with a tag", "30.50")

		csv := b.get("/ui/reports/sp/by_class/export.csv")
		want := "\ufeff层级,指标·功能分类,指标·功能分类名称,支付金额,笔数\r\n" +
			"1,201,一般公共服务支出,91.50,3\r\n2,20101,人大事务,91.50,3\r\n3,2010101,行政运行,91.50,3\r\n" +
			"1,205,教育支出,51.50,3\r\n2,20502,普通教育,51.50,3\r\n3,2050201,学前教育,10.50,1\r\n3,2050202,小学教育,41.00,2\r\n" +
			"合计,,,143.00,6\r\n"
		if csv.body != want {
			t.Errorf("CSV:\n%s\nwant:\n%s", csv.body, want)
		}
	})
}

package ui_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/xuri/excelize/v2"
)

// aidDefs is a small app with everything the report, file and import pages
// handle: a code set, an enum, a workflow, money, a file field with limits,
// a public report with an expression measure, a report by state, and one
// over a field a role may not see.
var aidDefs = map[string]string{"aid/app.yaml": `
app: aid
title: 救灾资金
title_en: Relief funds
codesets:
  village:
    title: 村
    codes:
      - {code: "01", name: 东村}
      - {code: "02", name: 西村}
entities:
  payout:
    title: 发放
    title_en: Payout
    fields:
      village:   {type: code, codeset: village, label: 村, label_en: Village, required: true}
      year:      {type: int, label: 年度, label_en: Year, required: true}
      kind:
        type: enum
        label: 类别
        values:
          - {value: cash, label: 现金}
          - {value: goods, label: 实物}
      person:    {type: string, label: 姓名, label_en: Person}
      id_number: {type: string, label: 身份证号, unique: true}
      amount:    {type: money, label: 金额, label_en: Amount, required: true}
      evidence:  {type: file, label: 证明材料, label_en: Evidence, max_size: 2KB, types: [pdf, txt]}
    filters: [village, year, kind]
    rules:
      - assert: "amount > 0"
        message: 金额应大于零
        fields: [amount]
  notice:
    title: 公告
    fields:
      title: {type: string, label: 标题, required: true}
      scan:  {type: file, label: 扫描件}
workflows:
  payout:
    entity: payout
    initial: draft
    states: [draft, approved]
    final: [approved]
    labels: {draft: 草稿, approved: 已审批}
    transitions:
      - {event: approve, label: 审批, from: [draft], to: approved, roles: [clerk]}
reports:
  by_village:
    title: 各村发放公示
    public: true
    entity: payout
    group_by: [village, kind]
    filters: [year, village, id_number]
    measures:
      - {name: people, label: 人数, agg: count}
      - {name: total, label: 金额, agg: sum, field: amount}
      - {name: average, label: 人均, expr: "total / people", scale: 3}
  by_state:
    title: 审批进度
    entity: payout
    group_by: [state]
    filters: [state, year]
    measures:
      - {name: total, label: 金额, agg: sum, field: amount}
  by_person:
    title: 个人台账
    entity: payout
    group_by: [person]
    measures: [{name: total, label: 金额, agg: sum, field: amount}]
roles:
  clerk:
    title: 经办
    scope: all
    can:
      payout: [create, read, update, export, approve]
      notice: [create, read]
  viewer:
    title: 查看
    scope: all
    can:
      payout: [read]
    fields:
      payout: {hidden: [person]}
`}

// seedPayouts adds the payouts the report tests count.
func seedPayouts(t *testing.T, s *server) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []map[string]any{
		{"village": "01", "year": "2026", "kind": "cash", "person": "张三", "amount": "1000.00"},
		{"village": "01", "year": "2026", "kind": "cash", "person": "李四", "amount": "500.50"},
		{"village": "02", "year": "2026", "kind": "goods", "person": "王五", "amount": "1234567.80"},
		{"village": "02", "year": "2025", "kind": "cash", "person": "赵六", "amount": "300.00"},
		{"village": "02", "year": "2026", "person": "钱七", "amount": "0.01"},
	} {
		if _, err := s.rt.Create(ctx, engine.SystemActor, "aid", "payout", p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReportPages(t *testing.T) {
	p := enginetest.Load(t, aidDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "", "aid.clerk")
		s.addUser(t, "viewer", "", "aid.viewer")
		seedPayouts(t, s)
		clerk := s.browser(t)
		clerk.login("clerk")

		portal := clerk.get("/")
		portal.want(t, "portal", 200, `href="/ui/reports/aid/by_village"`, "各村发放公示", `href="/public/reports/aid/by_village"`,
			`href="/ui/reports/aid/by_state"`, `href="/ui/reports/aid/by_person"`)

		report := "/ui/reports/aid/by_village"
		page := clerk.get(report)
		page.want(t, "report", 200, `<span class="code">01</span> 东村`, "现金", "实物", "（空）",
			"1,234,567.80", "1,500.50", "750.250", `id="public-page"`, `id="export-csv"`)
		totals := page.body[strings.Index(page.body, `id="totals"`):]
		for _, want := range []string{"合计", ">5<", "1,236,368.31", "247,273.662"} {
			if !strings.Contains(totals[:strings.Index(totals, "</tr>")], want) {
				t.Errorf("totals row lacks %q: %s", want, totals[:strings.Index(totals, "</tr>")])
			}
		}
		// The declared filters are inputs; the year narrows the groups and
		// the totals.
		page.want(t, "report filters", 200, `name="f.year"`, `name="f.village"`, `name="f.id_number"`)
		filtered := clerk.get(report + "?" + url.Values{"f.year": {"2026"}}.Encode())
		filtered.want(t, "filtered by year", 200, "1,236,068.31")
		filtered.lacks(t, "filtered by year", "1,236,368.31")
		clerk.get(report+"?f.year=abc").want(t, "a year that is not a number", http.StatusBadRequest, "筛选条件有误")
		clerk.get(report+"?lang=en").want(t, "English", 200, "Village", "Total", "Relief funds")

		clerk.get("/ui/reports/aid/by_state?lang=zh").want(t, "by state", 200, "草稿", "1,236,368.31", `name="f.state"`)
		clerk.get("/ui/reports/aid/by_state?f.state=approved").want(t, "by state, none approved", 200, "没有符合条件的数据")
		clerk.get("/ui/reports/aid/nothing").want(t, "unknown report", http.StatusNotFound)

		// Exports: CSV exact text, Excel numbers.
		csvPage := clerk.get(report + "/export.csv?" + url.Values{"f.year": {"2026"}, "f.village": {"01"}}.Encode())
		csvPage.want(t, "report csv", 200)
		want := "\ufeff村,村名称,类别,人数,金额,人均\r\n01,东村,现金,2,1500.50,750.250\r\n合计,,,2,1500.50,750.250\r\n"
		if csvPage.body != want {
			t.Errorf("report CSV:\n%q\nwant\n%q", csvPage.body, want)
		}
		if !strings.Contains(csvPage.header.Get("Content-Disposition"), "aid-by_village-") {
			t.Errorf("Content-Disposition: %s", csvPage.header.Get("Content-Disposition"))
		}
		xlsx := clerk.get(report + "/export.xlsx")
		xlsx.want(t, "report xlsx", 200)
		f, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx.body)))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		last := rows[len(rows)-1]
		if len(rows) != 6 || strings.Join(last, "|") != "合计|||5|1236368.31|247273.662" {
			t.Errorf("xlsx rows %v", rows)
		}
		if typ, _ := f.GetCellType(f.GetSheetName(0), "E2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("the amount is a text cell, want a number")
		}

		// A role that may not see the person does not get the report by
		// person, in the portal or by its address.
		viewer := s.browser(t)
		viewer.login("viewer")
		viewer.get("/").lacks(t, "viewer portal", "个人台账")
		viewer.get("/ui/reports/aid/by_person").want(t, "report over a hidden field", http.StatusForbidden)
		viewer.get(report).want(t, "viewer report", 200, "1,236,368.31")
	})
}

// A public report's page works without login: only its groups and
// measures, filters only on fields it both declares and groups by; other
// reports are not found.
func TestPublicReportPage(t *testing.T) {
	p := enginetest.Load(t, aidDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		seedPayouts(t, s)
		anyone := s.browser(t)
		page := anyone.get("/public/reports/aid/by_village")
		page.want(t, "public report", 200, "各村发放公示", "东村", "1,236,368.31", `name="f.village"`, `id="public-note"`)
		page.lacks(t, "public report", `name="f.year"`, `name="f.id_number"`, "张三", `id="logout"`, "/ui/codes/")
		if cc := page.header.Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("Cache-Control %q", cc)
		}
		anyone.get("/public/reports/aid/by_village?f.village=01").want(t, "public filter", 200, "1,500.50")
		// A filter the public may not use is ignored, not applied.
		anyone.get("/public/reports/aid/by_village?f.id_number=x").want(t, "public filter on a field not shown", 200, "1,236,368.31")
		anyone.get("/public/reports/aid/by_person").want(t, "a report that is not public", http.StatusNotFound)
		anyone.get("/ui/reports/aid/by_village").want(t, "the internal page needs a login", http.StatusSeeOther)
		csvPage := anyone.get("/public/reports/aid/by_village/export.csv?f.village=01")
		csvPage.want(t, "public csv", 200, "01,东村,现金,2,1500.50,750.250")
		anyone.get("/public/reports/aid/by_person/export.csv").want(t, "export of a report that is not public", http.StatusNotFound)
	})
}

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

// Import from the browser, all or nothing: a file with bad rows imports
// nothing and lists every bad row with its line and reasons; a clean file
// (CSV or Excel) imports every row and says how many.
func TestImportPage(t *testing.T) {
	p := enginetest.Load(t, aidDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "", "aid.clerk")
		s.addUser(t, "viewer", "", "aid.viewer")
		count := func() int64 {
			t.Helper()
			res, err := s.rt.List(context.Background(), engine.SystemActor, "aid", "payout", engine.ListQuery{PageSize: 1, Total: true})
			if err != nil {
				t.Fatal(err)
			}
			return *res.Total
		}
		clerk := s.browser(t)
		clerk.login("clerk")
		clerk.get("/ui/aid/payout").want(t, "list", 200, `href="/ui/aid/payout/import"`)
		viewer := s.browser(t)
		viewer.login("viewer")
		viewer.get("/ui/aid/payout").lacks(t, "viewer's list", `href="/ui/aid/payout/import"`)
		viewer.get("/ui/aid/payout/import").want(t, "viewer may not import", http.StatusForbidden)

		importPage := "/ui/aid/payout/import"
		clerk.get(importPage).want(t, "import page", 200, `enctype="multipart/form-data"`, `name="file"`, "<code>village</code>", "代码集“村”中的代码", `href="/ui/codes/village"`,
			"cash（现金）", `href="/ui/aid/payout/import/template.csv"`)
		if got := clerk.get(importPage + "/template.csv").body; got != "\ufeff村,年度,类别,姓名,身份证号,金额\r\n" {
			t.Errorf("template %q", got)
		}

		csvFile := func(lines ...string) upload {
			return upload{"file", "发放.csv", "text/csv", []byte(strings.Join(lines, "\r\n") + "\r\n")}
		}
		header := "village,年度,类别,姓名,身份证号,金额"
		bad := clerk.postMultipart(importPage, url.Values{"_idempotency": {"bad"}}, csvFile(header,
			"01,2026,cash,张三,510104199001011234,100.00",
			"01,2026,cash,李四,510104199001011235,abc",
			"09,2026,cash,王五,510104199001011236,10.00",
			"02,2026,cash,赵六,510104199001011234,5.00",
			"02,2026,cash,钱七,510104199001011237,0"))
		bad.want(t, "bad rows", http.StatusUnprocessableEntity, `id="import-rejected"`, "4 行有误（共 5 行），未导入任何记录",
			`data-line="3"`, `data-line="4"`, `data-line="5"`, `data-line="6"`, "金额：", "村：", "身份证号：已存在相同的值", "金额：金额应大于零")
		bad.lacks(t, "bad rows", `data-line="2"`)
		if n := count(); n != 0 {
			t.Fatalf("a refused file imported %d records", n)
		}
		clerk.postMultipart(importPage, nil, csvFile("foo,金额", "x,1")).want(t, "unknown column", http.StatusUnprocessableEntity,
			"文件有误，未导入任何记录", "第 1 列“foo”不是发放的字段")
		clerk.postMultipart(importPage, nil).want(t, "no file", http.StatusUnprocessableEntity, "请选择要导入的 CSV 或 Excel 文件")

		good := csvFile(header,
			"01,2026,cash,张三,510104199001011234,100.00",
			"01,2026,goods,李四,510104199001011235,\"1,234.50\"",
			"02,2025,,王五,510104199001011236,10.00")
		done := clerk.postMultipart(importPage, url.Values{"_idempotency": {"good"}}, good)
		if done.status != http.StatusSeeOther || !strings.HasPrefix(done.location, "/ui/aid/payout") {
			t.Fatalf("import: %d %s %s", done.status, done.location, excerpt(done.body))
		}
		clerk.get(done.location).want(t, "list after the import", 200, "已导入 3 条记录", "1,234.50")
		// The same form posted again (a double click, a reload) imports once.
		again := clerk.postMultipart(importPage, url.Values{"_idempotency": {"good"}}, good)
		again.want(t, "posted twice", http.StatusSeeOther)
		if n := count(); n != 3 {
			t.Fatalf("%d records after the import, want 3", n)
		}

		x := excelize.NewFile()
		sheet := x.GetSheetName(0)
		for i, row := range [][]any{{"村", "年度", "金额", "身份证号"}, {"02", 2026, 88.8, "510104199001011237"}} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := x.SetSheetRow(sheet, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := x.Write(&buf); err != nil {
			t.Fatal(err)
		}
		xlsx := clerk.postMultipart(importPage, nil, upload{"file", "发放.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes()})
		xlsx.want(t, "Excel import", http.StatusSeeOther)
		clerk.get(xlsx.location).want(t, "after the Excel import", 200, "已导入 1 条记录", "88.80")
		if n := count(); n != 4 {
			t.Fatalf("%d records after the Excel import, want 4", n)
		}
	})
}

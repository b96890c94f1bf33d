package ui_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// Every page of every shipped entity and report renders for a user who
// holds every role: a field type or a definition construct the templates do
// not handle shows up here first.
func TestEveryShippedPageRenders(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	s := startServer(t, engine.SQLite, p)
	var roles []string
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			roles = append(roles, a.Name+"."+r.Name)
		}
	}
	s.addUser(t, "everyone", "", roles...)
	b := s.browser(t)
	b.login("everyone")
	for _, lang := range []string{"zh", "en"} {
		for _, path := range []string{"/", "/ui/audit", "/ui/todo"} {
			page := b.get(path + "?lang=" + lang)
			page.want(t, path, 200)
			page.lacks(t, path, "⟦")
		}
		for _, a := range p.Apps {
			for _, e := range a.Entities {
				list := "/ui/" + a.Name + "/" + e.Name
				b.get(list+"?lang="+lang).want(t, list, 200)
				if !s.rt.Access.Can(engine.Actor{User: "everyone", Roles: roles}, e, "create") {
					continue
				}
				form := b.get(list + "/new?lang=" + lang)
				form.want(t, list+"/new", 200, `id="save"`)
				form.lacks(t, list+"/new", "⟦")
				imp := b.get(list + "/import?lang=" + lang)
				imp.want(t, list+"/import", 200, `id="import-submit"`)
				imp.lacks(t, list+"/import", "⟦")
			}
			for _, r := range a.Reports {
				paths := []string{"/ui/reports/" + a.Name + "/" + r.Name}
				if r.Public {
					paths = append(paths, "/public/reports/"+a.Name+"/"+r.Name)
				}
				for _, path := range paths {
					page := b.get(path + "?lang=" + lang)
					page.want(t, path, 200, `id="totals"`)
					page.lacks(t, path, "⟦")
				}
			}
		}
	}
}

func TestLoginAndLogout(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	s := startServer(t, engine.SQLite, p)
	s.addUser(t, "clerk", "104", "indicator.division_clerk")
	b := s.browser(t)

	scenarios := []struct {
		name, user, password string
		status               int
		text                 string
	}{
		{"empty", "", "", http.StatusUnprocessableEntity, "请输入用户名和密码"},
		{"wrong password", "clerk", "wrong-password", http.StatusUnauthorized, "用户名或密码错误"},
		{"unknown user", "nobody", testPassword, http.StatusUnauthorized, "用户名或密码错误"},
	}
	for _, sc := range scenarios {
		b.get("/login")
		p := b.post("/login", url.Values{"username": {sc.user}, "password": {sc.password}})
		p.want(t, sc.name, sc.status, sc.text, `value="`+sc.user+`"`)
		if sc.password != "" {
			p.lacks(t, sc.name, `value="`+sc.password+`"`)
		}
	}
	b.get("/login")
	b.do("POST", "/login", url.Values{"username": {"clerk"}, "password": {testPassword}}).want(t, "login without CSRF token", http.StatusForbidden)

	b.get("/login?next=/ui/indicator/indicator")
	in := b.post("/login", url.Values{"username": {"clerk"}, "password": {testPassword}, "next": {"/ui/indicator/indicator"}})
	if in.status != http.StatusSeeOther || in.location != "/ui/indicator/indicator" {
		t.Fatalf("login with next: %d %q", in.status, in.location)
	}
	b.get("/").want(t, "portal", 200, "clerk")

	b.do("POST", "/logout", url.Values{}).want(t, "logout without CSRF token", http.StatusForbidden)
	b.get("/").want(t, "still logged in", 200)
	b.post("/logout", nil).want(t, "logout", http.StatusSeeOther)
	b.get("/").want(t, "after logout", http.StatusSeeOther)

	// An open redirect is not followed: whatever a browser could read as
	// another site goes to the portal instead.
	hostile := []string{
		"//evil.example/", "/\t/evil.example/phish", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
		"/\\evil.example", "\\\\evil.example", "/%2F/evil.example", "/%5Cevil.example", "/%09/evil.example",
		"/./\t/evil.example", "/a/../\t/evil.example", "/\u3000/evil.example", "/\u00a0/evil.example", "/\x00/evil.example",
		"https://evil.example/", "http:/evil.example", "javascript:alert(1)", "evil.example", "/\x7f/evil.example",
		"/\u2028/evil.example", "/\ufeff/evil.example", "",
	}
	b.get("/login")
	out := b.post("/login", url.Values{"username": {"clerk"}, "password": {testPassword}, "next": {"/\t/evil.example/phish"}})
	if out.status != http.StatusSeeOther || out.location != "/" {
		t.Errorf("login with next=/<TAB>/evil.example/phish: %d, Location %q, want 303 to /", out.status, out.location)
	}
	for _, next := range hostile {
		// Logged in, the login page sends the browser on to next at once.
		if got := b.get("/login?next=" + url.QueryEscape(next)); got.status != http.StatusSeeOther || got.location != "/" {
			t.Errorf("next=%q: %d, Location %q, want 303 to /", next, got.status, got.location)
		}
	}
	for _, next := range []string{"/ui/indicator/indicator?f.agency=104&sort=-amount", "/ui/reports/indicator/ledger", "/ui/indicator/indicator/7"} {
		if got := b.get("/login?next=" + url.QueryEscape(next)); got.location != next {
			t.Errorf("next=%q: Location %q, want it kept", next, got.location)
		}
	}
}

// List filters, sorting, the language switch and the exports, on both
// databases: what a clerk sees is what a clerk exports.
func TestListsAndExports(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		ctx := context.Background()
		for _, row := range []struct{ agency, funcClass, amount, doc string }{
			{"104001", "2050201", "1234567.89", "甲"}, {"104005", "2050203", "200.00", "乙"}, {"101001", "2010101", "999.99", "丙"},
		} {
			in := map[string]any{"year": "2026", "division": "510000000", "budget_level": "2", "agency": row.agency, "func_class": row.funcClass,
				"gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11", "fund_source": "1", "amount": row.amount, "doc_no": row.doc}
			if _, err := s.rt.Create(ctx, engine.SystemActor, "indicator", "indicator", in); err != nil {
				t.Fatal(err)
			}
		}
		b := s.browser(t)
		b.login("clerk")
		list := "/ui/indicator/indicator"

		scenarios := []struct {
			name   string
			query  url.Values
			status int
			has    []string
			hasnt  []string
		}{
			{"scope: only the department's", nil, 200, []string{"1,234,567.89", "200.00", "学前教育"}, []string{"999.99"}},
			{"amount range", url.Values{"f.amount.from": {"1,000"}}, 200, []string{"1,234,567.89"}, []string{">200.00<"}},
			{"amount range, full-width digits", url.Values{"f.amount.to": {"３００"}}, 200, []string{">200.00<"}, []string{"1,234,567.89"}},
			{"code subtree", url.Values{"f.agency": {"104005"}}, 200, []string{">200.00<"}, []string{"1,234,567.89"}},
			{"branch code finds its leaves", url.Values{"f.func_class": {"20502"}}, 200, []string{"1,234,567.89", ">200.00<"}, nil},
			{"state", url.Values{"f.state": {"submitted"}}, 200, []string{"没有符合条件的记录"}, []string{"1,234,567.89"}},
			{"bad amount", url.Values{"f.amount.from": {"12.345"}}, 400, []string{"最多 2 位小数"}, nil},
			{"unknown code", url.Values{"f.agency": {"999"}}, 400, []string{"代码 999 不存在"}, nil},
			{"sorted by amount", url.Values{"sort": {"amount"}}, 200, []string{`aria-sort="ascending"`}, nil},
			{"English", url.Values{"lang": {"en"}}, 200, []string{"Budget indicator", "Amount", "Export Excel"}, nil},
			{"count asked for", url.Values{"total": {"1"}, "lang": {"zh"}}, 200, []string{`id="total">共 2 条<`}, nil},
			{"count of a filter", url.Values{"total": {"1"}, "f.agency": {"104005"}, "lang": {"en"}}, 200, []string{`id="total">1 in all<`}, nil},
		}
		for _, sc := range scenarios {
			page := b.get(list + "?" + sc.query.Encode())
			page.want(t, sc.name, sc.status, sc.has...)
			page.lacks(t, sc.name, sc.hasnt...)
		}
		sorted := b.get(list + "?sort=amount").body
		if strings.Index(sorted, ">200.00<") > strings.Index(sorted, "1,234,567.89") {
			t.Errorf("sort=amount does not put 200.00 first")
		}
		b.get(list + "?lang=zh")

		csvPage := b.get(list + "/export.csv?f.agency=104")
		csvPage.want(t, "csv", 200)
		if !strings.HasPrefix(csvPage.body, "\ufeff") {
			t.Errorf("CSV has no UTF-8 byte order mark (Excel would misread it)")
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvPage.body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("CSV has %d rows, want a header and the department's 2: %v", len(rows), rows)
		}
		col := func(label string) int {
			for i, h := range rows[0] {
				if h == label {
					return i
				}
			}
			t.Fatalf("CSV has no column %s: %v", label, rows[0])
			return -1
		}
		amounts := map[string]bool{rows[1][col("指标金额")]: true, rows[2][col("指标金额")]: true}
		if !amounts["1234567.89"] || !amounts["200.00"] {
			t.Errorf("CSV amounts %v, want exact 1234567.89 and 200.00", amounts)
		}
		if rows[1][col("预算单位名称")] == "" || rows[1][col("预算单位")] == "" {
			t.Errorf("CSV lacks the agency code or name: %v", rows[1])
		}
		if !strings.Contains(csvPage.header.Get("Content-Disposition"), "filename*=UTF-8''") {
			t.Errorf("Content-Disposition: %s", csvPage.header.Get("Content-Disposition"))
		}

		xlsx := b.get(list + "/export.xlsx")
		xlsx.want(t, "xlsx", 200)
		f, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx.body)))
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetName(0)
		got, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("xlsx has %d rows, want 3", len(got))
		}
		found := false
		for _, r := range got[1:] {
			for _, v := range r {
				found = found || v == "1234567.89"
			}
		}
		if !found {
			t.Errorf("xlsx does not hold the amount 1234567.89 exactly: %v", got)
		}
	})
}

// Hidden fields never leave the server: not in the list, the record page,
// the form or the exports of a role that hides them.
func TestHiddenFieldsStayHidden(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"hr/app.yaml": `
app: hr
title: 人事
entities:
  person:
    title: 人员
    fields:
      name:   {type: string, label: 姓名, required: true}
      salary: {type: money, label: 工资}
    filters: [name, salary]
roles:
  clerk:
    scope: all
    can:
      person: [create, read, update, export]
    fields:
      person: {hidden: [salary]}
  manager:
    scope: all
    can:
      person: [read, export]
`})
	s := startServer(t, engine.SQLite, p)
	s.addUser(t, "clerk", "", "hr.clerk")
	s.addUser(t, "manager", "", "hr.manager")
	rec, err := s.rt.Create(context.Background(), engine.SystemActor, "hr", "person", map[string]any{"name": "张三", "salary": "8765.43"})
	if err != nil {
		t.Fatal(err)
	}
	clerk := s.browser(t)
	clerk.login("clerk")
	for _, path := range []string{"/ui/hr/person", "/ui/hr/person/1", "/ui/hr/person/new", "/ui/hr/person/1/edit", "/ui/hr/person/export.csv"} {
		page := clerk.get(path)
		page.want(t, path, 200)
		page.lacks(t, path, "8765.43", "8,765.43", "工资")
	}
	// Posting the hidden field anyway changes nothing: the runtime refuses it.
	clerk.get("/ui/hr/person/1/edit")
	clerk.post("/ui/hr/person/1/edit", url.Values{"_version": {"1"}, "name": {"张三"}, "salary": {"1.00"}})
	after, err := s.rt.Get(context.Background(), engine.SystemActor, "hr", "person", rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := after.Values["salary"].(decimal.Decimal); !got.Equal(decimal.RequireFromString("8765.43")) {
		t.Errorf("salary after the clerk's post: %v, want 8765.43", after.Values["salary"])
	}
	manager := s.browser(t)
	manager.login("manager")
	manager.get("/ui/hr/person/1").want(t, "manager", 200, "8,765.43", "捌仟柒佰陆拾伍元肆角叁分")
	manager.get("/ui/hr/person/new").want(t, "manager may not create", http.StatusForbidden)
}

// The pickers: the code tree offers only leaf codes where the field takes
// leaves, browses a level at a time and searches by code or name; the record
// search sees only what the user's data scope lets them read.
func TestPickers(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	s := startServer(t, engine.SQLite, p)
	s.addUser(t, "clerk", "104", "indicator.division_clerk")
	for _, agency := range []string{"104001", "101001"} {
		in := map[string]any{"year": "2026", "division": "510000000", "budget_level": "2", "agency": agency, "func_class": "2050201",
			"gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11", "fund_source": "1", "amount": "10.00", "doc_no": "文号" + agency}
		if _, err := s.rt.Create(context.Background(), engine.SystemActor, "indicator", "indicator", in); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser(t)
	b.login("clerk")
	scenarios := []struct {
		name, path string
		has, hasnt []string
	}{
		{"roots", "/ui/codes/func_class_sc?target=f-func_class&leaf=1", []string{`<span class="code">205</span> 教育`, `parent=205`}, []string{`data-pick-value="205"`}},
		{"a level down", "/ui/codes/func_class_sc?target=f-func_class&leaf=1&parent=20502", []string{`data-pick-value="2050201"`, "学前教育", "（全部）"}, nil},
		{"search by name", "/ui/codes/func_class_sc?target=f-func_class&leaf=1&_q=学前", []string{`data-pick-value="2050201"`, "205 教育支出 › 20502 普通教育"}, nil},
		{"search by code", "/ui/codes/agency?target=f-agency&q=104005", []string{`data-pick-value="104005"`, `data-pick-value="104005001"`}, []string{`data-pick-value="104001"`}},
		{"branches pickable without leaf_only", "/ui/codes/agency?target=f-agency&q=104", []string{`data-pick-value="104"`}, nil},
		{"records in scope", "/ui/ref/indicator/indicator?target=f-source_indicator&_q=文号", []string{"文号104001"}, []string{"文号101001"}},
		{"record by number", "/ui/ref/indicator/indicator?target=f-source_indicator&q=1", []string{`data-pick-value="1"`}, nil},
	}
	for _, sc := range scenarios {
		// htmx swaps in a fragment; without JavaScript the same URL is a page.
		fragment := b.htmx(sc.path)
		fragment.want(t, sc.name, 200, sc.has...)
		fragment.lacks(t, sc.name, append(sc.hasnt, "<html")...)
		b.get(sc.path).want(t, sc.name+" (page)", 200, append(sc.has, "<html")...)
	}
	b.get("/ui/codes/no_such_set").want(t, "unknown code set", http.StatusNotFound)
}

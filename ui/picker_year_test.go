package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// yearDefs is an entity with a fiscal year and two code fields: a small set
// (a select) and a large one (the tree picker), each with codes valid only
// in some years and a disabled one.
func yearDefs() map[string]string {
	var regions strings.Builder
	regions.WriteString(`      - {code: "51", name: 四川省}` + "\n")
	regions.WriteString(`      - {code: "5198", name: 撤销的县, parent: "51", valid_to: 2024}` + "\n")
	regions.WriteString(`      - {code: "5199", name: 新设的区, parent: "51", valid_from: 2027}` + "\n")
	for i := 1; i <= 70; i++ {
		fmt.Fprintf(&regions, "      - {code: \"51%02d\", name: 县%02d, parent: \"51\"}\n", i, i)
	}
	return map[string]string{"grant/app.yaml": `
app: grant
title: 补助
codesets:
  program:
    title: 项目类别
    codes:
      - {code: "01", name: 常设项目}
      - {code: "02", name: 二〇二五年专项, valid_from: 2025, valid_to: 2025}
      - {code: "03", name: 新项目, valid_from: 2026}
      - {code: "04", name: 停用项目, enabled: false}
  region:
    title: 地区
    codes:
` + regions.String() + `
entities:
  grant:
    title: 补助
    year_field: year
    fields:
      year:    {type: int, label: 年度, required: true, default: 2026}
      program: {type: code, codeset: program, label: 项目类别}
      region:  {type: code, codeset: region, label: 地区}
roles:
  clerk: {scope: all, can: {grant: [create, read, update]}}
`}
}

// The code pickers of a form offer only the codes valid in the record's
// fiscal year (and enabled): the select of a small set, its options asked
// for again when the year changes, and the tree picker's levels and search.
// A code typed anyway is refused by the engine next to its field.
func TestCodePickersFollowTheYear(t *testing.T) {
	p := enginetest.Load(t, yearDefs())
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "", "grant.clerk")
		old, err := s.rt.Create(context.Background(), engine.SystemActor, "grant", "grant", map[string]any{"year": "2025", "program": "02", "region": "5101"})
		if err != nil {
			t.Fatal(err)
		}
		b := s.browser(t)
		b.login("clerk")

		form := b.get("/ui/grant/grant/new")
		form.want(t, "the new form (year 2026 by default)", 200, `<option value="01"`, `<option value="03"`, `data-year-input="f-year"`,
			`/ui/codes/region?target=f-region&amp;year=2026`, `/ui/codes/program/options?year=2026`)
		form.lacks(t, "the new form", `<option value="02"`, `<option value="04"`)
		edit := b.get("/ui/grant/grant/" + strconv.FormatInt(old.ID, 10) + "/edit")
		edit.want(t, "the form of a 2025 record", 200, `<option value="02" selected>`, `/ui/codes/region?target=f-region&amp;year=2025`)
		edit.lacks(t, "the form of a 2025 record", `<option value="03"`)

		scenarios := []struct {
			name, path string
			has, hasnt []string
		}{
			{"a level in 2026", "/ui/codes/region?target=f-region&year=2026&parent=51", []string{`data-pick-value="5101"`, `year=2026`}, []string{`data-pick-value="5198"`, `data-pick-value="5199"`}},
			{"a level in 2027", "/ui/codes/region?target=f-region&year=2027&parent=51", []string{`data-pick-value="5199"`}, []string{`data-pick-value="5198"`}},
			{"search in 2026", "/ui/codes/region?target=f-region&year=2026&_q=撤销", []string{"没有匹配的代码"}, []string{`data-pick-value="5198"`}},
			{"search in 2024", "/ui/codes/region?target=f-region&year=2024&_q=撤销", []string{`data-pick-value="5198"`}, nil},
			{"search in any year (list filters)", "/ui/codes/region?target=f-region&_q=新设", []string{`data-pick-value="5199"`}, nil},
			{"options for 2025", "/ui/codes/program/options?year=2025&value=01", []string{`<option value="01" selected>`, `<option value="02"`}, []string{`<option value="03"`, `<option value="04"`}},
			{"options for 2027 keep the choice, marked", "/ui/codes/program/options?year=2027&value=02", []string{`<option value="03"`, `<option value="02" selected>02 二〇二五年专项（2027 年度无效）`}, nil},
		}
		for _, sc := range scenarios {
			page := b.htmx(sc.path)
			page.want(t, sc.name, 200, sc.has...)
			page.lacks(t, sc.name, append(sc.hasnt, "<html")...)
		}
		b.get("/ui/codes/region?year=2026&parent=51").want(t, "the code tree as a page", 200, "仅显示 2026 年度有效的代码", `name="year" value="2026"`)

		// Without scripts a code can still be typed: the engine refuses it
		// next to its field, and the form keeps the year it was posted with.
		b.get("/ui/grant/grant/new")
		refused := b.post("/ui/grant/grant/new", url.Values{"year": {"2025"}, "program": {"03"}, "region": {"5199"}})
		refused.want(t, "codes of other years", http.StatusUnprocessableEntity, `/ui/codes/region?target=f-region&amp;year=2025`)
		for field, text := range map[string]string{"field-program": "在 2025 年度无效", "field-region": "在 2025 年度无效"} {
			if !strings.Contains(refused.section(field), text) {
				t.Errorf("%s lacks %q; %s", field, text, excerpt(refused.body))
			}
		}
		if !strings.Contains(refused.section("field-program"), `<option value="03" selected>03 新项目（2025 年度无效）`) {
			t.Errorf("the refused code is not kept, marked, in the select; %s", refused.section("field-program"))
		}
		b.post("/ui/grant/grant/new", url.Values{"year": {"2027"}, "program": {"03"}, "region": {"5199"}}).want(t, "the same codes in 2027", http.StatusSeeOther)
	})
}

// In a browser the pickers follow the year as it is typed: the select of a
// small code set asks for its options again, and the tree picker searches
// the codes of the new year.
func TestBrowserCodePickersFollowTheYear(t *testing.T) {
	browser := newChromium(t)
	s := startServer(t, engine.SQLite, enginetest.Load(t, yearDefs()))
	s.addUser(t, "clerk", "", "grant.clerk")
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	b := tab{t: t, ctx: ctx, base: listen(t, s)}
	b.login("clerk")
	b.open("/ui/grant/grant/new")
	b.do("the form", chromedp.WaitVisible(chromedp.CSS("#f-program")))
	options := `Array.from(document.querySelectorAll("#f-program option")).map(o => o.value).join(",")`
	setYear := func(year string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const y = document.getElementById("f-year"); y.value = "`+year+`"; y.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)(ctx, t)
			return err
		})
	}
	poll := func(what, expr string) {
		t.Helper()
		pollCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := chromedp.Run(pollCtx, chromedp.Poll[bool](expr)); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](options))
			t.Fatalf("%s: %v (program options %q)", what, err, got)
		}
	}
	poll("options in 2026", options+` === ",01,03"`)
	b.do("year 2025", setYear("2025"))
	poll("options in 2025", options+` === ",01,02"`)

	b.do("search the regions of 2025",
		chromedp.Click(chromedp.CSS("#field-region summary")),
		chromedp.SendKeys(chromedp.CSS("#field-region .pick-search"), "新设"))
	poll("no new district in 2025", `document.querySelector("#field-region .pick-results").textContent.includes("没有匹配的代码")`)
	b.do("year 2027, search again", setYear("2027"), chromedp.SendKeys(chromedp.CSS("#field-region .pick-search"), "的"),
		chromedp.WaitVisible(chromedp.CSS(`#field-region [data-pick-value="5199"]`)),
		chromedp.Click(chromedp.CSS(`#field-region [data-pick-value="5199"]`)))
	poll("options in 2027", options+` === ",01,03"`)
	poll("the browse link follows the year", `document.querySelector("#field-region a.pick-browse").getAttribute("href").includes("year=2027")`)
	b.do("choose the new programme", chromedp.SetValue(chromedp.CSS("#f-program"), "03"))
	b.click("save", "#save", "#flash")
	if got := b.text("main"); !strings.Contains(got, "新设的区") || !strings.Contains(got, "新项目") {
		t.Errorf("the record saved with the codes of 2027: %s", got)
	}
}

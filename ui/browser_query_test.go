package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestBrowserReportDrillDown: open a report, narrow it to a data tag with
// the picker, see its chart and subtotal rows, click a figure and land on
// the list of exactly the records behind it, with the condition shown.
func TestBrowserReportDrillDown(t *testing.T) {
	browser := newChromium(t)
	p := enginetest.Load(t, spendDefs)
	for _, d := range enginetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			s := startServer(t, d, p)
			s.addUser(t, "clerk", "", "sp.clerk")
			seedSpend(t, s)
			ctx, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(ctx); err != nil {
				t.Fatal(err)
			}
			b := tab{t: t, ctx: ctx, base: listen(t, s)}
			b.login("clerk")

			b.open("/ui/reports/sp/by_class")
			b.do("report", chromedp.WaitVisible(chromedp.CSS("#report")))
			b.do("pick the tag",
				chromedp.Click(chromedp.CSS("details.filters summary")),
				chromedp.SetValue(chromedp.CSS("#tag"), "教育"),
				markPage,
				chromedp.Click(chromedp.CSS("#apply-filter")),
				onNextPage("#report"),
			)
			if got := b.text("#totals"); !strings.Contains(got, "51.50") || !strings.Contains(got, "3") {
				t.Errorf("totals with the tag: %q", got)
			}
			b.do("the chart", chromedp.WaitVisible(chromedp.CSS("#chart svg rect.bar")))
			if got := b.text("tr.subtotal.level-1"); !strings.Contains(got, "205") || !strings.Contains(got, "教育支出") || !strings.Contains(got, "51.50") {
				t.Errorf("first subtotal row: %q", got)
			}
			if got := b.text("#report tbody"); strings.Contains(got, "一般公共服务支出") {
				t.Errorf("the tag left other classes in: %q", got)
			}
			// Drill into the 小学教育 row's amount: two payments of 20.50.
			b.click("drill into 2050202", `#report tbody tr:last-child a.drill`, "#records")
			if got := b.text("#records"); !strings.Contains(got, "20.50") || strings.Contains(got, "10.50") || strings.Contains(got, "30.50") {
				t.Errorf("drilled list: %q", got)
			}
			cond, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#filter")))
			if err != nil {
				t.Fatal(err)
			}
			if cond != "tag('教育') and indicator.func_class under '2050202'" {
				t.Errorf("the list's condition reads %q", cond)
			}
		})
	}
}

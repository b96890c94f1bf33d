package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// A day's list work in Chromium: a reviewer opens the to-do list, approves
// five indicators in one batch of which one is their own (refused by
// segregation of duties) and four pass, with a result per record; a payment
// clerk searches payments by payee name, saves the search and reopens it;
// a picker is driven by the keyboard alone.
func TestBrowserListWork(t *testing.T) {
	browser := newChromium(t)
	p := enginetest.LoadDir(t, shippedDir)
	for i, d := range enginetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			s := startServer(t, d, p)
			s.addUser(t, "clerk", "104", "indicator.division_clerk")
			s.addUser(t, "both", "104", "indicator.division_clerk", "indicator.division_reviewer")
			s.addUser(t, "reviewer", "104", "indicator.division_reviewer")
			s.addUser(t, "payclerk", "104001", "payment.agency_clerk")
			others := createIndicators(t, s, "clerk", true, map[string]string{"川财教〔2026〕31号": "310000.00", "川财教〔2026〕32号": "32000.00",
				"川财教〔2026〕33号": "3300.00", "川财教〔2026〕34号": "340.00"})
			own := createIndicators(t, s, "both", true, map[string]string{"川财教〔2026〕35号": "35.00"})
			indicator := createIndicators(t, s, "clerk", false, map[string]string{"川财教〔2026〕40号": "900000.00"})[0]
			for _, payee := range []string{"成都某办公用品有限公司", "绵阳某建筑工程公司", "成都某印刷厂"} {
				in := map[string]any{"year": 2026, "division": "510000000", "indicator": indicator, "agency": "104001",
					"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
					"payer_name": "四川省教育厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
					"payee_name": payee, "payee_account": "4402200109100012345", "payee_bank": "102651000029",
					"settlement_method": "1", "payment_method": "001002", "purpose": "购买办公用品", "amount": "3580.00"}
				if _, err := s.rt.Create(context.Background(), engine.SystemActor, "payment", "payment", in); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(ctx); err != nil {
				t.Fatal(err)
			}
			b := tab{t: t, ctx: ctx, base: listen(t, s)}

			// The to-do list, from the portal: the five submitted records
			// wait for the reviewer, named by document number, with amounts;
			// the draft does not.
			b.login("reviewer")
			b.click("to-do list", "#todo-link", "#todo")
			todo := b.text("#todo")
			for _, want := range []string{"预算指标", "待处室审核", "川财教〔2026〕31号", "310,000.00", "340.00"} {
				if !strings.Contains(todo, want) {
					t.Errorf("to-do list lacks %q: %s", want, todo)
				}
			}
			if strings.Contains(todo, "川财教〔2026〕40号") {
				t.Errorf("the to-do list shows a draft the reviewer cannot act on: %s", todo)
			}
			if i == 0 {
				b.shot("todo")
			}
			b.logout()
			b.login("both")

			// Batch: tick every submitted indicator, including their own.
			b.open("/ui/indicator/indicator?f.state=submitted")
			b.do("select all", chromedp.WaitVisible(chromedp.CSS("#select-all")), chromedp.Click(chromedp.CSS("#select-all")))
			if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("input.row-select:checked").length`)); n != 5 {
				t.Fatalf("select all ticked %d rows, want 5", n)
			}
			b.click("approve in one batch", "#batch-review", "#batch-summary")
			if got := b.text("#batch-summary"); got != "“审核通过”：4 条成功，1 条未通过。" {
				t.Errorf("batch summary: %q", got)
			}
			for _, id := range others {
				if got := b.text(`#batch-results tr[data-id="` + itoa(id) + `"]`); !strings.Contains(got, "成功") {
					t.Errorf("record %d: %q, want 成功", id, got)
				}
			}
			if got := b.text(`#batch-results tr[data-id="` + itoa(own[0]) + `"]`); !strings.Contains(got, "未通过") {
				t.Errorf("own record %d: %q, want 未通过 with the reason", own[0], got)
			}
			b.logout()

			// Search by payee name, save it, reopen it.
			b.login("payclerk")
			b.open("/ui/payment/payment")
			b.do("search", chromedp.WaitVisible(chromedp.CSS("#search")), chromedp.SendKeys(chromedp.CSS("#search"), "办公用品"))
			b.click("apply search", "#apply-filter", "#records")
			if got := b.text("#records"); !strings.Contains(got, "成都某办公用品有限公司") || strings.Contains(got, "绵阳") || strings.Contains(got, "印刷厂") {
				t.Errorf("search by payee name shows: %s", got)
			}
			b.do("name the filter", chromedp.SendKeys(chromedp.CSS("#filter-name"), "办公用品付款"))
			b.click("save the filter", "#save-filter-submit", "#flash")
			b.open("/ui/payment/payment")
			b.do("list", chromedp.WaitVisible(chromedp.CSS(".saved-filter a")))
			if got := b.text("#records"); !strings.Contains(got, "绵阳") {
				t.Errorf("the plain list should show every payment: %s", got)
			}
			b.click("reopen the saved filter", ".saved-filter a", "#records")
			if got := b.text("#records"); !strings.Contains(got, "成都某办公用品有限公司") || strings.Contains(got, "绵阳") {
				t.Errorf("the saved filter reopened shows: %s", got)
			}
			if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#search"))); got != "办公用品" {
				t.Errorf("the search box after reopening: %q", got)
			}
			b.logout()

			// A picker by keyboard: opening it focuses its search box, the
			// arrow key reaches a result, Enter chooses it.
			b.login("clerk")
			b.open("/ui/indicator/indicator/new")
			b.do("open the agency picker",
				chromedp.WaitVisible(chromedp.CSS("#field-agency summary")),
				chromedp.Click(chromedp.CSS("#field-agency summary")),
				chromedp.WaitReady(chromedp.CSS("#field-agency .pick-search:focus")),
				chromedp.KeyEvent("教育厅"),
				chromedp.WaitVisible(chromedp.CSS(`#field-agency [data-pick-value="104001"]`)),
				chromedp.KeyEvent(kb.ArrowDown),
				chromedp.WaitReady(chromedp.CSS(`#field-agency [data-pick-value]:focus`)),
			)
			focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute("data-pick-value")`))
			b.do("choose by Enter", chromedp.KeyEvent(kb.Enter))
			if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#f-agency"))); got == "" || got != focused {
				t.Errorf("Enter on %q chose %q", focused, got)
			}
			b.do("Escape closes the picker",
				chromedp.Click(chromedp.CSS("#field-agency summary")),
				chromedp.WaitReady(chromedp.CSS("#field-agency .pick-search:focus")),
				chromedp.KeyEvent(kb.Escape),
				chromedp.WaitReady(chromedp.CSS("#field-agency details.pick:not([open])")),
			)
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

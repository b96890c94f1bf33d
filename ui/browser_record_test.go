package ui_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/growth-gov/growth/engine/enginetest"
)

// In Chromium, as a payment clerk: choose an indicator in the payment form
// and see its elements filled and its available balance beside the picker;
// save the payment and print its voucher, with the amount in capitals, and
// download it as a PDF; open
// the record page on a 400 px phone without sideways scrolling and with the
// actions above the fields; and open a payroll batch to see its lines.
func TestBrowserRecordPages(t *testing.T) {
	browser := newChromium(t)
	p := enginetest.LoadDir(t, shippedDir)
	for i, d := range enginetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			s := startServer(t, d, p)
			ind := releasedIndicator(t, s, "川财教〔2026〕7号", "1234567.89")
			batch := batchWithLines(t, s)
			s.addPerson(t, "wang.wu", "王五", "104001", "payment.agency_clerk", "payroll.agency_clerk")
			ctx, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(ctx); err != nil {
				t.Fatal(err)
			}
			b := tab{t: t, ctx: ctx, base: listen(t, s)}
			eval := func(what, js string) string {
				t.Helper()
				c, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				v, err := chromedp.Run(c, chromedp.Evaluate[string](js))
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				return v
			}
			waitFor := func(what, js string) {
				t.Helper()
				c, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if _, err := chromedp.Run(c, chromedp.Poll[bool](js)); err != nil {
					html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
					t.Fatalf("%s: %v\n%s", what, err, excerpt(html))
				}
			}
			b.login("wang.wu")
			if got := b.text("#current-user"); got != "王五" {
				t.Errorf("the header greets %q, want 王五", got)
			}

			// Choose the indicator: eight fields and the balance follow.
			sid := strconv.FormatInt(ind, 10)
			b.open("/ui/payment/payment/new")
			b.do("pick the indicator",
				chromedp.WaitVisible(chromedp.CSS("#save")),
				chromedp.Click(chromedp.CSS("#field-indicator summary")),
				chromedp.WaitVisible(chromedp.CSS(`#field-indicator [data-pick-value="`+sid+`"]`)),
				chromedp.Click(chromedp.CSS(`#field-indicator [data-pick-value="`+sid+`"]`)),
			)
			waitFor("the balance beside the picker", `document.getElementById("f-indicator-balance").textContent.includes("可用余额：1,234,567.89")`)
			waitFor("the agency filled", `document.getElementById("f-agency").value === "104001"`)
			for field, want := range map[string]string{"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11", "division": "510000000", "year": "2026"} {
				if got := eval(field, `document.getElementById("f-`+field+`").value`); got != want {
					t.Errorf("%s is %q after choosing the indicator, want %q", field, got, want)
				}
			}
			b.do("fill in the payee",
				chromedp.SetValue(chromedp.CSS("#f-payer_name"), "四川省教育厅"),
				chromedp.SetValue(chromedp.CSS("#f-payer_account"), "510101000000001"),
				chromedp.SetValue(chromedp.CSS("#f-payer_bank"), "102651000011"),
				chromedp.SetValue(chromedp.CSS("#f-payee_name"), "成都某办公用品有限公司"),
				chromedp.SetValue(chromedp.CSS("#f-payee_account"), "4402200109100012345"),
				chromedp.SetValue(chromedp.CSS("#f-payee_bank"), "102651000029"),
				chromedp.SetValue(chromedp.CSS("#f-payment_method"), "001002"),
				chromedp.SetValue(chromedp.CSS("#f-amount"), "1234567.89"),
				chromedp.SetValue(chromedp.CSS("#f-purpose"), "购买办公用品"),
			)
			b.click("save", "#save", "#print-record")
			record := eval("record URL", `location.pathname`)

			// The voucher: the amount in capitals and the signature boxes.
			b.click("print", "#print-record", "#voucher")
			if got := b.text("#amount-words"); got != "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分" {
				t.Errorf("the voucher's amount in capitals reads %q", got)
			}
			if got := b.text(".signatures"); !strings.Contains(got, "经办人") || !strings.Contains(got, "复核人") {
				t.Errorf("the voucher lacks signature boxes: %q", got)
			}
			// Its PDF link downloads the voucher drawn on the server.
			if data := b.download("download the PDF", "#print-pdf"); !bytes.HasPrefix(data, []byte("%PDF-")) {
				t.Errorf("the PDF link downloads %q", data[:min(len(data), 40)])
			} else if _, text := pdfText(t, data); !strings.Contains(text, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分") {
				t.Errorf("the downloaded PDF lacks the amount in capitals:\n%s", text)
			}

			// The record page on a phone: nothing wider than the screen, the
			// actions above the fields.
			b.do("phone", chromedp.EmulateViewport(400, 860))
			b.open(record)
			b.do("record page", chromedp.WaitVisible(chromedp.CSS("#events")))
			if w, _ := strconv.Atoi(eval("width", `String(document.documentElement.scrollWidth)`)); w > 400 || w == 0 {
				t.Errorf("at 400 px the record page is %d px wide", w)
			}
			if eval("order", `String(document.getElementById("events").getBoundingClientRect().top < document.querySelector(".record-fields").getBoundingClientRect().top)`) != "true" {
				t.Errorf("at 400 px the actions are below the fields")
			}
			if i == 0 {
				b.shot("record-phone")
			}
			b.open("/ui/payment/payment/new")
			b.do("form on a phone", chromedp.WaitVisible(chromedp.CSS("#save")))
			if w, _ := strconv.Atoi(eval("form width", `String(document.documentElement.scrollWidth)`)); w > 400 || w == 0 {
				t.Errorf("at 400 px the form is %d px wide", w)
			}
			b.do("laptop", chromedp.EmulateViewport(1280, 860))

			// The batch page lists its lines with their total.
			b.open("/ui/payroll/batch/" + strconv.FormatInt(batch, 10))
			b.do("batch page", chromedp.WaitVisible(chromedp.CSS("#children-line")))
			lines := b.text("#children-line")
			for _, want := range []string{"王建国", "李秀英", "合计", "7,350.35"} {
				if !strings.Contains(lines, want) {
					t.Errorf("the batch's lines lack %q: %s", want, lines)
				}
			}
		})
	}
}

package ui_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/ledongthuc/pdf"
)

// pdfText is the text a PDF reader extracts from data, page by page, read
// by an independent PDF parser.
func pdfText(t *testing.T, data []byte) (pages int, text string) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", data[:min(len(data), 40)])
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("the PDF does not parse: %v", err)
	}
	var all strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		s, err := p.GetPlainText(nil)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		all.WriteString(s)
	}
	return r.NumPage(), all.String()
}

// The voucher as a PDF: a payment clerk downloads it from the print view;
// it is one A4 page whose text is the voucher's title, its fields, the
// amount in capitals and the signature boxes. Whoever may not open the print
// view may not download it either.
func TestPrintVoucherPDF(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		ind := releasedIndicator(t, s, "川财教〔2026〕9号", "2000000.00")
		s.addPerson(t, "wang.wu", "王五", "104001", "payment.agency_clerk")
		b := s.browser(t)
		b.login("wang.wu")
		form := paymentValues(ind, "1234567.89")
		saved := b.post("/ui/payment/payment/new", form)
		saved.want(t, "payment", http.StatusSeeOther)
		b.get(saved.location+"/print").want(t, "print view", 200, `href="`+saved.location+`/print.pdf"`, `id="print-pdf"`)

		got := b.get(saved.location + "/print.pdf")
		got.want(t, "PDF", 200)
		if ct := got.header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := got.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".pdf") {
			t.Errorf("Content-Disposition %q", cd)
		}
		pages, text := pdfText(t, []byte(got.body))
		if pages != 1 {
			t.Errorf("the voucher has %d pages, want 1", pages)
		}
		for _, want := range []string{"财政支付凭证", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分", "￥1,234,567.89", "金额（大写）",
			"收款人全称", "成都某办公用品有限公司", "4402200109100012345", "川财教〔2026〕9号", "104001 四川省教育厅（本级）",
			"凭证信息", "经办人", "复核人", "审批人", "银行经办", "打印人：王五"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF's text lacks %q:\n%s", want, text)
			}
		}

		// Another agency's clerk sees neither the voucher nor its PDF; a
		// user without the payment app is refused both.
		s.addUser(t, "neighbour", "101001", "payment.agency_clerk")
		s.addUser(t, "stranger", "104", "indicator.division_clerk")
		for _, who := range []struct {
			name   string
			status int
		}{{"neighbour", http.StatusNotFound}, {"stranger", http.StatusForbidden}} {
			other := s.browser(t)
			other.login(who.name)
			other.get(saved.location+"/print").want(t, who.name+" opens the print view", who.status)
			refused := other.get(saved.location + "/print.pdf")
			refused.want(t, who.name+" downloads the PDF", who.status)
			if strings.HasPrefix(refused.body, "%PDF") {
				t.Errorf("%s got a PDF", who.name)
			}
		}
		// Without a print layout there is no PDF.
		b.get("/ui/payment/plan/1/print.pdf").want(t, "no print layout", http.StatusNotFound)
	})
}

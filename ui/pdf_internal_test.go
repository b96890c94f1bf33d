package ui

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
)

// readPDF parses data with an independent PDF reader and returns the text of
// each page.
func readPDF(t *testing.T, data []byte) []string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("the PDF does not parse: %v", err)
	}
	var pages []string
	for i := 1; i <= r.NumPage(); i++ {
		s, err := r.Page(i).GetPlainText(nil)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		pages = append(pages, s)
	}
	return pages
}

// A voucher longer than a page goes on over pages, each grid row whole; the
// signatures and the printing note close the last page, and the pages are
// numbered. Characters the
// standard Chinese font cannot encode come out as their nearest equivalent.
func TestVoucherPDFPages(t *testing.T) {
	v := &printView{Title: "财政支付凭证", Name: "ZF2026-000123", State: "待审核",
		AmountLabel: "金额", Amount: "¥1,234,567.89", Words: "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
		Signatures: []string{"经办人", "复核人"}, Printed: "打印时间：2026-05-01 10:00　打印人：王五"}
	s := printSection{Title: "明细"}
	for i := 1; i <= 80; i++ {
		s.Rows = append(s.Rows, []printCell{{Label: fmt.Sprintf("项目%d", i), Value: fmt.Sprintf("值%03d", i)}, {Label: "金额", Value: "1.00", Numeric: true}})
	}
	s.Rows = append(s.Rows, []printCell{{Label: "收款人", Value: "阿卜杜·热合曼 𠀀"}})
	v.Sections = []printSection{s}
	pages := readPDF(t, voucherPDF(Chinese, v, time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)))
	if len(pages) < 2 {
		t.Fatalf("80 rows fit on %d page", len(pages))
	}
	all := strings.Join(pages, "\n")
	for i := 1; i <= 80; i++ {
		if n := strings.Count(all, fmt.Sprintf("值%03d", i)); n != 1 {
			t.Errorf("row %d is printed %d times", i, n)
		}
	}
	last := pages[len(pages)-1]
	for _, want := range []string{"阿卜杜・热合曼 〓", "￥1,234,567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分", "经办人", "复核人", "打印人：王五"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last page lacks %q:\n%s", want, last)
		}
	}
	if !strings.Contains(pages[0], "财政支付凭证") || strings.Contains(pages[1], "财政支付凭证") {
		t.Errorf("the title is not on the first page alone")
	}
	for i, p := range pages {
		if want := fmt.Sprintf("第 %d 页，共 %d 页", i+1, len(pages)); !strings.Contains(p, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
	}
}

// A text longer than a page goes on over pages, none of it lost.
func TestVoucherPDFLongText(t *testing.T) {
	var long strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&long, "第%04d句。", i)
	}
	v := &printView{Title: "财政支付凭证", Name: "ZF2026-000123", Printed: "打印人：王五"}
	v.Sections = []printSection{{Title: "用途", Rows: [][]printCell{{{Label: "用途", Value: long.String()}}, {{Label: "备注", Value: "完"}}}}}
	pages := readPDF(t, voucherPDF(Chinese, v, time.Now()))
	if len(pages) < 3 {
		t.Fatalf("%d characters fit on %d pages", long.Len(), len(pages))
	}
	// The text read page after page, without the page numbers at each
	// page's foot.
	text := strings.Join(strings.Fields(strings.Join(pages, "")), "")
	text = regexp.MustCompile(`第\d+页，共\d+页`).ReplaceAllString(text, "")
	if !strings.Contains(text, long.String()+"备注完") {
		t.Errorf("the long text is not printed whole and in order: %s", text)
	}
}

func TestWrap(t *testing.T) {
	scenarios := []struct {
		name, text string
		width      float64
		want       []string
	}{
		{"fits", "成都某办公用品有限公司", 200, []string{"成都某办公用品有限公司"}},
		{"chinese breaks anywhere", "成都某办公用品有限公司", 50, []string{"成都某办公", "用品有限公", "司"}},
		{"latin breaks between words", "pay for office paper", 40, []string{"pay for", "office", "paper"}},
		{"a word longer than the line", "4402200109100012345", 40, []string{"44022001", "09100012", "345"}},
		{"line breaks kept", "第一行\n第二行", 200, []string{"第一行", "第二行"}},
		{"empty", "", 100, []string{""}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := wrap(sc.text, 10, sc.width)
			if strings.Join(got, "|") != strings.Join(sc.want, "|") {
				t.Errorf("wrap(%q, %v) = %q, want %q", sc.text, sc.width, got, sc.want)
			}
			for _, line := range got {
				if w := textWidth(line, 10); w > sc.width {
					t.Errorf("%q is %v wide, more than %v", line, w, sc.width)
				}
			}
		})
	}
}

// BenchmarkVoucherPDF draws a payment voucher of the shipped layout's size
// (five sections, 17 fields, four signature boxes).
func BenchmarkVoucherPDF(b *testing.B) {
	v := &printView{Title: "财政支付凭证", Name: "ZF2026-000123", State: "待审核",
		AmountLabel: "金额", Amount: "¥1,234,567.89", Words: "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
		Signatures: []string{"经办人", "复核人", "审批人", "银行经办"}, Printed: "打印时间：2026-05-01 10:00　打印人：王五"}
	for _, title := range []string{"凭证信息", "预算要素", "付款人", "收款人", "用途"} {
		s := printSection{Title: title}
		for range 2 {
			s.Rows = append(s.Rows, []printCell{{Label: "收款人全称", Value: "成都某办公用品有限公司"}, {Label: "收款人账号", Value: "4402200109100012345"}})
		}
		v.Sections = append(v.Sections, s)
	}
	now := time.Now()
	var size int
	for b.Loop() {
		size = len(voucherPDF(Chinese, v, now))
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}

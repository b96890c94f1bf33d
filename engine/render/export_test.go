package render_test

import (
	"errors"
	"path"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/render"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Files are rendered from values alone: no database, no runtime.
var renderDefs = map[string]string{"pay/app.yaml": `
app: pay
title: 代发
entities:
  batch:
    title: 发放批次
    fields:
      month:     {type: string, required: true}
      net_total: {type: money, label: 实发合计}
  line:
    title: 发放明细
    fields:
      batch: {type: ref, entity: batch, required: true}
      name:  string
      net:   money
exports:
  fixed:
    title: 银行定长文件
    entity: batch
    lines: {entity: line, via: batch}
    format: fixed
    encoding: gbk
    filename: "'BANK/' + record.month + '.txt'"
    columns:
      - {title: 户名, expr: "line.name", width: 6}
      - {title: 金额, expr: "line.net", width: 10, align: right, pad: "0"}
    total: {expr: "line.net", equals: net_total}
  sheet:
    title: 明细表
    entity: batch
    lines: {entity: line, via: batch}
    header: true
    newline: lf
    columns:
      - {title: 户名, expr: "line.name"}
      - {title: 金额, expr: "line.net"}
  summary:
    title: 批次
    entity: batch
    columns:
      - {title: 月份, expr: "record.month"}
      - {title: 合计, expr: "record.net_total", scale: 3}
`}

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func batch(total string) render.Record {
	return render.Record{ID: 7, State: "draft", CreatedBy: "clerk", Values: map[string]any{"month": "2026-03", "net_total": money(total)}}
}

func line(id int64, name, net string) render.Record {
	return render.Record{ID: id, Values: map[string]any{"batch": int64(7), "name": name, "net": money(net)}}
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExport(t *testing.T) {
	p := enginetest.Load(t, renderDefs)
	export := func(name string) *metamodel.Export { return p.App("pay").Export(name) }
	today := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	scenarios := []struct {
		name                  string
		in                    render.Input
		data, file, mediaType string
		lines                 int
		total                 string
	}{
		{
			name: "fixed width in GBK: two bytes a character, a negative amount zero padded after its sign, the file name made safe",
			in: render.Input{Export: export("fixed"), Record: batch("987.70"), Today: today, CleanName: path.Base,
				Lines: []render.Record{line(1, "张三", "1000.00"), line(2, "李四", "-12.30")}},
			data:      gbk(t, "张三  0001000.00\r\n李四  -000012.30\r\n"),
			file:      "2026-03.txt",
			mediaType: "text/plain; charset=GBK",
			lines:     2,
			total:     "987.70",
		},
		{
			name: "csv with a header row: text a spreadsheet would run gets an apostrophe, a negative amount does not",
			in: render.Input{Export: export("sheet"), Record: batch("0"), Today: today,
				Lines: []render.Record{line(1, "=1+1", "-12.50"), line(2, "@SUM(A1)", "3")}},
			data:      "户名,金额\n'=1+1,-12.50\n'@SUM(A1),3.00\n",
			file:      "sheet_7.csv",
			mediaType: "text/csv; charset=utf-8",
			lines:     2,
		},
		{
			name:      "an export without lines writes one row, of the record, with the column's scale",
			in:        render.Input{Export: export("summary"), Record: batch("1.5"), Today: today},
			data:      "2026-03,1.500\r\n",
			file:      "summary_7.csv",
			mediaType: "text/csv; charset=utf-8",
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f, err := render.Export(sc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(f.Data) != sc.data {
				t.Errorf("data %q, want %q", f.Data, sc.data)
			}
			if f.Name != sc.file || f.ContentType != sc.mediaType || f.Lines != sc.lines {
				t.Errorf("name %q, type %q, lines %d; want %q, %q, %d", f.Name, f.ContentType, f.Lines, sc.file, sc.mediaType, sc.lines)
			}
			total := ""
			if f.Total != nil {
				total = f.Total.StringFixed(f.TotalScale)
			}
			if total != sc.total {
				t.Errorf("total %q, want %q", total, sc.total)
			}
		})
	}
}

// Values the file cannot hold refuse the whole file with the code a client
// is answered with.
func TestExportRefusals(t *testing.T) {
	p := enginetest.Load(t, renderDefs)
	fixed := p.App("pay").Export("fixed")
	scenarios := []struct {
		name  string
		total string
		lines []render.Record
		code  errcode.Code
	}{
		{"a check total that does not agree", "1000.01", []render.Record{line(1, "张三", "1000.00")}, errcode.ExportTotal},
		{"a value wider than its column in bytes", "1.00", []render.Record{line(1, "欧阳娜娜", "1.00")}, errcode.ExportWidth},
		{"a character GBK cannot write", "1.00", []render.Record{line(1, "😀", "1.00")}, errcode.ExportEncoding},
		{"a line break in a fixed-width file", "1.00", []render.Record{line(1, "张\n三", "1.00")}, errcode.ExportWidth},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f, err := render.Export(render.Input{Export: fixed, Record: batch(sc.total), Lines: sc.lines})
			var refused *render.Error
			if !errors.As(err, &refused) || !errors.Is(err, sc.code) {
				t.Fatalf("file %v, error %v; want a render.Error of code %s", f, err, sc.code)
			}
			if refused.Text.Zh == "" || refused.Text.En == "" {
				t.Errorf("message %+v, want it in Chinese and English", refused.Text)
			}
		})
	}
}

func TestSafeCSVText(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-x": "'-x", "@SUM(A1)": "'@SUM(A1)", "\t=1": "'\t=1", "\r=1": "'\r=1",
		"张三": "张三", "": "", "a=b": "a=b",
	} {
		if got := render.SafeCSVText(in); got != want {
			t.Errorf("SafeCSVText(%q) = %q, want %q", in, got, want)
		}
	}
}

package engine_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/xuri/excelize/v2"
)

// allocated runs fn and returns how many bytes it allocated on the heap in
// all (TotalAlloc): what a parser built from a hostile cell shows up here
// even when it was freed again.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// refusedFile imports file and returns the one file-level problem the
// report gives, with its line; the test fails when anything was imported.
func refusedFile(t *testing.T, rt *engine.Runtime, r io.Reader, format string) (int, string) {
	t.Helper()
	report, err := rt.Import(context.Background(), fundClerk, "fund", "grant", r, format, nil)
	var rejected *engine.ImportRejectedError
	if !errors.As(err, &rejected) {
		t.Fatalf("import answered %v, want the file refused", err)
	}
	if report.Imported != 0 || len(report.Errors) != 1 || len(report.Errors[0].Fields[engine.FileField]) != 1 {
		t.Fatalf("report %+v, want one problem with the file", report)
	}
	return report.Errors[0].Line, report.Errors[0].Fields[engine.FileField][0].Message
}

func TestImportRefusesHostileExcel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 500 MB cell (as a 0.5 MB file)")
	}
	rt := startFund(t, engine.SQLite).rt
	header := []string{"单位", "功能分类", "金额"}
	cases := []struct {
		name   string
		size   int64
		shared bool
		line   int
		want   string
	}{
		{"a 500 MB shared string", 500 << 20, true, 1, "Excel 文件解压后超过 256 MB 的上限（至部件 xl/sharedStrings.xml"},
		{"a 300 MB inline string", 300 << 20, false, 1, "Excel 文件解压后超过 256 MB 的上限（至部件 xl/worksheets/sheet1.xml"},
		{"a 100 MB shared string, within the unpacked size", 100 << 20, true, 1, "Excel 文件共享字符串表中第 1 个字符串超过单元格 32767 个字符的上限"},
		{"a 100 MB inline string, within the unpacked size", 100 << 20, false, 2, "单元格 B2（工作表 xl/worksheets/sheet1.xml）超过 32767 个字符的上限"},
		{"a cell just over the limit", 32768, false, 2, "单元格 B2（第 2 行）有 32768 个字符，超过单元格 32767 个字符的上限"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var file bytes.Buffer
			if err := enginetest.HostileXLSX(&file, header, c.size, c.shared); err != nil {
				t.Fatal(err)
			}
			if c.size >= 100<<20 && file.Len() > 1<<20 {
				t.Fatalf("the hostile file is %d bytes; it should pack into less than 1 MiB", file.Len())
			}
			var line int
			var msg string
			heap := allocated(func() { line, msg = refusedFile(t, rt, bytes.NewReader(file.Bytes()), engine.FormatXLSX) })
			if line != c.line || !strings.Contains(msg, c.want) {
				t.Errorf("refused at line %d with %q, want line %d and %q", line, msg, c.line, c.want)
			}
			// A sanity bound, not a measurement (docs/performance.md has
			// the server's peak memory): the import must not have built the
			// string, which is 100 MB and more here.
			if heap > 64<<20 {
				t.Errorf("the import allocated %d MiB", heap>>20)
			}
		})
	}
	if got := countRecords(t, rt, "grant"); got != 0 {
		t.Errorf("%d grants after refused imports", got)
	}
}

// endless reads as a CSV file whose second row's second cell never ends.
type endless struct{ head string }

func (e *endless) Read(p []byte) (int, error) {
	if e.head != "" {
		n := copy(p, e.head)
		e.head = e.head[n:]
		return n, nil
	}
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestImportRefusesHostileCSV(t *testing.T) {
	rt := startFund(t, engine.SQLite).rt
	var line int
	var msg string
	heap := allocated(func() {
		line, msg = refusedFile(t, rt, &endless{head: "agency,func_class,amount\n101001,\"2050"}, engine.FormatCSV)
	})
	if line != 2 || msg != "第 2 行起的一行超过 4 MB 的上限（单元格最多 32767 个字符）" {
		t.Errorf("an endless cell: line %d, %q", line, msg)
	}
	if heap > 64<<20 {
		t.Errorf("reading an endless cell allocated %d MiB", heap>>20)
	}

	long := strings.Repeat("中", 32768)
	line, msg = refusedFile(t, rt, strings.NewReader("agency,func_class,amount\n101001,2050201,1.00\n101001,"+long+",1.00\n"), engine.FormatCSV)
	if line != 3 || msg != "第 3 行第 2 列有 32768 个字符，超过单元格 32767 个字符的上限" {
		t.Errorf("a long cell: line %d, %q", line, msg)
	}
}

// TestImportRefusesAWideRowBeforeReadingIt: a row of many cells that each
// name one long shared string would make the Excel reader build the string
// once per cell; the worksheet is refused before it is parsed.
func TestImportRefusesAWideRowBeforeReadingIt(t *testing.T) {
	rt := startFund(t, engine.SQLite).rt
	x := excelize.NewFile()
	long := strings.Repeat("长", 30000)
	row := make([]any, 300)
	for i := range row {
		row[i] = long
	}
	if err := x.SetSheetRow("Sheet1", "A1", &[]any{"agency", "func_class", "amount"}); err != nil {
		t.Fatal(err)
	}
	if err := x.SetSheetRow("Sheet1", "A2", &row); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		t.Fatal(err)
	}
	var line int
	var msg string
	heap := allocated(func() { line, msg = refusedFile(t, rt, &b, engine.FormatXLSX) })
	if want := "第 2 行有超过 256 个有值的单元格（工作表 xl/worksheets/sheet1.xml，至单元格 IW2），超过 256 列的上限"; line != 2 || msg != want {
		t.Errorf("line %d, %q; want %q", line, msg, want)
	}
	if heap > 64<<20 {
		t.Errorf("the import allocated %d MiB", heap>>20)
	}
}

func TestImportRowAndColumnLimits(t *testing.T) {
	rt := startFund(t, engine.SQLite).rt
	rt.ImportLimits = engine.ImportLimits{Rows: 2, Columns: 4}
	csvOf := func(rows ...string) io.Reader { return strings.NewReader(strings.Join(rows, "\n") + "\n") }
	xlsxOf := func(rows ...[]any) io.Reader {
		x := excelize.NewFile()
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := x.Write(&b); err != nil {
			t.Fatal(err)
		}
		return &b
	}
	for _, c := range []struct {
		name   string
		file   io.Reader
		format string
		line   int
		want   string
	}{
		{"three CSV rows", csvOf("agency,func_class,amount", "101001,2050201,1", "", "101001,2050201,2", "101001,2050201,3"), engine.FormatCSV, 5,
			"文件超过 2 行数据的上限（第 5 行）；请分成几个文件导入"},
		{"five CSV columns", csvOf("agency,func_class,amount", "101001,2050201,1,,", "101001,2050201,1,x,y"), engine.FormatCSV, 3,
			"第 3 行有 5 列，超过 4 列的上限"},
		{"three Excel rows", xlsxOf([]any{"agency", "func_class", "amount"}, []any{101001, 2050201, 1}, []any{101001, 2050201, 2}, []any{101001, 2050201, 3}), engine.FormatXLSX, 4,
			"文件超过 2 行数据的上限（第 4 行）；请分成几个文件导入"},
		{"five Excel columns", xlsxOf([]any{"agency", "func_class", "amount", "", "x"}), engine.FormatXLSX, 1,
			"第 1 行有超过 4 个有值的单元格（工作表 xl/worksheets/sheet1.xml，至单元格 E1），超过 4 列的上限"},
	} {
		t.Run(c.name, func(t *testing.T) {
			line, msg := refusedFile(t, rt, c.file, c.format)
			if line != c.line || msg != c.want {
				t.Errorf("line %d, %q; want line %d, %q", line, msg, c.line, c.want)
			}
		})
	}
	// All cells together: many cells may name one long shared string.
	rt.ImportLimits = engine.ImportLimits{TextBytes: 100}
	line, msg := refusedFile(t, rt, csvOf("agency,func_class,amount", "101001,"+strings.Repeat("x", 80)+",1", "101001,2050201,2"), engine.FormatCSV)
	if want := "文件中单元格的内容合计超过 100 B 的上限（至第 2 行）；请分成几个文件导入"; line != 2 || msg != want {
		t.Errorf("all text: line %d, %q; want %q", line, msg, want)
	}
	rt.ImportLimits = engine.ImportLimits{Rows: 2, Columns: 4}

	// Within the limits the same files import.
	report, err := rt.Import(context.Background(), fundClerk, "fund", "grant", csvOf("agency,func_class,amount", "101001,2050201,1,,", "101001,2050201,2"), engine.FormatCSV, nil)
	if err != nil || report.Imported != 2 {
		t.Fatalf("within the limits: %+v, %v", report, err)
	}
}

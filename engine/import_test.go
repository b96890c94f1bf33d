package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/xuri/excelize/v2"
)

// rowProblems renders a report's errors as "line field: message" lines.
func rowProblems(r *engine.ImportReport) []string {
	var out []string
	for _, e := range r.Errors {
		var names []string
		for n := range e.Fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for _, fe := range e.Fields[n] {
				out = append(out, fmt.Sprintf("%d %s: %s", e.Line, n, fe.Message))
			}
		}
	}
	return out
}

func countRecords(t *testing.T, rt *engine.Runtime, entity string) int64 {
	t.Helper()
	res, err := rt.List(context.Background(), fundClerk, "fund", entity, engine.ListQuery{Total: true})
	if err != nil {
		t.Fatal(err)
	}
	return *res.Total
}

func TestImport(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		ctx := context.Background()
		g := f.grant("5000.00")
		gs := itoa(g)

		scenarios := []struct {
			name   string
			entity string
			file   string
			want   []string // row problems; none means imported
			count  int      // records of entity afterwards
		}{
			{
				name:   "a good file by labels, with a BOM and a blank line",
				entity: "grant",
				file:   "\ufeff单位,功能分类,金额\n101001,2050201,\"1,000.00\"\n\n101002,2050202,250.5\n",
				count:  3,
			},
			{
				name:   "a half-valid file imports nothing and lists every bad row",
				entity: "spend",
				file: "grant,agency,func_class,amount\n" +
					gs + ",101001,2050201,1000.00\n" + // good
					gs + ",101001,2050201,abc\n" + // not a number
					gs + ",,2050201,10.00\n" + // agency missing
					gs + ",101001,2050299,10.00\n" + // elements do not match
					"9999,101001,2050201,10.00\n" + // no such grant
					gs + ",101001,2050201,3000.00\n" + // good: 4,000 of 5,000 reserved
					gs + ",101001,2050201,1000.01\n" + // overdraft after the rows before it
					gs + ",101001,2050201,0\n", // zero
				want: []string{
					`3 amount: "abc" 不是有效的数字`,
					"4 agency: 单位 为必填项",
					"5 func_class: 功能分类 与额度 #" + gs + "的功能分类不一致（额度为 2050201，本单为 2050299）",
					"6 grant: 额度 #9999 不存在",
					"8 amount: 额度 #" + gs + " 可用余额不足：可用 1,000.00，申请 1,000.01",
					"9 amount: 金额必须大于 0",
				},
				count: 0,
			},
			{
				name:   "a file refused only when written: the second row overdraws",
				entity: "spend",
				file:   "grant,agency,func_class,amount\n" + gs + ",101001,2050201,3000.00\n" + gs + ",101001,2050201,2000.01\n" + gs + ",101001,2050201,1.00\n",
				want:   []string{"3 amount: 额度 #" + gs + " 可用余额不足：可用 2,000.00，申请 2,000.01"},
				count:  0,
			},
			{
				name:   "an unknown column",
				entity: "spend",
				file:   "grant,agency,功能,amount\n" + gs + ",101001,2050201,1.00\n",
				want:   []string{"1 _file: 第 3 列“功能”不是支出的字段"},
				count:  0,
			},
			{
				name:   "a row repeating a unique value of the file is refused too",
				entity: "spend",
				file:   "grant,agency,func_class,amount\n" + gs + ",101001,2050201,1.00\n" + gs + ",101001,2050201,2.00\n",
				count:  2,
			},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				var calls, last int
				report, err := f.rt.Import(ctx, fundClerk, "fund", sc.entity, strings.NewReader(sc.file), engine.FormatCSV, func(done, total int) { calls++; last = done })
				var rejected *engine.ImportRejectedError
				if len(sc.want) == 0 {
					if err != nil {
						t.Fatalf("import refused: %v %v", err, rowProblems(report))
					}
					if report.Imported != report.Total || report.Total == 0 || last != report.Total || calls != report.Total {
						t.Errorf("imported %d of %d, progress %d calls ending at %d", report.Imported, report.Total, calls, last)
					}
				} else {
					if !errors.As(err, &rejected) {
						t.Fatalf("got %v, want the import rejected", err)
					}
					if got := rowProblems(report); strings.Join(got, "\n") != strings.Join(sc.want, "\n") {
						t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sc.want, "\n"))
					}
				}
				if got := countRecords(t, f.rt, sc.entity); got != int64(sc.count) {
					t.Errorf("%d %s records afterwards, want %d", got, sc.entity, sc.count)
				}
			})
		}
		if got, want := f.balance("grant", g), "5,000.00/3.00/0.00/0.00/4,997.00"; got != want {
			t.Errorf("grant after the imports: %s, want %s (only the good file's draws)", got, want)
		}
		f.verify()
	})
}

// TestImportExcel imports an xlsx file written by excelize.
func TestImportExcel(t *testing.T) {
	f := startFund(t, engine.SQLite)
	x := excelize.NewFile()
	rows := [][]any{{"agency", "func_class", "amount"}, {"101001", "2050201", 1234.56}, {"101002", "2050202", "99"}}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	report, err := f.rt.Import(context.Background(), fundClerk, "fund", "grant", &buf, engine.FormatXLSX, nil)
	if err != nil {
		t.Fatalf("%v %v", err, rowProblems(report))
	}
	if report.Imported != 2 {
		t.Fatalf("imported %d, want 2", report.Imported)
	}
	rec, err := f.rt.Get(context.Background(), fundClerk, "fund", "grant", report.IDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rec.Values["amount"]); got != "1234.56" {
		t.Errorf("amount %s, want 1234.56", got)
	}
}

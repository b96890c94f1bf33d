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

// cashDefs move money on create, every way an import can: pools open their
// own account; spends reserve on a fund (strict, one matched field), directs
// consume from one (warn: an overdraft goes through with a note), moves are
// adjustments applied on create (a change opens the receiving fund).
var cashDefs = map[string]string{"cash/app.yaml": `
app: cash
entities:
  fund:
    title: 资金
    fields:
      agency: {type: string, required: true}
      amount: {type: money, required: true}
    balance: {amount: amount, open_on: [release]}
  pool:
    title: 资金池
    fields:
      amount: {type: money, required: true}
    balance: amount
  spend:
    title: 支出
    fields:
      fund:   {type: ref, entity: fund, required: true}
      agency: {type: string, label: 单位, required: true}
      amount: {type: money, label: 金额, required: true}
    draws:
      - {on: fund, amount: amount, reserve_on: [create], match: [agency], when: "amount < 90000"}
  direct:
    title: 直接支出
    fields:
      fund:   {type: ref, entity: fund, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: fund, amount: amount, consume_on: [create], control: warn}
  move:
    title: 调整
    fields:
      fund:   {type: ref, entity: fund, required: true}
      target: {type: ref, entity: fund}
      kind:   {type: enum, values: [increase, decrease, transfer, change, freeze, unfreeze]}
      amount: {type: money, label: 金额, required: true}
    adjusts: {account: fund, kind: kind, amount: amount, to: target, apply_on: [create]}
workflows:
  fund:
    entity: fund
    initial: draft
    states: [draft, released]
    final: [released]
    transitions:
      - {event: release, from: draft, to: released}
`}

var cashClerk = engine.Actor{User: "clerk"}

// startCash starts the cash app with funds 1 and 2 released (10,000.00 and
// 5,000.00 available) and fund 3 not open.
func startCash(t *testing.T, d engine.Dialect) *engine.Runtime {
	t.Helper()
	rt := enginetest.Start(t, d, enginetest.Load(t, cashDefs), engine.OpenAccess{})
	ctx := context.Background()
	for i, amount := range []string{"10000.00", "5000.00", "1000.00"} {
		rec := enginetest.Must(rt.Create(ctx, cashClerk, "cash", "fund", map[string]any{"agency": "101001", "amount": amount}))
		if i < 2 {
			enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: cashClerk, App: "cash", Entity: "fund", ID: rec.ID, Event: "release"}))
		}
	}
	return rt
}

// cashFiles are imported in order by TestImportBulkLedgerWritesWhatRowsWould.
var cashFiles = []struct{ entity, file string }{
	{"pool", "amount\n100.00\n0.00\n2500.50\n"},
	{"spend", "fund,agency,amount\n1,101001,100.00\n2,101001,200.00\n1,101001,300.00\n1,101001,95000.00\n2,101001,4000.00\n"},
	{"direct", "fund,amount\n2,500.00\n1,50.00\n2,600.00\n"},
	{"move", "fund,target,kind,amount\n1,,increase,1000.00\n1,,decrease,100.00\n1,2,transfer,700.00\n2,1,transfer,50.00\n1,3,change,400.00\n1,,freeze,300.00\n1,,unfreeze,100.00\n"},
}

// TestImportBulkLedgerWritesWhatRowsWould imports the same files into two
// databases, by COPY with the ledger's bulk step and row by row, and finds
// the same records, ledger rows, balances and audit rows (but for times of
// day and the hashes that include them), both passing ledger and audit
// verification.
func TestImportBulkLedgerWritesWhatRowsWould(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	byCopy, byRows := startCash(t, engine.Postgres), startCash(t, engine.Postgres)
	for _, f := range cashFiles {
		report, err := byCopy.Import(ctx, cashClerk, "cash", f.entity, strings.NewReader(f.file), engine.FormatCSV, nil)
		if err != nil || report.Method != engine.ImportByCopy {
			t.Fatalf("%s by copy: %v %v, method %q (%s)", f.entity, err, rowProblems(report), report.Method, report.Why)
		}
		restore := engine.SetImportCopy(false)
		reference, err := byRows.Import(ctx, cashClerk, "cash", f.entity, strings.NewReader(f.file), engine.FormatCSV, nil)
		restore()
		if err != nil || reference.Method != engine.ImportByRows {
			t.Fatalf("%s by rows: %v %v, method %q", f.entity, err, rowProblems(reference), reference.Method)
		}
	}
	queries := []string{
		`SELECT account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, idempotency_key, note FROM growth_ledger ORDER BY id`,
		`SELECT account_app, account_entity, account_id, approved, reserved, consumed, frozen, version FROM growth_balances ORDER BY account_app, account_entity, account_id`,
		`SELECT chain, chain_seq, actor, app, entity, record_id, action, changes, def_version, record_version, split_part(ledger, ':', 1) FROM growth_audit ORDER BY chain, chain_seq`,
	}
	for _, q := range queries {
		got, want := dump(t, byCopy, q), dump(t, byRows, q)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\nby copy:\n%s\nby rows:\n%s", q, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// What the files did, as a user reads the balances: fund 1 approved
	// 10,000 + 1,000 − 100 − 700 + 50 − 400, 400 reserved, 50 consumed,
	// 200 frozen; fund 2 overdrawn by 300.00 by the warned direct payment of
	// 600.00, then 700 − 50 transferred in; fund 3 opened by the change.
	for id, want := range map[int64]string{1: "9,850.00/400.00/50.00/200.00/9,200.00", 2: "5,650.00/4,200.00/1,100.00/0.00/350.00", 3: "400.00/0.00/0.00/0.00/400.00"} {
		b, err := byCopy.Balance(ctx, cashClerk, "cash", "fund", id)
		if err != nil {
			t.Fatal(err)
		}
		a := b.Amounts
		if got := strings.Join([]string{engine.FormatFen(a.Approved), engine.FormatFen(a.Reserved), engine.FormatFen(a.Consumed), engine.FormatFen(a.Frozen), engine.FormatFen(a.Available())}, "/"); got != want {
			t.Errorf("fund %d: %s, want %s", id, got, want)
		}
	}
	for _, rt := range []*engine.Runtime{byCopy, byRows} {
		verifyAudit(t, rt)
		(&fundApp{t: t, rt: rt}).verify()
	}
}

// TestImportBulkLedgerRefusals: a file whose draws or adjustments would
// overdraw, unfreeze more than is frozen or draw on an account of another
// agency is refused whole, every such line named as the per-row path names
// it, and nothing is written: not a record, a ledger row or a balance.
func TestImportBulkLedgerRefusals(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		rt := startCash(t, d)
		snapshot := func() []string {
			var out []string
			for _, q := range []string{
				`SELECT COUNT(*) FROM cash_spend`, `SELECT COUNT(*) FROM cash_move`, `SELECT COUNT(*) FROM growth_ledger`,
				`SELECT account_id, approved, reserved, consumed, frozen, version FROM growth_balances ORDER BY account_id`,
				`SELECT chain, chain_seq, hash FROM growth_audit_heads ORDER BY chain`,
			} {
				out = append(out, dump(t, rt, q)...)
			}
			return out
		}
		before := snapshot()
		scenarios := []struct {
			name, entity, file string
			want               []string
		}{
			{
				name:   "draws beyond the balance, and an agency that does not match",
				entity: "spend",
				file:   "fund,agency,amount\n2,101001,3000.00\n2,101001,1500.00\n2,101001,600.00\n1,101002,10.00\n2,101001,500.00\n",
				want: []string{
					"4 amount: 资金 #2 可用余额不足：可用 500.00，申请 600.00",
					"5 agency: 单位 与资金 #1的单位不一致（资金为 101001，本单为 101002）",
				},
			},
			{
				name:   "adjustments beyond the balance or the frozen amount",
				entity: "move",
				file:   "fund,target,kind,amount\n2,,decrease,5000.01\n1,,freeze,100.00\n1,,unfreeze,100.01\n1,2,transfer,20000.00\n",
				want: []string{
					"2 amount: 资金 #2 可用余额不足：可用 5,000.00，追减 5,000.01",
					"4 amount: 资金 #1 已冻结 100.00，不能解冻 100.01",
					"5 amount: 资金 #1 可用余额不足：可用 9,900.00，调出 20,000.00",
				},
			},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				report, err := rt.Import(ctx, cashClerk, "cash", sc.entity, strings.NewReader(sc.file), engine.FormatCSV, nil)
				var rejected *engine.ImportRejectedError
				if !errors.As(err, &rejected) {
					t.Fatalf("got %v (%+v), want the file refused", err, report)
				}
				if got := rowProblems(report); !slices.Equal(got, sc.want) {
					t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sc.want, "\n"))
				}
			})
		}
		if after := snapshot(); !slices.Equal(before, after) {
			t.Errorf("refused files left something behind:\nbefore %v\nafter  %v", before, after)
		}
		(&fundApp{t: t, rt: rt}).verify()
	})
}

// TestImportRollupsOncePerParent: lines imported into batches recompute
// each batch (and its plan) once, after the lines, by COPY and row by row
// alike; a file that takes a batch beyond its limit is refused with the
// line that does, and leaves the batches as they were.
func TestImportRollupsOncePerParent(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		for _, copyOn := range []bool{true, false} {
			if d == engine.SQLite && copyOn {
				continue
			}
			t.Run(fmt.Sprintf("copy %v", copyOn), func(t *testing.T) {
				defer engine.SetImportCopy(copyOn)()
				rt := enginetest.Start(t, d, enginetest.Load(t, rollupDefs), engine.OpenAccess{})
				plan := enginetest.Must(rt.Create(ctx, engine.SystemActor, "roll", "plan", map[string]any{"name": "p"})).ID
				var batches []int64
				for _, limit := range []string{"1000.00", "500.00"} {
					batches = append(batches, enginetest.Must(rt.Create(ctx, engine.SystemActor, "roll", "batch", map[string]any{"plan": plan, "limit_amount": limit})).ID)
				}
				file := fmt.Sprintf("batch,net,day\n%[1]d,100.00,2026-03-02\n%[2]d,200.00,2026-03-01\n%[1]d,150.50,2026-03-05\n%[1]d,49.50,\n%[2]d,300.00,2026-02-28\n", batches[0], batches[1])
				report, err := rt.Import(ctx, engine.SystemActor, "roll", "line", strings.NewReader(file), engine.FormatCSV, nil)
				if err != nil {
					t.Fatalf("%v %v", err, rowProblems(report))
				}
				if want := map[bool]string{true: engine.ImportByCopy, false: engine.ImportByRows}[copyOn && d == engine.Postgres]; report.Method != want {
					t.Errorf("written by %q (%s), want %q", report.Method, report.Why, want)
				}
				wantFields(t, rollupFields(t, rt, "batch", batches[0]), map[string]any{"version": int64(2), "net_total": "300.00", "lines": "3", "max_net": "150.50", "first_day": "2026-03-02", "left": "700.00"})
				wantFields(t, rollupFields(t, rt, "batch", batches[1]), map[string]any{"version": int64(2), "net_total": "500.00", "lines": "2", "first_day": "2026-02-28", "left": "0.00"})
				wantFields(t, rollupFields(t, rt, "plan", plan), map[string]any{"version": int64(3), "line_total": "800.00"})

				over := fmt.Sprintf("batch,net\n%[1]d,100.00\n%[2]d,0.01\n%[1]d,1.00\n", batches[0], batches[1])
				report, err = rt.Import(ctx, engine.SystemActor, "roll", "line", strings.NewReader(over), engine.FormatCSV, nil)
				var rejected *engine.ImportRejectedError
				if !errors.As(err, &rejected) {
					t.Fatalf("got %v, want the file refused", err)
				}
				want := []string{fmt.Sprintf("3 _record: 批次 #%d：明细合计不能超过批次金额", batches[1])}
				if got := rowProblems(report); !slices.Equal(got, want) {
					t.Errorf("problems %v, want %v", got, want)
				}
				wantFields(t, rollupFields(t, rt, "batch", batches[1]), map[string]any{"version": int64(2), "net_total": "500.00"})
				verifyAudit(t, rt)
			})
		}
	})
}

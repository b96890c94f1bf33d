package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// booksDefs: spends post a voucher when paid, dated by their paid_on field,
// crediting the account their own code field names; a fee posts a second
// voucher (posted first) whose balance only the runtime can check (fee
// against total).
var booksDefs = map[string]string{"fund/app.yaml": `
app: fund
codesets:
  accounts:
    title: 科目
    attributes:
      direction: {title: 余额方向}
    codes:
      - {code: "1001", name: 国库存款, attrs: {direction: 借}}
      - {code: "1004", name: 其他财政存款, attrs: {direction: 借}}
      - {code: "5001", name: 本级支出, attrs: {direction: 借}}
entities:
  spend:
    fields:
      agency:  {type: string, required: true}
      amount:  {type: money, required: true}
      fee:     {type: money, default: 0}
      total:   {type: money, default: 0}
      source:  {type: code, codeset: accounts, required: true}
      paid_on: date
workflows:
  spend:
    entity: spend
    initial: draft
    states: [draft, paid]
    final: [paid]
    transitions:
      - {event: pay, from: [draft], to: paid}
postings:
  # A posting whose condition is false must not stop the next one.
  - entity: spend
    on: [pay]
    when: "fee > 0"
    chart: accounts
    summary: 手续费
    date: paid_on
    lines:
      - {debit: "5001", amount: fee}
      - {credit: "1001", amount: total}
  - entity: spend
    on: [pay]
    chart: accounts
    summary: 支出
    date: paid_on
    dimensions: {agency: agency}
    lines:
      - {debit: "5001", amount: amount}
      - {credit: source, amount: amount}
`}

var bookkeeper = engine.Actor{User: "clerk"}

func paySpend(t *testing.T, rt *engine.Runtime, values map[string]any) (*engine.Record, error) {
	t.Helper()
	ctx := context.Background()
	rec := enginetest.Must(rt.Create(ctx, bookkeeper, "fund", "spend", values))
	res, err := rt.Fire(ctx, engine.FireRequest{Actor: bookkeeper, App: "fund", Entity: "spend", ID: rec.ID, Event: "pay"})
	if err != nil {
		return nil, err
	}
	return res.Record, nil
}

func vouchers(t *testing.T, rt *engine.Runtime, period string) []*engine.Voucher {
	t.Helper()
	vs, err := rt.DB.Vouchers(context.Background(), engine.VoucherFilter{Period: period})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func verifyOK(t *testing.T, db *engine.DB) {
	t.Helper()
	r, err := db.VerifyBooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("books verify: %v", r.Problems)
	}
}

func TestBooksPostVoucherOnEvent(t *testing.T) {
	p := enginetest.Load(t, booksDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		if _, err := paySpend(t, rt, map[string]any{"agency": "A", "amount": "100.00", "source": "1001", "paid_on": "2026-03-05"}); err != nil {
			t.Fatal(err)
		}
		if _, err := paySpend(t, rt, map[string]any{"agency": "B", "amount": "30.50", "source": "1004", "paid_on": "2026-03-20", "fee": "1.00", "total": "1.00"}); err != nil {
			t.Fatal(err)
		}
		vs := vouchers(t, rt, "2026-03")
		if len(vs) != 3 {
			t.Fatalf("want 3 vouchers in 2026-03, got %d", len(vs))
		}
		first := vs[0]
		if first.Number != "2026-03#0001" || first.Date != "2026-03-05" || first.Summary != "支出" || first.Event != "pay" || first.SourceEntity != "spend" {
			t.Fatalf("first voucher: %+v", first)
		}
		if len(first.Lines) != 2 || first.Lines[0].Account != "5001" || first.Lines[0].Debit != 10000 || first.Lines[1].Account != "1001" || first.Lines[1].Credit != 10000 {
			t.Fatalf("first voucher lines: %+v", first.Lines)
		}
		if first.Lines[0].Dims["agency"] != "A" {
			t.Fatalf("dimension agency not on the line: %+v", first.Lines[0].Dims)
		}
		if vs[1].Number != "2026-03#0002" || vs[1].Summary != "手续费" || vs[2].Number != "2026-03#0003" || vs[2].Summary != "支出" {
			t.Fatalf("numbers: %s (%s) %s (%s)", vs[1].Number, vs[1].Summary, vs[2].Number, vs[2].Summary)
		}
		cs, err := rt.Chart("")
		if err != nil {
			t.Fatal(err)
		}
		tb, err := rt.DB.TrialBalance(ctx, cs, "2026-03")
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Balanced || tb.Total.Debit != 13150 || tb.Total.Credit != 13150 {
			t.Fatalf("trial balance: %+v", tb)
		}
		var spent engine.TrialBalanceRow
		for _, r := range tb.Rows {
			if r.Account == "5001" {
				spent = r
			}
		}
		if spent.Name != "本级支出" || spent.Direction != "借" || spent.Level != 1 || spent.Debit != 13150 || spent.ClosingDebit != 13150 {
			t.Fatalf("5001 row: %+v", spent)
		}
		// April opens with March's closing balance.
		tb, _ = rt.DB.TrialBalance(ctx, cs, "2026-04")
		if !tb.Balanced || tb.Total.OpeningDebit != 13150 || tb.Total.Debit != 0 {
			t.Fatalf("April trial balance: %+v", tb.Total)
		}
		gl, err := rt.DB.GeneralLedger(ctx, cs, "5001", "2026")
		if err != nil {
			t.Fatal(err)
		}
		if gl.Opening.Side != "平" || len(gl.Rows) != 1 || gl.Rows[0].Debit != 13150 || gl.Closing != (engine.BookBalance{Side: "借", Amount: 13150}) {
			t.Fatalf("general ledger: %+v", gl)
		}
		dl, err := rt.DB.DetailLedger(ctx, cs, "5001", "2026-01", "2026-12", map[string]string{"agency": "B"})
		if err != nil {
			t.Fatal(err)
		}
		if len(dl.Entries) != 1 || dl.Entries[0].Voucher != "2026-03#0003" || dl.Entries[0].Debit != 3050 || dl.Closing.Amount != 3050 {
			t.Fatalf("detail ledger of agency B: %+v", dl)
		}
		verifyOK(t, rt.DB)
	})
}

func TestBooksUnbalancedVoucherRefusesTheEvent(t *testing.T) {
	p := enginetest.Load(t, booksDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		rec := enginetest.Must(rt.Create(ctx, bookkeeper, "fund", "spend", map[string]any{"agency": "A", "amount": "100.00", "source": "1001", "paid_on": "2026-03-05", "fee": "2.00", "total": "1.99"}))
		_, err := rt.Fire(ctx, engine.FireRequest{Actor: bookkeeper, App: "fund", Entity: "spend", ID: rec.ID, Event: "pay"})
		var ce *engine.ConflictError
		if !errors.As(err, &ce) || ce.Code != "voucher_unbalanced" || !strings.Contains(ce.Message, "借方 2.00，贷方 1.99") {
			t.Fatalf("want voucher_unbalanced naming both sums, got %v", err)
		}
		got := enginetest.Must(rt.Get(ctx, bookkeeper, "fund", "spend", rec.ID))
		if got.State != "draft" {
			t.Fatalf("the event happened anyway: state %s", got.State)
		}
		if vs := vouchers(t, rt, ""); len(vs) != 0 {
			t.Fatalf("a voucher was written without its event: %+v", vs)
		}
		verifyOK(t, rt.DB)
	})
}

func TestBooksClosedPeriodAndReversal(t *testing.T) {
	p := enginetest.Load(t, booksDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		if _, err := paySpend(t, rt, map[string]any{"agency": "A", "amount": "100.00", "source": "1001", "paid_on": "2026-03-05"}); err != nil {
			t.Fatal(err)
		}
		if err := rt.DB.ClosePeriod(ctx, "2026-03", "admin"); err != nil {
			t.Fatal(err)
		}
		var ce *engine.ConflictError
		if err := rt.DB.ClosePeriod(ctx, "2026-03", "admin"); !errors.As(err, &ce) || ce.Code != "period_closed" {
			t.Fatalf("closing twice: %v", err)
		}
		// A posting dated in the closed period fails its event; nothing is written.
		rec := enginetest.Must(rt.Create(ctx, bookkeeper, "fund", "spend", map[string]any{"agency": "A", "amount": "7.00", "source": "1001", "paid_on": "2026-03-31"}))
		_, err := rt.Fire(ctx, engine.FireRequest{Actor: bookkeeper, App: "fund", Entity: "spend", ID: rec.ID, Event: "pay"})
		if !errors.As(err, &ce) || ce.Code != "period_closed" || !strings.Contains(ce.Message, "2026-03 已结账") {
			t.Fatalf("want period_closed, got %v", err)
		}
		if got := enginetest.Must(rt.Get(ctx, bookkeeper, "fund", "spend", rec.ID)); got.State != "draft" {
			t.Fatalf("the event happened in a closed period: %s", got.State)
		}
		if vs := vouchers(t, rt, "2026-03"); len(vs) != 1 {
			t.Fatalf("want the one voucher of March, got %d", len(vs))
		}
		// The correction is a reversing voucher in an open period.
		if _, err := rt.DB.ReverseVoucher(ctx, "2026-03#0001", time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), "admin"); !errors.As(err, &ce) || ce.Code != "period_closed" {
			t.Fatalf("a reversal into the closed period: %v", err)
		}
		rev, err := rt.DB.ReverseVoucher(ctx, "2026-03#0001", time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC), "admin")
		if err != nil {
			t.Fatal(err)
		}
		if rev.Number != "2026-04#0001" || rev.Reverses == 0 || rev.Lines[0].Account != "5001" || rev.Lines[0].Credit != 10000 || rev.Lines[1].Debit != 10000 || !strings.Contains(rev.Summary, "冲销 2026-03#0001") {
			t.Fatalf("reversing voucher: %+v", rev)
		}
		if _, err := rt.DB.ReverseVoucher(ctx, "2026-03-0001", time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC), "admin"); !errors.As(err, &ce) || ce.Code != "voucher_reversed" {
			t.Fatalf("reversing twice: %v", err)
		}
		cs, _ := rt.Chart("")
		tb, err := rt.DB.TrialBalance(ctx, cs, "2026-04")
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Balanced || tb.Total.OpeningDebit != 10000 || tb.Total.ClosingDebit != 0 || tb.Total.ClosingCredit != 0 {
			t.Fatalf("after the reversal April closes at zero: %+v", tb.Total)
		}
		// Later periods take postings as before.
		if _, err := paySpend(t, rt, map[string]any{"agency": "A", "amount": "7.00", "source": "1001", "paid_on": "2026-04-30"}); err != nil {
			t.Fatal(err)
		}
		verifyOK(t, rt.DB)
	})
}

func TestBooksVerifyFindsAnEditedLine(t *testing.T) {
	p := enginetest.Load(t, booksDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		for _, day := range []string{"2026-03-05", "2026-03-06"} {
			if _, err := paySpend(t, rt, map[string]any{"agency": "A", "amount": "100.00", "source": "1001", "paid_on": day}); err != nil {
				t.Fatal(err)
			}
		}
		verifyOK(t, rt.DB)
		if _, err := rt.DB.Write.ExecContext(ctx, `UPDATE growth_voucher_lines SET debit = 10001 WHERE line_no = 1 AND voucher_id = (SELECT id FROM growth_vouchers WHERE seq = 2)`); err != nil {
			t.Fatal(err)
		}
		r, err := rt.DB.VerifyBooks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK() || r.Problems[0] != "voucher 2026-03#0002 does not balance: debits 100.01, credits 100.00" {
			t.Fatalf("want the edited voucher named first, got %v", r.Problems)
		}
		if len(r.Problems) != 2 || !strings.Contains(r.Problems[1], "account 5001 (accounts) in 2026-03: stored debit 200.00 credit 0.00, the vouchers give debit 200.01") {
			t.Fatalf("want the balance difference too, got %v", r.Problems)
		}
	})
}

// An import posts the voucher of every record a create posting fires on (row
// by row, in the import's transaction); an entity no create posting names
// still imports by COPY on PostgreSQL.
func TestBooksImport(t *testing.T) {
	defs := map[string]string{"fund/app.yaml": booksDefs["fund/app.yaml"] + `
  - entity: receipt
    on: [create]
    chart: accounts
    summary: 收入
    date: received_on
    lines:
      - {debit: "1001", amount: amount}
      - {credit: "5001", amount: amount}
`, "fund/receipt.yaml": `
entities:
  receipt:
    fields:
      amount: {type: money, required: true}
      received_on: {type: date, required: true}
`}
	p := enginetest.Load(t, defs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		rep, err := rt.Import(ctx, engine.SystemActor, "fund", "receipt", strings.NewReader("amount,received_on\n10.00,2026-05-01\n20.00,2026-05-02\n"), engine.FormatCSV, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 2 || rep.Method != engine.ImportByRows {
			t.Fatalf("receipts: %d imported by %s, want 2 by rows", rep.Imported, rep.Method)
		}
		if vs := vouchers(t, rt, "2026-05"); len(vs) != 2 || vs[1].Lines[0].Debit != 2000 {
			t.Fatalf("want a voucher per imported receipt, got %d", len(vs))
		}
		rep, err = rt.Import(ctx, engine.SystemActor, "fund", "spend", strings.NewReader("agency,amount,source\nA,1.00,1001\n"), engine.FormatCSV, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[engine.Dialect]string{engine.SQLite: engine.ImportByRows, engine.Postgres: engine.ImportByCopy}[d]; rep.Method != want {
			t.Fatalf("spends imported by %s, want %s", rep.Method, want)
		}
		verifyOK(t, rt.DB)
	})
}

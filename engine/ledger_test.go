package engine_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// ledgerDefs is a control chain in general terms: a grant (the account,
// opened when released), plans that draw on it and are accounts themselves
// once approved, spends that draw on a plan when they name one and on the
// grant otherwise, and adjustments of grants.
var ledgerDefs = map[string]string{"fund/app.yaml": `
app: fund
title: 资金测试
entities:
  grant:
    title: 额度
    fields:
      agency:     {type: string, label: 单位, required: true}
      func_class: {type: string, label: 功能分类, required: true}
      amount:     {type: money, label: 金额, required: true}
    balance: {amount: amount, open_on: [release]}
  plan:
    title: 计划
    fields:
      grant:      {type: ref, entity: grant, required: true}
      agency:     {type: string, label: 单位, required: true}
      func_class: {type: string, label: 功能分类, required: true}
      amount:     {type: money, label: 金额, required: true}
    balance: {amount: amount, open_on: [approve]}
    draws:
      - {on: grant, amount: amount, reserve_on: [submit], consume_on: [approve], release_on: [reject], match: [agency, func_class]}
  spend:
    title: 支出
    fields:
      grant:      {type: ref, entity: grant, required: true}
      plan:       {type: ref, entity: plan}
      agency:     {type: string, label: 单位, required: true}
      func_class: {type: string, label: 功能分类, required: true}
      amount:     {type: money, label: 金额, required: true}
    draws:
      - {on: plan, amount: amount, reserve_on: [create], consume_on: [pay], release_on: [cancel], refund_on: [refund], match: [agency, func_class], when: "plan != 0"}
      - {on: grant, amount: amount, reserve_on: [create], consume_on: [pay], release_on: [cancel], refund_on: [refund], match: [agency, func_class], when: "plan == 0"}
  direct:
    title: 直接支出
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: grant, amount: amount, consume_on: [create]}
  loose:
    title: 预警支出
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: grant, amount: amount, reserve_on: [create], control: warn}
  claim:
    title: 申领
    fields:
      grant:       {type: ref, entity: grant, required: true}
      requested:   {type: money, required: true}
      granted:     {type: money, readonly: true}
      draw_amount: {type: computed, expr: "granted > 0 ? granted : requested"}
    draws:
      - {on: grant, amount: draw_amount, reserve_on: [submit], consume_on: [approve_less, approve_more]}
  adjustment:
    title: 调整
    fields:
      grant:  {type: ref, entity: grant, required: true}
      target: {type: ref, entity: grant, label: 调入额度}
      kind:   {type: enum, label: 类型, required: true, values: [increase, decrease, transfer, change, freeze, unfreeze]}
      amount: {type: money, label: 金额, required: true}
    adjusts: {account: grant, kind: kind, amount: amount, to: target, apply_on: [approve]}
workflows:
  grant:
    entity: grant
    initial: draft
    states: [draft, released]
    final: [released]
    transitions:
      - {event: release, from: draft, to: released}
  plan:
    entity: plan
    initial: draft
    states: [draft, submitted, approved, rejected]
    final: [approved]
    editable: [draft, rejected]
    transitions:
      - {event: submit, from: [draft, rejected], to: submitted}
      - {event: approve, from: submitted, to: approved}
      - {event: reject, from: submitted, to: rejected}
  spend:
    entity: spend
    initial: draft
    states: [draft, paid, cancelled, refunded]
    final: [cancelled, refunded]
    transitions:
      - {event: pay, from: draft, to: paid}
      - {event: cancel, from: draft, to: cancelled}
      - {event: refund, from: paid, to: refunded}
  claim:
    entity: claim
    initial: draft
    states: [draft, submitted, approved]
    final: [approved]
    transitions:
      - {event: submit, from: draft, to: submitted}
      - {event: approve_less, from: submitted, to: approved, set: {granted: "requested - 100"}}
      - {event: approve_more, from: submitted, to: approved, set: {granted: "requested + 100"}}
  adjustment:
    entity: adjustment
    initial: draft
    states: [draft, approved]
    final: [approved]
    transitions:
      - {event: approve, from: draft, to: approved}
`}

var fundClerk = engine.Actor{User: "clerk", Roles: []string{"clerk"}}

// fundApp is a started runtime on the fund definitions.
type fundApp struct {
	t  testing.TB
	rt *engine.Runtime
}

func startFund(t testing.TB, d engine.Dialect) *fundApp {
	t.Helper()
	return &fundApp{t: t, rt: enginetest.Start(t, d, enginetest.Load(t, ledgerDefs), engine.OpenAccess{})}
}

func (f *fundApp) create(entity string, values map[string]any) (*engine.Record, error) {
	return f.rt.Create(context.Background(), fundClerk, "fund", entity, values)
}

func (f *fundApp) mustCreate(entity string, values map[string]any) *engine.Record {
	f.t.Helper()
	rec, err := f.create(entity, values)
	if err != nil {
		f.t.Fatalf("create %s %v: %v", entity, values, err)
	}
	return rec
}

func (f *fundApp) fire(entity string, id int64, event string) error {
	_, err := f.rt.Fire(context.Background(), engine.FireRequest{Actor: fundClerk, App: "fund", Entity: entity, ID: id, Event: event})
	return err
}

func (f *fundApp) mustFire(entity string, id int64, event string) {
	f.t.Helper()
	if err := f.fire(entity, id, event); err != nil {
		f.t.Fatalf("%s %s #%d: %v", event, entity, id, err)
	}
}

// grant creates and releases a grant of amount.
func (f *fundApp) grant(amount string) int64 {
	f.t.Helper()
	g := f.mustCreate("grant", map[string]any{"agency": "101001", "func_class": "2050201", "amount": amount})
	f.mustFire("grant", g.ID, "release")
	return g.ID
}

func (f *fundApp) plan(grant int64, amount string) int64 {
	f.t.Helper()
	return f.mustCreate("plan", map[string]any{"grant": grant, "agency": "101001", "func_class": "2050201", "amount": amount}).ID
}

func spendOn(grant, plan int64, amount string) map[string]any {
	v := map[string]any{"grant": grant, "agency": "101001", "func_class": "2050201", "amount": amount}
	if plan != 0 {
		v["plan"] = plan
	}
	return v
}

// balance reads an account as "approved/reserved/consumed/frozen/available" in yuan.
func (f *fundApp) balance(entity string, id int64) string {
	f.t.Helper()
	b, err := f.rt.Balance(context.Background(), fundClerk, "fund", entity, id)
	if err != nil {
		f.t.Fatalf("balance of %s #%d: %v", entity, id, err)
	}
	a := b.Amounts
	return strings.Join([]string{engine.FormatFen(a.Approved), engine.FormatFen(a.Reserved), engine.FormatFen(a.Consumed), engine.FormatFen(a.Frozen), engine.FormatFen(a.Available())}, "/")
}

func (f *fundApp) verify() {
	f.t.Helper()
	r, err := f.rt.VerifyLedger(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if !r.OK() {
		f.t.Fatalf("ledger verify failed:\n%s", strings.Join(r.Problems, "\n"))
	}
	p, err := f.rt.VerifyProof(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if !p.OK() {
		f.t.Fatalf("audit verify failed:\n%s\n%s\n%s", strings.Join(p.Audit.Broken, "\n"), strings.Join(p.Problems, "\n"), strings.Join(p.Ledger.Problems, "\n"))
	}
}

func (f *fundApp) ledgerKinds(entity string, id int64, side string) string {
	f.t.Helper()
	page, err := f.rt.Ledger(context.Background(), fundClerk, "fund", entity, id, engine.LedgerQuery{Side: side, PageSize: 200})
	if err != nil {
		f.t.Fatal(err)
	}
	var kinds []string
	for _, e := range page.Items {
		kinds = append(kinds, e.Kind+":"+engine.FormatFen(e.Amount))
	}
	return strings.Join(kinds, " ")
}

func conflictCode(err error) string {
	var ce *engine.ConflictError
	if errors.As(err, &ce) {
		return string(ce.Code)
	}
	return ""
}

// concurrently runs n calls of fn at once and counts successes and
// insufficient-balance refusals; any other error fails the test.
func concurrently(t *testing.T, n int, fn func(i int) error) (ok, refused int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	var other []error
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case conflictCode(err) == "insufficient_balance":
				refused++
			default:
				other = append(other, err)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	for _, err := range other {
		t.Errorf("unexpected error: %v", err)
	}
	return ok, refused
}

// TestLedgerConcurrentDraws is the acceptance test: 200 concurrent
// draws of 1,000.00 against 100,000.00 — exactly 100 succeed, the rest are
// refused as insufficient, nothing is left available and the ledger verifies.
func TestLedgerConcurrentDraws(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("100000.00")
		ok, refused := concurrently(t, 200, func(int) error {
			_, err := f.create("spend", spendOn(g, 0, "1000.00"))
			return err
		})
		if ok != 100 || refused != 100 {
			t.Errorf("%d succeeded and %d were refused; want 100 and 100", ok, refused)
		}
		if got, want := f.balance("grant", g), "100,000.00/100,000.00/0.00/0.00/0.00"; got != want {
			t.Errorf("balance %s, want %s", got, want)
		}
		list, err := f.rt.List(context.Background(), fundClerk, "fund", "spend", engine.ListQuery{Total: true})
		if err != nil {
			t.Fatal(err)
		}
		if *list.Total != 100 {
			t.Errorf("%d spends stored, want 100 (a refused one must leave nothing)", *list.Total)
		}
		f.verify()
	})
}

// TestLedgerConcurrentChain runs the same race one level down and one level
// up the chain: 200 plans submitted at once against a grant, then 200 spends
// at once against one approved plan.
func TestLedgerConcurrentChain(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("100000.00")
		plans := make([]int64, 200)
		for i := range plans {
			plans[i] = f.plan(g, "1000.00")
		}
		submitted := make([]bool, len(plans))
		ok, refused := concurrently(t, len(plans), func(i int) error {
			err := f.fire("plan", plans[i], "submit")
			submitted[i] = err == nil
			return err
		})
		if ok != 100 || refused != 100 {
			t.Errorf("plans: %d submitted and %d refused; want 100 and 100", ok, refused)
		}
		if got, want := f.balance("grant", g), "100,000.00/100,000.00/0.00/0.00/0.00"; got != want {
			t.Errorf("grant after submits: %s, want %s", got, want)
		}
		var approved int64
		for i, id := range plans {
			if submitted[i] {
				f.mustFire("plan", id, "approve")
				approved = id
			}
		}
		if got, want := f.balance("grant", g), "100,000.00/0.00/100,000.00/0.00/0.00"; got != want {
			t.Errorf("grant after approvals: %s, want %s", got, want)
		}
		if got, want := f.balance("plan", approved), "1,000.00/0.00/0.00/0.00/1,000.00"; got != want {
			t.Errorf("an approved plan: %s, want %s", got, want)
		}

		g2 := f.grant("100000.00")
		big := f.plan(g2, "100000.00")
		f.mustFire("plan", big, "submit")
		f.mustFire("plan", big, "approve")
		ok, refused = concurrently(t, 200, func(int) error {
			_, err := f.create("spend", spendOn(g2, big, "1000.00"))
			return err
		})
		if ok != 100 || refused != 100 {
			t.Errorf("spends on a plan: %d succeeded and %d refused; want 100 and 100", ok, refused)
		}
		if got, want := f.balance("plan", big), "100,000.00/100,000.00/0.00/0.00/0.00"; got != want {
			t.Errorf("plan after spends: %s, want %s", got, want)
		}
		if got, want := f.balance("grant", g2), "100,000.00/0.00/100,000.00/0.00/0.00"; got != want {
			t.Errorf("grant under the plan: %s, want %s (spends on a plan do not draw on the grant again)", got, want)
		}
		f.verify()
	})
}

// TestLedgerLifecycle walks draws through their events and checks the
// balances and the ledger rows a user would look at after each step.
func TestLedgerLifecycle(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("10000.00")

		// reserve on create, consume on pay, refund on refund — once.
		s := f.mustCreate("spend", spendOn(g, 0, "1000.00"))
		if got, want := f.balance("grant", g), "10,000.00/1,000.00/0.00/0.00/9,000.00"; got != want {
			t.Errorf("after create: %s, want %s", got, want)
		}
		f.mustFire("spend", s.ID, "pay")
		if got, want := f.balance("grant", g), "10,000.00/0.00/1,000.00/0.00/9,000.00"; got != want {
			t.Errorf("after pay: %s, want %s", got, want)
		}
		f.mustFire("spend", s.ID, "refund")
		if got, want := f.balance("grant", g), "10,000.00/0.00/0.00/0.00/10,000.00"; got != want {
			t.Errorf("after refund: %s, want %s", got, want)
		}
		if err := f.fire("spend", s.ID, "refund"); conflictCode(err) != "state" {
			t.Errorf("second refund: %v, want a state conflict", err)
		}
		if got, want := f.balance("grant", g), "10,000.00/0.00/0.00/0.00/10,000.00"; got != want {
			t.Errorf("a second refund changed the balance: %s, want %s", got, want)
		}
		if got, want := f.ledgerKinds("spend", s.ID, ""), "reserve:1,000.00 consume:1,000.00 refund:1,000.00"; got != want {
			t.Errorf("spend's ledger: %s, want %s", got, want)
		}

		// An edit in draft moves the reservation; cancel releases it.
		s2 := f.mustCreate("spend", spendOn(g, 0, "2000.00"))
		if _, err := f.rt.Update(context.Background(), fundClerk, "fund", "spend", s2.ID, s2.Version, map[string]any{"amount": "2500.00"}); err != nil {
			t.Fatal(err)
		}
		if got, want := f.balance("grant", g), "10,000.00/2,500.00/0.00/0.00/7,500.00"; got != want {
			t.Errorf("after editing the amount: %s, want %s", got, want)
		}
		f.mustFire("spend", s2.ID, "cancel")
		if got, want := f.balance("grant", g), "10,000.00/0.00/0.00/0.00/10,000.00"; got != want {
			t.Errorf("after cancel: %s, want %s", got, want)
		}

		// Deleting a draft gives its reservation back.
		s3 := f.mustCreate("spend", spendOn(g, 0, "300.00"))
		if err := f.rt.Delete(context.Background(), fundClerk, "fund", "spend", s3.ID, s3.Version); err != nil {
			t.Fatal(err)
		}
		if got, want := f.balance("grant", g), "10,000.00/0.00/0.00/0.00/10,000.00"; got != want {
			t.Errorf("after delete: %s, want %s", got, want)
		}

		// Consuming on create writes reserve and consume at once.
		f.mustCreate("direct", map[string]any{"grant": g, "amount": "400.00"})
		if got, want := f.balance("grant", g), "10,000.00/0.00/400.00/0.00/9,600.00"; got != want {
			t.Errorf("after a direct spend: %s, want %s", got, want)
		}

		// A rejected plan gives its reservation back and can be submitted again.
		p := f.plan(g, "600.00")
		f.mustFire("plan", p, "submit")
		f.mustFire("plan", p, "reject")
		f.mustFire("plan", p, "submit")
		if got, want := f.balance("grant", g), "10,000.00/600.00/400.00/0.00/9,000.00"; got != want {
			t.Errorf("after resubmitting a plan: %s, want %s", got, want)
		}
		if got, want := f.ledgerKinds("plan", p, "source"), "reserve:600.00 release:600.00 reserve:600.00"; got != want {
			t.Errorf("plan's draws: %s, want %s", got, want)
		}
		if got, want := f.ledgerKinds("grant", g, ""), "open:10,000.00 reserve:1,000.00 consume:1,000.00 refund:1,000.00 reserve:2,000.00 release:2,000.00 reserve:2,500.00 release:2,500.00 reserve:300.00 release:300.00 reserve:400.00 consume:400.00 reserve:600.00 release:600.00 reserve:600.00"; got != want {
			t.Errorf("grant's ledger:\n %s\nwant\n %s", got, want)
		}
		f.verify()
	})
}

// TestLedgerConsumeOtherAmount: consuming less than was reserved releases
// the rest; consuming more reserves the difference first.
func TestLedgerConsumeOtherAmount(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("10000.00")
		less := f.mustCreate("claim", map[string]any{"grant": g, "requested": "1000.00"})
		f.mustFire("claim", less.ID, "submit")
		f.mustFire("claim", less.ID, "approve_less")
		if got, want := f.balance("grant", g), "10,000.00/0.00/900.00/0.00/9,100.00"; got != want {
			t.Errorf("approved for less: %s, want %s", got, want)
		}
		more := f.mustCreate("claim", map[string]any{"grant": g, "requested": "1000.00"})
		f.mustFire("claim", more.ID, "submit")
		f.mustFire("claim", more.ID, "approve_more")
		if got, want := f.balance("grant", g), "10,000.00/0.00/2,000.00/0.00/8,000.00"; got != want {
			t.Errorf("approved for more: %s, want %s", got, want)
		}
		if got, want := f.ledgerKinds("claim", less.ID, "source")+" | "+f.ledgerKinds("claim", more.ID, "source"), "reserve:1,000.00 consume:900.00 release:100.00 | reserve:1,000.00 reserve:100.00 consume:1,100.00"; got != want {
			t.Errorf("claims' rows: %s, want %s", got, want)
		}
		f.verify()
	})
}

// TestLedgerWarnControl: a draw under control warn goes through an
// overdraft, says so in its ledger row, and verify lists the account as
// overdrawn without failing.
func TestLedgerWarnControl(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("100.00")
		rec := f.mustCreate("loose", map[string]any{"grant": g, "amount": "150.00"})
		if got, want := f.balance("grant", g), "100.00/150.00/0.00/0.00/-50.00"; got != want {
			t.Errorf("after a warned overdraft: %s, want %s", got, want)
		}
		page, err := f.rt.Ledger(context.Background(), fundClerk, "fund", "loose", rec.ID, engine.LedgerQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Note != "超出可用余额（可用 100.00，申请 150.00）" {
			t.Errorf("ledger rows %+v, want one reserve noting the overdraft", page.Items)
		}
		r, err := f.rt.VerifyLedger(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || len(r.Overdrawn) != 1 {
			t.Errorf("verify: problems %q, overdrawn %q; want none and one", r.Problems, r.Overdrawn)
		}
	})
}

// TestLedgerRefusals lists bad input: each is refused with what a user is
// told, and leaves the balance as it was.
func TestLedgerRefusals(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("100000.00")
		draft := f.mustCreate("grant", map[string]any{"agency": "101001", "func_class": "2050201", "amount": "500.00"})
		scenarios := []struct {
			name   string
			values map[string]any
			field  string // a validation error on this field, or
			code   string // a conflict with this code
			msg    string // whose message contains this
		}{
			{"overdraft", spendOn(g, 0, "100000.01"), "", "insufficient_balance", "额度 #" + itoa(g) + " 可用余额不足：可用 100,000.00，申请 100,000.01"},
			{"zero amount", spendOn(g, 0, "0"), "amount", "", "金额必须大于 0"},
			{"negative amount", spendOn(g, 0, "-5.00"), "amount", "", "金额必须大于 0"},
			{"element mismatch", map[string]any{"grant": g, "agency": "101001", "func_class": "2050202", "amount": "1.00"}, "func_class", "", "功能分类 与额度 #" + itoa(g) + "的功能分类不一致（额度为 2050201，本单为 2050202）"},
			{"account not open", spendOn(draft.ID, 0, "1.00"), "", "account_not_open", "额度 #" + itoa(draft.ID) + " 尚未生效"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				_, err := f.create("spend", sc.values)
				var ve *engine.ValidationError
				var ce *engine.ConflictError
				switch {
				case sc.field != "" && errors.As(err, &ve):
					if len(ve.Fields[sc.field]) == 0 || !strings.Contains(ve.Fields[sc.field][0].Message, sc.msg) {
						t.Errorf("validation error %v, want %q on %s", ve.Fields, sc.msg, sc.field)
					}
				case sc.code != "" && errors.As(err, &ce):
					if string(ce.Code) != sc.code || !strings.Contains(ce.Message, sc.msg) {
						t.Errorf("conflict %s %q, want %s %q", ce.Code, ce.Message, sc.code, sc.msg)
					}
				default:
					t.Errorf("got %v, want field %q / code %q", err, sc.field, sc.code)
				}
				if got, want := f.balance("grant", g), "100,000.00/0.00/0.00/0.00/100,000.00"; got != want {
					t.Errorf("balance changed: %s, want %s", got, want)
				}
			})
		}
		f.verify()
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestLedgerAdjustments covers increase, decrease (never more than is
// available), transfer (nets to zero), freeze and unfreeze.
func TestLedgerAdjustments(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		a := f.grant("10000.00")
		b := f.grant("5000.00")
		f.mustCreate("spend", spendOn(a, 0, "3000.00"))
		adjust := func(kind, amount string, to int64) error {
			v := map[string]any{"grant": a, "kind": kind, "amount": amount}
			if to != 0 {
				v["target"] = to
			}
			rec, err := f.create("adjustment", v)
			if err != nil {
				return err
			}
			return f.fire("adjustment", rec.ID, "approve")
		}
		scenarios := []struct {
			name    string
			kind    string
			amount  string
			to      int64
			wantErr string // conflict code or "validation"
			a, b    string
		}{
			{"increase", "increase", "1000.00", 0, "", "11,000.00/3,000.00/0.00/0.00/8,000.00", "5,000.00/0.00/0.00/0.00/5,000.00"},
			{"decrease more than unspent", "decrease", "8000.01", 0, "insufficient_balance", "11,000.00/3,000.00/0.00/0.00/8,000.00", "5,000.00/0.00/0.00/0.00/5,000.00"},
			{"decrease", "decrease", "500.00", 0, "", "10,500.00/3,000.00/0.00/0.00/7,500.00", "5,000.00/0.00/0.00/0.00/5,000.00"},
			{"transfer", "transfer", "2500.00", b, "", "8,000.00/3,000.00/0.00/0.00/5,000.00", "7,500.00/0.00/0.00/0.00/7,500.00"},
			{"transfer more than available", "transfer", "5000.01", b, "insufficient_balance", "8,000.00/3,000.00/0.00/0.00/5,000.00", "7,500.00/0.00/0.00/0.00/7,500.00"},
			{"transfer without a target", "transfer", "1.00", 0, "validation", "8,000.00/3,000.00/0.00/0.00/5,000.00", "7,500.00/0.00/0.00/0.00/7,500.00"},
			{"transfer to itself", "transfer", "1.00", a, "validation", "8,000.00/3,000.00/0.00/0.00/5,000.00", "7,500.00/0.00/0.00/0.00/7,500.00"},
			{"zero adjustment", "increase", "0.00", 0, "validation", "8,000.00/3,000.00/0.00/0.00/5,000.00", "7,500.00/0.00/0.00/0.00/7,500.00"},
			{"freeze", "freeze", "4000.00", 0, "", "8,000.00/3,000.00/0.00/4,000.00/1,000.00", "7,500.00/0.00/0.00/0.00/7,500.00"},
			{"unfreeze more than frozen", "unfreeze", "4000.01", 0, "insufficient_balance", "8,000.00/3,000.00/0.00/4,000.00/1,000.00", "7,500.00/0.00/0.00/0.00/7,500.00"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				err := adjust(sc.kind, sc.amount, sc.to)
				switch {
				case sc.wantErr == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case sc.wantErr == "validation" && !engine.IsValidation(err):
					t.Errorf("got %v, want a validation error", err)
				case sc.wantErr != "" && sc.wantErr != "validation" && conflictCode(err) != sc.wantErr:
					t.Errorf("got %v, want conflict %s", err, sc.wantErr)
				}
				if got := f.balance("grant", a); got != sc.a {
					t.Errorf("grant a: %s, want %s", got, sc.a)
				}
				if got := f.balance("grant", b); got != sc.b {
					t.Errorf("grant b: %s, want %s", got, sc.b)
				}
			})
		}
		// Frozen money cannot be drawn; unfrozen it can.
		if _, err := f.create("spend", spendOn(a, 0, "1000.01")); conflictCode(err) != "insufficient_balance" {
			t.Errorf("spend over the unfrozen part: %v, want insufficient_balance", err)
		}
		if err := adjust("unfreeze", "4000.00", 0); err != nil {
			t.Fatal(err)
		}
		f.mustCreate("spend", spendOn(a, 0, "1000.01"))
		rec := f.mustCreate("adjustment", map[string]any{"grant": a, "kind": "increase", "amount": "1.00"})
		f.mustFire("adjustment", rec.ID, "approve")
		// A change moves money to a grant of other elements that is not
		// released yet: its account opens at zero and receives the amount;
		// releasing it later does not open it a second time.
		c := f.mustCreate("grant", map[string]any{"agency": "101001", "func_class": "2050202", "amount": "1000.00"})
		if err := adjust("change", "1000.00", c.ID); err != nil {
			t.Fatal(err)
		}
		f.mustFire("grant", c.ID, "release")
		if got, want := f.balance("grant", c.ID), "1,000.00/0.00/0.00/0.00/1,000.00"; got != want {
			t.Errorf("grant changed to: %s, want %s", got, want)
		}
		if got, want := f.ledgerKinds("grant", c.ID, ""), "open:0.00 transfer-in:1,000.00"; got != want {
			t.Errorf("ledger of the grant changed to: %s, want %s", got, want)
		}
		f.verify()
		if got, want := f.balance("grant", a), "7,001.00/4,000.01/0.00/0.00/3,000.99"; got != want {
			t.Errorf("grant a at the end: %s, want %s", got, want)
		}
	})
}

// TestLedgerIdempotency: the same key twice creates one record with one set
// of ledger rows; a key reused elsewhere is a conflict.
func TestLedgerIdempotency(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("10000.00")
		ctx := engine.WithIdempotencyKey(context.Background(), "key-1")
		first, err := f.rt.Create(ctx, fundClerk, "fund", "spend", spendOn(g, 0, "1000.00"))
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.rt.Create(ctx, fundClerk, "fund", "spend", spendOn(g, 0, "1000.00"))
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID {
			t.Errorf("a retry created record #%d; want the first one, #%d", again.ID, first.ID)
		}
		if got, want := f.balance("grant", g), "10,000.00/1,000.00/0.00/0.00/9,000.00"; got != want {
			t.Errorf("after a retry: %s, want %s", got, want)
		}
		var reused *engine.KeyReusedError
		if _, err := f.rt.Create(ctx, fundClerk, "fund", "direct", map[string]any{"grant": g, "amount": "1.00"}); !errors.As(err, &reused) {
			t.Errorf("key reused for another entity: %v, want idempotency_key_reused", err)
		}
		// Many at once with one key: one record, one reservation.
		ctx2 := engine.WithIdempotencyKey(context.Background(), "key-2")
		var mu sync.Mutex
		ids := map[int64]bool{}
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec, err := f.rt.Create(ctx2, fundClerk, "fund", "spend", spendOn(g, 0, "500.00"))
				if err != nil && conflictCode(err) != "idempotency_in_progress" {
					t.Errorf("concurrent retry: %v", err)
				}
				if err == nil {
					mu.Lock()
					ids[rec.ID] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(ids) != 1 {
			t.Errorf("concurrent requests with one key returned records %v; want exactly one", ids)
		}
		if got, want := f.balance("grant", g), "10,000.00/1,500.00/0.00/0.00/8,500.00"; got != want {
			t.Errorf("after concurrent retries: %s, want %s", got, want)
		}
		f.verify()
	})
}

// failAfter is an effect that fails once the ledger has moved money: a
// stand-in for a crash between reserve and consume.
type failAfter struct{ action string }

func (e failAfter) Apply(ec engine.EffectContext, ch *engine.Change) error {
	if ch.Action == e.action {
		return errors.New("simulated crash")
	}
	return nil
}

// TestLedgerCrashRollsBack: a change that fails after its ledger movements
// leaves neither the record change nor the movements; the ledger verifies.
func TestLedgerCrashRollsBack(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		g := f.grant("10000.00")
		s := f.mustCreate("spend", spendOn(g, 0, "1000.00"))
		f.rt.AddEffect(failAfter{action: "pay"})
		if err := f.fire("spend", s.ID, "pay"); err == nil {
			t.Fatal("pay succeeded despite the failing effect")
		}
		rec, err := f.rt.Get(context.Background(), fundClerk, "fund", "spend", s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != "draft" {
			t.Errorf("state %s after a failed pay, want draft", rec.State)
		}
		if got, want := f.balance("grant", g), "10,000.00/1,000.00/0.00/0.00/9,000.00"; got != want {
			t.Errorf("after a failed pay: %s, want %s (reserved, not consumed)", got, want)
		}
		if got, want := f.ledgerKinds("spend", s.ID, ""), "reserve:1,000.00"; got != want {
			t.Errorf("ledger after a failed pay: %s, want %s", got, want)
		}
		f.verify()
	})
}

// TestLedgerVerifyFindsTampering: each kind of damage done by hand is
// reported, naming the account and the difference.
func TestLedgerVerifyFindsTampering(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		scenarios := []struct {
			name string
			sql  []string
			want string // {g} is the grant's id
		}{
			{"a balance changed", []string{`UPDATE growth_balances SET reserved = reserved - 1`},
				"fund.grant #{g}: reserved is 999.99, the ledger rows add up to 1,000.00 (difference -0.01)"},
			{"a transfer with one leg", []string{
				`INSERT INTO growth_ledger (account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at)
				 SELECT account_app, account_entity, account_id, 'transfer-out', 500, 'fund', 'adjustment', 99, 2, 'approve', 'x', at FROM growth_ledger WHERE kind = 'open'`,
				`UPDATE growth_balances SET approved = approved - 500`},
				"fund.adjustment #99 (version 2): transfers do not net to zero (-5.00)"},
			{"a balance row without rows", []string{`UPDATE growth_balances SET account_id = account_id + 1000`},
				"fund.grant #{g}: has ledger rows but no balance row"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				f := startFund(t, d)
				g := f.grant("10000.00")
				f.mustCreate("spend", spendOn(g, 0, "1000.00"))
				for _, q := range sc.sql {
					if _, err := f.rt.DB.Write.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				r, err := f.rt.VerifyLedger(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				want := strings.ReplaceAll(sc.want, "{g}", itoa(g))
				if r.OK() || !slices.Contains(r.Problems, want) {
					t.Errorf("problems %q, want one to be %q", r.Problems, want)
				}
			})
		}
	})
}

package exchange_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
)

// PaymentsEnv sets how many payments TestShippedPaymentsEndToEnd sends
// (default 100; the figure is 1,000).
const PaymentsEnv = "GROWTH_TEST_EXCHANGE_PAYMENTS"

// TestShippedPaymentsEndToEnd runs the shipped payment app against a
// simulated agent bank over the broker: payments are signed and sent as
// SM2-signed vouchers; the bank pays all but those to accounts it rejects
// (the last 10), whose return refunds the indicator; every
// receipt is applied, the ledger and the audit trail verify.
func TestShippedPaymentsEndToEnd(t *testing.T) {
	n := 100
	if s := os.Getenv(PaymentsEnv); s != "" {
		n, _ = strconv.Atoi(s)
	}
	const returned = 10
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		ctx := context.Background()
		rt := enginetest.Start(t, d, enginetest.LoadDir(t, "../../definitions"), engine.OpenAccess{})
		store := enginetest.TestKeys(t)
		bank := enginetest.Must(keys.Generate(keys.SM2))
		enginetest.Must(store.Import("agent_bank", bank.Public().MarshalPEM()))
		rt.SetExchangeKeys(store)
		as := func(user, role, org string) engine.Actor {
			return engine.Actor{User: user, Roles: []string{role}, Org: org}
		}
		fire := func(actor engine.Actor, app, entity string, id int64, event string) {
			t.Helper()
			if _, err := rt.Fire(ctx, engine.FireRequest{Actor: actor, App: app, Entity: entity, ID: id, Event: event}); err != nil {
				t.Fatalf("%s %s #%d: %v", event, entity, id, err)
			}
		}
		ind := enginetest.Must(rt.Create(ctx, as("c1", "indicator.division_clerk", "104"), "indicator", "indicator", map[string]any{
			"year": 2026, "division": "510000000", "doc_no": "川财教〔2026〕20号", "budget_level": "2",
			"agency": "104001", "func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201",
			"fund_nature": "11", "fund_source": "1", "amount": "100000000.00"}))
		fire(as("c1", "indicator.division_clerk", "104"), "indicator", "indicator", ind.ID, "submit")
		fire(as("r1", "indicator.division_reviewer", "104"), "indicator", "indicator", ind.ID, "review")
		fire(as("b1", "indicator.budget_office", ""), "indicator", "indicator", ind.ID, "check")
		fire(as("b2", "indicator.budget_office", ""), "indicator", "indicator", ind.ID, "release")

		clerk, reviewer, treasury := as("a1", "payment.agency_clerk", "104001"), as("a2", "payment.agency_reviewer", "104001"), as("t1", "payment.treasury", "")
		var ids []int64
		for i := range n {
			account := fmt.Sprintf("44022001%011d", i)
			if i >= n-returned {
				account = fmt.Sprintf("62220000%011d", i) // the bank rejects these
			}
			p := enginetest.Must(rt.Create(ctx, clerk, "payment", "payment", map[string]any{"year": 2026, "division": "510000000", "indicator": ind.ID, "agency": "104001",
				"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
				"payer_name": "四川省教育厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
				"payee_name": "收款单位", "payee_account": account, "payee_bank": "102651000029",
				"settlement_method": "1", "payment_method": "001002", "purpose": "办公用品", "amount": "1000.00"}))
			for _, step := range []struct {
				actor engine.Actor
				event string
			}{{clerk, "submit"}, {reviewer, "agency_review"}, {treasury, "sign"}, {treasury, "send"}} {
				fire(step.actor, "payment", "payment", p.ID, step.event)
			}
			ids = append(ids, p.ID)
		}
		b := openBroker(t, opts)
		run(t, rt, b)
		simCtx, stopSim := context.WithCancel(ctx)
		defer stopSim()
		statements := t.TempDir()
		_, stop, err := exchange.Simulate(simCtx, b, exchange.SimOptions{Party: "agent_bank", Key: bank, Growth: enginetest.Must(store.Own(keys.SM2)).Public(),
			Accept: "paid", Refuse: "returned", RefuseKey: "payee_account", RefuseWhen: regexp.MustCompile(`^6222`), Reason: "收款账号不存在",
			StatementDir: statements, AccountKey: "payee_account"})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		start := time.Now()
		eventually(t, "every receipt is applied", func() bool {
			var applied int
			_ = rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&applied)
			return applied == n
		})
		t.Logf("%d payments: vouchers published and receipts applied in %s after the bank started", n, time.Since(start).Round(time.Millisecond))
		states := map[string]int{}
		for _, id := range ids {
			states[enginetest.Must(rt.Get(ctx, engine.SystemActor, "payment", "payment", id)).State]++
		}
		if states["paid"] != n-returned || states["refunded"] != returned {
			t.Errorf("payments by state: %v, want %d paid and %d refunded", states, n-returned, returned)
		}
		bal := enginetest.Must(rt.Balance(ctx, engine.SystemActor, "indicator", "indicator", ind.ID))
		if got, want := bal.Amounts.Consumed, int64(n-returned)*1000_00; got != want {
			t.Errorf("consumed %s, want %s (the returned payments refunded)", engine.FormatFen(got), engine.FormatFen(want))
		}
		if ex := enginetest.Must(rt.ExchangeExceptions(ctx, true)); len(ex) != 0 {
			t.Errorf("exceptions: %+v", ex)
		}
		if r, err := rt.DB.VerifyLedger(ctx); err != nil || !r.OK() {
			t.Errorf("ledger verify: %v %v", err, r)
		}
		if r, err := rt.DB.VerifyAudit(ctx); err != nil || !r.OK() {
			t.Errorf("audit verify: %v %v", err, r)
		}
		// The bank's statement of the day reconciles with our vouchers: every
		// one matched, paid or returned, none differing.
		day := time.Now().Format(time.DateOnly)
		path := exchange.StatementFile(statements, "agent_bank", day)
		lines := enginetest.Must(engine.ParseStatement(bytes.NewReader(enginetest.Must(os.ReadFile(path)))))
		rec := enginetest.Must(rt.Reconcile(ctx, engine.SystemActor, engine.ReconcileOptions{Party: "agent_bank", Day: day, Statement: path}, lines))
		if rec.Differences != 0 || rec.Matched != n {
			t.Errorf("reconciliation: %d matched, %d differences; want %d matched and none differing", rec.Matched, rec.Differences, n)
		}
	})
}

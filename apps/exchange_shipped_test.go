package apps_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
)

// TestShippedPaymentOverExchange runs the shipped payment app through its
// exchange with the agent bank: send writes a voucher signed with our SM2
// key; the bank's signed receipts confirm one payment (with its serial
// number) and return the other (refunded on the ledger, the bank's reason as
// the comment); a forged receipt and a duplicate change nothing.
func TestShippedPaymentOverExchange(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	var (
		clerk    = actingAs("c1", "division_clerk", "104")
		reviewer = actingAs("r1", "division_reviewer", "104")
		office   = actingAs("b1", "budget_office", "")
		agClerk  = actingAs("a1", "agency_clerk", "104001")
		agRev    = actingAs("a2", "agency_reviewer", "104001")
		treasury = actingAs("t1", "treasury", "")
	)
	ev := func(path, event string) string { return path + "/events/" + event }
	const ind, pay1, pay2 = "/api/indicator/indicator/1", "/api/payment/payment/1", "/api/payment/payment/2"
	payment := map[string]any{"year": 2026, "division": "510000000", "indicator": 1, "agency": "104001",
		"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
		"payer_name": "四川省教育厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
		"payee_name": "成都某办公用品有限公司", "payee_account": "4402200109100012345", "payee_bank": "102651000029",
		"settlement_method": "1", "payment_method": "001002", "purpose": "购买办公用品", "amount": "200000.00"}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		store := enginetest.TestKeys(t)
		bankKey := enginetest.Must(keys.Generate(keys.SM2))
		enginetest.Must(store.Import("agent_bank", bankKey.Public().MarshalPEM()))
		rt.SetExchangeKeys(store)
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: shippedActor})
		if err != nil {
			t.Fatal(err)
		}
		var header, row []string
		for k, v := range with(validIndicator(), "amount", "1000000.00") {
			header, row = append(header, k), append(row, fmt.Sprint(v))
		}
		budget, budgetHeaders := multipartFile(t, "budget.csv", strings.Join(header, ",")+"\n"+strings.Join(row, ",")+"\n")
		for k, v := range clerk {
			budgetHeaders[k] = v
		}
		scenarios := []apitest.Scenario{
			{Name: "import the budget", Method: "POST", Path: "/api/indicator/indicator/import", Body: budget, Headers: budgetHeaders, Status: 200},
			{Name: "submit", Method: "POST", Path: ev(ind, "submit"), Headers: clerk, Status: 200},
			{Name: "review", Method: "POST", Path: ev(ind, "review"), Headers: reviewer, Status: 200},
			{Name: "check", Method: "POST", Path: ev(ind, "check"), Headers: office, Status: 200},
			{Name: "release", Method: "POST", Path: ev(ind, "release"), Headers: office, Status: 200},
			{Name: "payment 1", Method: "POST", Path: "/api/payment/payment", Body: payment, Headers: agClerk, Status: 201},
			{Name: "payment 2", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "amount", "300000.00", "payee_account", "6222000000000000999"), Headers: agClerk, Status: 201},
		}
		for _, pay := range []string{pay1, pay2} {
			scenarios = append(scenarios,
				apitest.Scenario{Name: "submit " + pay, Method: "POST", Path: ev(pay, "submit"), Headers: agClerk, Status: 200},
				apitest.Scenario{Name: "agency review " + pay, Method: "POST", Path: ev(pay, "agency_review"), Headers: agRev, Status: 200},
				apitest.Scenario{Name: "sign " + pay, Method: "POST", Path: ev(pay, "sign"), Headers: treasury, Status: 200},
				apitest.Scenario{Name: "send " + pay, Method: "POST", Path: ev(pay, "send"), Headers: treasury, Status: 200, Want: map[string]any{"state": "sent"}},
			)
		}
		scenarios = append(scenarios, apitest.Scenario{Name: "both consumed", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200,
			Want: map[string]any{"consumed": "500000.00", "available": "500000.00"}})
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}

		// Each send wrote one voucher, signed with our SM2 key.
		ours := enginetest.Must(store.Own(keys.SM2)).Public()
		for i, want := range []string{"200000.00", "300000.00"} {
			out := enginetest.Must(rt.OutboxFor(t.Context(), "payment", "payment", int64(i+1)))
			if len(out) != 1 {
				t.Fatalf("payment %d: %d vouchers", i+1, len(out))
			}
			var env engine.Envelope
			enginetest.Must(0, json.Unmarshal(out[0].Envelope, &env))
			var body map[string]any
			enginetest.Must(0, json.Unmarshal(env.Body, &body))
			if env.Party != "agent_bank" || env.Type != "voucher" || env.Alg != "sm2" || body["amount"] != want || !strings.HasPrefix(fmt.Sprint(body["pay_no"]), "ZF2026") {
				t.Errorf("voucher %d: %+v %v", i+1, env, body)
			}
			if !env.Verify(ours) {
				t.Errorf("voucher %d does not verify with our SM2 key", i+1)
			}
		}

		receipt := func(key *keys.PrivateKey, typ, ref string, body map[string]any) []byte {
			b, _ := json.Marshal(body)
			env := &engine.Envelope{ID: engine.NewMessageID(), Party: "agent_bank", Type: typ, Ref: ref, At: time.Now().UTC().Format(time.RFC3339), Body: b}
			enginetest.Must(0, env.Sign(key))
			return enginetest.Must(json.Marshal(env))
		}
		receive := func(raw []byte, want string) *engine.InboundResult {
			t.Helper()
			res := enginetest.Must(rt.ReceiveMessage(t.Context(), raw, ""))
			if res.Outcome != want {
				t.Fatalf("receipt: %+v, want %s", res, want)
			}
			return res
		}
		forger := enginetest.Must(keys.Generate(keys.SM2))
		receive(receipt(forger, "paid", "1", map[string]any{"serial": "FAKE"}), engine.InboundException)
		paid := receipt(bankKey, "paid", "1", map[string]any{"serial": "20260315000123"})
		receive(paid, engine.InboundApplied)
		receive(paid, engine.InboundDuplicate)
		receive(receipt(bankKey, "returned", "2", map[string]any{"reason": "收款账号不存在"}), engine.InboundApplied)

		for _, sc := range []apitest.Scenario{
			{Name: "paid by the receipt", Method: "GET", Path: pay1, Headers: agClerk, Status: 200,
				Want: map[string]any{"state": "paid", "bank_serial": "20260315000123", "paid_on": time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)}},
			{Name: "refunded by the receipt", Method: "GET", Path: pay2, Headers: agClerk, Status: 200, Want: map[string]any{"state": "refunded"}},
			{Name: "the return went back to the indicator", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200,
				Want: map[string]any{"consumed": "200000.00", "available": "800000.00"}},
			{Name: "the bank's reason is the refund's comment", Method: "GET", Path: pay2 + "/history", Headers: agClerk, Status: 200,
				Want: map[string]any{"items.#": 6, "items.5.event": "refund", "items.5.comment": "收款账号不存在", "items.5.actor": "exchange:agent_bank"}},
		} {
			apitest.Run(t, app, sc)
		}
		ex := enginetest.Must(rt.ExchangeExceptions(t.Context(), false))
		if len(ex) != 1 || ex[0].Reason != engine.ReasonBadSignature {
			t.Errorf("exceptions: %+v", ex)
		}
		if r, err := rt.DB.VerifyLedger(t.Context()); err != nil || !r.OK() {
			t.Errorf("ledger verify: %v %v", err, fmt.Sprint(r))
		}
	})
}

package apps_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var ledgerApp = map[string]string{"fund/app.yaml": `
app: fund
entities:
  grant:
    title: 额度
    fields:
      agency: {type: string, label: 单位, required: true}
      amount: {type: money, label: 金额, required: true}
    balance: {amount: amount}
  spend:
    title: 支出
    fields:
      grant:  {type: ref, entity: grant, required: true}
      agency: {type: string, label: 单位, required: true}
      amount: {type: money, label: 金额, required: true}
    draws:
      - {on: grant, amount: amount, reserve_on: [create], match: [agency]}
`}

// multipartFile builds a multipart body with one file field.
func multipartFile(t *testing.T, name, content string) (string, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write([]byte(content))
	w.Close()
	return buf.String(), map[string]string{"Content-Type": w.FormDataContentType()}
}

func TestLedgerAPI(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, ledgerApp), engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "grant", Method: "POST", Path: "/api/fund/grant", Body: map[string]any{"agency": "101001", "amount": "10000.00"}, Status: 201})
		good, goodHeaders := multipartFile(t, "spends.csv", "grant,单位,金额\n1,101001,100.00\n1,101001,\"2,000.00\"\n")
		bad, badHeaders := multipartFile(t, "spends.csv", "grant,单位,金额\n1,101001,100.00\n1,101002,1.00\n1,101001,99999.00\n")
		key := map[string]string{"Idempotency-Key": "retry-1"}
		scenarios := []apitest.Scenario{
			{Name: "draw", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101001", "amount": "1000.00"}, Headers: key, Status: 201, Want: map[string]any{"id": 1}},
			{Name: "retry with the same key", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101001", "amount": "1000.00"}, Headers: key, Status: 201, Want: map[string]any{"id": 1}},
			{Name: "balance", Method: "GET", Path: "/api/fund/grant/1/balance", Status: 200,
				Want: map[string]any{"open": true, "approved": "10000.00", "reserved": "1000.00", "consumed": "0.00", "frozen": "0.00", "available": "9000.00"}},
			{Name: "overdraft", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101001", "amount": "9000.01"}, Status: 409,
				Want: map[string]any{"error.code": "insufficient_balance", "error.message": "额度 #1 可用余额不足：可用 9,000.00，申请 9,000.01", "error.field_codes.amount.0": "insufficient_balance"}},
			{Name: "elements differ", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101002", "amount": "1.00"}, Status: 422,
				Want: map[string]any{"error.field_codes.agency.0": "mismatch"}},
			{Name: "ledger of the account", Method: "GET", Path: "/api/fund/grant/1/ledger", Status: 200,
				Want: map[string]any{"items.#": 2, "items.0.kind": "open", "items.0.amount": "10000.00", "items.1.kind": "reserve", "items.1.source.entity": "spend", "items.1.source.id": 1, "items.1.idempotency_key": "retry-1", "side": "account"}},
			{Name: "ledger paged", Method: "GET", Path: "/api/fund/grant/1/ledger?page=2&page_size=1", Status: 200, Want: map[string]any{"items.#": 1, "items.0.kind": "reserve", "has_more": false}},
			{Name: "ledger of a drawing record", Method: "GET", Path: "/api/fund/spend/1/ledger", Status: 200, Want: map[string]any{"items.#": 1, "items.0.account.id": 1, "side": "source"}},
			{Name: "no balance on a spend", Method: "GET", Path: "/api/fund/spend/1/balance", Status: 404},
			{Name: "no such grant", Method: "GET", Path: "/api/fund/grant/99/balance", Status: 404},
			{Name: "bad page", Method: "GET", Path: "/api/fund/grant/1/ledger?page=0", Status: 400},
			{Name: "half-valid import", Method: "POST", Path: "/api/fund/spend/import", Body: bad, Headers: badHeaders, Status: 422,
				Want: map[string]any{"error.code": "import_rejected", "error.rows.#": 2, "error.rows.0.line": 3, "error.rows.0.fields.agency.0.code": "mismatch", "error.rows.1.line": 4, "error.rows.1.fields.amount.0.code": "insufficient_balance"}},
			{Name: "good import", Method: "POST", Path: "/api/fund/spend/import", Body: good, Headers: goodHeaders, Status: 200, Want: map[string]any{"imported": 2, "total": 2, "columns.1": "agency"}},
			{Name: "balance after import", Method: "GET", Path: "/api/fund/grant/1/balance", Status: 200, Want: map[string]any{"reserved": "3100.00", "available": "6900.00"}},
			{Name: "import without a file", Method: "POST", Path: "/api/fund/spend/import", Body: map[string]any{}, Status: 400},
		}
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}

		// Streamed progress: lines of {"done", "total"}, then the report.
		stream, streamHeaders := multipartFile(t, "spends.csv", "grant,agency,amount\n1,101001,1.00\n1,101001,2.00\n1,101001,3.00\n")
		streamHeaders["Accept"] = "application/x-ndjson"
		status, _, raw := apitest.Do(t, app, "POST", "/api/fund/spend/import", stream, streamHeaders)
		lines := strings.Split(strings.TrimSpace(raw), "\n")
		if status != 200 || len(lines) != 4 {
			t.Fatalf("streamed import: status %d, %d lines: %s", status, len(lines), raw)
		}
		var last struct {
			Report struct{ Imported int } `json:"report"`
		}
		if err := json.Unmarshal([]byte(lines[3]), &last); err != nil || last.Report.Imported != 3 || lines[2] != `{"done":3,"total":3}` {
			t.Errorf("streamed lines %q: want progress to 3 of 3, then a report of 3 imported (%v)", lines, err)
		}
		if r, err := rt.VerifyLedger(t.Context()); err != nil || !r.OK() {
			t.Errorf("ledger verify: %v %v", err, fmt.Sprint(r))
		}
	})
}

// TestShippedLedger runs the shipped indicator and payment apps through the
// ledger, from the import of the approved budget to a paid and refunded
// payment: an indicator opens its balance when released, a payment reserves
// on submit, gives back on reject, is consumed on sign and refunded; an
// adjustment adds to the indicator; the ledger verifies.
func TestShippedLedger(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	var (
		clerk    = actingAs("c1", "division_clerk", "104")
		reviewer = actingAs("r1", "division_reviewer", "104")
		office   = actingAs("b1", "budget_office", "")
		agClerk  = actingAs("a1", "agency_clerk", "104001")
		agRev    = actingAs("a2", "agency_reviewer", "104001")
		treasury = actingAs("t1", "treasury", "")
		deptRev  = actingAs("d1", "dept_reviewer", "104")
		bank     = actingAs("k1", "bank", "")
	)
	ev := func(path, event string) string { return path + "/events/" + event }
	const ind, pay1, pay2, plan = "/api/indicator/indicator/1", "/api/payment/payment/1", "/api/payment/payment/2", "/api/payment/plan/1"
	payment := map[string]any{"year": 2026, "division": "510000000", "indicator": 1, "agency": "104001",
		"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
		"payer_name": "四川省教育厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
		"payee_name": "成都某办公用品有限公司", "payee_account": "4402200109100012345", "payee_bank": "102651000029",
		"settlement_method": "1", "payment_method": "001002", "purpose": "购买办公用品", "amount": "200000.00"}
	balance := func(reserved, consumed, available string) map[string]any {
		return map[string]any{"reserved": reserved, "consumed": consumed, "available": available}
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: shippedActor})
		if err != nil {
			t.Fatal(err)
		}
		// The approved budget arrives as a file: the clerk imports it (by field
		// labels, as the budget system exports them), then it goes through the flow.
		var header, row []string
		for k, v := range with(validIndicator(), "amount", "1000000.00") {
			header, row = append(header, k), append(row, fmt.Sprint(v))
		}
		budget, budgetHeaders := multipartFile(t, "budget.csv", strings.Join(header, ",")+"\n"+strings.Join(row, ",")+"\n")
		for k, v := range clerk {
			budgetHeaders[k] = v
		}
		scenarios := []apitest.Scenario{
			{Name: "import the approved budget", Method: "POST", Path: "/api/indicator/indicator/import", Body: budget, Headers: budgetHeaders, Status: 200,
				Want: map[string]any{"imported": 1, "ids.0": 1}},
			{Name: "not open before release", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: map[string]any{"open": false, "available": "0.00"}},
			{Name: "submit", Method: "POST", Path: ev(ind, "submit"), Headers: clerk, Status: 200},
			{Name: "review", Method: "POST", Path: ev(ind, "review"), Headers: reviewer, Status: 200},
			{Name: "check", Method: "POST", Path: ev(ind, "check"), Headers: office, Status: 200},
			{Name: "release opens the balance", Method: "POST", Path: ev(ind, "release"), Headers: office, Status: 200},
			{Name: "balance", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: map[string]any{"open": true, "approved": "1000000.00", "available": "1000000.00"}},

			{Name: "payment 1", Method: "POST", Path: "/api/payment/payment", Body: payment, Headers: agClerk, Status: 201},
			{Name: "payment 2, too big", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "amount", "800000.01"), Headers: agClerk, Status: 201},
			{Name: "elements must match", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "gov_econ", "50101", "dept_econ", "30101"), Headers: agClerk, Status: 422,
				Want: map[string]any{"error.field_codes.gov_econ.0": "mismatch"}},
			{Name: "submit reserves", Method: "POST", Path: ev(pay1, "submit"), Headers: agClerk, Status: 200},
			{Name: "reserved", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: balance("200000.00", "0.00", "800000.00")},
			{Name: "overdraft refused", Method: "POST", Path: ev(pay2, "submit"), Headers: agClerk, Status: 409,
				Want: map[string]any{"error.code": "insufficient_balance", "error.message": "预算指标 #1 可用余额不足：可用 800,000.00，申请 800,000.01"}},
			{Name: "refused submit left it a draft", Method: "GET", Path: pay2, Headers: agClerk, Status: 200, Want: map[string]any{"state": "draft"}},
			{Name: "reject releases", Method: "POST", Path: ev(pay1, "reject"), Body: map[string]any{"comment": "用途不清"}, Headers: agRev, Status: 200},
			{Name: "released", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: balance("0.00", "0.00", "1000000.00")},
			{Name: "resubmit", Method: "POST", Path: ev(pay1, "submit"), Headers: agClerk, Status: 200},
			{Name: "agency review", Method: "POST", Path: ev(pay1, "agency_review"), Headers: agRev, Status: 200},
			{Name: "sign consumes", Method: "POST", Path: ev(pay1, "sign"), Headers: treasury, Status: 200},
			{Name: "consumed", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: balance("0.00", "200000.00", "800000.00")},
			{Name: "send", Method: "POST", Path: ev(pay1, "send"), Headers: treasury, Status: 200},
			{Name: "paid", Method: "POST", Path: ev(pay1, "confirm_paid"), Headers: bank, Status: 200},
			{Name: "refund", Method: "POST", Path: ev(pay1, "refund"), Body: map[string]any{"comment": "收款账户已销户"}, Headers: bank, Status: 200},
			{Name: "a second refund changes nothing", Method: "POST", Path: ev(pay1, "refund"), Body: map[string]any{"comment": "再退"}, Headers: bank, Status: 409},
			{Name: "refunded", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: balance("0.00", "0.00", "1000000.00")},
			{Name: "payment's ledger", Method: "GET", Path: pay1 + "/ledger", Headers: agClerk, Status: 200,
				Want: map[string]any{"items.#": 5, "items.0.kind": "reserve", "items.1.kind": "release", "items.2.kind": "reserve", "items.3.kind": "consume", "items.4.kind": "refund", "items.4.event": "refund"}},

			{Name: "increase", Method: "POST", Path: "/api/indicator/adjustment", Headers: clerk, Status: 201,
				Body: map[string]any{"year": 2026, "agency": "104001", "kind": "increase", "indicator": 1, "amount": "50000.00", "reason": "追加预算"}},
			{Name: "submit the increase", Method: "POST", Path: ev("/api/indicator/adjustment/1", "submit"), Headers: clerk, Status: 200},
			{Name: "approve the increase", Method: "POST", Path: ev("/api/indicator/adjustment/1", "approve"), Headers: office, Status: 200},
			{Name: "increased", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: map[string]any{"approved": "1050000.00", "available": "1050000.00"}},

			// A spending plan: finance approves less than requested, as an input of its event.
			{Name: "plan", Method: "POST", Path: "/api/payment/plan", Headers: agClerk, Status: 201,
				Body: with(payment, "month", 3, "requested_amount", "100000.00", "amount", nil, "payer_name", nil, "payer_account", nil, "payer_bank", nil,
					"payee_name", nil, "payee_account", nil, "payee_bank", nil, "settlement_method", nil, "payment_method", nil, "purpose", nil)},
			{Name: "plan submit reserves the request", Method: "POST", Path: ev(plan, "submit"), Headers: agClerk, Status: 200},
			{Name: "requested reserved", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: balance("100000.00", "0.00", "950000.00")},
			{Name: "plan agency review", Method: "POST", Path: ev(plan, "agency_review"), Headers: agRev, Status: 200},
			{Name: "plan department review", Method: "POST", Path: ev(plan, "dept_review"), Headers: deptRev, Status: 200},
			{Name: "approve without an amount", Method: "POST", Path: ev(plan, "approve"), Headers: treasury, Status: 422,
				Want: map[string]any{"error.fields._record.0": "请填写批复金额"}},
			{Name: "approve more than requested", Method: "POST", Path: ev(plan, "approve"), Headers: treasury, Status: 422,
				Body: map[string]any{"values": map[string]any{"approved_amount": "100000.01"}}},
			{Name: "approve with a field the event does not take", Method: "POST", Path: ev(plan, "approve"), Headers: treasury, Status: 400,
				Body: map[string]any{"values": map[string]any{"requested_amount": "1.00"}}, Want: map[string]any{"error.field_codes.requested_amount.0": "not_input"}},
			{Name: "approve less", Method: "POST", Path: ev(plan, "approve"), Headers: treasury, Status: 200,
				Body: map[string]any{"values": map[string]any{"approved_amount": "80000.00"}}, Want: map[string]any{"state": "approved", "approved_amount": "80000.00", "plan_amount": "80000.00"}},
			{Name: "the indicator spent the approved amount, the rest is free again", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200,
				Want: balance("0.00", "80000.00", "970000.00")},
			{Name: "the plan is an account of its approved amount", Method: "GET", Path: plan + "/balance", Headers: agClerk, Status: 200,
				Want: map[string]any{"approved": "80000.00", "available": "80000.00"}},

			// The indicator ledger report: amounts from the ledger, the execution rate.
			{Name: "ledger report", Method: "GET", Path: "/api/reports/indicator/ledger", Headers: office, Status: 200,
				Want: map[string]any{"rows.#": 1, "rows.0.agency": "104001", "rows.0.amount": "1000000.00", "rows.0.approved": "1050000.00",
					"rows.0.pending": "0.00", "rows.0.used": "80000.00", "rows.0.available": "970000.00", "rows.0.rate": "7.62", "totals.count": 1,
					// used split by source: the plan's approval, the payment signed and refunded.
					"rows.0.planned": "80000.00", "rows.0.paid": "200000.00", "rows.0.refunded": "200000.00"}},
			{Name: "ledger report with a data tag", Method: "GET", Path: "/api/reports/indicator/ledger?filter=" + url.QueryEscape("tag('直达资金')"), Headers: office, Status: 200,
				Want: map[string]any{"rows.#": 0, "totals.count": 0}},
			{Name: "a tag the report does not offer: 400 naming those it does", Method: "GET", Path: "/api/reports/indicator/ledger?filter=" + url.QueryEscape("#民生"), Headers: office, Status: 400,
				Want: map[string]any{"error.message": "filter: at 0: unknown data tag '民生'; the tags here are 民生支出, 直达资金, 上级转移支付"}},
			{Name: "a filter the report does not declare: 400 naming those it does", Method: "GET", Path: "/api/reports/indicator/ledger?filter=" + url.QueryEscape("amount > 1"), Headers: office, Status: 400,
				Want: map[string]any{"error.message": `filter: at 0: unknown field "amount"; this report may be filtered on year, division, fund_nature, direct_fund`}},
		}
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}

		// More adjustments: a decrease; a change onto indicator 2, not yet
		// released (its balance opens at zero); a transfer back. Each posts
		// its voucher to the memo accounts (docs/apps/books.md).
		adjust := func(n int, kind, from, to, amount string) []apitest.Scenario {
			body := map[string]any{"year": 2026, "agency": "104001", "kind": kind, "indicator": from, "amount": amount, "reason": "调整"}
			if to != "" {
				body["target_indicator"] = to
			}
			path := fmt.Sprintf("/api/indicator/adjustment/%d", n)
			return []apitest.Scenario{
				{Name: kind, Method: "POST", Path: "/api/indicator/adjustment", Body: body, Headers: clerk, Status: 201, Want: map[string]any{"id": n}},
				{Name: "submit the " + kind, Method: "POST", Path: ev(path, "submit"), Headers: clerk, Status: 200},
				{Name: "approve the " + kind, Method: "POST", Path: ev(path, "approve"), Headers: office, Status: 200},
			}
		}
		more := []apitest.Scenario{{Name: "indicator 2", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "func_class", "2050202"), Headers: clerk, Status: 201, Want: map[string]any{"id": 2}}}
		more = append(more, adjust(2, "decrease", "1", "", "30000.00")...)
		more = append(more, adjust(3, "change", "1", "2", "20000.00")...)
		more = append(more, adjust(4, "transfer", "2", "1", "5000.00")...)
		more = append(more,
			apitest.Scenario{Name: "indicator 1 after the adjustments", Method: "GET", Path: ind + "/balance", Headers: office, Status: 200, Want: map[string]any{"approved": "1005000.00"}},
			apitest.Scenario{Name: "indicator 2 after the adjustments", Method: "GET", Path: "/api/indicator/indicator/2/balance", Headers: office, Status: 200, Want: map[string]any{"approved": "15000.00"}})
		for _, sc := range more {
			apitest.Run(t, app, sc)
		}
		books := grBooksComplete(t, rt, nil)
		grOneVoucher(t, books, "indicator.adjustment/1 approve", "D 9101 50000.00, C 9201 50000.00")
		grOneVoucher(t, books, "indicator.adjustment/2 approve", "D 9201 30000.00, C 9101 30000.00")
		for _, move := range []struct {
			key, from, to, amount string
		}{{"indicator.adjustment/3 approve", "1", "2", "20000.00"}, {"indicator.adjustment/4 approve", "2", "1", "5000.00"}} {
			var got []string
			for _, v := range books[move.key] {
				got = append(got, grVoucherLines(v)+" on indicator "+v.Lines[0].Dims["indicator"])
			}
			sort.Strings(got)
			want := []string{"D 9101 " + move.amount + ", C 9201 " + move.amount + " on indicator " + move.to, "D 9201 " + move.amount + ", C 9101 " + move.amount + " on indicator " + move.from}
			if !slices.Equal(got, want) {
				t.Errorf("%s: vouchers %q, want %q", move.key, got, want)
			}
		}
		// The memo account of released indicators holds what the indicators'
		// balances were approved for: 1,005,000.00 + 15,000.00.
		var released int64
		for _, vs := range books {
			for _, v := range vs {
				for _, l := range v.Lines {
					if l.Account == "9101" {
						released += l.Debit - l.Credit
					}
				}
			}
		}
		if got := engine.Yuan(released).StringFixed(2); got != "1020000.00" {
			t.Errorf("9101 已下达预算指标 stands at %s, want 1020000.00, the indicators' approved amounts", got)
		}

		if r, err := rt.VerifyLedger(t.Context()); err != nil || !r.OK() {
			t.Errorf("ledger verify: %v %v", err, r)
		}
		if r, err := rt.VerifyProof(t.Context()); err != nil || !r.OK() {
			t.Errorf("audit verify: %v %v %v %v", err, r.Audit.Broken, r.Problems, r.Ledger.Problems)
		}

		// Issue 13's insider on the shipped apps: the paid payment's amount
		// cut in its table, and 1,000,000.00 added to the indicator from an
		// adjustment that does not exist, the balance raised to match.
		for _, sql := range []string{
			`UPDATE payment_payment SET amount = 100 WHERE id = 1`,
			`INSERT INTO growth_ledger (account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at, idempotency_key, note, hash)
VALUES ('indicator', 'indicator', 1, 'increase', 100000000, 'indicator', 'adjustment', 77, 2, 'approve', 'mallory', '2026-01-01T00:00:00.000000Z', '', '', '')`,
			`UPDATE growth_balances SET approved = approved + 100000000 WHERE account_app = 'indicator' AND account_id = 1`,
		} {
			if _, err := rt.DB.Write.ExecContext(t.Context(), sql); err != nil {
				t.Fatal(err)
			}
		}
		r := enginetest.Must(rt.VerifyProof(t.Context()))
		got := strings.Join(append(r.Problems, r.Ledger.Problems...), "\n")
		for _, want := range []string{
			`payment.payment #1 (table payment_payment) differs from its audit trail (last written by refund, audit row `,
			`amount is "1.00", the audit trail says "200000.00"`,
			"(increase 1,000,000.00 on indicator.indicator #1, from approve of indicator.adjustment #77 version 2): no audit row records the change it names (forged)",
			"its source record indicator.adjustment #77 does not exist",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("audit verify after the hand edits does not say %q; it says:\n%s", want, got)
			}
		}
	})
}

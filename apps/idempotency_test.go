package apps_test

import (
	"fmt"
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestIdempotencyKeysPerUser: an Idempotency-Key belongs to the user who
// sent it. Another user's request with the same key is a request of its own
// (created, not answered with "not found" and a record number of someone
// else's), and the same user sending another body under a used key is
// refused with 422 idempotency_key_reused, not answered with the first
// record. A key the database could not store (a NUL byte) is 400 on both
// databases.
func TestIdempotencyKeysPerUser(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, _ := grStart(t, d, p)
		payment := func(agency string, indicator int64, amount string) map[string]any {
			return map[string]any{"year": 2026, "division": "510000000", "agency": agency, "indicator": indicator,
				"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
				"payer_name": "四川省财政厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
				"payee_name": "成都某办公用品有限公司", "payee_account": "4402200109100012345", "payee_bank": "102651000029",
				"settlement_method": "1", "payment_method": "001002", "purpose": "购买办公用品", "amount": amount}
		}
		indA := grCreate(t, app, "indicator of 101002", "/api/indicator/indicator", with(validIndicator(), "agency", "101002"), actingAs("ind-clerk-101", "indicator.division_clerk", "101"))
		indB := grCreate(t, app, "indicator of 104001", "/api/indicator/indicator", validIndicator(), actingAs("ind-clerk-104", "indicator.division_clerk", "104"))
		with := func(h map[string]string, kv ...string) map[string]string {
			out := map[string]string{}
			for k, v := range h {
				out[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				out[kv[i]] = kv[i+1]
			}
			return out
		}
		a := with(actingAs("clerk-a", "payment.agency_clerk", "101002"), "Idempotency-Key", "pay-1")
		b := with(actingAs("clerk-b", "payment.agency_clerk", "104001"), "Idempotency-Key", "pay-1")
		first := grCreate(t, app, "a's payment with key pay-1", "/api/payment/payment", payment("101002", indA, "100.00"), a)
		apitest.Run(t, app, apitest.Scenario{Name: "a retries the same request", Method: "POST", Path: "/api/payment/payment",
			Body: payment("101002", indA, "100.00"), Headers: a, Status: 201, Want: map[string]any{"id": first, "amount": "100.00"}})
		apitest.Run(t, app, apitest.Scenario{Name: "a sends another body under the same key", Method: "POST", Path: "/api/payment/payment",
			Body: payment("101002", indA, "999.00"), Headers: a, Status: 422,
			Want: map[string]any{"error.code": "idempotency_key_reused", "error.field_codes.Idempotency-Key.0": "idempotency_key_reused"}})
		second := grCreate(t, app, "b's payment with the same key", "/api/payment/payment", payment("104001", indB, "200.00"), b)
		if second == first {
			t.Fatalf("b got a's payment #%d", first)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "b sees the payment it created", Method: "GET", Path: "/api/payment/payment", Headers: b, Status: 200,
			Want: map[string]any{"items.#": 1, "items.0.amount": "200.00"}})
		apitest.Run(t, app, apitest.Scenario{Name: "a still has one payment", Method: "GET", Path: "/api/payment/payment", Headers: a, Status: 200,
			Want: map[string]any{"items.#": 1, "items.0.amount": "100.00"}})
		for _, key := range []string{"k\x00ey", "k\x01ey", "k\xffey"} {
			apitest.Run(t, app, apitest.Scenario{Name: fmt.Sprintf("key %q", key), Method: "POST", Path: "/api/payment/payment",
				Body: payment("101002", indA, "1.00"), Headers: with(a, "Idempotency-Key", key), Status: 400,
				Want: map[string]any{"error.code": "malformed"}})
		}
	})
}

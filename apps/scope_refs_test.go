package apps_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestRefOutOfScopeReadsAsMissing: a clerk naming another agency's record in
// a reference learns nothing about it. A payment of agency 101002 naming an
// indicator of agency 104001 (under plan control, which the payment's rule
// reads through refs.indicator) gets exactly the answer a payment naming an
// indicator that does not exist gets: no rule runs against the other
// agency's indicator, on create, on update and on import.
func TestRefOutOfScopeReadsAsMissing(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, _ := grStart(t, d, p)
		indClerk, _, _ := grIndicatorUsers("104")
		other := grCreate(t, app, "indicator of agency 104001 under plan control", "/api/indicator/indicator",
			with(validIndicator(), "plan_control", true), indClerk)
		const missing = 987654
		clerk := actingAs("clerk-101002", "payment.agency_clerk", "101002")
		payment := map[string]any{"year": 2026, "division": "510000000", "agency": "101002",
			"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
			"payer_name": "四川省财政厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
			"payee_name": "成都某办公用品有限公司", "payee_account": "4402200109100012345", "payee_bank": "102651000029",
			"settlement_method": "1", "payment_method": "001002", "purpose": "购买办公用品", "amount": "3580.00"}
		same := func(name string, do func(indicator int64) (int, string)) {
			t.Helper()
			s1, b1 := do(other)
			s2, b2 := do(missing)
			b1 = strings.ReplaceAll(b1, fmt.Sprintf("#%d", other), "#N")
			b2 = strings.ReplaceAll(b2, fmt.Sprintf("#%d", missing), "#N")
			if s1 != s2 || b1 != b2 {
				t.Errorf("%s: another agency's indicator answers %d %s\nbut a missing one answers %d %s", name, s1, b1, s2, b2)
			}
			if s1 < 400 || s1 >= 500 {
				t.Errorf("%s: status %d, want a refusal", name, s1)
			}
		}
		same("create", func(ind int64) (int, string) {
			status, _, raw := apitest.Do(t, app, "POST", "/api/payment/payment", with(payment, "indicator", ind), clerk)
			return status, raw
		})
		ownIndicator := grCreate(t, app, "indicator of agency 101002", "/api/indicator/indicator", with(validIndicator(), "agency", "101002"), actingAs("ind-clerk-101", "indicator.division_clerk", "101"))
		own := grCreate(t, app, "a payment of its own", "/api/payment/payment", with(payment, "indicator", ownIndicator), clerk)
		same("update", func(ind int64) (int, string) {
			status, _, raw := apitest.Do(t, app, "PATCH", grPath("payment", "payment", own), map[string]any{"version": 1, "indicator": ind}, clerk)
			return status, raw
		})
	})
}

// TestRefOutOfScopeImport: the same through an import: a row naming another
// agency's indicator is refused as one naming a missing indicator is.
func TestRefOutOfScopeImport(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, _ := grStart(t, d, p)
		indClerk, _, _ := grIndicatorUsers("104")
		other := grCreate(t, app, "indicator of agency 104001 under plan control", "/api/indicator/indicator",
			with(validIndicator(), "plan_control", true), indClerk)
		clerk := actingAs("clerk-101002", "payment.agency_clerk", "101002")
		answer := func(ind int64) (int, string) {
			csv := "year,division,agency,indicator,func_class,gov_econ,dept_econ,fund_nature,payer_name,payer_account,payer_bank,payee_name,payee_account,payee_bank,settlement_method,payment_method,purpose,amount\n" +
				fmt.Sprintf("2026,510000000,101002,%d,2050201,50201,30201,11,四川省财政厅,510101000000001,102651000011,成都某办公用品有限公司,4402200109100012345,102651000029,1,001002,购买办公用品,3580.00\n", ind)
			body, headers := multipartFile(t, "payments.csv", csv)
			for k, v := range clerk {
				headers[k] = v
			}
			status, _, raw := apitest.Do(t, app, "POST", "/api/payment/payment/import", body, headers)
			return status, strings.ReplaceAll(raw, fmt.Sprintf("#%d", ind), "#N")
		}
		s1, b1 := answer(other)
		s2, b2 := answer(987654)
		if s1 != s2 || b1 != b2 || s1 != 422 {
			t.Errorf("import: another agency's indicator answers %d %s\nbut a missing one answers %d %s", s1, b1, s2, b2)
		}
	})
}

package apps_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

// catalogue lists the shipped analysis reports (definitions/*/analysis.yaml)
// by category, each with checks of its totals row: the figure the report
// shows for a measure against the same figure computed here by a query of
// its own over the seeded tables (money in fen), not by the report engine.
var catalogue = []struct {
	category, report string
	checks           map[string]string // measure → independent SQL
}{
	{"预算控制", "indicator.bc_func_class", map[string]string{
		"count":    "SELECT COUNT(*) FROM indicator_indicator WHERE state = 'released'",
		"approved": "SELECT SUM(b.approved) FROM growth_balances b JOIN indicator_indicator i ON i.id = b.account_id WHERE b.account_app = 'indicator' AND b.account_entity = 'indicator' AND i.state = 'released'",
	}},
	{"预算控制", "indicator.bc_department", map[string]string{"amount": "SELECT SUM(amount) FROM indicator_indicator", "count": "SELECT COUNT(*) FROM indicator_indicator"}},
	{"预算控制", "indicator.bc_livelihood", map[string]string{
		"amount": "SELECT SUM(amount) FROM indicator_indicator WHERE substr(func_class, 1, 3) IN ('205', '208', '210', '221')",
		"count":  "SELECT COUNT(*) FROM indicator_indicator WHERE substr(func_class, 1, 3) IN ('205', '208', '210', '221')",
	}},
	{"预算控制", "indicator.bc_econ", map[string]string{"amount": "SELECT SUM(amount) FROM indicator_indicator"}},
	{"财力", "indicator.fc_fund_source", map[string]string{"amount": "SELECT SUM(amount) FROM indicator_indicator", "count": "SELECT COUNT(*) FROM indicator_indicator"}},
	{"财力", "indicator.fc_fund_nature", map[string]string{"amount": "SELECT SUM(amount) FROM indicator_indicator"}},
	{"财力", "indicator.fc_transfers", map[string]string{"amount": "SELECT SUM(amount) FROM indicator_indicator WHERE fund_source LIKE '3%'"}},
	{"财力", "debt.fc_capacity", map[string]string{"capacity": "SELECT SUM(fiscal_capacity) FROM debt_limit WHERE kind = 'general'"}},
	{"执行进度", "indicator.ep_department", map[string]string{
		"approved": "SELECT SUM(b.approved) FROM growth_balances b JOIN indicator_indicator i ON i.id = b.account_id WHERE b.account_app = 'indicator' AND b.account_entity = 'indicator' AND i.state = 'released'",
		"planned":  "SELECT SUM(l.amount) FROM growth_ledger l JOIN indicator_indicator i ON i.id = l.account_id WHERE l.account_app = 'indicator' AND l.account_entity = 'indicator' AND i.state = 'released' AND l.kind = 'consume' AND l.source_app = 'payment' AND l.source_entity = 'plan'",
		"paid":     "SELECT SUM(l.amount) FROM growth_ledger l JOIN indicator_indicator i ON i.id = l.account_id WHERE l.account_app = 'indicator' AND l.account_entity = 'indicator' AND i.state = 'released' AND l.kind = 'consume' AND l.source_app = 'payment' AND l.source_entity = 'payment'",
		"refunded": "SELECT SUM(l.amount) FROM growth_ledger l JOIN indicator_indicator i ON i.id = l.account_id WHERE l.account_app = 'indicator' AND l.account_entity = 'indicator' AND i.state = 'released' AND l.kind = 'refund' AND l.source_app = 'payment' AND l.source_entity = 'payment'",
	}},
	{"执行进度", "indicator.ep_direct_funds", map[string]string{"amount": "SELECT SUM(amount) FROM indicator_indicator WHERE direct_fund = TRUE"}},
	{"支付", "payment.pay_func_class", map[string]string{"amount": "SELECT SUM(amount) FROM payment_payment", "count": "SELECT COUNT(*) FROM payment_payment"}},
	{"支付", "payment.pay_department", map[string]string{"amount": "SELECT SUM(amount) FROM payment_payment", "count": "SELECT COUNT(*) FROM payment_payment"}},
	{"支付", "payment.pay_method", map[string]string{"amount": "SELECT SUM(amount) FROM payment_payment"}},
	{"支付", "payment.pay_livelihood", map[string]string{
		"amount": "SELECT SUM(amount) FROM payment_payment WHERE substr(func_class, 1, 3) IN ('205', '208', '210', '221')",
		"count":  "SELECT COUNT(*) FROM payment_payment WHERE substr(func_class, 1, 3) IN ('205', '208', '210', '221')",
	}},
	{"支付", "payment.pay_fund_source", map[string]string{"amount": "SELECT SUM(amount) FROM payment_payment", "largest": "SELECT MAX(amount) FROM payment_payment"}},
	{"支付", "payment.pay_state", map[string]string{"amount": "SELECT SUM(amount) FROM payment_payment", "count": "SELECT COUNT(*) FROM payment_payment"}},
	{"工资", "payroll.pr_department", map[string]string{
		"headcount":   "SELECT COUNT(*) FROM payroll_person WHERE status = 'active'",
		"post_salary": "SELECT SUM(post_salary) FROM payroll_person WHERE status = 'active'",
	}},
	{"工资", "payroll.pr_staff_type", map[string]string{"headcount": "SELECT COUNT(*) FROM payroll_person", "base": "SELECT SUM(contribution_base) FROM payroll_person"}},
	{"债务", "debt.debt_headroom", map[string]string{"limit": "SELECT SUM(amount) FROM debt_limit", "balance": "SELECT SUM(debt_balance) FROM debt_limit"}},
	{"债务", "debt.debt_bonds", map[string]string{"face_value": "SELECT SUM(face_value) FROM debt_bond", "count": "SELECT COUNT(*) FROM debt_bond"}},
	{"救灾资金", "disaster.dis_sources", map[string]string{"received": "SELECT SUM(amount) FROM disaster_fund", "count": "SELECT COUNT(*) FROM disaster_fund"}},
	{"救灾资金", "disaster.dis_categories", map[string]string{"planned": "SELECT SUM(planned_fund) FROM disaster_project", "count": "SELECT COUNT(*) FROM disaster_project"}},
}

// TestAnalysisCatalogue runs every analysis report of the catalogue over the
// shipped seed data (and payments added here, one per indicator) and checks
// its totals against the independent queries above; a report with levels
// must also have first-level subtotals that add up to its totals.
func TestAnalysisCatalogue(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	shipped := map[string]bool{}
	for _, a := range p.Apps {
		for _, r := range a.Reports {
			shipped[a.Name+"."+r.Name] = true
		}
	}
	categories := map[string]int{}
	for _, c := range catalogue {
		if !shipped[c.report] {
			t.Fatalf("%s is not a shipped report", c.report)
		}
		categories[c.category]++
	}
	if len(catalogue) < 20 || len(categories) != 7 {
		t.Fatalf("the catalogue has %d reports in %d categories, want at least 20 in 7", len(catalogue), len(categories))
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		_, rt := grStart(t, d, p)
		ctx := context.Background()
		files, err := rt.SeedFiles()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if _, err := rt.Seed(ctx, engine.SystemActor, f, nil); err != nil {
				t.Fatalf("seed %s/%s: %v", f.App, f.Name, err)
			}
		}
		// Payments, one or two per indicator, in two states and two payment
		// methods (written straight to the table: the reports read it).
		for _, q := range []string{
			`INSERT INTO payment_payment (version, created_by, created_at, updated_at, def_version, state, year, division, indicator, agency, func_class, fund_nature, payment_method, amount)
			 SELECT 1, 'seed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '', CASE WHEN id % 3 = 0 THEN 'paid' ELSE 'signed' END, year, division, id, agency, func_class, fund_nature,
			 CASE WHEN id % 2 = 0 THEN '001001' ELSE '001002' END, amount / 10 + id FROM indicator_indicator`,
			`INSERT INTO payment_payment (version, created_by, created_at, updated_at, def_version, state, year, division, indicator, agency, func_class, fund_nature, payment_method, amount)
			 SELECT 1, 'seed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '', 'refunded', year, division, id, agency, func_class, fund_nature, '001001', 7 * id + 3 FROM indicator_indicator WHERE id % 4 = 1`,
			// Their movements on the indicators, and plans' (written straight
			// to the ledger table: the execution reports sum it by source).
			`INSERT INTO growth_ledger (account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at)
			 SELECT 'indicator', 'indicator', indicator, 'consume', amount, 'payment', 'payment', id, 1, 'sign', 'seed', CURRENT_TIMESTAMP FROM payment_payment`,
			`INSERT INTO growth_ledger (account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at)
			 SELECT 'indicator', 'indicator', indicator, 'refund', amount, 'payment', 'payment', id, 2, 'refund', 'seed', CURRENT_TIMESTAMP FROM payment_payment WHERE state = 'refunded'`,
			`INSERT INTO growth_ledger (account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at)
			 SELECT 'indicator', 'indicator', id, 'consume', amount / 20, 'payment', 'plan', id, 1, 'approve', 'seed', CURRENT_TIMESTAMP FROM indicator_indicator WHERE id % 2 = 0`,
		} {
			if _, err := rt.DB.Write.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		// A data tag narrows a report as its criterion says.
		tagged, err := rt.Report(ctx, engine.SystemActor, "indicator", "bc_func_class", "tag('民生支出')")
		if err != nil {
			t.Fatal(err)
		}
		var livelihood int64
		if err := rt.DB.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM indicator_indicator WHERE state = 'released' AND substr(func_class, 1, 3) IN ('205', '208', '210', '221')").Scan(&livelihood); err != nil {
			t.Fatal(err)
		}
		if got := tagged.Totals.Values["count"]; got != livelihood || livelihood == 0 {
			t.Errorf("bc_func_class with tag('民生支出'): %v indicators, the query %d", got, livelihood)
		}
		for _, c := range catalogue {
			app, name, _ := strings.Cut(c.report, ".")
			res, err := rt.Report(ctx, engine.SystemActor, app, name, "")
			if err != nil {
				t.Errorf("%s: %v", c.report, err)
				continue
			}
			for measure, q := range c.checks {
				var raw any
				if err := rt.DB.Read.QueryRowContext(ctx, q).Scan(&raw); err != nil {
					t.Fatalf("%s: %s: %v", c.report, q, err)
				}
				want, err := decimal.NewFromString(strings.TrimSpace(fmt.Sprint(text(raw))))
				if err != nil {
					t.Fatalf("%s: %s gave %v", c.report, q, raw)
				}
				got := res.Totals.Values[measure]
				if d, ok := got.(decimal.Decimal); ok && measure != "count" && measure != "headcount" {
					got = d.Shift(2) // money in fen, as the table holds it
				}
				if fmt.Sprint(got) != want.String() {
					t.Errorf("%s %s: the report's total is %v, the query's %s", c.report, measure, got, want)
				}
				if want.IsZero() {
					t.Errorf("%s %s: zero in the seed data, which checks nothing", c.report, measure)
				}
			}
			if len(res.Report.Levels) > 0 {
				for _, m := range res.Report.Measures {
					if m.Agg != "sum" && m.Agg != "count" && m.Balance == "" {
						continue
					}
					sum := decimal.Zero
					for _, row := range res.Rows {
						if row.Level == 1 { // a first-level subtotal, or a row when the report has one level
							sum = sum.Add(asDecimal(row.Values[m.Name]))
						}
					}
					if !sum.Equal(asDecimal(res.Totals.Values[m.Name])) {
						t.Errorf("%s %s: first-level subtotals add up to %s, totals %v", c.report, m.Name, sum, res.Totals.Values[m.Name])
					}
				}
			}
		}
	})
}

func text(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

func asDecimal(v any) decimal.Decimal {
	switch x := v.(type) {
	case decimal.Decimal:
		return x
	case int64:
		return decimal.NewFromInt(x)
	}
	return decimal.Zero
}

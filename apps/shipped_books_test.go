package apps_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

// The books of the shipped systems: every money event of the end-to-end
// scenarios posted a balanced voucher, every voucher has its event, and
// growth books verify passes afterwards.

// grBooksComplete checks the books after a scenario: for every workflow event
// a posting of the shipped definitions fires on, the record has a voucher of
// that event (unless skip says its posting's condition is false, such as a
// refund before payment); every voucher but a reversal names an event in
// the record's history; books verify passes. It returns the vouchers by
// "app.entity/id event".
func grBooksComplete(t *testing.T, rt *engine.Runtime, skip func(app, entity string, id int64, event string) bool) map[string][]*engine.Voucher {
	t.Helper()
	ctx := context.Background()
	money := map[string]bool{}
	for _, p := range rt.Project.Postings() {
		for _, ev := range p.On {
			money[p.Target.QualifiedName()+" "+ev] = true
		}
	}
	vs, err := rt.DB.Vouchers(ctx, engine.VoucherFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byEvent := map[string][]*engine.Voucher{}
	for _, v := range vs {
		key := fmt.Sprintf("%s.%s/%d %s", v.SourceApp, v.SourceEntity, v.SourceID, v.Event)
		byEvent[key] = append(byEvent[key], v)
	}
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT app, entity, record_id, event FROM growth_history ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	events := map[string]bool{}
	moneyEvents := 0
	for rows.Next() {
		var app, entity, event string
		var id int64
		if err := rows.Scan(&app, &entity, &id, &event); err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("%s.%s/%d %s", app, entity, id, event)
		events[key] = true
		if !money[app+"."+entity+" "+event] || (skip != nil && skip(app, entity, id, event)) {
			continue
		}
		moneyEvents++
		if len(byEvent[key]) == 0 {
			t.Errorf("money event %s posted no voucher", key)
		}
	}
	for key, list := range byEvent {
		for _, v := range list {
			if v.Reverses == 0 && !events[key] {
				t.Errorf("voucher %s has no event: %s is not in the record's history", v.Number, key)
			}
		}
	}
	r, err := rt.DB.VerifyBooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("books verify after the scenario: %v", r.Problems)
	}
	if moneyEvents == 0 {
		t.Errorf("the scenario fired no money event; the books check proves nothing")
	}
	return byEvent
}

// grVoucherLines renders a voucher's lines as "D 5001 3580.00, C 1001 3580.00".
func grVoucherLines(v *engine.Voucher) string {
	out := ""
	for i, l := range v.Lines {
		if i > 0 {
			out += ", "
		}
		if l.Debit > 0 {
			out += "D " + l.Account + " " + engine.Yuan(l.Debit).StringFixed(2)
		} else {
			out += "C " + l.Account + " " + engine.Yuan(l.Credit).StringFixed(2)
		}
	}
	return out
}

// grOneVoucher is the one voucher of key, with the lines want.
func grOneVoucher(t *testing.T, byEvent map[string][]*engine.Voucher, key, want string) *engine.Voucher {
	t.Helper()
	vs := byEvent[key]
	if len(vs) != 1 {
		t.Fatalf("%s: want one voucher, got %d", key, len(vs))
	}
	if got := grVoucherLines(vs[0]); got != want {
		t.Errorf("%s: voucher %s lines %s, want %s", key, vs[0].Number, got, want)
	}
	return vs[0]
}

// TestShippedBooksSeedTrialBalance: after growth seed (indicators imported
// released), the trial balance of the period balances, its total is the
// seeded indicators' amount, every voucher has its event and verify passes;
// the books API answers the same, and a closed period refuses the next
// release while a reversing voucher corrects one in an open period.
func TestShippedBooksSeedTrialBalance(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	seed := grSeedWithEvents(t, "indicator/seed/indicators.csv")
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, rt := grStart(t, d, p)
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
		grBooksComplete(t, rt, nil)
		var want int64
		released := 0
		for _, row := range seed {
			if strings.HasSuffix(row["_events"], "release") {
				want += engine.Fen(decimal.RequireFromString(row["amount"]))
				released++
			}
		}
		vs, err := rt.DB.Vouchers(ctx, engine.VoucherFilter{App: "indicator"})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != released || released == 0 {
			t.Fatalf("%d vouchers for %d released seed indicators", len(vs), released)
		}
		period := vs[0].Period
		cs, err := rt.Chart("")
		if err != nil {
			t.Fatal(err)
		}
		tb, err := rt.DB.TrialBalance(ctx, cs, period)
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Balanced || tb.Total.Debit != want || tb.Total.Credit != want {
			t.Fatalf("trial balance of the seed: balanced %v, debits %d, credits %d, want %d each", tb.Balanced, tb.Total.Debit, tb.Total.Credit, want)
		}
		admin := actingAs("admin", engine.AdminRole, "")
		apitest.Run(t, app, apitest.Scenario{Name: "trial balance API", Method: "GET", Path: "/api/books/trial-balance?period=" + period, Headers: admin, Status: 200,
			Want: map[string]any{"balanced": true, "total.debit": engine.Yuan(want).StringFixed(2), "total.credit": engine.Yuan(want).StringFixed(2), "rows.0.account": "9101", "rows.0.direction": "借"}})
		apitest.Run(t, app, apitest.Scenario{Name: "the books are not for every role", Method: "GET", Path: "/api/books/trial-balance?period=" + period,
			Headers: actingAs("audit", "debt.auditor", ""), Status: 403})
		apitest.Run(t, app, apitest.Scenario{Name: "a period is YYYY-MM", Method: "GET", Path: "/api/books/trial-balance?period=2026-13", Headers: admin, Status: 422})
		apitest.Run(t, app, apitest.Scenario{Name: "general ledger API", Method: "GET", Path: "/api/books/ledger?account=9101&year=" + period[:4], Headers: admin, Status: 200,
			Want: map[string]any{"name": "已下达预算指标（备查）", "closing.side": "借", "closing.amount": engine.Yuan(want).StringFixed(2)}})
		first := vs[0]
		apitest.Run(t, app, apitest.Scenario{Name: "detail ledger of one agency", Method: "GET",
			Path: fmt.Sprintf("/api/books/detail?account=9101&from=%s&to=%s&dim.agency=%s", period, period, first.Lines[0].Dims["agency"]), Headers: admin, Status: 200,
			Want: map[string]any{"entries.0.voucher": first.Number, "opening.side": "平"}})

		// Close the period: the next release dated in it is refused and
		// changes nothing; the correction is a reversal in the next period.
		apitest.Run(t, app, apitest.Scenario{Name: "close the period", Method: "POST", Path: "/api/books/periods/" + period + "/close", Headers: admin, Status: 200})
		clerk, reviewer, office := grIndicatorUsers("104")
		ind := grCreate(t, app, "one more indicator", "/api/indicator/indicator", grSalaryIndicator("104001", "30101", "1000.00", ""), clerk)
		path := grPath("indicator", "indicator", ind)
		grFire(t, app, "submit", path, "submit", "", clerk, 200, nil)
		grFire(t, app, "review", path, "review", "", reviewer, 200, nil)
		grFire(t, app, "check", path, "check", "", office, 200, nil)
		grFire(t, app, "a release dated in the closed period", path, "release", "", office, 409, map[string]any{"error.code": "period_closed"})
		apitest.Run(t, app, apitest.Scenario{Name: "the indicator was not released", Method: "GET", Path: path, Headers: office, Status: 200, Want: map[string]any{"state": "checked"}})
		next := nextPeriod(period)
		apitest.Run(t, app, apitest.Scenario{Name: "reverse a voucher of the closed period", Method: "POST", Path: "/api/books/vouchers/" + first.Period + "-0001/reverse",
			Body: map[string]any{"date": next + "-01"}, Headers: admin, Status: 201, Want: map[string]any{"number": next + "#0001", "reverses": first.ID,
				"lines.0.account": "9101", "lines.0.credit": engine.Yuan(first.Lines[0].Debit).StringFixed(2)}})
		apitest.Run(t, app, apitest.Scenario{Name: "a voucher is reversed once", Method: "POST", Path: "/api/books/vouchers/" + first.Period + "-0001/reverse",
			Body: map[string]any{"date": next + "-02"}, Headers: admin, Status: 409})
		tb, _ = rt.DB.TrialBalance(ctx, cs, next)
		if !tb.Balanced || tb.Total.ClosingDebit != want-first.Lines[0].Debit {
			t.Fatalf("after the reversal: balanced %v, closing %d, want %d", tb.Balanced, tb.Total.ClosingDebit, want-first.Lines[0].Debit)
		}
		grBooksComplete(t, rt, nil)
	})
}

// grSeedWithEvents reads a seed CSV with its _events column.
func grSeedWithEvents(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(shippedDir, path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range records[0] {
			row[name] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func nextPeriod(period string) string {
	var y, m int
	fmt.Sscanf(period, "%d-%d", &y, &m)
	if m == 12 {
		return fmt.Sprintf("%04d-01", y+1)
	}
	return fmt.Sprintf("%04d-%02d", y, m+1)
}

package apps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// End-to-end scenarios of the business systems grown from YAML alone
// (definitions/payroll, definitions/debt, definitions/disaster): each starts
// the shipped definitions with the roles of the definitions enforced, and
// drives the REST API as the users of each step, asserting the control rules
// a finance user would check first.

// grLoader stands for the platform loading seed data (growth seed runs as the
// system actor).
var grLoader = actingAs("seed", engine.SystemRole, "")

// grStart starts the shipped definitions with the roles of the
// definitions enforced (engine.NewRoleAccess), on a fresh database.
func grStart(t *testing.T, d engine.Dialect, p *metamodel.Project) (*fiber.App, *engine.Runtime) {
	t.Helper()
	rt := enginetest.Start(t, d, p, engine.OpenAccess{})
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	rt.Access = access
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: shippedActor})
	if err != nil {
		t.Fatal(err)
	}
	return app, rt
}

// grCreate posts body and returns the new record's id.
func grCreate(t *testing.T, app *fiber.App, name, path string, body map[string]any, headers map[string]string) int64 {
	t.Helper()
	res := apitest.Run(t, app, apitest.Scenario{Name: name, Method: "POST", Path: path, Body: body, Headers: headers, Status: 201})
	id, _ := apitest.Get(res, "id")
	n, err := strconv.ParseInt(fmt.Sprint(id), 10, 64)
	if err != nil {
		t.Fatalf("%s: no id in the answer: %v", name, res)
	}
	return n
}

// grFire fires event on the record at path as headers and wants status.
func grFire(t *testing.T, app *fiber.App, name, path, event, comment string, headers map[string]string, status int, want map[string]any) any {
	t.Helper()
	var body any
	if comment != "" {
		body = map[string]any{"comment": comment}
	}
	return apitest.Run(t, app, apitest.Scenario{Name: name, Method: "POST", Path: path + "/events/" + event, Body: body, Headers: headers, Status: status, Want: want})
}

// grReportRow runs a report and returns its row whose group column key equals
// value (and the totals row for value ""), as decoded JSON.
func grReportRow(t *testing.T, app *fiber.App, path string, headers map[string]string, key, value string) map[string]any {
	t.Helper()
	res := apitest.Run(t, app, apitest.Scenario{Name: "report " + path, Method: "GET", Path: path, Headers: headers, Status: 200})
	if value == "" {
		totals, _ := apitest.Get(res, "totals")
		m, _ := totals.(map[string]any)
		return m
	}
	rows, _ := apitest.Get(res, "rows")
	list, _ := rows.([]any)
	for _, r := range list {
		m, _ := r.(map[string]any)
		if fmt.Sprint(m[key]) == value {
			return m
		}
	}
	t.Fatalf("report %s has no row with %s = %s: %v", path, key, value, res)
	return nil
}

// grWant compares fields of a decoded JSON object with want.
func grWant(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if !apitest.Equal(got[k], w) {
			t.Errorf("%s: %s = %v, want %v (all: %v)", what, k, got[k], w, got)
		}
	}
}

// grIndicatorUsers are the indicator users: a business division of department dept, its reviewer and
// the budget office.
func grIndicatorUsers(dept string) (clerk, reviewer, office map[string]string) {
	return actingAs("ind-clerk-"+dept, "indicator.division_clerk", dept),
		actingAs("ind-reviewer-"+dept, "indicator.division_reviewer", dept),
		actingAs("ind-office", "indicator.budget_office", "")
}

// grReleasedIndicator enters an indicator and walks it to release, so that its
// balance is open for others to draw on; it returns its id.
func grReleasedIndicator(t *testing.T, app *fiber.App, body map[string]any) int64 {
	t.Helper()
	agency := body["agency"].(string)
	clerk, reviewer, office := grIndicatorUsers(agency[:3])
	id := grCreate(t, app, "indicator "+fmt.Sprint(body["remark"]), "/api/indicator/indicator", body, clerk)
	path := fmt.Sprintf("/api/indicator/indicator/%d", id)
	grFire(t, app, "indicator submit", path, "submit", "", clerk, 200, nil)
	grFire(t, app, "indicator review", path, "review", "", reviewer, 200, nil)
	grFire(t, app, "indicator check", path, "check", "", office, 200, nil)
	grFire(t, app, "indicator release", path, "release", "", office, 200, map[string]any{"state": "released"})
	return id
}

// grSalaryIndicator is an indicator of an agency's wages for one department
// economic class (30101 basic salary, 30102 allowances, 30107 performance pay).
func grSalaryIndicator(agency, deptEcon, amount, remark string) map[string]any {
	gov := map[string]string{"30101": "50101", "30102": "50101", "30107": "50101"}[deptEcon]
	return map[string]any{"year": 2026, "division": "510000000", "doc_no": "川财预〔2026〕1号", "budget_level": "2",
		"agency": agency, "func_class": "2050101", "gov_econ": gov, "dept_econ": deptEcon,
		"fund_nature": "11", "fund_source": "1", "amount": amount, "remark": remark}
}

func grPath(app, entity string, id int64) string {
	return fmt.Sprintf("/api/%s/%s/%d", app, entity, id)
}

func grFilter(f string) string { return "?filter=" + url.QueryEscape(f) }

// TestShippedDebtAPI: limits down the division tree (Σ children ≤ parent), a
// bond whose repayment schedule sums to its face value issued within the
// province's limit and refused above it, on-lending down two levels drawing
// on the bond and counting against each receiver's limit, project
// allocations, repayments, and the debt-ratio early warning at 100%, as the
// province's debt office, a city's and a district's finance bureaus.
func TestShippedDebtAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	var (
		office    = actingAs("debt-a", "debt.debt_office", "510000000")
		office2   = actingAs("debt-b", "debt.debt_office", "510000000")
		chengdu   = actingAs("cd-finance", "debt.city_finance", "510100000")
		shuangliu = actingAs("sl-finance", "debt.city_finance", "510116000")
		auditor   = actingAs("audit", "debt.auditor", "")
	)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, rt := grStart(t, d, p)
		limit := func(division, amount string, parent int64, capacity, opening string) map[string]any {
			m := map[string]any{"year": 2026, "division": division, "kind": "general", "amount": amount,
				"fiscal_capacity": capacity, "opening_balance": opening, "doc_no": "川财债〔2026〕8号"}
			if parent != 0 {
				m["parent"] = parent
			}
			return m
		}
		province := grCreate(t, app, "province limit", "/api/debt/limit", limit("510000000", "100000000.00", 0, "100000000.00", "60000000.00"), office)
		city := grCreate(t, app, "city limit", "/api/debt/limit", limit("510100000", "40000000.00", province, "50000000.00", "20000000.00"), office)
		district := grCreate(t, app, "district limit", "/api/debt/limit", limit("510116000", "8000000.00", city, "5000000.00", "1000000.00"), office)
		for _, sc := range []apitest.Scenario{
			{Name: "one limit per division, year and kind", Method: "POST", Path: "/api/debt/limit", Body: limit("510000000", "1.00", 0, "0", "0"), Headers: office, Status: 409,
				Want: map[string]any{"error.code": "duplicate", "error.field_codes.kind.0": "duplicate"}},
			{Name: "children's limits above the parent's", Method: "POST", Path: "/api/debt/limit", Body: limit("510181000", "32000000.01", city, "0", "0"), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes._record.0": "children_within"}},
			{Name: "children's limits up to the parent's", Method: "POST", Path: "/api/debt/limit", Body: limit("510181000", "32000000.00", city, "0", "0"), Headers: office, Status: 201},
			{Name: "a parent limit of another kind", Method: "POST", Path: "/api/debt/limit", Body: with(limit("511800000", "1000.00", province, "0", "0"), "kind", "special"), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.parent.0": "parent_above"}},
			{Name: "a parent limit that is not above", Method: "POST", Path: "/api/debt/limit", Body: limit("511800000", "1000.00", city, "0", "0"), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.parent.0": "parent_above"}},
			{Name: "opening balance above the limit", Method: "POST", Path: "/api/debt/limit", Body: limit("511800000", "1000.00", province, "0", "1000.01"), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.amount.0": "balance_within_limit"}},
			{Name: "a city reads the limits of its subtree only", Method: "GET", Path: "/api/debt/limit?total=true", Headers: chengdu, Status: 200,
				Want: map[string]any{"total": 3}},
			{Name: "a city cannot set limits", Method: "POST", Path: "/api/debt/limit", Body: limit("510116000", "1.00", 0, "0", "0"), Headers: chengdu, Status: 403},
			{Name: "limits allocated below a limit", Method: "GET", Path: grPath("debt", "limit", city), Headers: chengdu, Status: 200,
				Want: map[string]any{"children_total": "40000000.00", "debt_balance": "20000000.00", "headroom": "20000000.00", "debt_ratio": "40.00", "over_warning_line": false}},
		} {
			apitest.Run(t, app, sc)
		}

		// A bond: its repayment schedule generated, summing to its face value, issued within the limit.
		bond := map[string]any{"code": "2605901", "name": "2026年四川省政府一般债券（九期）", "year": 2026, "division": "510000000",
			"limit": province, "kind": "general", "purpose": "new", "issue_date": "2026-03-18", "term_years": 3,
			"coupon": "2.1000", "face_value": "20000000.00"}
		for _, sc := range []apitest.Scenario{
			{Name: "bond of a non-standard term", Method: "POST", Path: "/api/debt/bond", Body: with(bond, "term_years", 4), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.term_years.0": "standard_term"}},
			{Name: "bond on the limit of another division", Method: "POST", Path: "/api/debt/bond", Body: with(bond, "limit", city), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.limit.0": "limit_of_issuer"}},
		} {
			apitest.Run(t, app, sc)
		}
		bondID := grCreate(t, app, "bond", "/api/debt/bond", bond, office)
		bondPath := grPath("debt", "bond", bondID)
		grFire(t, app, "no schedule, no submission", bondPath, "submit", "", office, 422, map[string]any{"error.field_codes._record.0": "guard"})
		grFire(t, app, "generate the repayment schedule", bondPath, "plan", "", office, 200, map[string]any{"schedule_count": 3,
			"scheduled_principal": "20000000.00", "scheduled_interest": "1260000.00", "maturity_date": "2029-03-18"})
		sched := apitest.Run(t, app, apitest.Scenario{Name: "the schedule", Method: "GET", Path: "/api/debt/schedule?sort=seq" + "&filter=" + url.QueryEscape(fmt.Sprintf("bond = %d", bondID)), Headers: office, Status: 200,
			Want: map[string]any{"items.#": 3, "items.0.due_date": "2027-03-18", "items.0.principal": "0.00", "items.0.interest": "420000.00",
				"items.2.due_date": "2029-03-18", "items.2.principal": "20000000.00"}})
		first, _ := apitest.Get(sched, "items.0.id")
		last, _ := apitest.Get(sched, "items.2.id")
		apitest.Run(t, app, apitest.Scenario{Name: "amortise part of the principal in year 1", Method: "PATCH", Path: "/api/debt/schedule/" + fmt.Sprint(first),
			Body: map[string]any{"version": 1, "principal": "2000000.00"}, Headers: office, Status: 200})
		grFire(t, app, "the schedule's principal must equal the face value", bondPath, "submit", "", office, 422, map[string]any{"error.field_codes._record.0": "guard"})
		apitest.Run(t, app, apitest.Scenario{Name: "and the rest at maturity", Method: "PATCH", Path: "/api/debt/schedule/" + fmt.Sprint(last),
			Body: map[string]any{"version": 1, "principal": "18000000.00"}, Headers: office, Status: 200})
		grFire(t, app, "submit the bond", bondPath, "submit", "", office, 200, map[string]any{"state": "submitted"})
		apitest.Run(t, app, apitest.Scenario{Name: "a submitted bond's schedule is fixed", Method: "PATCH", Path: "/api/debt/schedule/" + fmt.Sprint(last),
			Body: map[string]any{"version": 2, "principal": "1.00"}, Headers: office, Status: 422, Want: map[string]any{"error.field_codes.bond.0": "bond_editable"}})
		grFire(t, app, "no one issues their own entry", bondPath, "issue", "", office, 403, nil)
		grFire(t, app, "issue", bondPath, "issue", "", office2, 200, map[string]any{"state": "issued"})
		apitest.Run(t, app, apitest.Scenario{Name: "issued bonds count against the limit", Method: "GET", Path: grPath("debt", "limit", province), Headers: office, Status: 200,
			Want: map[string]any{"bonds_issued": "20000000.00", "debt_balance": "80000000.00", "headroom": "20000000.00"}})
		apitest.Run(t, app, apitest.Scenario{Name: "the issued bond is an account", Method: "GET", Path: bondPath + "/balance", Headers: office, Status: 200,
			Want: map[string]any{"approved": "20000000.00", "available": "20000000.00"}})

		// A bond above the limit's headroom is refused at issue.
		big := grCreate(t, app, "a bond above the headroom", "/api/debt/bond", with(bond, "code", "2605902", "name", "2026年四川省政府一般债券（十期）", "face_value", "20000000.01"), office)
		bigPath := grPath("debt", "bond", big)
		grFire(t, app, "plan", bigPath, "plan", "", office, 200, nil)
		grFire(t, app, "submit", bigPath, "submit", "", office, 200, nil)
		grFire(t, app, "a bond issue above the limit is refused", bigPath, "issue", "", office2, 422, map[string]any{"error.field_codes._record.0": "balance_within_limit"})
		apitest.Run(t, app, apitest.Scenario{Name: "the refused bond stays submitted", Method: "GET", Path: bigPath, Headers: office, Status: 200, Want: map[string]any{"state": "submitted"}})

		// On-lending from the province to the city draws on the bond and counts against the city's limit.
		onlend := map[string]any{"year": 2026, "bond": bondID, "kind": "general", "from_division": "510000000", "division": "510100000",
			"limit": city, "amount": "15000000.00", "agreement_no": "川财债转〔2026〕1号"}
		toCity := grCreate(t, app, "on-lending to the city", "/api/debt/onlending", onlend, office)
		grFire(t, app, "submit on-lending", grPath("debt", "onlending", toCity), "submit", "", office, 200, nil)
		grFire(t, app, "approve on-lending", grPath("debt", "onlending", toCity), "approve", "", office2, 200, map[string]any{"state": "approved"})
		for _, sc := range []apitest.Scenario{
			{Name: "bond after on-lending", Method: "GET", Path: bondPath + "/balance", Headers: office, Status: 200,
				Want: map[string]any{"consumed": "15000000.00", "available": "5000000.00"}},
			{Name: "city's debt after on-lending", Method: "GET", Path: grPath("debt", "limit", city), Headers: chengdu, Status: 200,
				Want: map[string]any{"onlent_in": "15000000.00", "debt_balance": "35000000.00"}},
			{Name: "on-lending of another kind than the receiver's limit", Method: "POST", Path: "/api/debt/onlending", Body: with(onlend, "kind", "special"), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.limit.0": "limit_of_receiver"}},
			{Name: "on-lending upwards", Method: "POST", Path: "/api/debt/onlending", Body: with(onlend, "from_division", "510100000", "division", "510000000", "limit", province), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.division.0": "downwards"}},
		} {
			apitest.Run(t, app, sc)
		}
		over := grCreate(t, app, "on-lending beyond the bond", "/api/debt/onlending", with(onlend, "amount", "5000000.01", "agreement_no", "川财债转〔2026〕2号"), office)
		grFire(t, app, "on-lending beyond the bond is refused", grPath("debt", "onlending", over), "submit", "", office, 409,
			map[string]any{"error.code": "insufficient_balance"})

		// The city on-lends to its district from what it received.
		warnings := apitest.Run(t, app, apitest.Scenario{Name: "no division at the warning line yet", Method: "GET", Path: "/api/reports/debt/warnings", Headers: auditor, Status: 200})
		if rows, _ := apitest.Get(warnings, "rows.#"); fmt.Sprint(rows) != "0" {
			t.Errorf("warning list = %v, want no rows", warnings)
		}
		toDistrict := with(onlend, "source", toCity, "from_division", "510100000", "division", "510116000", "limit", district, "amount", "4000000.00", "agreement_no", "成财债转〔2026〕1号")
		down := grCreate(t, app, "city on-lends to its district", "/api/debt/onlending", toDistrict, chengdu)
		grFire(t, app, "city submits", grPath("debt", "onlending", down), "submit", "", chengdu, 200, nil)
		grFire(t, app, "a city does not approve on-lending", grPath("debt", "onlending", down), "approve", "", chengdu, 403, nil)
		grFire(t, app, "province approves", grPath("debt", "onlending", down), "approve", "", office2, 200, nil)
		for _, sc := range []apitest.Scenario{
			{Name: "city's on-lending after passing some down", Method: "GET", Path: grPath("debt", "onlending", toCity) + "/balance", Headers: chengdu, Status: 200,
				Want: map[string]any{"approved": "15000000.00", "consumed": "4000000.00", "available": "11000000.00"}},
			{Name: "a city does not see the province's limit", Method: "GET", Path: grPath("debt", "limit", province), Headers: chengdu, Status: 404},
			{Name: "re-lending from another division than the one that received it", Method: "POST", Path: "/api/debt/onlending",
				Body: with(toDistrict, "from_division", "510000000"), Headers: office, Status: 422, Want: map[string]any{"error.field_codes.from_division.0": "from_the_source"}},
			{Name: "the district sees its own on-lending only", Method: "GET", Path: "/api/debt/onlending?total=true", Headers: shuangliu, Status: 200,
				Want: map[string]any{"total": 1, "items.0.division": "510116000"}},
			{Name: "district's debt at its fiscal capacity", Method: "GET", Path: grPath("debt", "limit", district), Headers: shuangliu, Status: 200,
				Want: map[string]any{"debt_balance": "5000000.00", "debt_ratio": "100.00", "over_warning_line": true}},
			{Name: "allocation on the city's on-lending for another division", Method: "POST", Path: "/api/debt/allocation",
				Body: map[string]any{"year": 2026, "bond": bondID, "onlending": toCity, "kind": "general", "division": "510116000", "project_code": "CD2026001",
					"project_name": "双流区地下综合管廊", "func_class": "2120101", "amount": "1000000.00"}, Headers: chengdu, Status: 422,
				Want: map[string]any{"error.field_codes.division.0": "mismatch"}},
			{Name: "a city's project straight on the province's bond", Method: "POST", Path: "/api/debt/allocation",
				Body: map[string]any{"year": 2026, "bond": bondID, "kind": "general", "division": "510100000", "project_code": "CD2026001",
					"project_name": "成都市城市内涝治理工程", "func_class": "2120101", "amount": "1000000.00"}, Headers: chengdu, Status: 422,
				Want: map[string]any{"error.field_codes.onlending.0": "own_level_bond"}},
			{Name: "repayment of both a bond instalment and an on-lending", Method: "POST", Path: "/api/debt/repayment",
				Body:    map[string]any{"year": 2026, "division": "510100000", "limit": city, "bond": bondID, "schedule": first, "onlending": toCity, "principal": "1.00", "paid_on": "2026-06-30"},
				Headers: chengdu, Status: 422, Want: map[string]any{"error.field_codes.schedule.0": "one_source"}},
			{Name: "auditors read, never write", Method: "POST", Path: "/api/debt/bond", Body: with(bond, "code", "2605903"), Headers: auditor, Status: 403},
		} {
			apitest.Run(t, app, sc)
		}
		alloc := grCreate(t, app, "allocation to a city project", "/api/debt/allocation", map[string]any{"year": 2026, "bond": bondID, "onlending": toCity, "kind": "general",
			"division": "510100000", "project_code": "CD2026001", "project_name": "成都市城市内涝治理工程", "func_class": "2120101", "amount": "6000000.00"}, chengdu)
		grFire(t, app, "submit allocation", grPath("debt", "allocation", alloc), "submit", "", chengdu, 200, nil)
		grFire(t, app, "approve allocation", grPath("debt", "allocation", alloc), "approve", "", office, 200, map[string]any{"state": "approved"})
		apitest.Run(t, app, apitest.Scenario{Name: "city's on-lending used up to what is left", Method: "GET", Path: grPath("debt", "onlending", toCity) + "/balance", Headers: chengdu, Status: 200,
			Want: map[string]any{"consumed": "10000000.00", "available": "5000000.00"}})

		// The city repays part of its on-lending: its debt balance falls.
		rep := grCreate(t, app, "city repays on-lent principal", "/api/debt/repayment", map[string]any{"year": 2026, "division": "510100000", "limit": city,
			"bond": bondID, "onlending": toCity, "principal": "3000000.00", "interest": "157500.00", "paid_on": "2026-09-18"}, chengdu)
		grFire(t, app, "submit repayment", grPath("debt", "repayment", rep), "submit", "", chengdu, 200, nil)
		grFire(t, app, "confirm repayment", grPath("debt", "repayment", rep), "confirm", "", office, 200, nil)
		apitest.Run(t, app, apitest.Scenario{Name: "city's debt after repayment", Method: "GET", Path: grPath("debt", "limit", city), Headers: chengdu, Status: 200,
			Want: map[string]any{"repaid": "3000000.00", "debt_balance": "32000000.00"}})
		grFire(t, app, "a bond is not repaid before its principal", bondPath, "mature", "", office, 422, map[string]any{"error.field_codes._record.0": "guard"})

		// The debt-ratio early warning.
		grWant(t, "district debt ratio", grReportRow(t, app, "/api/reports/debt/risk"+grFilter("year = 2026"), auditor, "division", "510116000"),
			map[string]any{"ratio": "100.00", "balance": "5000000.00", "capacity": "5000000.00"})
		grWant(t, "warning list", grReportRow(t, app, "/api/reports/debt/warnings"+grFilter("year = 2026"), auditor, "division", "510116000"),
			map[string]any{"ratio": "100.00", "kind": "general"})
		grWant(t, "province's limits and balances", grReportRow(t, app, "/api/reports/debt/limits", auditor, "division", "510000000"),
			map[string]any{"limit": "100000000.00", "balance": "80000000.00", "usage": "80.00"})

		// The books: the issue and the repayment posted balanced vouchers.
		books := grBooksComplete(t, rt, nil)
		grOneVoucher(t, books, fmt.Sprintf("debt.bond/%d issue", bondID), "D 1001 20000000.00, C 4041 20000000.00, D 3082 20000000.00, C 2021 20000000.00")
		lent := books[fmt.Sprintf("debt.onlending/%d approve", toCity)]
		if len(lent) != 2 || grVoucherLines(lent[0]) != "D 5042 15000000.00, C 1001 15000000.00, D 1071 15000000.00, C 3081 15000000.00" ||
			grVoucherLines(lent[1]) != "D 1001 15000000.00, C 4042 15000000.00, D 3082 15000000.00, C 2026 15000000.00" ||
			lent[0].Lines[0].Dims["division"] != "510000000" || lent[1].Lines[0].Dims["division"] != "510100000" {
			t.Errorf("on-lending: want the province's and the city's voucher, got %d", len(lent))
			for _, v := range lent {
				t.Errorf("  %s %s %v", v.Number, grVoucherLines(v), v.Lines[0].Dims)
			}
		}
		grOneVoucher(t, books, fmt.Sprintf("debt.repayment/%d confirm", rep), "D 5041 3000000.00, D 5001 157500.00, C 1001 3157500.00, D 2026 3000000.00, C 3082 3000000.00")
	})
}

// TestShippedDisasterAPI: a special fund received by a county, allocated to a
// reconstruction project, paid out by the project's implementer (to a
// contractor, and to households with beneficiary detail); the monitoring
// rules raising warnings as payments are submitted and on a schedule; a red
// warning blocking its payment until handled through the whole flow, an
// orange one needing an explanation and an attachment; allocation rate and
// spending progress per division and per project; the public disclosure list
// without login.
func TestShippedDisasterAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	const luding = "513322000"
	var (
		finance    = actingAs("ld-finance-a", "disaster.finance", luding)
		finance2   = actingAs("ld-finance-b", "disaster.finance", luding)
		province   = actingAs("sc-finance", "disaster.finance", "510000000")
		supervisor = actingAs("ld-housing", "disaster.dept_supervisor", luding)
		clerk      = actingAs("ld-clerk", "disaster.project_clerk", luding)
		reviewer   = actingAs("ld-head", "disaster.agency_reviewer", luding)
		lushan     = actingAs("ls-clerk", "disaster.project_clerk", "511826000")
		auditor    = actingAs("audit", "disaster.auditor", "")
	)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, rt := grStart(t, d, p)
		fund := map[string]any{"year": 2026, "division": luding, "disaster": "2022090501", "source": "bond", "doc_no": "川财建〔2026〕9号",
			"func_class": "2240793", "special_account": "51050164360800000521", "amount": "1000000.00", "received_on": "2026-03-25"}
		project := map[string]any{"code": "LD2026901", "name": "泸定县磨西镇安置点配套道路", "division": luding, "disaster": "2022090501",
			"category": "infrastructure", "implementer": "泸定县交通运输局", "contractor": "四川路桥建设集团股份有限公司",
			"contractor_account": "51001870836052501234", "total_investment": "3000000.00", "planned_fund": "1200000.00"}
		lushanFund := with(fund, "division", "511826000", "func_class", "2240791", "disaster", "2013042001")
		for _, sc := range []apitest.Scenario{
			{Name: "fund on another disaster's functional class", Method: "POST", Path: "/api/disaster/fund", Body: with(fund, "func_class", "2240791"), Headers: finance, Status: 422,
				Want: map[string]any{"error.field_codes.func_class.0": "disaster_func_class"}},
			{Name: "a county's finance cannot enter another county's fund", Method: "POST", Path: "/api/disaster/fund", Body: lushanFund, Headers: finance, Status: 403},
			{Name: "planned funds above the investment", Method: "POST", Path: "/api/disaster/project", Body: with(project, "planned_fund", "3000000.01"), Headers: supervisor, Status: 422,
				Want: map[string]any{"error.field_codes.planned_fund.0": "planned_within_investment"}},
		} {
			apitest.Run(t, app, sc)
		}
		fundID := grCreate(t, app, "fund", "/api/disaster/fund", fund, finance)
		lushanFundID := grCreate(t, app, "the province's finance enters a fund for any county", "/api/disaster/fund", lushanFund, province)
		projectID := grCreate(t, app, "project", "/api/disaster/project", project, supervisor)
		project2 := grCreate(t, app, "second project", "/api/disaster/project", with(project, "code", "LD2026902", "name", "泸定县磨西镇农房风貌改造", "contractor_account", nil), supervisor)
		grFire(t, app, "project starts", grPath("disaster", "project", projectID), "start", "", supervisor, 200, map[string]any{"state": "building"})
		pr := grCreate(t, app, "progress report", "/api/disaster/progress", map[string]any{"project": projectID, "division": luding, "report_date": "2026-04-30",
			"percent": "20.00", "description": "路基土石方完成约两成"}, clerk)
		grFire(t, app, "submit progress", grPath("disaster", "progress", pr), "submit", "", clerk, 200, nil)
		grFire(t, app, "confirm progress", grPath("disaster", "progress", pr), "confirm", "", supervisor, 200, nil)
		apitest.Run(t, app, apitest.Scenario{Name: "progress of a project not started", Method: "POST", Path: "/api/disaster/progress", Body: map[string]any{"project": project2,
			"division": luding, "report_date": "2026-04-30", "percent": "5.00", "description": "x"}, Headers: clerk, Status: 422, Want: map[string]any{"error.field_codes.project.0": "project_under_way"}})

		// Allocation draws on the special fund.
		alloc := map[string]any{"year": 2026, "division": luding, "fund": fundID, "project": projectID, "doc_no": "泸财建〔2026〕3号", "amount": "600000.00"}
		a1 := grCreate(t, app, "allocation", "/api/disaster/allocation", alloc, finance)
		grFire(t, app, "submit allocation", grPath("disaster", "allocation", a1), "submit", "", finance, 200, nil)
		grFire(t, app, "no one approves their own allocation", grPath("disaster", "allocation", a1), "approve", "", finance, 403, nil)
		body := grFire(t, app, "approve allocation", grPath("disaster", "allocation", a1), "approve", "", finance2, 200, map[string]any{"state": "allocated"})
		if on, _ := apitest.Get(body, "allocated_on"); on == nil {
			t.Errorf("allocated_on is not set on approval: %v", body)
		}
		a2 := grCreate(t, app, "allocation beyond the fund", "/api/disaster/allocation", with(alloc, "project", project2, "amount", "400000.01"), finance)
		grFire(t, app, "allocation beyond the fund is refused", grPath("disaster", "allocation", a2), "submit", "", finance, 409,
			map[string]any{"error.code": "insufficient_balance"})
		for _, sc := range []apitest.Scenario{
			{Name: "allocation from another division's fund", Method: "POST", Path: "/api/disaster/allocation", Body: with(alloc, "fund", lushanFundID), Headers: province, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "project_in_division"}},
			{Name: "fund after allocation", Method: "GET", Path: grPath("disaster", "fund", fundID), Headers: finance, Status: 200,
				Want: map[string]any{"allocated": "600000.00", "allocation_rate": "60.00"}},
		} {
			apitest.Run(t, app, sc)
		}

		// A payment to the contractor goes through; its project must be the allocation's.
		pay := map[string]any{"year": 2026, "division": luding, "allocation": a1, "fund": fundID, "project": projectID, "payee_type": "company",
			"payee_name": "四川路桥建设集团股份有限公司", "payee_account": "51001870836052501234", "payee_bank": "中国建设银行成都第一支行",
			"settlement": "transfer", "amount": "200000.00", "purpose": "安置点配套道路工程进度款（第一期）"}
		for _, sc := range []apitest.Scenario{
			{Name: "payment for another project than its allocation", Method: "POST", Path: "/api/disaster/payment", Body: with(pay, "project", project2), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "mismatch"}},
			{Name: "another county's clerk cannot pay from it", Method: "POST", Path: "/api/disaster/payment", Body: pay, Headers: lushan, Status: 403},
		} {
			apitest.Run(t, app, sc)
		}
		p1id := grCreate(t, app, "payment", "/api/disaster/payment", pay, clerk)
		p1 := grPath("disaster", "payment", p1id)
		grFire(t, app, "submit stamps the number", p1, "submit", "", clerk, 200, map[string]any{"pay_no": "ZJ5133220002026000001"})
		grFire(t, app, "the clerk does not review", p1, "review", "", clerk, 403, nil)
		grFire(t, app, "review", p1, "review", "", reviewer, 200, nil)
		grFire(t, app, "approve", p1, "approve", "", finance, 200, nil)
		grFire(t, app, "pay", p1, "pay", "", finance, 200, map[string]any{"state": "paid"})
		grWarnings(t, app, auditor, "a clean payment raises no warning", p1, nil)

		// A cash payment to an unrelated payee: red and orange warnings; the red one blocks.
		cash := with(pay, "payee_name", "泸定县磨西镇某建材经营部", "payee_account", "62170036000012345", "settlement", "cash", "amount", "80000.00", "purpose", "现金购买建材")
		p2id := grCreate(t, app, "cash payment", "/api/disaster/payment", cash, clerk)
		p2 := grPath("disaster", "payment", p2id)
		grFire(t, app, "submit the cash payment", p2, "submit", "", clerk, 200, nil)
		ws := grWarnings(t, app, clerk, "the monitoring rules ran on submit", p2, []string{"01 red", "02 orange"})
		red, orange := ws["01"], ws["02"]
		grFire(t, app, "the reviewer may still review", p2, "review", "", reviewer, 200, nil)
		blocked := grFire(t, app, "a red warning blocks the approval", p2, "approve", "", finance, 409, map[string]any{"error.code": "blocked"})
		if msg, _ := apitest.Get(blocked, "error.message"); !strings.Contains(fmt.Sprint(msg), "红色预警") {
			t.Errorf("blocked approval: message %q does not name the red warning", msg)
		}
		events := apitest.Run(t, app, apitest.Scenario{Name: "events open to finance", Method: "GET", Path: p2 + "/events", Headers: finance, Status: 200})
		grEventBlocked(t, events, "approve")

		// Handling: explanation and attachment, agency, department, finance.
		wp, op := grPath("disaster", "warning", red), grPath("disaster", "warning", orange)
		grFire(t, app, "explaining needs an explanation", wp, "explain", "", clerk, 422, map[string]any{"error.field_codes._record.0": "guard"})
		apitest.Run(t, app, apitest.Scenario{Name: "the clerk cannot lower the level", Method: "PATCH", Path: wp, Body: map[string]any{"version": 1, "level": "blue"}, Headers: clerk, Status: 422,
			Want: map[string]any{"error.field_codes.level.0": "readonly"}})
		apitest.Run(t, app, apitest.Scenario{Name: "the orange warning explained without evidence", Method: "PATCH", Path: op,
			Body: map[string]any{"version": 1, "explanation": "建材经营部为个体工商户，无施工合同"}, Headers: clerk, Status: 200})
		grFire(t, app, "orange needs an attachment too", op, "explain", "", clerk, 422, map[string]any{"error.field_codes._record.0": "guard"})
		evidence := grUpload(t, app, clerk, "镇政府证明.pdf", "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		apitest.Run(t, app, apitest.Scenario{Name: "attach the evidence", Method: "PATCH", Path: op, Body: map[string]any{"version": 2, "attachment": evidence}, Headers: clerk, Status: 200,
			Want: map[string]any{"_files.attachment.name": "镇政府证明.pdf"}})
		grFire(t, app, "orange explained", op, "explain", "", clerk, 200, map[string]any{"state": "explained"})
		apitest.Run(t, app, apitest.Scenario{Name: "the red one explained with the same evidence", Method: "PATCH", Path: wp,
			Body: map[string]any{"version": 1, "explanation": "磨西镇建材经营部无对公账户，经镇政府证明后现金结算", "attachment": evidence}, Headers: clerk, Status: 200})
		grFire(t, app, "explain", wp, "explain", "", clerk, 200, map[string]any{"state": "explained"})
		grFire(t, app, "send back needs a reason", wp, "agency_send_back", "", reviewer, 422, nil)
		grFire(t, app, "agency review", wp, "agency_review", "", reviewer, 200, nil)
		grFire(t, app, "the clerk cannot review for the department", wp, "dept_review", "", clerk, 403, nil)
		grFire(t, app, "department review", wp, "dept_review", "", supervisor, 200, nil)
		grFire(t, app, "still blocked until finance decides", p2, "approve", "", finance, 409, map[string]any{"error.code": "blocked"})
		grFire(t, app, "finance accepts", wp, "accept", "已核实，同意", finance, 200, map[string]any{"state": "closed", "outcome": "accepted", "_labels.state": "已解除"})
		grFire(t, app, "handled: the approval goes through", p2, "approve", "", finance, 200, map[string]any{"state": "approved"})
		grFire(t, app, "and the payment", p2, "pay", "", finance2, 200, map[string]any{"state": "paid"})

		// Forbidden: a red warning that finance forbids blocks for good; the payment is sent back and voided.
		own := grCreate(t, app, "an agency's own real account", "/api/basedata/bank_account", map[string]any{"account_no": "51001405108099990001",
			"name": "泸定县交通运输局（实有资金账户）", "bank": "105651000028", "account_type": "22", "agency": "109001"}, grLoader)
		_ = own
		p3 := grPath("disaster", "payment", grCreate(t, app, "payment into an agency's own account", "/api/disaster/payment",
			with(pay, "payee_name", "泸定县交通运输局", "payee_account", "51001405108099990001", "amount", "50000.00", "purpose", "转入单位账户"), clerk))
		grFire(t, app, "submit", p3, "submit", "", clerk, 200, nil)
		ws = grWarnings(t, app, clerk, "transfer to an own real account, paid ahead of progress", p3, []string{"02 orange", "04 orange", "05 red"})
		fp := grPath("disaster", "warning", ws["05"])
		apitest.Run(t, app, apitest.Scenario{Name: "explain", Method: "PATCH", Path: fp, Body: map[string]any{"version": 1, "explanation": "拟转入后统一支付", "attachment": evidence}, Headers: clerk, Status: 200})
		for _, step := range []struct {
			event string
			who   map[string]string
		}{{"explain", clerk}, {"agency_review", reviewer}, {"dept_review", supervisor}} {
			grFire(t, app, step.event, fp, step.event, "", step.who, 200, nil)
		}
		grFire(t, app, "forbid needs a reason", fp, "forbid", "", finance, 422, nil)
		grFire(t, app, "finance forbids", fp, "forbid", "违反专款专用，不得转入单位实有资金账户", finance, 200, map[string]any{"state": "forbidden", "outcome": "forbidden"})
		grFire(t, app, "review", p3, "review", "", reviewer, 200, nil)
		grFire(t, app, "a forbidden payment stays blocked", p3, "approve", "", finance, 409, map[string]any{"error.code": "blocked"})
		grFire(t, app, "finance sends it back", p3, "finance_reject", "预警禁止支付", finance, 200, map[string]any{"state": "rejected"})
		grFire(t, app, "the clerk voids it", p3, "cancel", "禁止支付，作废", clerk, 200, map[string]any{"state": "cancelled"})

		// Paying households: the beneficiary detail must add up to the payment.
		households := with(pay, "payee_type", "person", "payee_name", "磨西镇农户（3 户）", "payee_account", "51001870836059990002",
			"amount", "36000.00", "purpose", "农房重建补助（第一批）")
		p4id := grCreate(t, app, "payment to households", "/api/disaster/payment", households, clerk)
		p4 := grPath("disaster", "payment", p4id)
		beneficiary := func(name, idNo, amount string) map[string]any {
			return map[string]any{"payment": p4id, "division": luding, "name": name, "id_no": idNo, "village": "磨西镇共和村", "month": "2026-04",
				"card_no": "6228480469123456789", "amount": amount}
		}
		grCreate(t, app, "beneficiary 1", "/api/disaster/beneficiary", beneficiary("杨德明", "513322196203151023", "12000.00"), clerk)
		grCreate(t, app, "beneficiary 2", "/api/disaster/beneficiary", beneficiary("罗秀珍", "513322197508222042", "12000.00"), clerk)
		for _, sc := range []apitest.Scenario{
			{Name: "a household once per payment", Method: "POST", Path: "/api/disaster/beneficiary", Body: beneficiary("罗秀珍", "513322197508222042", "1.00"), Headers: clerk, Status: 409},
			{Name: "a wrong ID number", Method: "POST", Path: "/api/disaster/beneficiary", Body: beneficiary("高文", "513322198811093015", "12000.00"), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.id_no.0": "id_no_valid"}},
			{Name: "beneficiaries of a payment to a company", Method: "POST", Path: "/api/disaster/beneficiary",
				Body: with(beneficiary("高文", "513322198811093014", "12000.00"), "payment", p2id), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.payment.0": "payment_to_persons"}},
		} {
			apitest.Run(t, app, sc)
		}
		grFire(t, app, "detail short of the payment", p4, "submit", "", clerk, 422, map[string]any{"error.field_codes._record.0": "guard"})
		grCreate(t, app, "beneficiary 3", "/api/disaster/beneficiary", beneficiary("高文", "513322198811093014", "12000.00"), clerk)
		grFire(t, app, "detail adds up", p4, "submit", "", clerk, 200, map[string]any{"beneficiary_count": 3, "beneficiary_total": "36000.00"})
		apitest.Run(t, app, apitest.Scenario{Name: "submitted detail is fixed", Method: "POST", Path: "/api/disaster/beneficiary",
			Body: beneficiary("李四", "513322196203151023", "1.00"), Headers: clerk, Status: 422, Want: map[string]any{"error.field_codes.payment.0": "payment_editable"}})

		// The project reported 20% done while 46.67% of its money is paid.
		apitest.Run(t, app, apitest.Scenario{Name: "project after payments and progress", Method: "GET", Path: grPath("disaster", "project", projectID), Headers: auditor, Status: 200,
			Want: map[string]any{"allocated": "600000.00", "paid": "280000.00", "progress": "20.00", "spending_rate": "46.67", "allocation_rate": "50.00", "ahead_of_progress": true}})
		rep, err := rt.RunSchedules(context.Background(), "disaster.*")
		if err != nil || !rep.OK() {
			t.Fatalf("run the scheduled rules: %v %+v", err, rep)
		}
		for _, run := range rep.Runs {
			want := map[string]int{"disaster.idle_funds": 0, "disaster.ahead_of_progress": 1}[run.Schedule]
			if run.Created != want {
				t.Errorf("%s created %d warnings, want %d (%+v)", run.Schedule, run.Created, want, run)
			}
		}
		if rep, _ := rt.RunSchedules(context.Background(), "disaster.ahead_of_progress"); rep == nil || rep.Runs[0].Created != 0 || rep.Runs[0].Skipped != 1 {
			t.Errorf("a second run repeats the warning: %+v", rep)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "the scheduled warning", Method: "GET", Path: "/api/disaster/warning" + grFilter(fmt.Sprintf("project = %d and rule = '04' and payment is null", projectID)),
			Headers: supervisor, Status: 200, Want: map[string]any{"items.#": 1, "items.0.level": "orange", "items.0.payment": nil}})

		// Allocation rate and spending progress, per division and per project.
		grWant(t, "the county", grReportRow(t, app, "/api/reports/disaster/by_division"+grFilter("year = 2026"), auditor, "division", luding),
			map[string]any{"received": "1000000.00", "allocated": "600000.00", "paid": "280000.00", "allocation_rate": "60.00", "spending": "46.67"})
		grWant(t, "the project", grReportRow(t, app, "/api/reports/disaster/by_project", auditor, "code", "LD2026901"),
			map[string]any{"planned": "1200000.00", "allocated": "600000.00", "paid": "280000.00", "progress": "20.00", "allocation_rate": "50.00", "spending": "46.67"})
		grWant(t, "money in process", grReportRow(t, app, "/api/reports/disaster/in_process", auditor, "division", luding),
			map[string]any{"allocated": "600000.00", "in_process": "36000.00", "paid": "280000.00", "available": "284000.00"})
		grWant(t, "a county's finance sees its own county only", grReportRow(t, app, "/api/reports/disaster/by_division", finance, "division", ""),
			map[string]any{"received": "1000000.00"})

		// The public disclosure list, without login.
		grWant(t, "public disclosure", grReportRow(t, app, "/api/public/reports/disaster/disclosure", nil, "code", "LD2026901"),
			map[string]any{"name": "泸定县磨西镇安置点配套道路", "allocated": "600000.00", "paid": "280000.00", "progress": "20.00"})
		// Beneficiaries are published masked, and cannot be looked up by name or ID.
		grWant(t, "public beneficiary list", grReportRow(t, app, "/api/public/reports/disaster/beneficiaries_public", nil, "id_no", "5133**********1023"),
			map[string]any{"name": "杨*明", "amount": "12000.00"})
		for _, sc := range []apitest.Scenario{
			{Name: "no lookup by ID number", Method: "GET", Path: "/api/public/reports/disaster/beneficiaries_public" + grFilter("id_no = '513322196203151023'"), Status: 400},
			{Name: "only public reports are public", Method: "GET", Path: "/api/public/reports/disaster/warnings", Status: 404},
			{Name: "the public filters on what the list shows only", Method: "GET", Path: "/api/public/reports/disaster/disclosure" + grFilter("disaster = '2022090501'"), Status: 400},
			{Name: "records are not public", Method: "GET", Path: "/api/disaster/project", Status: 403},
		} {
			apitest.Run(t, app, sc)
		}

		// The books: each payment paid posted its spending out of the
		// reconstruction account, dated the day it was paid, with the
		// division, fund and project; the cancelled one and the one in
		// process posted nothing; verify passes.
		books := grBooksComplete(t, rt, nil)
		paid := grOneVoucher(t, books, fmt.Sprintf("disaster.payment/%d pay", p1id), "D 5001 200000.00, C 1004 200000.00")
		grOneVoucher(t, books, fmt.Sprintf("disaster.payment/%d pay", p2id), "D 5001 80000.00, C 1004 80000.00")
		if dims := paid.Lines[0].Dims; dims["division"] != luding || dims["fund"] != fmt.Sprint(fundID) || dims["project"] != fmt.Sprint(projectID) {
			t.Errorf("the disaster payment voucher's dimensions: %v", dims)
		}
		for key, vs := range books {
			if strings.HasPrefix(key, "disaster.") && !strings.HasSuffix(key, " pay") {
				t.Errorf("%s posted %d voucher(s); only a disaster payment's pay posts", key, len(vs))
			}
		}
	})
}

// grWarnings lists the warnings of payment (a record path) and checks their
// "rule level" pairs; it returns the warnings' ids by rule.
func grWarnings(t *testing.T, app *fiber.App, headers map[string]string, name, payment string, want []string) map[string]int64 {
	t.Helper()
	id := payment[strings.LastIndexByte(payment, '/')+1:]
	res := apitest.Run(t, app, apitest.Scenario{Name: name, Method: "GET", Path: "/api/disaster/warning?sort=rule" + "&filter=" + url.QueryEscape("payment = "+id), Headers: headers, Status: 200})
	items, _ := apitest.Get(res, "items")
	var got []string
	ids := map[string]int64{}
	for _, it := range items.([]any) {
		rule, _ := apitest.Get(it, "rule")
		level, _ := apitest.Get(it, "level")
		got = append(got, fmt.Sprintf("%v %v", rule, level))
		wid, _ := apitest.Get(it, "id")
		ids[fmt.Sprint(rule)], _ = strconv.ParseInt(fmt.Sprint(wid), 10, 64)
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("%s: warnings %v, want %v", name, got, want)
	}
	return ids
}

// grEventBlocked checks that the events answer shows event as unavailable.
func grEventBlocked(t *testing.T, events any, event string) {
	t.Helper()
	list, _ := apitest.Get(events, "events")
	items, _ := list.([]any)
	for _, it := range items {
		if ev, _ := apitest.Get(it, "event"); ev == event {
			if ok, _ := apitest.Get(it, "available"); ok != false {
				t.Errorf("event %s is offered although blocked: %v", event, it)
			}
			return
		}
	}
	t.Errorf("event %s is not listed: %v", event, events)
}

// grUpload uploads a file as headers and returns its id.
func grUpload(t *testing.T, app *fiber.App, headers map[string]string, name, content string) int64 {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write([]byte(content))
	w.Close()
	h := map[string]string{"Content-Type": w.FormDataContentType()}
	for k, v := range headers {
		h[k] = v
	}
	res := apitest.Run(t, app, apitest.Scenario{Name: "upload " + name, Method: "POST", Path: "/api/files", Body: buf.String(), Headers: h, Status: 201})
	id, _ := apitest.Get(res, "id")
	n, err := strconv.ParseInt(fmt.Sprint(id), 10, 64)
	if err != nil {
		t.Fatalf("upload %s: no id in %v", name, res)
	}
	return n
}

// TestShippedPayrollAPI: persons with checked ID numbers, monthly batches per
// agency whose lines are unique per person, month and salary type across all
// agencies, drawing on the agency's salary indicators by economic class.
func TestShippedPayrollAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	seed := shippedSeed(t, "payroll/seed/01_persons.csv")
	var (
		clerk    = actingAs("jyt-clerk", "payroll.agency_clerk", "104001")
		clerk2   = actingAs("czt-clerk", "payroll.agency_clerk", "106001")
		hr       = actingAs("rst-wage", "payroll.hr_office", "107001")
		finance  = actingAs("czt-wage", "payroll.finance", "106001")
		bank     = actingAs("icbc", "payroll.bank", "")
		dept     = actingAs("jyt-personnel", "payroll.dept_viewer", "104")
		auditor  = actingAs("audit", "payroll.auditor", "")
		eligible = map[string]int{} // agency → persons in service, in establishment, in unified payroll
		perDept  = map[string]int{} // department → persons
	)
	for _, row := range seed {
		if row["status"] == "active" && row["in_establishment"] == "true" && row["in_payroll"] == "true" {
			eligible[row["agency"]]++
		}
		perDept[row["agency"][:3]]++
	}
	person := map[string]any{"id_type": "resident_id", "id_no": "510104199001011234", "name": "测试", "sex": "male", "agency": "104001",
		"staff_type": "civil_servant", "start_date": "2012-07-01", "bank": "102651000029", "card_no": "6222021234567890128",
		"post_salary": "1720.00", "grade_salary": "840.00", "allowance": "4110.00", "contribution_base": "8800.00"}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, rt := grStart(t, d, p)
		// The seed persons, loaded as growth seed would.
		for i, row := range seed {
			body := map[string]any{}
			for k, v := range row {
				body[k] = v
			}
			apitest.Run(t, app, apitest.Scenario{Name: fmt.Sprintf("seed person %d", i+2), Method: "POST", Path: "/api/payroll/person", Body: body, Headers: grLoader, Status: 201})
		}
		for _, sc := range []apitest.Scenario{
			{Name: "a valid person", Method: "POST", Path: "/api/payroll/person", Body: with(person, "id_no", "510104199001011230"), Headers: clerk, Status: 201,
				Want: map[string]any{"birthday": "1990-01-01", "in_payroll": false, "status": "active"}},
			{Name: "wrong check digit", Method: "POST", Path: "/api/payroll/person", Body: person, Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.id_no.0": "id_no_valid"}},
			{Name: "sex against digit 17", Method: "POST", Path: "/api/payroll/person", Body: with(person, "id_no", "510104199001011249", "sex", "male"), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.sex.0": "sex_matches_id"}},
			{Name: "an ID number once only", Method: "POST", Path: "/api/payroll/person", Body: with(person, "id_no", seed[0]["id_no"], "sex", seed[0]["sex"]), Headers: clerk, Status: 409,
				Want: map[string]any{"error.field_codes.id_no.0": "duplicate"}},
			{Name: "agencies do not decide who is in the payroll", Method: "POST", Path: "/api/payroll/person", Body: with(person, "id_no", "510104199001011249", "sex", "female", "in_payroll", true), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.in_payroll.0": "readonly"}},
			{Name: "a person of another agency", Method: "POST", Path: "/api/payroll/person", Body: with(person, "id_no", "510104199001011249", "sex", "female", "agency", "104002"), Headers: clerk, Status: 403},
			{Name: "only the establishment is in the unified payroll", Method: "PATCH", Path: "/api/payroll/person/11", Body: map[string]any{"version": 1, "in_payroll": true}, Headers: hr, Status: 422,
				Want: map[string]any{"error.field_codes.in_payroll.0": "payroll_needs_establishment"}},
			{Name: "bank card check digit", Method: "POST", Path: "/api/payroll/person", Body: with(person, "id_no", "510104199001011249", "sex", "female", "card_no", "6222021234567890123"), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.card_no.0": "card_no_valid"}},
			{Name: "the retired and those who left need an end date", Method: "PATCH", Path: "/api/payroll/person/1", Body: map[string]any{"version": 1, "status": "retired"}, Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.end_date.0": "end_date_when_gone"}},
			{Name: "a department sees its agencies' persons", Method: "GET", Path: "/api/payroll/person?page_size=1&total=true", Headers: dept, Status: 200,
				Want: map[string]any{"total": perDept["104"] + 1}},
			{Name: "an agency clerk sees its own agency", Method: "GET", Path: "/api/payroll/person?page_size=1&total=true", Headers: clerk2, Status: 200, Want: map[string]any{"total": perDept["106"]}},
			{Name: "the bank never sees persons", Method: "GET", Path: "/api/payroll/person", Headers: bank, Status: 403},
			{Name: "auditors read", Method: "GET", Path: "/api/reports/payroll/headcount" + grFilter("status = 'active' and in_payroll = true"), Headers: auditor, Status: 200},
		} {
			apitest.Run(t, app, sc)
		}

		// Salary indicators of the two agencies, released by the budget office.
		small := grReleasedIndicator(t, app, grSalaryIndicator("104001", "30101", "1000.00", "基本工资（不足）"))
		basic := grReleasedIndicator(t, app, grSalaryIndicator("104001", "30101", "500000.00", "基本工资"))
		allowance := grReleasedIndicator(t, app, grSalaryIndicator("104001", "30102", "500000.00", "津贴补贴"))
		basic2 := grReleasedIndicator(t, app, grSalaryIndicator("106001", "30101", "500000.00", "基本工资"))
		allowance2 := grReleasedIndicator(t, app, grSalaryIndicator("106001", "30102", "500000.00", "津贴补贴"))

		batch := map[string]any{"year": 2026, "month": 3, "salary_type": "monthly", "agency": "104001", "bank": "102651000011",
			"basic_indicator": small, "allowance_indicator": allowance}
		for _, sc := range []apitest.Scenario{
			{Name: "an allowance indicator as the basic salary indicator", Method: "POST", Path: "/api/payroll/batch", Body: with(batch, "basic_indicator", allowance), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.basic_indicator.0": "basic_indicator_econ"}},
			{Name: "another agency's indicator", Method: "POST", Path: "/api/payroll/batch", Body: with(batch, "basic_indicator", basic2), Headers: clerk, Status: 422},
			{Name: "a batch of another agency", Method: "POST", Path: "/api/payroll/batch", Body: with(batch, "agency", "106001"), Headers: clerk, Status: 403},
		} {
			apitest.Run(t, app, sc)
		}
		b1id := grCreate(t, app, "batch of 104001", "/api/payroll/batch", batch, clerk)
		b1 := grPath("payroll", "batch", b1id)
		res := grFire(t, app, "generate the lines", b1, "prepare", "", clerk, 200, map[string]any{"headcount": eligible["104001"], "state": "draft"})
		grFire(t, app, "lines are generated once", b1, "prepare", "", clerk, 422, map[string]any{"error.field_codes._record.0": "guard"})
		totals := grLineTotals(t, seed, "104001", "")
		grWant(t, "batch totals", res.(map[string]any), map[string]any{"basic_total": totals["basic"], "allowance_total": totals["allowance"],
			"gross_total": totals["gross"], "net_total": totals["net"]})
		lines := apitest.Run(t, app, apitest.Scenario{Name: "lines of the batch", Method: "GET", Path: "/api/payroll/line?page_size=100&filter=" + url.QueryEscape(fmt.Sprintf("batch = %d", b1id)), Headers: clerk, Status: 200,
			Want: map[string]any{"items.#": eligible["104001"]}})
		transferred := grLineOf(t, lines, seed[2]["id_no"]) // 张伟, who moves to 106001 within the month
		other := grLineOf(t, lines, seed[0]["id_no"])
		for _, sc := range []apitest.Scenario{
			{Name: "deductions above the gross pay", Method: "PATCH", Path: grPath("payroll", "line", transferred), Body: map[string]any{"version": 1, "other_deduction": "99999.00"}, Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.other_deduction.0": "net_not_negative"}},
			{Name: "the card comes from the person", Method: "PATCH", Path: grPath("payroll", "line", transferred), Body: map[string]any{"version": 1, "card_no": "6222021234567890128"}, Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.card_no.0": "readonly"}},
			{Name: "HR moves the person to 106001", Method: "PATCH", Path: "/api/payroll/person/3", Body: map[string]any{"version": 1, "agency": "106001"}, Headers: hr, Status: 200},
		} {
			apitest.Run(t, app, sc)
		}
		batch2 := with(batch, "agency", "106001", "basic_indicator", basic2, "allowance_indicator", allowance2)
		b2 := grPath("payroll", "batch", grCreate(t, app, "batch of 106001", "/api/payroll/batch", batch2, clerk2))
		dup := grFire(t, app, "one line per person, month and type across agencies", b2, "prepare", "", clerk2, 409, map[string]any{"error.code": "duplicate"})
		if msg, _ := apitest.Get(dup, "error.message"); !strings.Contains(fmt.Sprint(msg), "已存在相同的证件号码、年度、月份、工资类别") {
			t.Errorf("duplicate line: message %q does not say which values repeat", msg)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "104001 drops the person who left", Method: "DELETE", Path: grPath("payroll", "line", transferred) + "?version=1", Headers: clerk, Status: 204})
		grFire(t, app, "now 106001 pays them", b2, "prepare", "", clerk2, 200, map[string]any{"headcount": eligible["106001"] + 1})

		// Over its indicator, the batch is refused; on a sufficient one it goes through.
		totals = grLineTotals(t, seed, "104001", seed[2]["id_no"])
		grFire(t, app, "a batch over its indicator is refused", b1, "submit", "", clerk, 409,
			map[string]any{"error.code": "insufficient_balance", "error.field_codes.basic_amount.0": "insufficient_balance"})
		apitest.Run(t, app, apitest.Scenario{Name: "nothing was reserved", Method: "GET", Path: grPath("indicator", "indicator", small) + "/balance", Headers: finance, Status: 200,
			Want: map[string]any{"reserved": "0.00", "available": "1000.00"}})
		apitest.Run(t, app, apitest.Scenario{Name: "choose the right indicator", Method: "PATCH", Path: b1, Body: map[string]any{"version": 4, "basic_indicator": basic}, Headers: clerk, Status: 200})
		grFire(t, app, "submit", b1, "submit", "", clerk, 200, map[string]any{"state": "submitted", "batch_no": "GZ1040012026000001",
			"basic_amount": totals["basic"], "allowance_amount": totals["allowance"], "net_amount": totals["net"]})
		for _, sc := range []apitest.Scenario{
			{Name: "basic salary reserved on its indicator", Method: "GET", Path: grPath("indicator", "indicator", basic) + "/balance", Headers: finance, Status: 200,
				Want: map[string]any{"reserved": totals["basic"]}},
			{Name: "allowances reserved on theirs", Method: "GET", Path: grPath("indicator", "indicator", allowance) + "/balance", Headers: finance, Status: 200,
				Want: map[string]any{"reserved": totals["allowance"]}},
			{Name: "a submitted batch's lines are locked", Method: "PATCH", Path: grPath("payroll", "line", other), Body: map[string]any{"version": 1, "income_tax": "1.00"}, Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.batch.0": "batch_editable"}},
			{Name: "nor can lines be deleted", Method: "DELETE", Path: grPath("payroll", "line", other) + "?version=1", Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes._record.0": "lines_locked"}},
		} {
			apitest.Run(t, app, sc)
		}
		grFire(t, app, "the clerk cannot review for HR", b1, "hr_review", "", clerk, 403, nil)
		grFire(t, app, "HR review", b1, "hr_review", "", hr, 200, map[string]any{"state": "hr_reviewed"})
		grFire(t, app, "finance approves", b1, "approve", "", finance, 200, map[string]any{"state": "approved"})
		apitest.Run(t, app, apitest.Scenario{Name: "basic salary consumed", Method: "GET", Path: grPath("indicator", "indicator", basic) + "/balance", Headers: finance, Status: 200,
			Want: map[string]any{"reserved": "0.00", "consumed": totals["basic"]}})
		apitest.Run(t, app, apitest.Scenario{Name: "the payment voucher", Method: "GET", Path: "/api/payroll/voucher" + grFilter(fmt.Sprintf("batch = %d", b1id)), Headers: finance, Status: 200,
			Want: map[string]any{"items.#": 1, "items.0.amount": totals["net"], "items.0.gross": totals["gross"], "items.0.headcount": eligible["104001"] - 1}})

		// The bank file: one fixed-width GBK row per person, its total the batch's net pay.
		status, _, raw := apitest.Do(t, app, "GET", b1+"/exports/bank_file", nil, bank)
		if status != 200 {
			t.Fatalf("bank file: status %d: %s", status, raw)
		}
		rows, sum := grBankFile(t, raw)
		if rows != eligible["104001"]-1 || sum != totals["net"] {
			t.Errorf("bank file: %d rows summing to %s, want %d rows summing to the batch's net pay %s", rows, sum, eligible["104001"]-1, totals["net"])
		}
		grFire(t, app, "send to the bank", b1, "send", "", finance, 200, map[string]any{"state": "sent"})
		// The same transfers travel over the exchange: one signed message with
		// a line per person paid and the batch's net pay as its checked total.
		sent := enginetest.Must(rt.OutboxFor(t.Context(), "payroll", "batch", b1id))
		if len(sent) != 1 || sent[0].Party != "payroll_bank" || sent[0].Type != "payroll_transfers" {
			t.Fatalf("payroll messages: %+v", sent)
		}
		var transfer struct {
			Body struct {
				Transfers []map[string]any `json:"transfers"`
				Total     string           `json:"total"`
				Count     int              `json:"count"`
			} `json:"body"`
		}
		enginetest.Must(0, json.Unmarshal(sent[0].Envelope, &transfer))
		if b := transfer.Body; len(b.Transfers) != eligible["104001"]-1 || b.Count != len(b.Transfers) || b.Total != strings.ReplaceAll(totals["net"], ",", "") {
			t.Errorf("payroll message: %d transfers, count %d, total %s; want %d summing to %s", len(b.Transfers), b.Count, b.Total, eligible["104001"]-1, totals["net"])
		}
		grFire(t, app, "the bank confirms", b1, "confirm_paid", "", bank, 200, map[string]any{"state": "paid"})
		grWant(t, "report by economic class", grReportRow(t, app, "/api/reports/payroll/by_econ"+grFilter("year = 2026"), auditor, "agency", "104001"),
			map[string]any{"basic": totals["basic"], "allowance": totals["allowance"], "net": totals["net"], "headcount": eligible["104001"] - 1})

		// A batch sent back gives its reservation back.
		grFire(t, app, "submit 106001", b2, "submit", "", clerk2, 200, nil)
		grFire(t, app, "HR sends it back", b2, "hr_reject", "编外人员不应列入", hr, 200, map[string]any{"state": "rejected"})
		apitest.Run(t, app, apitest.Scenario{Name: "reservation released", Method: "GET", Path: grPath("indicator", "indicator", basic2) + "/balance", Headers: finance, Status: 200,
			Want: map[string]any{"reserved": "0.00", "available": "500000.00"}})

		// The books: the batch paid posted its gross pay as spending.
		books := grBooksComplete(t, rt, nil)
		grOneVoucher(t, books, fmt.Sprintf("payroll.batch/%d confirm_paid", b1id), "D 5001 "+totals["gross"]+", C 1001 "+totals["gross"])
	})
}

// grLineTotals sums the salary of the seed persons of agency who are paid by
// the unified payroll (all but skip), as the batch's lines compute it.
func grLineTotals(t *testing.T, seed []map[string]string, agency, skip string) map[string]string {
	t.Helper()
	money := func(s string) decimal.Decimal {
		if s == "" {
			return decimal.Zero
		}
		return decimal.RequireFromString(s)
	}
	var basic, allowance, gross, net decimal.Decimal
	for _, row := range seed {
		if row["agency"] != agency || row["status"] != "active" || row["in_establishment"] != "true" || row["in_payroll"] != "true" || row["id_no"] == skip {
			continue
		}
		b := money(row["post_salary"]).Add(money(row["grade_salary"]))
		g := b.Add(money(row["allowance"])).Add(money(row["performance"]))
		base := money(row["contribution_base"])
		rate := func(r string) decimal.Decimal { return base.Mul(decimal.RequireFromString(r)).Round(2) }
		d := rate("0.08").Add(rate("0.04")).Add(rate("0.02")).Add(rate("0.12")).Add(money(row["income_tax"]))
		basic, allowance, gross, net = basic.Add(b), allowance.Add(money(row["allowance"])), gross.Add(g), net.Add(g.Sub(d))
	}
	return map[string]string{"basic": basic.StringFixed(2), "allowance": allowance.StringFixed(2), "gross": gross.StringFixed(2), "net": net.StringFixed(2)}
}

// grLineOf finds the id of the line of the person with idNo in a list answer.
func grLineOf(t *testing.T, list any, idNo string) int64 {
	t.Helper()
	items, _ := apitest.Get(list, "items")
	for _, it := range items.([]any) {
		if no, _ := apitest.Get(it, "id_no"); no == idNo {
			id, _ := apitest.Get(it, "id")
			n, _ := strconv.ParseInt(fmt.Sprint(id), 10, 64)
			return n
		}
	}
	t.Fatalf("no line of %s in %v", idNo, list)
	return 0
}

// grBankFile reads the payroll bank file (fixed width, GBK, CRLF: card 19,
// name 20, ID 18, amount 15 right-aligned, memo 20 bytes) and returns its
// number of rows and the sum of its amounts.
func grBankFile(t *testing.T, raw string) (int, string) {
	t.Helper()
	sum := decimal.Zero
	rows := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	for i, row := range rows {
		if len(row) != 92 {
			t.Fatalf("bank file row %d is %d bytes, want 92: %q", i+1, len(row), row)
		}
		name, err := simplifiedchinese.GBK.NewDecoder().String(strings.TrimSpace(row[19:39]))
		if err != nil || name == "" {
			t.Errorf("bank file row %d: name %q is not GBK text: %v", i+1, row[19:39], err)
		}
		amount, err := decimal.NewFromString(strings.TrimSpace(row[57:72]))
		if err != nil {
			t.Fatalf("bank file row %d: amount %q: %v", i+1, row[57:72], err)
		}
		sum = sum.Add(amount)
	}
	return len(rows), sum.StringFixed(2)
}

// TestShippedPayrollSalaryItems keeps the salary item code set (the mapping
// of items to department economic classes) and the payroll line's columns in
// step: every item names a line field that enters the gross or the
// deductions, every pay item's economic class has its indicator rule on the
// batch, and every money column of the line is an item.
func TestShippedPayrollSalaryItems(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	items := p.CodeSet("salary_item")
	line, batch := p.App("payroll").Entity("line"), p.App("payroll").Entity("batch")
	if items == nil || line == nil || batch == nil {
		t.Fatal("payroll: salary_item, line or batch is missing")
	}
	gross, deductions := line.Field("gross").Expr, line.Field("deductions").Expr
	rules := ""
	for _, r := range batch.Rules {
		rules += r.Assert + "\n"
	}
	itemFields := map[string]bool{}
	var codes []*metamodel.CodeNode
	items.Walk(func(n *metamodel.CodeNode) { codes = append(codes, n) })
	for _, code := range codes {
		field, kind, econ := code.Attrs["field"], code.Attrs["kind"], code.Attrs["dept_econ"]
		if field == "" {
			continue // a category
		}
		itemFields[field] = true
		f := line.Field(field)
		switch {
		case f == nil:
			t.Errorf("salary item %s %s: line has no field %s", code.Code.Code, code.Name, field)
		case kind == "pay" && !strings.Contains(gross, field):
			t.Errorf("salary item %s %s: pay item %s is not in the gross (%s)", code.Code.Code, code.Name, field, gross)
		case kind == "pay" && !strings.Contains(rules, "dept_econ == '"+econ+"'"):
			t.Errorf("salary item %s %s: no batch rule ties an indicator to its economic class %s", code.Code.Code, code.Name, econ)
		case kind == "deduction" && (econ != "" || !strings.Contains(deductions, field)):
			t.Errorf("salary item %s %s: a deduction maps to no economic class and is in the deductions (%s)", code.Code.Code, code.Name, deductions)
		case kind != "pay" && kind != "deduction":
			t.Errorf("salary item %s %s: kind %q, want pay or deduction", code.Code.Code, code.Name, kind)
		}
	}
	for _, f := range line.Fields {
		derived := f.Name == "gross" || f.Name == "deductions" || f.Name == "net" || f.Name == "basic_pay"
		if (f.Type == "money" || f.Type == "computed") && f.Name != "contribution_base" && !derived && !itemFields[f.Name] {
			t.Errorf("line field %s (%s) is no salary item: add it to salary_item with its economic class", f.Name, f.Label)
		}
	}
}

// TestShippedGrowthSeed imports every shipped seed file as growth seed does
// and checks what the seed data of the three systems show: the limit tree's
// rollups, the divisions at the debt-ratio warning line, the projects of the
// public disclosure list and the persons eligible for the payroll.
func TestShippedGrowthSeed(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, rt := grStart(t, d, p)
		files, err := rt.SeedFiles()
		if err != nil {
			t.Fatal(err)
		}
		seeded := map[string]int{}
		for _, f := range files {
			res, err := rt.Seed(context.Background(), engine.SystemActor, f, nil)
			if err != nil {
				t.Fatalf("seed %s/%s: %v", f.App, f.Name, err)
			}
			seeded[f.App+"."+f.Entity] += res.Report.Imported
		}
		for entity, n := range map[string]int{"debt.limit": 18, "debt.bond": 3, "disaster.fund": 7, "disaster.project": 11, "payroll.person": 26} {
			if seeded[entity] != n {
				t.Errorf("seeded %d records of %s, want %d", seeded[entity], entity, n)
			}
		}
		auditor := actingAs("audit", "debt.auditor,disaster.auditor,payroll.auditor", "")
		apitest.Run(t, app, apitest.Scenario{Name: "the province's general limit", Method: "GET", Path: "/api/debt/limit/1", Headers: auditor, Status: 200,
			Want: map[string]any{"division": "510000000", "kind": "general", "children_total": "343000000000.00", "debt_ratio": "67.37"}})
		res := apitest.Run(t, app, apitest.Scenario{Name: "warning list of the seed", Method: "GET", Path: "/api/reports/debt/warnings" + grFilter("year = 2026"), Headers: auditor, Status: 200})
		var listed []string
		rows, _ := apitest.Get(res, "rows")
		for _, r := range rows.([]any) {
			div, _ := apitest.Get(r, "_labels.division")
			kind, _ := apitest.Get(r, "kind")
			listed = append(listed, fmt.Sprint(div, " ", kind))
		}
		if got, want := strings.Join(listed, ", "), "雅安市 special, 芦山县 special, 泸定县 special"; got != want {
			t.Errorf("divisions at the warning line: %s, want %s", got, want)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "public list of the seed projects", Method: "GET", Path: "/api/public/reports/disaster/disclosure", Status: 200,
			Want: map[string]any{"rows.#": 11, "totals.planned": "2130000000.00"}})
		apitest.Run(t, app, apitest.Scenario{Name: "persons paid by the unified payroll", Method: "GET", Path: "/api/reports/payroll/headcount" + grFilter("status = 'active' and in_payroll = true"),
			Headers: auditor, Status: 200, Want: map[string]any{"totals.count": 21}})
	})
}

// BenchmarkShippedPayrollBatch measures one monthly batch of an agency with
// 1,000 persons through the shipped payroll: generate the lines (one
// transaction, rollups once), submit (three draws), HR review, finance
// approval (consume, voucher) and the GBK bank file. Run it with
//
//	go test ./apps -run '^$' -bench ShippedPayrollBatch -benchtime 5x
//
// (at most 12 iterations: one batch per month of 2026).
func BenchmarkShippedPayrollBatch(b *testing.B) {
	const persons = 1000
	p := enginetest.LoadDir(b, shippedDir)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			if b.N > 12 {
				b.Fatalf("b.N = %d: one batch per month of 2026, run with -benchtime 12x or less", b.N)
			}
			ctx := context.Background()
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			clerk := engine.Actor{User: "clerk", Roles: []string{"indicator.division_clerk", "payroll.agency_clerk"}, Org: "104001"}
			office := engine.Actor{User: "office", Roles: []string{"indicator.division_reviewer", "indicator.budget_office", "payroll.hr_office", "payroll.finance", "payroll.bank"}}
			indicator := func(econ string) int64 {
				rec := enginetest.Must(rt.Create(ctx, clerk, "indicator", "indicator", grSalaryIndicator("104001", econ, "9999999999.00", "")))
				for _, ev := range []string{"submit", "review", "check", "release"} {
					actor := office
					if ev == "submit" {
						actor = clerk
					}
					enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: actor, App: "indicator", Entity: "indicator", ID: rec.ID, Event: ev}))
				}
				return rec.ID
			}
			basic, allowance := indicator("30101"), indicator("30102")
			for i := 0; i < persons; i++ {
				enginetest.Must(rt.Create(ctx, engine.SystemActor, "payroll", "person", map[string]any{
					"id_no": grResidentID(fmt.Sprintf("5101041980%02d%02d%03d", i%12+1, i%28+1, (i%500)*2+1)), "name": fmt.Sprintf("职工%04d", i), "sex": "male",
					"agency": "104001", "staff_type": "civil_servant", "start_date": "2010-07-01", "in_establishment": true, "in_payroll": true,
					"bank": "102651000029", "card_no": grLuhn(fmt.Sprintf("622202%012d", i)), "post_salary": "2060.00", "grade_salary": "1180.00",
					"allowance": "4680.00", "contribution_base": "10200.00", "income_tax": "186.20"}))
			}
			var prepare, export time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch := enginetest.Must(rt.Create(ctx, clerk, "payroll", "batch", map[string]any{"year": 2026, "month": i + 1, "salary_type": "monthly",
					"agency": "104001", "bank": "102651000011", "basic_indicator": basic, "allowance_indicator": allowance}))
				for _, step := range []struct {
					event string
					actor engine.Actor
				}{{"prepare", clerk}, {"submit", clerk}, {"hr_review", office}, {"approve", office}} {
					start := time.Now()
					enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: step.actor, App: "payroll", Entity: "batch", ID: batch.ID, Event: step.event}))
					if step.event == "prepare" {
						prepare += time.Since(start)
					}
				}
				start := time.Now()
				file := enginetest.Must(rt.Export(ctx, office, "payroll", "batch", batch.ID, "bank_file"))
				export += time.Since(start)
				if file.Lines != persons {
					b.Fatalf("bank file has %d lines, want %d", file.Lines, persons)
				}
			}
			b.ReportMetric(float64(persons*b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(prepare.Milliseconds())/float64(b.N), "prepare-ms/op")
			b.ReportMetric(float64(export.Milliseconds())/float64(b.N), "export-ms/op")
		})
	}
}

// grResidentID completes 17 digits with the GB 11643 check character.
func grResidentID(first17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// grLuhn completes digits with the Luhn check digit.
func grLuhn(digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + strconv.Itoa((10-sum%10)%10)
}

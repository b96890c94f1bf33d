package apps_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// End-to-end scenarios of the business systems grown from YAML alone
// (definitions/payroll, definitions/debt, definitions/disaster): each starts
// the shipped definitions with the roles of the definitions enforced, and
// drives the REST API as the users of each step, asserting the control rules
// a finance user would check first.

// grActor lets a scenario act as a user: X-User, X-Roles (qualified
// app.role names, comma separated) and X-Org.
func grActor(c *fiber.Ctx) (engine.Actor, error) {
	a := engine.Actor{User: c.Get("X-User", "anonymous"), Org: c.Get("X-Org")}
	if roles := c.Get("X-Roles"); roles != "" {
		a.Roles = strings.Split(roles, ",")
	}
	return a, nil
}

// grUser is the request headers of one user.
func grUser(name, roles, org string) map[string]string {
	return map[string]string{"X-User": name, "X-Roles": roles, "X-Org": org}
}

// grLoader stands for the platform loading seed data (growth seed runs as the
// system actor).
var grLoader = grUser("seed", engine.SystemRole, "")

// grStart starts the shipped definitions with the roles of the
// definitions enforced (engine.NewRoleAccess), on a fresh database.
func grStart(t *testing.T, d engine.Dialect, p *metamodel.Project) *fiber.App {
	t.Helper()
	rt := enginetest.Start(t, d, p)
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	rt.Access = access
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: grActor})
	if err != nil {
		t.Fatal(err)
	}
	return app
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
	return grUser("ind-clerk-"+dept, "indicator.division_clerk", dept),
		grUser("ind-reviewer-"+dept, "indicator.division_reviewer", dept),
		grUser("ind-office", "indicator.budget_office", "")
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

// TestShippedDebtAPI: limits down the division tree, a bond issued within the
// province's limit, on-lending down two levels drawing on the bond, project
// allocations, repayments, and the debt-ratio early warning, as the
// province's debt office, a city's and a district's finance bureaus.
func TestShippedDebtAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	var (
		office    = grUser("debt-a", "debt.debt_office", "510000000")
		office2   = grUser("debt-b", "debt.debt_office", "510000000")
		chengdu   = grUser("cd-finance", "debt.city_finance", "510100000")
		shuangliu = grUser("sl-finance", "debt.city_finance", "510116000")
		auditor   = grUser("audit", "debt.auditor", "")
	)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app := grStart(t, d, p)
		limit := func(division, amount, parent, capacity, opening string) map[string]any {
			m := map[string]any{"year": 2026, "division": division, "kind": "general", "amount": amount,
				"fiscal_capacity": capacity, "opening_balance": opening, "doc_no": "川财债〔2026〕8号"}
			if parent != "" {
				m["parent"] = parent
			}
			return m
		}
		province := grCreate(t, app, "province limit", "/api/debt/limit", limit("510000000", "100000000.00", "", "80000000.00", "60000000.00"), office)
		city := grCreate(t, app, "city limit", "/api/debt/limit", limit("510100000", "30000000.00", fmt.Sprint(province), "40000000.00", "20000000.00"), office)
		district := grCreate(t, app, "district limit", "/api/debt/limit", limit("510116000", "8000000.00", fmt.Sprint(city), "5000000.00", "1000000.00"), office)
		bond := map[string]any{"code": "2605901", "name": "2026年四川省政府一般债券（九期）", "year": 2026, "division": "510000000",
			"limit": province, "kind": "general", "purpose": "new", "issue_date": "2026-03-18", "term_years": 3,
			"coupon": "2.1000", "face_value": "20000000.00"}
		for _, sc := range []apitest.Scenario{
			{Name: "one limit per division, year and kind", Method: "POST", Path: "/api/debt/limit", Body: limit("510000000", "1.00", "", "0", "0"), Headers: office, Status: 409,
				Want: map[string]any{"error.code": "conflict", "error.field_codes.kind.0": "duplicate"}},
			{Name: "opening balance above the limit", Method: "POST", Path: "/api/debt/limit", Body: limit("511800000", "1000.00", fmt.Sprint(province), "0", "1000.01"), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.amount.0": "balance_within_limit"}},
			{Name: "a city reads the limits of its subtree only", Method: "GET", Path: "/api/debt/limit?total=true", Headers: chengdu, Status: 200,
				Want: map[string]any{"total": 2}},
			{Name: "a city cannot set limits", Method: "POST", Path: "/api/debt/limit", Body: limit("510116000", "1.00", "", "0", "0"), Headers: chengdu, Status: 403},
			{Name: "debt ratio and headroom of a limit", Method: "GET", Path: grPath("debt", "limit", city), Headers: chengdu, Status: 200,
				Want: map[string]any{"debt_balance": "20000000.00", "headroom": "10000000.00", "debt_ratio": "50.00", "over_warning_line": false}},
			{Name: "bond of a non-standard term", Method: "POST", Path: "/api/debt/bond", Body: with(bond, "term_years", 4), Headers: office, Status: 422,
				Want: map[string]any{"error.field_codes.term_years.0": "standard_term"}},
			{Name: "bond", Method: "POST", Path: "/api/debt/bond", Body: bond, Headers: office, Status: 201,
				Want: map[string]any{"id": 1, "maturity_date": "2029-03-18", "annual_interest": "420000.00", "state": "draft"}},
		} {
			apitest.Run(t, app, sc)
		}
		const bondPath = "/api/debt/bond/1"
		for i, principal := range []string{"0.00", "0.00", "20000000.00"} {
			grCreate(t, app, fmt.Sprintf("schedule %d", i+1), "/api/debt/schedule", map[string]any{"bond": 1, "seq": i + 1,
				"due_date": fmt.Sprintf("%d-03-18", 2027+i), "principal": principal, "interest": "420000.00"}, office)
		}
		grFire(t, app, "submit the bond", bondPath, "submit", "", office, 200, map[string]any{"state": "submitted"})
		grFire(t, app, "no one issues their own entry", bondPath, "issue", "", office, 403, nil)
		grFire(t, app, "issue", bondPath, "issue", "", office2, 200, map[string]any{"state": "issued"})
		apitest.Run(t, app, apitest.Scenario{Name: "the issued bond is an account", Method: "GET", Path: bondPath + "/balance", Headers: office, Status: 200,
			Want: map[string]any{"approved": "20000000.00", "available": "20000000.00"}})

		// On-lending from the province to the city draws on the bond.
		onlend := map[string]any{"year": 2026, "bond": 1, "kind": "general", "from_division": "510000000", "division": "510100000",
			"limit": city, "amount": "15000000.00", "agreement_no": "川财债转〔2026〕1号"}
		toCity := grCreate(t, app, "on-lending to the city", "/api/debt/onlending", onlend, office)
		grFire(t, app, "submit on-lending", grPath("debt", "onlending", toCity), "submit", "", office, 200, nil)
		grFire(t, app, "approve on-lending", grPath("debt", "onlending", toCity), "approve", "", office2, 200, map[string]any{"state": "approved"})
		apitest.Run(t, app, apitest.Scenario{Name: "bond after on-lending", Method: "GET", Path: bondPath + "/balance", Headers: office, Status: 200,
			Want: map[string]any{"consumed": "15000000.00", "available": "5000000.00"}})
		over := grCreate(t, app, "on-lending beyond the bond", "/api/debt/onlending", with(onlend, "amount", "6000000.00", "agreement_no", "川财债转〔2026〕2号"), office)
		grFire(t, app, "on-lending beyond the bond is refused", grPath("debt", "onlending", over), "submit", "", office, 409,
			map[string]any{"error.code": "insufficient_balance"})
		apitest.Run(t, app, apitest.Scenario{Name: "on-lending of another kind than the bond", Method: "POST", Path: "/api/debt/onlending",
			Body: with(onlend, "kind", "special"), Headers: office, Status: 422, Want: map[string]any{"error.field_codes.kind.0": "mismatch"}})

		// The city on-lends to its district from what it received.
		toDistrict := with(onlend, "source", toCity, "from_division", "510100000", "division", "510116000", "limit", district, "amount", "4000000.00", "agreement_no", "成财债转〔2026〕1号")
		down := grCreate(t, app, "city on-lends to its district", "/api/debt/onlending", toDistrict, chengdu)
		grFire(t, app, "city submits", grPath("debt", "onlending", down), "submit", "", chengdu, 200, nil)
		grFire(t, app, "a city does not approve on-lending", grPath("debt", "onlending", down), "approve", "", chengdu, 403, nil)
		grFire(t, app, "province approves", grPath("debt", "onlending", down), "approve", "", office2, 200, nil)
		for _, sc := range []apitest.Scenario{
			{Name: "city's on-lending after passing some down", Method: "GET", Path: grPath("debt", "onlending", toCity) + "/balance", Headers: chengdu, Status: 200,
				Want: map[string]any{"approved": "15000000.00", "consumed": "4000000.00", "available": "11000000.00"}},
			{Name: "a city cannot on-lend outside its subtree", Method: "POST", Path: "/api/debt/onlending",
				Body: with(toDistrict, "division", "511826000", "limit", district), Headers: chengdu, Status: 403},
			{Name: "the district sees its own on-lending only", Method: "GET", Path: "/api/debt/onlending?total=true", Headers: shuangliu, Status: 200,
				Want: map[string]any{"total": 1, "items.0.division": "510116000"}},
			{Name: "allocation on the city's on-lending for another division", Method: "POST", Path: "/api/debt/allocation",
				Body: map[string]any{"year": 2026, "bond": 1, "onlending": toCity, "kind": "general", "division": "510116000", "project_code": "CD2026001",
					"project_name": "双流区地下综合管廊", "func_class": "2120101", "amount": "1000000.00"}, Headers: chengdu, Status: 422,
				Want: map[string]any{"error.field_codes.division.0": "mismatch"}},
			{Name: "repayment of both a bond instalment and an on-lending", Method: "POST", Path: "/api/debt/repayment",
				Body:    map[string]any{"year": 2026, "division": "510100000", "limit": city, "bond": 1, "schedule": 1, "onlending": toCity, "principal": "1.00", "paid_on": "2026-06-30"},
				Headers: chengdu, Status: 422, Want: map[string]any{"error.field_codes.schedule.0": "one_source"}},
			{Name: "auditors read, never write", Method: "POST", Path: "/api/debt/bond", Body: with(bond, "code", "2605902"), Headers: auditor, Status: 403},
		} {
			apitest.Run(t, app, sc)
		}
		alloc := grCreate(t, app, "allocation to a city project", "/api/debt/allocation", map[string]any{"year": 2026, "bond": 1, "onlending": toCity, "kind": "general",
			"division": "510100000", "project_code": "CD2026001", "project_name": "成都市城市内涝治理工程", "func_class": "2120101", "amount": "6000000.00"}, chengdu)
		grFire(t, app, "submit allocation", grPath("debt", "allocation", alloc), "submit", "", chengdu, 200, nil)
		grFire(t, app, "approve allocation", grPath("debt", "allocation", alloc), "approve", "", office, 200, map[string]any{"state": "approved"})
		apitest.Run(t, app, apitest.Scenario{Name: "city's on-lending fully used up to what is left", Method: "GET", Path: grPath("debt", "onlending", toCity) + "/balance", Headers: chengdu, Status: 200,
			Want: map[string]any{"consumed": "10000000.00", "available": "5000000.00"}})

		// The debt ratio early warning: the district's debt equals its fiscal capacity.
		risk := grReportRow(t, app, "/api/reports/debt/risk"+grFilter("year = 2026"), auditor, "division", "510116000")
		grWant(t, "district debt ratio", risk, map[string]any{"ratio": "20.00"})
		warnings := apitest.Run(t, app, apitest.Scenario{Name: "no division at the warning line yet", Method: "GET", Path: "/api/reports/debt/warnings", Headers: auditor, Status: 200})
		if rows, _ := apitest.Get(warnings, "rows.#"); fmt.Sprint(rows) != "0" {
			t.Errorf("warning list = %v, want no rows", warnings)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "district's opening balance raised to its capacity", Method: "PATCH", Path: grPath("debt", "limit", district),
			Body: map[string]any{"version": 1, "opening_balance": "5000000.00"}, Headers: office, Status: 200,
			Want: map[string]any{"debt_ratio": "100.00", "over_warning_line": true}})
		row := grReportRow(t, app, "/api/reports/debt/warnings"+grFilter("year = 2026"), auditor, "division", "510116000")
		grWant(t, "warning list", row, map[string]any{"ratio": "100.00", "kind": "general"})
	})
}

// TestShippedDisasterAPI: a special fund received by a county, allocated to a
// reconstruction project, paid out by the project's implementer, a warning
// handled through its whole flow, and the allocation rate and spending
// progress per division and per project.
func TestShippedDisasterAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	const luding = "513322000"
	var (
		finance    = grUser("ld-finance-a", "disaster.finance", luding)
		finance2   = grUser("ld-finance-b", "disaster.finance", luding)
		province   = grUser("sc-finance", "disaster.finance", "510000000")
		supervisor = grUser("ld-housing", "disaster.dept_supervisor", luding)
		clerk      = grUser("ld-clerk", "disaster.project_clerk", luding)
		reviewer   = grUser("ld-head", "disaster.agency_reviewer", luding)
		lushan     = grUser("ls-clerk", "disaster.project_clerk", "511826000")
		auditor    = grUser("audit", "disaster.auditor", "")
	)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app := grStart(t, d, p)
		fund := map[string]any{"year": 2026, "division": luding, "disaster": "2022090501", "source": "bond", "doc_no": "川财建〔2026〕9号",
			"func_class": "2240793", "special_account": "51050164360800000521", "amount": "1000000.00", "received_on": "2026-03-25"}
		project := map[string]any{"code": "LD2026901", "name": "泸定县磨西镇安置点配套道路", "division": luding, "disaster": "2022090501",
			"category": "infrastructure", "implementer": "泸定县交通运输局", "contractor": "四川路桥建设集团股份有限公司",
			"contractor_account": "51001870836052501234", "total_investment": "3000000.00", "planned_fund": "1200000.00"}
		for _, sc := range []apitest.Scenario{
			{Name: "fund on another disaster's functional class", Method: "POST", Path: "/api/disaster/fund", Body: with(fund, "func_class", "2240791"), Headers: finance, Status: 422,
				Want: map[string]any{"error.field_codes.func_class.0": "disaster_func_class"}},
			{Name: "fund", Method: "POST", Path: "/api/disaster/fund", Body: fund, Headers: finance, Status: 201, Want: map[string]any{"id": 1, "_labels.disaster": "泸定“9·5”地震"}},
			{Name: "a county's finance cannot enter another county's fund", Method: "POST", Path: "/api/disaster/fund", Body: with(fund, "division", "511826000", "func_class", "2240791", "disaster", "2013042001"), Headers: finance, Status: 403},
			{Name: "the province's finance can", Method: "POST", Path: "/api/disaster/fund", Body: with(fund, "division", "511826000", "func_class", "2240791", "disaster", "2013042001"), Headers: province, Status: 201},
			{Name: "project", Method: "POST", Path: "/api/disaster/project", Body: project, Headers: supervisor, Status: 201, Want: map[string]any{"id": 1, "state": "planned"}},
			{Name: "second project", Method: "POST", Path: "/api/disaster/project", Body: with(project, "code", "LD2026902", "name", "泸定县磨西镇农房风貌改造"), Headers: supervisor, Status: 201, Want: map[string]any{"id": 2}},
			{Name: "planned funds above the investment", Method: "POST", Path: "/api/disaster/project", Body: with(project, "code", "LD2026903", "planned_fund", "3000000.01"), Headers: supervisor, Status: 422,
				Want: map[string]any{"error.field_codes.planned_fund.0": "planned_within_investment"}},
		} {
			apitest.Run(t, app, sc)
		}
		grFire(t, app, "project starts", "/api/disaster/project/1", "start", "", supervisor, 200, map[string]any{"state": "building"})

		// Allocation draws on the special fund.
		alloc := map[string]any{"year": 2026, "division": luding, "fund": 1, "project": 1, "doc_no": "泸财建〔2026〕3号", "amount": "600000.00"}
		a1 := grCreate(t, app, "allocation", "/api/disaster/allocation", alloc, finance)
		grFire(t, app, "submit allocation", grPath("disaster", "allocation", a1), "submit", "", finance, 200, nil)
		grFire(t, app, "no one approves their own allocation", grPath("disaster", "allocation", a1), "approve", "", finance, 403, nil)
		body := grFire(t, app, "approve allocation", grPath("disaster", "allocation", a1), "approve", "", finance2, 200, map[string]any{"state": "allocated"})
		if on, _ := apitest.Get(body, "allocated_on"); fmt.Sprint(on) == "" || on == nil {
			t.Errorf("allocated_on is not set on approval: %v", body)
		}
		a2 := grCreate(t, app, "allocation beyond the fund", "/api/disaster/allocation", with(alloc, "project", 2, "amount", "400000.01"), finance)
		grFire(t, app, "allocation beyond the fund is refused", grPath("disaster", "allocation", a2), "submit", "", finance, 409,
			map[string]any{"error.code": "insufficient_balance"})
		apitest.Run(t, app, apitest.Scenario{Name: "allocation from another division's fund", Method: "POST", Path: "/api/disaster/allocation",
			Body: with(alloc, "fund", 2), Headers: province, Status: 422, Want: map[string]any{"error.field_codes.division.0": "mismatch"}})

		// Payments draw on the allocation; the project must be the allocation's.
		pay := map[string]any{"year": 2026, "division": luding, "allocation": a1, "fund": 1, "project": 1, "payee_type": "company",
			"payee_name": "四川路桥建设集团股份有限公司", "payee_account": "51001870836052501234", "payee_bank": "中国建设银行成都第一支行",
			"settlement": "transfer", "amount": "100000.00", "purpose": "安置点配套道路工程进度款（第一期）"}
		for _, sc := range []apitest.Scenario{
			{Name: "payment for another project than its allocation", Method: "POST", Path: "/api/disaster/payment", Body: with(pay, "project", 2), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "mismatch"}},
			{Name: "another county's clerk sees none of it", Method: "GET", Path: "/api/disaster/payment?total=true", Headers: lushan, Status: 200, Want: map[string]any{"total": 0}},
		} {
			apitest.Run(t, app, sc)
		}
		p1 := grPath("disaster", "payment", grCreate(t, app, "payment", "/api/disaster/payment", pay, clerk))
		p2id := grCreate(t, app, "cash payment", "/api/disaster/payment", with(pay, "payee_name", "泸定县磨西镇某建材经营部", "payee_account", "62170036000012345",
			"settlement", "cash", "amount", "80000.00", "purpose", "现金购买建材"), clerk)
		p2 := grPath("disaster", "payment", p2id)
		grFire(t, app, "submit stamps the number", p1, "submit", "", clerk, 200, map[string]any{"pay_no": "ZJ5133220002026000001"})
		grFire(t, app, "the clerk does not review", p1, "review", "", clerk, 403, nil)
		grFire(t, app, "review", p1, "review", "", reviewer, 200, nil)
		grFire(t, app, "approve", p1, "approve", "", finance, 200, nil)
		grFire(t, app, "pay", p1, "pay", "", finance, 200, map[string]any{"state": "paid"})
		apitest.Run(t, app, apitest.Scenario{Name: "allocation after payment", Method: "GET", Path: grPath("disaster", "allocation", a1) + "/balance", Headers: finance, Status: 200,
			Want: map[string]any{"approved": "600000.00", "consumed": "100000.00", "available": "500000.00"}})

		// A warning goes through its whole handling flow.
		grFire(t, app, "submit the cash payment", p2, "submit", "", clerk, 200, nil)
		warning := grCreate(t, app, "red warning on the cash payment", "/api/disaster/warning", map[string]any{"division": luding, "rule": "01", "level": "red",
			"payment": p2id, "project": 1, "message": "大额现金支取：现金支付 80000.00 元，达到 5 万元"}, grLoader)
		wp := grPath("disaster", "warning", warning)
		for _, sc := range []apitest.Scenario{
			{Name: "a warning's level follows its rule", Method: "POST", Path: "/api/disaster/warning", Body: map[string]any{"division": luding, "rule": "01", "level": "yellow",
				"payment": p2id, "message": "x"}, Headers: grLoader, Status: 422, Want: map[string]any{"error.field_codes.level.0": "level_of_rule"}},
			{Name: "the clerk cannot lower the level", Method: "PATCH", Path: wp, Body: map[string]any{"version": 1, "level": "blue"}, Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.level.0": "readonly"}},
		} {
			apitest.Run(t, app, sc)
		}
		grFire(t, app, "explaining needs an explanation", wp, "explain", "", clerk, 422, map[string]any{"error.field_codes._record.0": "guard"})
		apitest.Run(t, app, apitest.Scenario{Name: "the clerk explains", Method: "PATCH", Path: wp, Body: map[string]any{"version": 1,
			"explanation": "磨西镇建材经营部无对公账户，经镇政府证明后现金结算"}, Headers: clerk, Status: 200})
		grFire(t, app, "explain", wp, "explain", "", clerk, 200, map[string]any{"state": "explained"})
		grFire(t, app, "send back needs a reason", wp, "agency_send_back", "", reviewer, 422, nil)
		grFire(t, app, "agency review", wp, "agency_review", "", reviewer, 200, nil)
		grFire(t, app, "the clerk cannot review for the department", wp, "dept_review", "", clerk, 403, nil)
		grFire(t, app, "department review", wp, "dept_review", "", supervisor, 200, nil)
		grFire(t, app, "finance accepts", wp, "accept", "已核实，同意", finance, 200, map[string]any{"state": "closed", "outcome": "accepted", "_labels.state": "已解除"})

		// Allocation rate and spending progress.
		grWant(t, "allocation rate of the county", grReportRow(t, app, "/api/reports/disaster/allocation_rate"+grFilter("year = 2026"), auditor, "division", luding),
			map[string]any{"received": "1000000.00", "allocated": "600000.00", "rate": "60.00"})
		grWant(t, "spending progress of the county", grReportRow(t, app, "/api/reports/disaster/spending_by_division", auditor, "division", luding),
			map[string]any{"allocated": "600000.00", "paid": "100000.00", "in_process": "80000.00", "progress": "16.67"})
		grWant(t, "spending progress of the project", grReportRow(t, app, "/api/reports/disaster/spending_by_project", auditor, "project", "1"),
			map[string]any{"allocated": "600000.00", "paid": "100000.00", "progress": "16.67"})
		grWant(t, "a county's finance sees its own county in reports", grReportRow(t, app, "/api/reports/disaster/allocation_rate", finance, "division", ""),
			map[string]any{"received": "1000000.00"})
	})
}

// TestShippedPayrollAPI: persons with checked ID numbers, monthly batches per
// agency whose lines are unique per person, month and salary type across all
// agencies, drawing on the agency's salary indicators by economic class.
func TestShippedPayrollAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	seed := shippedSeed(t, "payroll/seed/01_persons.csv")
	var (
		clerk    = grUser("jyt-clerk", "payroll.agency_clerk", "104001")
		clerk2   = grUser("czt-clerk", "payroll.agency_clerk", "106001")
		hr       = grUser("rst-wage", "payroll.hr_office", "107001")
		finance  = grUser("czt-wage", "payroll.finance", "106001")
		bank     = grUser("icbc", "payroll.bank", "")
		dept     = grUser("jyt-personnel", "payroll.dept_viewer", "104")
		auditor  = grUser("audit", "payroll.auditor", "")
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
		app := grStart(t, d, p)
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
		_ = finance
		_ = eligible
	})
}

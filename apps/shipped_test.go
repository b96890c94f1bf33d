package apps_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// The shipped business systems under ../definitions, started as they are and
// driven through the REST API: what an implementer copying them, and an end
// user filling in their forms, would check first.

const shippedDir = "../definitions"

// shippedSeed reads a seed CSV of the shipped definitions as rows of field →
// value, the way the seed importer sees them (header = field names).
func shippedSeed(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(shippedDir, path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(records) < 2 {
		t.Fatalf("%s has no rows", path)
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range records[0] {
			// _events are the workflow steps growth seed fires, not a field.
			if rec[i] != "" && name != "_events" {
				row[name] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// startShipped starts the REST API on project p with open access.
func startShipped(t *testing.T, d engine.Dialect, p *metamodel.Project) *fiber.App {
	t.Helper()
	rt := enginetest.Start(t, d, p, engine.OpenAccess{})
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// validIndicator is a complete indicator a business division would enter.
func validIndicator() map[string]any {
	return map[string]any{
		"year": 2026, "division": "510000000", "doc_no": "川财教〔2026〕20号", "budget_level": "2",
		"agency": "104001", "func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201",
		"fund_nature": "11", "fund_source": "1", "amount": "1234567.89",
	}
}

// with returns a copy of base with the given fields replaced (nil removes one).
func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestShippedIndicatorAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	seed := shippedSeed(t, "indicator/seed/indicators.csv")
	inDept101 := 0
	for _, row := range seed {
		if strings.HasPrefix(row["agency"], "101") {
			inDept101++
		}
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app := startShipped(t, d, p)
		// Every seed row is a valid indicator: the seed file stays loadable.
		for i, row := range seed {
			body := map[string]any{}
			for k, v := range row {
				body[k] = v
			}
			apitest.Run(t, app, apitest.Scenario{Name: fmt.Sprintf("seed row %d", i+2), Method: "POST", Path: "/api/indicator/indicator", Body: body, Status: 201})
		}
		scenarios := []apitest.Scenario{
			{Name: "valid indicator", Method: "POST", Path: "/api/indicator/indicator", Body: validIndicator(), Status: 201,
				Want: map[string]any{"amount": "1234567.89", "year": 2026, "state": "draft", "plan_control": false,
					"_labels.func_class": "学前教育", "_labels.agency": "四川省教育厅（本级）", "_labels.gov_econ": "办公经费",
					"_labels.dept_econ": "办公费", "_labels.fund_nature": "一般公共预算财政拨款", "_labels.state": "草稿"}},
			{Name: "provincial extension code", Method: "POST", Path: "/api/indicator/indicator",
				Body: with(validIndicator(), "func_class", "2050291", "gov_econ", "50902", "dept_econ", "30308"), Status: 201,
				Want: map[string]any{"_labels.func_class": "民族地区十五年免费教育"}},
			{Name: "non-leaf functional class", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "func_class", "20502"), Status: 422,
				Want: map[string]any{"error.code": "validation", "error.field_codes.func_class.0": "code_not_leaf"}},
			{Name: "unknown economic class", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "gov_econ", "50204"), Status: 422,
				Want: map[string]any{"error.field_codes.gov_econ.0": "unknown_code"}},
			{Name: "agency no longer in use", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "agency", "115001"), Status: 422,
				Want: map[string]any{"error.field_codes.agency.0": "code_disabled"}},
			{Name: "over-precise amount", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "amount", "100.123"), Status: 422,
				Want: map[string]any{"error.field_codes.amount.0": "scale"}},
			{Name: "amount as a JSON float", Method: "POST", Path: "/api/indicator/indicator", Body: `{"year": 2026, "amount": 100.5}`, Status: 422,
				Want: map[string]any{"error.field_codes.amount.0": "type"}},
			{Name: "zero amount", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "amount", "0.00"), Status: 422,
				Want: map[string]any{"error.field_codes.amount.0": "amount_positive"}},
			{Name: "year out of range", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "year", 1999), Status: 422,
				Want: map[string]any{"error.field_codes.year.0": "min"}},
			{Name: "only a department", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "agency", "104"), Status: 422,
				Want: map[string]any{"error.field_codes.agency.0": "agency_below_department"}},
			{Name: "transfer without upper document", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "fund_source", "32"), Status: 422,
				Want: map[string]any{"error.field_codes.upper_doc_no.0": "upper_doc_for_transfer"}},
			{Name: "department economic class not mapped to the government one", Method: "POST", Path: "/api/indicator/indicator",
				Body: with(validIndicator(), "dept_econ", "30101"), Status: 422,
				Want: map[string]any{"error.field_codes.dept_econ.0": "econ_mapping"}},
			{Name: "missing required elements", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "func_class", nil, "fund_nature", nil), Status: 422,
				Want: map[string]any{"error.field_codes.func_class.0": "required", "error.field_codes.fund_nature.0": "required"}},
		}
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}
		body := apitest.Run(t, app, apitest.Scenario{Name: "agency under 101", Method: "GET",
			Path: "/api/indicator/indicator?page_size=200&total=true&filter=" + url.QueryEscape("agency under '101'"), Status: 200,
			Want: map[string]any{"items.#": inDept101, "total": inDept101}})
		items, _ := apitest.Get(body, "items")
		for _, it := range items.([]any) {
			agency, _ := apitest.Get(it, "agency")
			if s, _ := agency.(string); !strings.HasPrefix(s, "101") {
				t.Errorf("agency under '101' lists an indicator of agency %v", agency)
			}
		}
		apitest.Run(t, app, apitest.Scenario{Name: "agency under 104005", Method: "GET",
			Path: "/api/indicator/indicator?filter=" + url.QueryEscape("agency under '104005' and year = 2026"), Status: 200,
			Want: map[string]any{"items.#": 3}})
	})
}

// TestShippedIndicatorCodeYear checks that an indicator may only use codes
// valid in its fiscal year. The shipped basic data has no enabled code limited
// in time yet (the one retired agency is also disabled), so this runs on a
// copy of the shipped definitions in which one provincial extension code,
// 2240791 芦山地震灾后恢复重建支出, ends in 2018.
func TestShippedIndicatorCodeYear(t *testing.T) {
	dir := enginetest.CopyDir(t, shippedDir)
	path := filepath.Join(dir, "basedata", "classification.yaml")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`\{code: "2240791",`)
	if !code.Match(text) {
		t.Fatal(`basedata/classification.yaml no longer has the code "2240791"; pick another extension code for this test`)
	}
	text = code.ReplaceAll(text, []byte(`{code: "2240791", valid_from: 2013, valid_to: 2018,`))
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	p := enginetest.LoadDir(t, dir)
	reconstruction := with(validIndicator(), "agency", "113001", "func_class", "2240791", "gov_econ", "50301", "dept_econ", "31001")
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app := startShipped(t, d, p)
		for _, sc := range []apitest.Scenario{
			{Name: "code valid in its year", Method: "POST", Path: "/api/indicator/indicator", Body: with(reconstruction, "year", 2016), Status: 201,
				Want: map[string]any{"_labels.func_class": "芦山地震灾后恢复重建支出"}},
			{Name: "code not valid in its year", Method: "POST", Path: "/api/indicator/indicator", Body: with(reconstruction, "year", 2026), Status: 422,
				Want: map[string]any{"error.field_codes.func_class.0": "code_not_valid"}},
		} {
			apitest.Run(t, app, sc)
		}
	})
}

// TestShippedIndicatorSeedElements checks what the engine cannot check yet
// for the seed rows: each department economic code maps to the government
// economic code beside it (dept_econ's gov_econ attribute).
func TestShippedIndicatorSeedElements(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	deptEcon := p.CodeSet("dept_econ")
	for i, row := range shippedSeed(t, "indicator/seed/indicators.csv") {
		n := deptEcon.Lookup(row["dept_econ"])
		if n == nil {
			t.Errorf("row %d: dept_econ %s is not a code", i+2, row["dept_econ"])
			continue
		}
		if got := n.Attrs["gov_econ"]; got != row["gov_econ"] {
			t.Errorf("row %d: dept_econ %s (%s) maps to gov_econ %s, the row has %s", i+2, row["dept_econ"], n.Name, got, row["gov_econ"])
		}
		if row["year"] != "2026" {
			t.Errorf("row %d: year %s, want 2026", i+2, row["year"])
		}
	}
}

func TestShippedAdjustmentAndPaymentAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app := startShipped(t, d, p)
		apitest.Run(t, app, apitest.Scenario{Name: "indicator 1", Method: "POST", Path: "/api/indicator/indicator", Body: validIndicator(), Status: 201, Want: map[string]any{"id": 1}})
		apitest.Run(t, app, apitest.Scenario{Name: "indicator 2", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "func_class", "2050202"), Status: 201, Want: map[string]any{"id": 2}})
		apitest.Run(t, app, apitest.Scenario{Name: "indicator 3 under plan control", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "plan_control", true), Status: 201, Want: map[string]any{"id": 3}})
		adjustment := map[string]any{"year": 2026, "agency": "104001", "kind": "transfer", "indicator": 1, "target_indicator": 2, "amount": "5000.00", "reason": "学前教育调剂至小学教育"}
		elements := map[string]any{"year": 2026, "division": "510000000", "indicator": 1, "agency": "104001",
			"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11"}
		plan := with(elements, "month", 3, "requested_amount", "20000.00")
		payment := with(elements,
			"payer_name", "四川省教育厅", "payer_account", "510101000000001", "payer_bank", "102651000011",
			"payee_name", "成都某办公用品有限公司", "payee_account", "4402200109100012345", "payee_bank", "102651000029",
			"settlement_method", "1", "payment_method", "001002", "purpose", "购买办公用品", "amount", "3580.00")
		scenarios := []apitest.Scenario{
			{Name: "transfer adjustment", Method: "POST", Path: "/api/indicator/adjustment", Body: adjustment, Status: 201,
				Want: map[string]any{"state": "draft", "_labels.kind": "调剂", "amount": "5000.00"}},
			{Name: "transfer without target", Method: "POST", Path: "/api/indicator/adjustment", Body: with(adjustment, "target_indicator", nil), Status: 422,
				Want: map[string]any{"error.field_codes.target_indicator.0": "target_needed"}},
			{Name: "transfer onto itself", Method: "POST", Path: "/api/indicator/adjustment", Body: with(adjustment, "target_indicator", 1), Status: 422,
				Want: map[string]any{"error.field_codes.target_indicator.0": "target_differs"}},
			{Name: "increase with a target", Method: "POST", Path: "/api/indicator/adjustment", Body: with(adjustment, "kind", "increase"), Status: 422,
				Want: map[string]any{"error.field_codes.target_indicator.0": "target_only_for_moves"}},
			{Name: "adjustment of a missing indicator", Method: "POST", Path: "/api/indicator/adjustment", Body: with(adjustment, "indicator", 99), Status: 422,
				Want: map[string]any{"error.field_codes.indicator.0": "ref_not_found"}},
			{Name: "plan", Method: "POST", Path: "/api/payment/plan", Body: plan, Status: 201,
				Want: map[string]any{"state": "draft", "requested_amount": "20000.00", "approved_amount": nil}},
			{Name: "plan month 13", Method: "POST", Path: "/api/payment/plan", Body: with(plan, "month", 13), Status: 422,
				Want: map[string]any{"error.field_codes.month.0": "max"}},
			{Name: "plan sets its approved amount", Method: "POST", Path: "/api/payment/plan", Body: with(plan, "approved_amount", "20000.00"), Status: 422,
				Want: map[string]any{"error.field_codes.approved_amount.0": "readonly"}},
			{Name: "payment", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "plan", 1), Status: 201,
				Want: map[string]any{"state": "draft", "amount": "3580.00", "pay_no": nil, "_labels.payment_method": "财政授权支付", "_labels.payee_bank": "中国工商银行股份有限公司成都春熙支行"}},
			{Name: "second payment without a number yet", Method: "POST", Path: "/api/payment/payment", Body: payment, Status: 201},
			{Name: "payment numbers are stamped, not typed", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "pay_no", "2026000001"), Status: 422,
				Want: map[string]any{"error.field_codes.pay_no.0": "readonly"}},
			{Name: "payee account with letters", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "payee_account", "6222-0000-1234"), Status: 422,
				Want: map[string]any{"error.field_codes.payee_account.0": "pattern"}},
			{Name: "payment method category", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "payment_method", "001"), Status: 422,
				Want: map[string]any{"error.field_codes.payment_method.0": "code_not_leaf"}},
			{Name: "actual allocation is not a centralized payment", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "payment_method", "002"), Status: 422,
				Want: map[string]any{"error.field_codes.payment_method.0": "centralized_method"}},
			{Name: "bank category instead of a branch", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "payee_bank", "102"), Status: 422,
				Want: map[string]any{"error.field_codes.payee_bank.0": "code_not_leaf"}},
			{Name: "bond funds need a bond code", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "fund_nature", "22"), Status: 422,
				Want: map[string]any{"error.field_codes.bond_code.0": "bond_code_for_bond_funds"}},
			{Name: "paying oneself", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "payee_account", "510101000000001"), Status: 422,
				Want: map[string]any{"error.field_codes.payee_account.0": "payee_not_payer"}},
			{Name: "purpose is required", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "purpose", nil), Status: 422,
				Want: map[string]any{"error.field_codes.purpose.0": "required"}},
			// The rule reads the indicator the payment points at: refs.indicator.plan_control.
			{Name: "a plan-controlled indicator needs a plan", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "indicator", 3), Status: 422,
				Want: map[string]any{"error.field_codes.plan.0": "plan_required", "error.fields.plan.0": "所用指标设置了用款计划控制，须选择用款计划"}},
			{Name: "a plan-controlled indicator with a plan", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "indicator", 3, "plan", 1), Status: 201,
				Want: map[string]any{"indicator": 3, "plan": 1}},
			{Name: "payments of agency 104001", Method: "GET", Path: "/api/payment/payment?filter=" + url.QueryEscape("agency under '104' and payment_method = '001002'"), Status: 200,
				Want: map[string]any{"items.#": 3}},
		}
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}
	})
}

// shippedActor lets a test act as a user: X-User, X-Roles (comma
// separated) and X-Org. Real authentication is a separate feature.
func shippedActor(c *fiber.Ctx) (engine.Actor, error) {
	a := engine.Actor{User: c.Get("X-User", "anonymous"), Org: c.Get("X-Org")}
	if roles := c.Get("X-Roles"); roles != "" {
		a.Roles = strings.Split(roles, ",")
	}
	return a, nil
}

func actingAs(user, roles, org string) map[string]string {
	return map[string]string{"X-User": user, "X-Roles": roles, "X-Org": org}
}

// TestShippedWorkflows walks an indicator from entry to release and a payment
// from entry to refund through the REST API, as the users of each step.
func TestShippedWorkflows(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	var (
		clerk    = actingAs("c1", "division_clerk", "104")
		reviewer = actingAs("r1", "division_reviewer", "104")
		both     = actingAs("c1", "division_clerk,division_reviewer", "104")
		office   = actingAs("b1", "budget_office", "")
		agClerk  = actingAs("a1", "agency_clerk", "104001")
		agRev    = actingAs("a2", "agency_reviewer", "104001")
		treasury = actingAs("t1", "treasury", "")
		bank     = actingAs("k1", "bank", "")
	)
	ev := func(path, event string) string { return path + "/events/" + event }
	const ind = "/api/indicator/indicator/1"
	const pay1, pay2 = "/api/payment/payment/1", "/api/payment/payment/2"
	payment := map[string]any{"year": 2026, "division": "510000000", "indicator": 1, "agency": "104001",
		"func_class": "2050202", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
		"payer_name": "四川省教育厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
		"payee_name": "成都某办公用品有限公司", "payee_account": "4402200109100012345", "payee_bank": "102651000029",
		"settlement_method": "1", "payment_method": "001002", "purpose": "购买办公用品", "amount": "3580.00"}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: shippedActor})
		if err != nil {
			t.Fatal(err)
		}
		scenarios := []apitest.Scenario{
			{Name: "clerk enters", Method: "POST", Path: "/api/indicator/indicator", Body: validIndicator(), Headers: clerk, Status: 201, Want: map[string]any{"id": 1, "created_by": "c1"}},
			{Name: "submit", Method: "POST", Path: ev(ind, "submit"), Headers: clerk, Status: 200, Want: map[string]any{"state": "submitted", "_labels.state": "待处室审核"}},
			{Name: "clerk cannot review", Method: "POST", Path: ev(ind, "review"), Headers: clerk, Status: 403},
			{Name: "reject needs a reason", Method: "POST", Path: ev(ind, "reject"), Headers: reviewer, Status: 422, Want: map[string]any{"error.field_codes.comment.0": "required"}},
			{Name: "reject", Method: "POST", Path: ev(ind, "reject"), Body: map[string]any{"comment": "功能分类应为小学教育"}, Headers: reviewer, Status: 200, Want: map[string]any{"state": "draft"}},
			{Name: "correct and resubmit", Method: "PATCH", Path: ind, Body: map[string]any{"version": 3, "func_class": "2050202"}, Headers: clerk, Status: 200},
			{Name: "resubmit", Method: "POST", Path: ev(ind, "submit"), Headers: clerk, Status: 200},
			{Name: "no one reviews their own entry", Method: "POST", Path: ev(ind, "review"), Headers: both, Status: 403},
			{Name: "review", Method: "POST", Path: ev(ind, "review"), Headers: reviewer, Status: 200, Want: map[string]any{"state": "reviewed"}},
			{Name: "division reviewer cannot send back from the budget office", Method: "POST", Path: ev(ind, "send_back"), Body: map[string]any{"comment": "x"}, Headers: reviewer, Status: 403},
			{Name: "check", Method: "POST", Path: ev(ind, "check"), Headers: office, Status: 200, Want: map[string]any{"state": "checked"}},
			{Name: "release", Method: "POST", Path: ev(ind, "release"), Headers: office, Status: 200, Want: map[string]any{"state": "released", "_labels.state": "已下达"}},
			{Name: "a released indicator is not edited", Method: "PATCH", Path: ind, Body: map[string]any{"version": 8, "amount": "1.00"}, Headers: clerk, Status: 409},

			{Name: "payment 1", Method: "POST", Path: "/api/payment/payment", Body: payment, Headers: agClerk, Status: 201, Want: map[string]any{"pay_no": nil}},
			{Name: "payment 2", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "amount", "120.00"), Headers: agClerk, Status: 201},
			{Name: "submit stamps the number", Method: "POST", Path: ev(pay1, "submit"), Headers: agClerk, Status: 200,
				Want: map[string]any{"state": "submitted", "pay_no": "ZF2026510000000000001"}},
			{Name: "agency reviewer sends it back", Method: "POST", Path: ev(pay1, "reject"), Body: map[string]any{"comment": "用途不清"}, Headers: agRev, Status: 200, Want: map[string]any{"state": "rejected"}},
			{Name: "editable when rejected", Method: "PATCH", Path: pay1, Body: map[string]any{"version": 3, "purpose": "购买办公用品（打印纸）"}, Headers: agClerk, Status: 200},
			{Name: "resubmit keeps the number", Method: "POST", Path: ev(pay1, "submit"), Headers: agClerk, Status: 200, Want: map[string]any{"pay_no": "ZF2026510000000000001"}},
			{Name: "next number", Method: "POST", Path: ev(pay2, "submit"), Headers: agClerk, Status: 200, Want: map[string]any{"pay_no": "ZF2026510000000000002"}},
			{Name: "treasury cannot sign before the agency review", Method: "POST", Path: ev(pay1, "sign"), Headers: treasury, Status: 409},
			{Name: "agency review", Method: "POST", Path: ev(pay1, "agency_review"), Headers: agRev, Status: 200, Want: map[string]any{"state": "agency_reviewed"}},
			{Name: "sign", Method: "POST", Path: ev(pay1, "sign"), Headers: treasury, Status: 200, Want: map[string]any{"state": "signed", "_labels.state": "已签章"}},
			{Name: "a signed voucher is immutable", Method: "PATCH", Path: pay1, Body: map[string]any{"version": 7, "amount": "1.00"}, Headers: agClerk, Status: 409},
			{Name: "the bank cannot send", Method: "POST", Path: ev(pay1, "send"), Headers: bank, Status: 403},
			{Name: "send", Method: "POST", Path: ev(pay1, "send"), Headers: treasury, Status: 200, Want: map[string]any{"state": "sent"}},
			{Name: "refund needs a reason", Method: "POST", Path: ev(pay1, "refund"), Headers: bank, Status: 422},
		}
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}
		body := apitest.Run(t, app, apitest.Scenario{Name: "bank confirms", Method: "POST", Path: ev(pay1, "confirm_paid"), Headers: bank, Status: 200,
			Want: map[string]any{"state": "paid", "_labels.state": "已支付"}})
		if paidOn, _ := apitest.Get(body, "paid_on"); !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(fmt.Sprint(paidOn)) {
			t.Errorf("paid_on = %v, want the date of payment", paidOn)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "refund after payment", Method: "POST", Path: ev(pay1, "refund"), Body: map[string]any{"comment": "收款账户已销户"}, Headers: bank, Status: 200,
			Want: map[string]any{"state": "refunded"}})

		// The books: the release, the clearing and the refund each posted a
		// balanced voucher, and verify passes; a hand-edited line fails it.
		books := grBooksComplete(t, rt, nil)
		amount := validIndicator()["amount"].(string)
		grOneVoucher(t, books, "indicator.indicator/1 release", "D 9101 "+amount+", C 9201 "+amount)
		paid := grOneVoucher(t, books, "payment.payment/1 confirm_paid", "D 5001 3580.00, C 1001 3580.00")
		if paid.Lines[0].Dims["agency"] != "104001" || paid.Lines[0].Dims["func_class"] != "2050202" || paid.Lines[0].Dims["fund_nature"] != "11" {
			t.Errorf("the clearing voucher's dimensions: %v", paid.Lines[0].Dims)
		}
		grOneVoucher(t, books, "payment.payment/1 refund", "D 1001 3580.00, C 5001 3580.00")
		if _, err := rt.DB.Write.Exec(`UPDATE growth_voucher_lines SET credit = credit - 1 WHERE line_no = 2 AND voucher_id = ` + fmt.Sprint(paid.ID)); err != nil {
			t.Fatal(err)
		}
		r, err := rt.DB.VerifyBooks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want := "voucher " + paid.Number + " does not balance: debits 3,580.00, credits 3,579.99"; r.OK() || r.Problems[0] != want {
			t.Errorf("verify after a hand-edited line: %v, want first %q", r.Problems, want)
		}
	})
}

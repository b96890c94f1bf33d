package apps_test

import (
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestShippedPaymentDutiesSplit is the insider of issue 13 through the REST
// API on the shipped payment app: a clerk enters a payment of 50,000.00; a
// user holding the clerk, reviewer and treasury roles together raises it to
// 80,000.00, submits it and tries to review and sign it. not_by: [editors,
// submitter] on the review and [editors, submitter, actors] on the signature
// refuse every step they should not take, with the reason an operator reads;
// other people then carry it through. Above 1,000,000.00 the signature
// takes two treasury users (the quorum tiers).
func TestShippedPaymentDutiesSplit(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	var (
		clerk    = actingAs("c1", "division_clerk", "104")
		reviewer = actingAs("r1", "division_reviewer", "104")
		office   = actingAs("b1", "budget_office", "")
		agClerk  = actingAs("a1", "agency_clerk", "104001")
		agRev    = actingAs("a2", "agency_reviewer", "104001")
		insider  = actingAs("x1", "agency_clerk,agency_reviewer,treasury", "104001")
		treasury = actingAs("t1", "treasury", "")
		revTreas = actingAs("x2", "agency_reviewer,treasury", "104001")
	)
	ev := func(path, event string) string { return path + "/events/" + event }
	const ind, pay1, pay2, pay3, pay4 = "/api/indicator/indicator/1", "/api/payment/payment/1", "/api/payment/payment/2", "/api/payment/payment/3", "/api/payment/payment/4"
	payment := map[string]any{"year": 2026, "division": "510000000", "indicator": 1, "agency": "104001",
		"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
		"payer_name": "四川省教育厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
		"payee_name": "成都某办公用品有限公司", "payee_account": "4402200109100012345", "payee_bank": "102651000029",
		"settlement_method": "1", "payment_method": "001002", "purpose": "购买办公用品", "amount": "50000.00"}
	refused := func(msg string) map[string]any {
		return map[string]any{"error.code": "forbidden", "error.message": msg}
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: shippedActor})
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range []apitest.Scenario{
			{Name: "indicator", Method: "POST", Path: "/api/indicator/indicator", Body: validIndicator(), Headers: clerk, Status: 201},
			{Name: "submit indicator", Method: "POST", Path: ev(ind, "submit"), Headers: clerk, Status: 200},
			{Name: "review indicator", Method: "POST", Path: ev(ind, "review"), Headers: reviewer, Status: 200},
			{Name: "check indicator", Method: "POST", Path: ev(ind, "check"), Headers: office, Status: 200},
			{Name: "release indicator", Method: "POST", Path: ev(ind, "release"), Headers: office, Status: 200},

			// The attack: edit, submit, review, sign by one person.
			{Name: "the clerk enters 50,000.00", Method: "POST", Path: "/api/payment/payment", Body: payment, Headers: agClerk, Status: 201, Want: map[string]any{"created_by": "a1"}},
			{Name: "the insider raises it to 80,000.00", Method: "PATCH", Path: pay1, Body: map[string]any{"version": 1, "amount": "80000.00"}, Headers: insider, Status: 200},
			{Name: "the insider submits", Method: "POST", Path: ev(pay1, "submit"), Headers: insider, Status: 200, Want: map[string]any{"state": "submitted"}},
			{Name: "an editor may not review", Method: "POST", Path: ev(pay1, "agency_review"), Headers: insider, Status: 403, Want: refused("不能审批自己修改过的记录")},
			{Name: "the refused review changed nothing", Method: "GET", Path: pay1, Headers: agRev, Status: 200, Want: map[string]any{"state": "submitted", "amount": "80000.00"}},
			{Name: "the review is not offered to the insider, only sending it back", Method: "GET", Path: pay1 + "/events", Headers: insider, Status: 200,
				Want: map[string]any{"events": []any{map[string]any{"event": "reject", "label": "退回", "to": "rejected", "to_label": "已退回", "comment_required": true, "available": true}}}},
			{Name: "another reviewer reviews", Method: "POST", Path: ev(pay1, "agency_review"), Headers: agRev, Status: 200, Want: map[string]any{"state": "agency_reviewed"}},
			{Name: "an editor may not sign", Method: "POST", Path: ev(pay1, "sign"), Headers: insider, Status: 403, Want: refused("不能审批自己修改过的记录")},
			{Name: "treasury signs", Method: "POST", Path: ev(pay1, "sign"), Headers: treasury, Status: 200, Want: map[string]any{"state": "signed", "amount": "80000.00"}},

			// Submitting without editing is enough to be kept from the review.
			{Name: "payment 2", Method: "POST", Path: "/api/payment/payment", Body: payment, Headers: agClerk, Status: 201},
			{Name: "the insider submits payment 2", Method: "POST", Path: ev(pay2, "submit"), Headers: insider, Status: 200},
			{Name: "the submitter may not review", Method: "POST", Path: ev(pay2, "agency_review"), Headers: insider, Status: 403, Want: refused("不能审批自己提交的记录")},

			// Reviewing is enough to be kept from the signature, even after a
			// round trip through 已退回 (actors, not only the previous approver).
			{Name: "payment 3", Method: "POST", Path: "/api/payment/payment", Body: payment, Headers: agClerk, Status: 201},
			{Name: "submit payment 3", Method: "POST", Path: ev(pay3, "submit"), Headers: agClerk, Status: 200},
			{Name: "x2 reviews", Method: "POST", Path: ev(pay3, "agency_review"), Headers: revTreas, Status: 200},
			{Name: "treasury sends it back", Method: "POST", Path: ev(pay3, "treasury_reject"), Body: map[string]any{"comment": "用途不清"}, Headers: treasury, Status: 200},
			{Name: "resubmit payment 3", Method: "POST", Path: ev(pay3, "submit"), Headers: agClerk, Status: 200},
			{Name: "another review", Method: "POST", Path: ev(pay3, "agency_review"), Headers: agRev, Status: 200},
			{Name: "an earlier reviewer may not sign", Method: "POST", Path: ev(pay3, "sign"), Headers: revTreas, Status: 403, Want: refused("不能审批自己经办过的记录：您执行过“单位审核通过”")},
			{Name: "nor the treasury user who sent it back", Method: "POST", Path: ev(pay3, "sign"), Headers: treasury, Status: 403, Want: refused("不能审批自己经办过的记录：您执行过“退回”")},
			{Name: "a treasury user with no hand in it signs", Method: "POST", Path: ev(pay3, "sign"), Headers: actingAs("t2", "treasury", ""), Status: 200, Want: map[string]any{"state": "signed"}},

			// Above 1,000,000.00 the signature needs two treasury users.
			{Name: "payment 4 of 1,000,000.01", Method: "POST", Path: "/api/payment/payment", Body: with(payment, "amount", "1000000.01"), Headers: agClerk, Status: 201},
			{Name: "submit payment 4", Method: "POST", Path: ev(pay4, "submit"), Headers: agClerk, Status: 200},
			{Name: "review payment 4", Method: "POST", Path: ev(pay4, "agency_review"), Headers: agRev, Status: 200},
			{Name: "one signature is not enough", Method: "POST", Path: ev(pay4, "sign"), Headers: actingAs("t2", "treasury", ""), Status: 200,
				Want: map[string]any{"state": "agency_reviewed", "_approvals.count": 1, "_approvals.quorum": 2}},
			{Name: "nor the same signature twice", Method: "POST", Path: ev(pay4, "sign"), Headers: actingAs("t2", "treasury", ""), Status: 409,
				Want: map[string]any{"error.code": "duplicate_approval", "error.message": "您已就“签章”审批过（1/2），须由其他人审批"}},
			{Name: "a second treasury user signs", Method: "POST", Path: ev(pay4, "sign"), Headers: actingAs("t3", "treasury", ""), Status: 200, Want: map[string]any{"state": "signed"}},
		} {
			apitest.Run(t, app, sc)
		}
	})
}

package apps_test

import (
	"fmt"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// End-to-end scenarios of the project library (definitions/project) and of
// departmental budget preparation (definitions/budget), grown from YAML
// alone: projects declared, reviewed by experts, admitted, ranked and picked
// into a budget year; budgets requested, capped by control figures, compiled
// in detail and approved into indicators that point back at their lines.

var (
	libClerk    = actingAs("jyt-clerk", "project.agency_clerk", "104")
	libExpert1  = actingAs("expert-wang", "project.expert", "")
	libExpert2  = actingAs("expert-li", "project.expert", "")
	libFinance  = actingAs("yss-zhang", "project.finance", "")
	libFinance2 = actingAs("yss-chen", "project.finance", "")
)

// libAdmit has two finance users admit a project (a quorum of two).
func libAdmit(t *testing.T, app *fiber.App, path string) {
	t.Helper()
	grFire(t, app, "admit, first signature "+path, path, "admit", "", libFinance, 200,
		map[string]any{"state": "submitted", "_approvals.count": 1, "_approvals.quorum": 2})
	grFire(t, app, "admit, second signature "+path, path, "admit", "", libFinance2, 200, map[string]any{"state": "admitted"})
}

// libFireWith fires event with the values the step decides.
func libFireWith(t *testing.T, app *fiber.App, name, path, event string, values map[string]any, headers map[string]string, status int, want map[string]any) {
	t.Helper()
	apitest.Run(t, app, apitest.Scenario{Name: name, Method: "POST", Path: path + "/events/" + event,
		Body: map[string]any{"values": values}, Headers: headers, Status: status, Want: want})
}

// libProject declares a project of agency with its yearly amounts (year →
// amount) and submits it for review; it returns the project's path.
func libProject(t *testing.T, app *fiber.App, code, name, agency, total string, years map[int]string) (int64, string) {
	t.Helper()
	start, end := 9999, 0
	for y := range years {
		start, end = min(start, y), max(end, y)
	}
	id := grCreate(t, app, "declare "+name, "/api/project/project", map[string]any{"code": code, "name": name, "agency": agency,
		"category": "specific", "func_class": "2050204", "start_year": start, "end_year": end, "total_amount": total,
		"purpose": "立项依据：" + name}, libClerk)
	for y, amount := range years {
		grCreate(t, app, fmt.Sprintf("%s %d", name, y), "/api/project/yearly",
			map[string]any{"project": id, "agency": agency, "year": y, "amount": amount}, libClerk)
	}
	path := grPath("project", "project", id)
	grFire(t, app, "submit "+name, path, "submit", "", libClerk, 200, map[string]any{"state": "submitted"})
	return id, path
}

// libReview has an expert score a project.
func libReview(t *testing.T, app *fiber.App, path string, expert map[string]string, score int, want map[string]any) {
	t.Helper()
	libFireWith(t, app, fmt.Sprintf("review %s by %s", path, expert["X-User"]), path, "review",
		map[string]any{"last_score": score, "last_opinion": fmt.Sprintf("绩效目标明确，测算依据充分（%d 分）", score)}, expert, 200, want)
}

// libScheduledProject declares, reviews, admits and schedules a project of
// 四川省教育厅（本级） into 2026, and returns its id.
func libScheduledProject(t *testing.T, app *fiber.App) int64 {
	t.Helper()
	id, path := libProject(t, app, "51000026104001001", "全省普通高中教育信息化提升", "104001", "5000000.00",
		map[int]string{2026: "3000000.00", 2027: "2000000.00"})
	libReview(t, app, path, libExpert1, 85, nil)
	libReview(t, app, path, libExpert2, 70, nil)
	libAdmit(t, app, path)
	libFireWith(t, app, "schedule into 2026", path, "schedule", map[string]any{"budget_year": 2026}, libFinance, 200,
		map[string]any{"state": "scheduled", "budget_year": 2026})
	return id
}

// TestShippedProjectLibraryAPI: a two-year project declared with its yearly
// amounts, scored by two experts (each once, never the declarer), admitted
// only above the pass mark, ranked by average score, picked into a budget
// year within its span; indicators take only admitted projects.
func TestShippedProjectLibraryAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	seed := shippedSeed(t, "project/seed/01_projects.csv")
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, _ := grStart(t, d, p)
		for i, row := range seed {
			body := map[string]any{}
			for k, v := range row {
				body[k] = v
			}
			apitest.Run(t, app, apitest.Scenario{Name: fmt.Sprintf("seed project row %d", i+2), Method: "POST", Path: "/api/project/project",
				Body: body, Headers: grLoader, Status: 201})
		}

		body := map[string]any{"code": "51000026104001001", "name": "全省普通高中教育信息化提升", "agency": "104001", "category": "specific",
			"func_class": "2050204", "start_year": 2026, "end_year": 2027, "total_amount": "5000000.00", "purpose": "教育信息化 2.0"}
		for _, sc := range []apitest.Scenario{
			{Name: "end year before start", Method: "POST", Path: "/api/project/project", Body: with(body, "end_year", 2025), Headers: libClerk, Status: 422,
				Want: map[string]any{"error.field_codes.end_year.0": "years_in_order"}},
			{Name: "a project of another department", Method: "POST", Path: "/api/project/project", Body: with(body, "agency", "112001"), Headers: libClerk, Status: 403},
			{Name: "an expert cannot declare", Method: "POST", Path: "/api/project/project", Body: body, Headers: libExpert1, Status: 403},
		} {
			apitest.Run(t, app, sc)
		}
		id := grCreate(t, app, "declare", "/api/project/project", body, libClerk)
		path := grPath("project", "project", id)
		yearly := func(year int, amount string) map[string]any {
			return map[string]any{"project": id, "agency": "104001", "year": year, "amount": amount}
		}
		grCreate(t, app, "2026 amount", "/api/project/yearly", yearly(2026, "3000000.00"), libClerk)
		for _, sc := range []apitest.Scenario{
			{Name: "a year outside the project's span", Method: "POST", Path: "/api/project/yearly", Body: yearly(2028, "2000000.00"), Headers: libClerk, Status: 422,
				Want: map[string]any{"error.field_codes.year.0": "year_in_span"}},
			{Name: "the same year twice", Method: "POST", Path: "/api/project/yearly", Body: yearly(2026, "1.00"), Headers: libClerk, Status: 409,
				Want: map[string]any{"error.code": "duplicate"}},
			{Name: "years above the total", Method: "POST", Path: "/api/project/yearly", Body: yearly(2027, "2000000.01"), Headers: libClerk, Status: 422,
				Want: map[string]any{"error.field_codes._record.0": "yearly_within_total"}},
			{Name: "submitted before the years add up", Method: "POST", Path: path + "/events/submit", Headers: libClerk, Status: 422,
				Want: map[string]any{"error.field_codes._record.0": "guard"}},
		} {
			apitest.Run(t, app, sc)
		}
		grCreate(t, app, "2027 amount", "/api/project/yearly", yearly(2027, "2000000.00"), libClerk)
		apitest.Run(t, app, apitest.Scenario{Name: "the years add up to the total", Method: "GET", Path: path, Headers: libClerk, Status: 200,
			Want: map[string]any{"planned_total": "5000000.00", "year_count": 2, "state": "draft"}})
		grFire(t, app, "submit", path, "submit", "", libClerk, 200, map[string]any{"state": "submitted", "_labels.state": "评审中"})

		for _, sc := range []apitest.Scenario{
			{Name: "no yearly changes once submitted", Method: "POST", Path: "/api/project/yearly", Body: yearly(2027, "1.00"), Headers: libClerk, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "project_editable"}},
			{Name: "admitted before any review", Method: "POST", Path: path + "/events/admit", Headers: libFinance, Status: 422,
				Want: map[string]any{"error.field_codes._record.0": "guard"}},
			{Name: "the declarer cannot review", Method: "POST", Path: path + "/events/review", Body: map[string]any{"values": map[string]any{"last_score": 100, "last_opinion": "好"}},
				Headers: actingAs("jyt-clerk", "project.agency_clerk,project.expert", "104"), Status: 403},
			{Name: "reviews are not typed in", Method: "POST", Path: "/api/project/review", Body: map[string]any{"project": id, "agency": "104001", "reviewer": "expert-wang", "score": 100, "opinion": "好"},
				Headers: libExpert1, Status: 403},
			{Name: "a score above 100", Method: "POST", Path: path + "/events/review", Body: map[string]any{"values": map[string]any{"last_score": 101, "last_opinion": "好"}},
				Headers: libExpert1, Status: 422, Want: map[string]any{"error.field_codes.last_score.0": "max"}},
		} {
			apitest.Run(t, app, sc)
		}
		libReview(t, app, path, libExpert1, 85, map[string]any{"review_count": 1, "score_total": 85, "avg_score": "85.00"})
		apitest.Run(t, app, apitest.Scenario{Name: "a second review by the same expert", Method: "POST", Path: path + "/events/review",
			Body: map[string]any{"values": map[string]any{"last_score": 100, "last_opinion": "再评一次"}}, Headers: libExpert1, Status: 403})
		apitest.Run(t, app, apitest.Scenario{Name: "one review is not enough", Method: "POST", Path: path + "/events/admit", Headers: libFinance, Status: 422,
			Want: map[string]any{"error.field_codes._record.0": "guard"}})
		libReview(t, app, path, libExpert2, 70, map[string]any{"review_count": 2, "score_total": 155, "avg_score": "77.50", "state": "submitted"})
		apitest.Run(t, app, apitest.Scenario{Name: "each expert's review is kept", Method: "GET", Path: "/api/project/review" + grFilter(fmt.Sprintf("project = %d", id)) + "&sort=reviewer&total=true",
			Headers: libClerk, Status: 200, Want: map[string]any{"total": 2, "items.0.reviewer": "expert-li", "items.0.score": 70, "items.1.reviewer": "expert-wang", "items.1.score": 85}})
		grFire(t, app, "admit, first signature", path, "admit", "", libFinance, 200, map[string]any{"state": "submitted", "_approvals.count": 1})
		apitest.Run(t, app, apitest.Scenario{Name: "the same finance user signs twice", Method: "POST", Path: path + "/events/admit", Headers: libFinance, Status: 409,
			Want: map[string]any{"error.code": "duplicate_approval"}})
		apitest.Run(t, app, apitest.Scenario{Name: "an expert who reviewed cannot admit", Method: "POST", Path: path + "/events/admit",
			Headers: actingAs("expert-wang", "project.expert,project.finance", ""), Status: 403})
		grFire(t, app, "admit, second signature", path, "admit", "", libFinance2, 200, map[string]any{"state": "admitted", "_labels.state": "已入库"})

		// A better project ranks first; a weak one is not admitted.
		_, better := libProject(t, app, "51000026104002001", "普通高考考务保障", "104002", "800000.00", map[int]string{2026: "800000.00"})
		libReview(t, app, better, libExpert1, 92, nil)
		libReview(t, app, better, libExpert2, 90, nil)
		libAdmit(t, app, better)
		weakID, weak := libProject(t, app, "51000026104003001", "教育科研成果汇编印刷", "104003", "300000.00", map[int]string{2026: "300000.00"})
		libReview(t, app, weak, libExpert1, 50, nil)
		libReview(t, app, weak, libExpert2, 55, map[string]any{"avg_score": "52.50"})
		apitest.Run(t, app, apitest.Scenario{Name: "below the pass mark", Method: "POST", Path: weak + "/events/admit", Headers: libFinance, Status: 422,
			Want: map[string]any{"error.field_codes._record.0": "guard"}})
		grFire(t, app, "not admitted", weak, "reject", "评审平均分低于 60 分", libFinance, 200, map[string]any{"state": "rejected", "_labels.state": "未入库"})
		apitest.Run(t, app, apitest.Scenario{Name: "the library ranked by score", Method: "GET",
			Path: "/api/project/project" + grFilter("state = 'admitted' and agency like '104%'") + "&sort=-avg_score&total=true", Headers: libFinance, Status: 200,
			Want: map[string]any{"total": 2, "items.0.code": "51000026104002001", "items.0.avg_score": "91.00", "items.1.code": "51000026104001001", "items.1.avg_score": "77.50"}})

		// Picked into a budget year within its span.
		libFireWith(t, app, "a year outside the span", path, "schedule", map[string]any{"budget_year": 2028}, libFinance, 422,
			map[string]any{"error.field_codes._record.0": "guard"})
		libFireWith(t, app, "schedule into 2026", path, "schedule", map[string]any{"budget_year": 2026}, libFinance, 200,
			map[string]any{"state": "scheduled", "budget_year": 2026, "_labels.state": "已纳入预算"})
		libFireWith(t, app, "and into 2027, its second year", path, "schedule", map[string]any{"budget_year": 2027}, libFinance, 200,
			map[string]any{"state": "scheduled", "budget_year": 2027})

		// Indicators take admitted projects only.
		indClerk, _, _ := grIndicatorUsers("104")
		for _, sc := range []apitest.Scenario{
			{Name: "an indicator on a project not admitted", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "project", weakID), Headers: indClerk, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "project_admitted"}},
			{Name: "an indicator of another agency on the project", Method: "POST", Path: "/api/indicator/indicator", Body: with(with(validIndicator(), "project", id), "agency", "104003"), Headers: indClerk, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "project_of_agency"}},
			{Name: "an indicator on an admitted project", Method: "POST", Path: "/api/indicator/indicator", Body: with(validIndicator(), "project", id), Headers: indClerk, Status: 201,
				Want: map[string]any{"project": id}},
		} {
			apitest.Run(t, app, sc)
		}
		row := grReportRow(t, app, "/api/reports/project/library", libFinance, "state", "")
		grWant(t, "library totals", row, map[string]any{"count": 3 + len(seed)})
	})
}

// TestShippedBudgetPreparationAPI walks one agency's budget through "two up,
// two down": the request (一上), the control figure (一下), detail lines that
// may not exceed it (二上), and the approval (二下) that generates one
// indicator per line, each pointing back at its line, and released through
// the indicator workflow.
func TestShippedBudgetPreparationAPI(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	seed := shippedSeed(t, "budget/seed/01_budgets.csv")
	var (
		clerk   = actingAs("jyt-budget", "budget.agency_clerk", "104")
		office  = actingAs("yss-wu", "budget.budget_office", "")
		office2 = actingAs("yss-zhou", "budget.budget_office", "")
		other   = actingAs("mzt-budget", "budget.agency_clerk", "105")
		auditor = actingAs("audit", "budget.auditor", "")
	)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, _ := grStart(t, d, p)
		for i, row := range seed {
			body := map[string]any{}
			for k, v := range row {
				body[k] = v
			}
			apitest.Run(t, app, apitest.Scenario{Name: fmt.Sprintf("seed budget row %d", i+2), Method: "POST", Path: "/api/budget/budget",
				Body: body, Headers: grLoader, Status: 201})
		}
		project := libScheduledProject(t, app)

		// 一上: the agency's request.
		budget := map[string]any{"year": 2026, "agency": "104001", "requested": "12000000.00", "request_note": "含教育信息化项目 300 万元"}
		id := grCreate(t, app, "request", "/api/budget/budget", budget, clerk)
		path := grPath("budget", "budget", id)
		for _, sc := range []apitest.Scenario{
			{Name: "one budget per agency and year", Method: "POST", Path: "/api/budget/budget", Body: budget, Headers: clerk, Status: 409,
				Want: map[string]any{"error.code": "duplicate"}},
			{Name: "another department's budget", Method: "GET", Path: path, Headers: other, Status: 404},
		} {
			apitest.Run(t, app, sc)
		}
		grFire(t, app, "一上", path, "submit", "", clerk, 200, map[string]any{"state": "requested", "_labels.state": "已报建议数（一上）"})

		line := func(kind, funcClass, gov, dept, amount string) map[string]any {
			m := map[string]any{"budget": id, "year": 2026, "agency": "104001", "kind": kind, "func_class": funcClass,
				"gov_econ": gov, "dept_econ": dept, "fund_nature": "11", "amount": amount}
			if kind == "project" {
				m["project"] = project
			}
			return m
		}
		salary := line("basic", "2050101", "50101", "30101", "6000000.00")
		apitest.Run(t, app, apitest.Scenario{Name: "no detail before the control figure", Method: "POST", Path: "/api/budget/line", Body: salary, Headers: clerk, Status: 422,
			Want: map[string]any{"error.field_codes.budget.0": "budget_being_compiled"}})

		// 一下: finance sets the control figure.
		libFireWith(t, app, "control figure without a document", path, "set_control", map[string]any{"control_amount": "10000000.00"}, office, 422,
			map[string]any{"error.field_codes._record.0": "guard"})
		apitest.Run(t, app, apitest.Scenario{Name: "an agency cannot set its own control figure", Method: "POST", Path: path + "/events/set_control",
			Body: map[string]any{"values": map[string]any{"control_amount": "12000000.00", "control_doc_no": "自定"}}, Headers: clerk, Status: 403})
		libFireWith(t, app, "一下", path, "set_control", map[string]any{"control_amount": "10000000.00", "control_doc_no": "川财预〔2025〕90号"}, office, 200,
			map[string]any{"state": "controlled", "control_amount": "10000000.00", "remaining": "10000000.00"})

		// 二上: detail within the control figure.
		salaryID := grCreate(t, app, "salary line", "/api/budget/line", salary, clerk)
		projectID := grCreate(t, app, "project line", "/api/budget/line", line("project", "2050204", "50203", "30216", "3000000.00"), clerk)
		for _, sc := range []apitest.Scenario{
			{Name: "detail above the control figure", Method: "POST", Path: "/api/budget/line", Body: line("basic", "2050101", "50201", "30201", "1000000.01"), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes._record.0": "detail_within_control"}},
			{Name: "raising a line above the control figure", Method: "PATCH", Path: grPath("budget", "line", salaryID), Body: map[string]any{"amount": "7000000.01", "version": 1}, Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes._record.0": "detail_within_control"}},
			{Name: "a project line without a project", Method: "POST", Path: "/api/budget/line", Body: with(line("project", "2050204", "50203", "30216", "1.00"), "project", nil), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "project_for_project_lines"}},
			{Name: "a project not picked into this year", Method: "POST", Path: "/api/budget/line", Body: with(line("project", "2050204", "50203", "30216", "1.00"), "year", 2027), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.project.0": "project_scheduled_for_year"}},
			{Name: "economic classes that do not map", Method: "POST", Path: "/api/budget/line", Body: line("basic", "2050101", "50201", "30101", "1.00"), Headers: clerk, Status: 422,
				Want: map[string]any{"error.field_codes.dept_econ.0": "econ_mapping"}},
			{Name: "the detail so far", Method: "GET", Path: path, Headers: clerk, Status: 200,
				Want: map[string]any{"detail_total": "9000000.00", "line_count": 2, "remaining": "1000000.00"}},
		} {
			apitest.Run(t, app, sc)
		}
		grCreate(t, app, "office line, exactly up to the control figure", "/api/budget/line", line("basic", "2050101", "50201", "30201", "1000000.00"), clerk)
		grFire(t, app, "二上", path, "submit_detail", "", clerk, 200, map[string]any{"state": "compiled", "detail_total": "10000000.00", "remaining": "0.00"})
		apitest.Run(t, app, apitest.Scenario{Name: "no detail changes once sent", Method: "PATCH", Path: grPath("budget", "line", salaryID),
			Body: map[string]any{"amount": "5000000.00", "version": 1}, Headers: clerk, Status: 422,
			Want: map[string]any{"error.field_codes.budget.0": "budget_being_compiled"}})

		// 二下: approved after the people's congress; indicators generated, each pointing at its line.
		libFireWith(t, app, "approval without the document", path, "approve", map[string]any{}, office, 422,
			map[string]any{"error.field_codes._record.0": "guard"})
		apitest.Run(t, app, apitest.Scenario{Name: "the agency cannot approve", Method: "POST", Path: path + "/events/approve",
			Body: map[string]any{"values": map[string]any{"approved_doc_no": "川财预〔2026〕1号"}}, Headers: clerk, Status: 403})
		libFireWith(t, app, "二下, first signature", path, "approve", map[string]any{"approved_doc_no": "川财预〔2026〕1号"}, office, 200,
			map[string]any{"state": "compiled", "_approvals.count": 1, "_approvals.quorum": 2})
		apitest.Run(t, app, apitest.Scenario{Name: "no indicators before the second signature", Method: "GET",
			Path: "/api/indicator/indicator" + grFilter("agency = '104001'") + "&total=true", Headers: auditor, Status: 200, Want: map[string]any{"total": 0}})
		libFireWith(t, app, "二下, second signature", path, "approve", map[string]any{"approved_doc_no": "川财预〔2026〕1号"}, office2, 200,
			map[string]any{"state": "approved", "approved_doc_no": "川财预〔2026〕1号", "_labels.state": "已批复（二下）"})

		indClerk, indReviewer, indOffice := grIndicatorUsers("104")
		apitest.Run(t, app, apitest.Scenario{Name: "one indicator per line", Method: "GET",
			Path: "/api/indicator/indicator" + grFilter("doc_no = '川财预〔2026〕1号' and agency = '104001'") + "&total=true", Headers: indClerk, Status: 200,
			Want: map[string]any{"total": 3}})
		listed := apitest.Run(t, app, apitest.Scenario{Name: "the project line's indicator", Method: "GET",
			Path: "/api/indicator/indicator" + grFilter(fmt.Sprintf("budget_line = %d", projectID)) + "&total=true", Headers: auditor, Status: 200,
			Want: map[string]any{"total": 1, "items.0.amount": "3000000.00", "items.0.project": project, "items.0.state": "draft",
				"items.0.fund_source": "1", "items.0.year": 2026, "items.0.func_class": "2050204", "items.0.dept_econ": "30216",
				"items.0.doc_no": "川财预〔2026〕1号", "items.0.budget_line": projectID}})
		indID, _ := apitest.Get(listed, "items.0.id")
		indPath := fmt.Sprintf("/api/indicator/indicator/%v", indID)
		grFire(t, app, "indicator submit", indPath, "submit", "", indClerk, 200, nil)
		grFire(t, app, "indicator review", indPath, "review", "", indReviewer, 200, nil)
		grFire(t, app, "indicator check", indPath, "check", "", indOffice, 200, nil)
		grFire(t, app, "indicator release", indPath, "release", "", indOffice, 200, map[string]any{"state": "released", "budget_line": projectID})
		apitest.Run(t, app, apitest.Scenario{Name: "the generated indicator cannot be re-pointed", Method: "PATCH", Path: indPath,
			Body: map[string]any{"budget_line": salaryID, "version": 5}, Headers: indClerk, Status: 422,
			Want: map[string]any{"error.field_codes.budget_line.0": "readonly"}})

		row := grReportRow(t, app, "/api/reports/budget/progress"+grFilter("agency = '104001'"), office, "state", "approved")
		grWant(t, "progress of the approved", row, map[string]any{"requested": "12000000.00", "control": "10000000.00", "detail": "10000000.00", "count": 1})
	})
}

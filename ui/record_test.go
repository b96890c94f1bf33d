package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Record pages as a clerk of a provincial finance system expects them
// (issue 16): records titled by their number, a payment filled from its
// indicator with the indicator's available balance beside the picker, a
// batch showing its lines, a voucher to print, people by their names, and a
// password a user changes themselves.

// addPerson adds a user with a display name.
func (s *server) addPerson(t testing.TB, name, display, org string, roles ...string) {
	t.Helper()
	if _, err := s.users.Add(context.Background(), engine.SystemActor, engine.NewUser{Name: name, DisplayName: display, Password: testPassword, Org: org, Roles: roles}); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
}

// releasedIndicator enters an indicator of the education department
// (agency 104001) and takes it through to release, so that its account is
// open with amount; doc is its document number.
func releasedIndicator(t testing.TB, s *server, doc, amount string) int64 {
	t.Helper()
	ctx := context.Background()
	values := map[string]any{}
	for k, v := range indicatorForm(amount) {
		values[k] = v[0]
	}
	values["doc_no"] = doc
	clerk := engine.Actor{User: "ind.clerk", Roles: []string{"indicator.division_clerk"}, Org: "104"}
	reviewer := engine.Actor{User: "ind.reviewer", Roles: []string{"indicator.division_reviewer"}, Org: "104"}
	office := engine.Actor{User: "ind.office", Roles: []string{"indicator.budget_office"}}
	rec := enginetest.Must(s.rt.Create(ctx, clerk, "indicator", "indicator", values))
	for _, step := range []struct {
		who   engine.Actor
		event string
	}{{clerk, "submit"}, {reviewer, "review"}, {office, "check"}, {office, "release"}} {
		if _, err := s.rt.Fire(ctx, engine.FireRequest{Actor: step.who, App: "indicator", Entity: "indicator", ID: rec.ID, Event: step.event}); err != nil {
			t.Fatalf("indicator %s: %v", step.event, err)
		}
	}
	return rec.ID
}

// paymentValues is a payment of the education department drawing on
// indicator, as the form posts it.
func paymentValues(indicator int64, amount string) url.Values {
	return url.Values{"year": {"2026"}, "division": {"510000000"}, "indicator": {strconv.FormatInt(indicator, 10)}, "agency": {"104001"},
		"func_class": {"2050201"}, "gov_econ": {"50201"}, "dept_econ": {"30201"}, "fund_nature": {"11"},
		"payer_name": {"四川省教育厅"}, "payer_account": {"510101000000001"}, "payer_bank": {"102651000011"},
		"payee_name": {"成都某办公用品有限公司"}, "payee_account": {"4402200109100012345"}, "payee_bank": {"102651000029"},
		"settlement_method": {"1"}, "payment_method": {"001002"}, "purpose": {"购买办公用品"}, "amount": {amount}}
}

func TestRecordTitles(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		id := releasedIndicator(t, s, "川财教〔2026〕44号", "1000.00")
		b := s.browser(t)
		b.login("clerk")
		rec := b.get("/ui/indicator/indicator/" + strconv.FormatInt(id, 10))
		rec.want(t, "record page", 200, "<h1>预算指标 川财教〔2026〕44号", `<span>川财教〔2026〕44号</span>`)
		rec.lacks(t, "record page", "<h1>预算指标 #")
		// Without a document number the record keeps its number.
		form := indicatorForm("10.00")
		form.Del("doc_no")
		created := b.post("/ui/indicator/indicator/new", form)
		created.want(t, "created without doc_no", http.StatusSeeOther)
		b.get(created.location).want(t, "untitled record", 200, "<h1>预算指标 #")
		// The picker names indicators by their document number.
		b.htmx("/ui/ref/indicator/indicator?target=f-source_indicator&_q=44").want(t, "picker", 200, "川财教〔2026〕44号")
	})
}

func TestReferenceFillsFields(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		ind := releasedIndicator(t, s, "川财教〔2026〕7号", "1234567.89")
		sid := strconv.FormatInt(ind, 10)
		s.addUser(t, "clerk", "104001", "payment.agency_clerk")
		b := s.browser(t)
		b.login("clerk")

		// The picker offers what is still available, not the original amount.
		b.htmx("/ui/ref/indicator/indicator?target=f-indicator").want(t, "picker", 200, "川财教〔2026〕7号", "可用 1,234,567.89")

		// Where scripts run, choosing the indicator swaps in the eight
		// fields and the balance.
		frag := b.htmx("/ui/fill/payment/payment/indicator?indicator=" + sid)
		frag.want(t, "fill fragment", 200, `hx-swap-oob="true"`, `id="f-indicator-balance"`, "可用余额：1,234,567.89 元",
			`id="field-agency"`, `value="104001"`, `value="2050201"`, `value="50201"`, `value="30201"`, `name="_fill.indicator" value="`+sid+`"`)
		if !strings.Contains(frag.body, `id="field-fund_nature"`) || !strings.Contains(frag.body, `id="field-year"`) {
			t.Errorf("fill fragment lacks fund_nature or year: %s", frag.body)
		}

		// Without scripts: a new form opened for an indicator is filled.
		form := b.get("/ui/payment/payment/new?indicator=" + sid)
		form.want(t, "new form for an indicator", 200, "可用余额：1,234,567.89 元")
		if !strings.Contains(form.section("field-agency"), `value="104001"`) {
			t.Errorf("agency not filled: %s", form.section("field-agency"))
		}

		// The spending plan's form follows the same rule.
		plan := b.get("/ui/payment/plan/new?indicator=" + sid)
		plan.want(t, "plan form for an indicator", 200, "可用余额：1,234,567.89 元")
		if !strings.Contains(plan.section("field-dept_econ"), `value="30201"`) {
			t.Errorf("plan's dept_econ not filled: %s", plan.section("field-dept_econ"))
		}

		// Without scripts: a post whose indicator changed is filled and
		// shown again, nothing saved.
		typed := paymentValues(ind, "100.00")
		typed.Set("_fill.indicator", "")
		typed.Set("agency", "")
		typed.Set("func_class", "")
		filled := b.post("/ui/payment/payment/new", typed)
		filled.want(t, "refilled form", 200, `id="fill-notice"`, "已按所选指标带出", "可用余额：1,234,567.89 元")
		if !strings.Contains(filled.section("field-func_class"), `value="2050201"`) {
			t.Errorf("func_class not filled: %s", filled.section("field-func_class"))
		}
		if n := s.count(t, "payment", "payment"); n != 0 {
			t.Fatalf("a refill saved %d payments", n)
		}
		// Posted again as drawn, it saves.
		typed = paymentValues(ind, "100.00")
		typed.Set("_fill.indicator", sid)
		saved := b.post("/ui/payment/payment/new", typed)
		saved.want(t, "saved", http.StatusSeeOther)
		if n := s.count(t, "payment", "payment"); n != 1 {
			t.Fatalf("%d payments after saving, want 1", n)
		}
		// The pressed *带出* button fills even when the indicator did not change.
		typed.Set("agency", "")
		typed.Set("_refill", "indicator")
		b.post("/ui/payment/payment/new", typed).want(t, "refill button", 200, `id="fill-notice"`)
	})
}

// count is the number of records of app.entity.
func (s *server) count(t testing.TB, app, entity string) int {
	t.Helper()
	res, err := s.rt.List(context.Background(), engine.SystemActor, app, entity, engine.ListQuery{PageSize: engine.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Items)
}

// batchWithLines is a payroll batch with two lines; it returns the batch id.
func batchWithLines(t testing.TB, s *server) int64 {
	t.Helper()
	ctx := context.Background()
	sys := engine.SystemActor
	batch := enginetest.Must(s.rt.Create(ctx, sys, "payroll", "batch", map[string]any{"year": "2026", "month": "3",
		"division": "510000000", "agency": "104001", "bank": "102651000011"}))
	for _, l := range []struct{ id, name, sex, card, post string }{
		{"510104196804124737", "王建国", "male", "6222022496710336650", "4200.10"},
		{"510105197209181420", "李秀英", "female", "6222023839814388987", "3150.25"},
	} {
		person := enginetest.Must(s.rt.Create(ctx, sys, "payroll", "person", map[string]any{"id_no": l.id, "name": l.name, "sex": l.sex,
			"agency": "104001", "staff_type": "civil_servant", "in_establishment": "true", "in_payroll": "true", "start_date": "1990-07-01", "bank": "102651000011", "card_no": l.card}))
		enginetest.Must(s.rt.Create(ctx, sys, "payroll", "line", map[string]any{"batch": batch.ID, "person": person.ID, "year": "2026", "month": "3", "salary_type": "monthly",
			"agency": "104001", "id_no": l.id, "name": l.name, "bank": "102651000011", "card_no": l.card, "post_salary": l.post}))
	}
	return batch.ID
}

func TestBatchShowsItsLines(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		batch := batchWithLines(t, s)
		s.addUser(t, "payclerk", "104001", "payroll.agency_clerk")
		b := s.browser(t)
		b.login("payclerk")
		page := b.get("/ui/payroll/batch/" + strconv.FormatInt(batch, 10))
		page.want(t, "batch page", 200, `id="children-line"`, "工资明细", "共 2 条", "王建国", "李秀英", "4,200.10", "3,150.25", "合计", "7,350.35")
		section := page.body[strings.Index(page.body, `id="children-line"`):]
		if !strings.Contains(section, `<a href="/ui/payroll/line/`) {
			t.Errorf("lines are not linked: %s", section[:min(len(section), 800)])
		}
		// The agency clerk may not create lines (the batch generates them):
		// no add link.
		page.lacks(t, "batch page", `id="children-line-add"`)
	})
}

func TestPrintVoucher(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		ind := releasedIndicator(t, s, "川财教〔2026〕9号", "2000000.00")
		s.addUser(t, "clerk", "104001", "payment.agency_clerk")
		b := s.browser(t)
		b.login("clerk")
		form := paymentValues(ind, "1234567.89")
		form.Set("_fill.indicator", strconv.FormatInt(ind, 10))
		saved := b.post("/ui/payment/payment/new", form)
		saved.want(t, "payment", http.StatusSeeOther)
		b.get(saved.location).want(t, "record page", 200, `href="`+saved.location+`/print"`)
		pr := b.get(saved.location + "/print")
		pr.want(t, "print view", 200, "财政支付凭证", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分", "¥1,234,567.89",
			"经办人", "复核人", "审批人", "银行经办", "成都某办公用品有限公司", "川财教〔2026〕9号", "104001 四川省教育厅（本级）", "data-print")
		// A record without a print layout has none.
		b.get("/ui/payment/plan/1/print").want(t, "no print layout", http.StatusNotFound)
	})
}

func TestPeopleByName(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addPerson(t, "zhang.san", "张三", "104", "indicator.division_clerk")
		b := s.browser(t)
		b.login("zhang.san")
		b.get("/").want(t, "greeting", 200, `title="zhang.san · `, `>张三</a>`)
		created := b.post("/ui/indicator/indicator/new", indicatorForm("10.00"))
		created.want(t, "create", http.StatusSeeOther)
		b.post(created.location+"/events/submit", nil).want(t, "submit", http.StatusSeeOther)
		rec := b.get(created.location)
		// History, field history and the creator show the name, the login on hover.
		rec.want(t, "record", 200, `<span class="person" title="zhang.san">张三</span>`, `<dd title="zhang.san">张三</dd>`)
		if n := strings.Count(rec.body, `<span class="person" title="zhang.san">张三</span>`); n < 3 {
			t.Errorf("the name appears %d times, want it in history and field history (at least 3)", n)
		}
		if strings.Contains(rec.body, ">zhang.san<") {
			t.Errorf("a login name is shown as text on the record page")
		}
	})
}

func TestChangeOwnPassword(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addPerson(t, "li.si", "李四", "104", "indicator.division_clerk")
		b := s.browser(t)
		b.login("li.si")
		b.get("/ui/account/password").want(t, "page", 200, "修改密码", "当前密码", "李四")
		const next = "new-Secret-2026"
		b.post("/ui/account/password", url.Values{"current": {"wrong-one-1"}, "password": {next}, "password2": {next}}).
			want(t, "wrong current", http.StatusUnprocessableEntity, "当前密码不正确")
		b.post("/ui/account/password", url.Values{"current": {testPassword}, "password": {next}, "password2": {next + "x"}}).
			want(t, "mismatch", http.StatusUnprocessableEntity, "两次输入的密码不一致")
		short := b.post("/ui/account/password", url.Values{"current": {testPassword}, "password": {"short"}, "password2": {"short"}})
		short.want(t, "policy", http.StatusUnprocessableEntity, "密码至少 8 个字符")
		if !strings.Contains(short.section("field-password"), "密码至少 8 个字符") {
			t.Errorf("the policy's message is not next to the new password")
		}
		// The refused attempts changed nothing: the old password still works.
		b.get("/").want(t, "still logged in", 200)
		b.post("/ui/account/password", url.Values{"current": {testPassword}, "password": {next}, "password2": {next}}).
			want(t, "changed", 200, `id="password-changed"`)
		b.get("/").want(t, "session ended", http.StatusSeeOther)
		again := s.browser(t)
		again.get("/login")
		again.post("/login", url.Values{"username": {"li.si"}, "password": {testPassword}}).want(t, "old password", http.StatusUnauthorized)
		again.post("/login", url.Values{"username": {"li.si"}, "password": {next}}).want(t, "new password", http.StatusSeeOther)
	})
}

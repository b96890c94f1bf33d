package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// The indicator scenario through the web pages, without a browser: a clerk
// of the education department's division enters an indicator through the
// form, gets a validation error next to the amount, fixes it, submits it; a
// reviewer of the same department finds it waiting and reviews it; the
// history shows both; a clerk of another department cannot see it. The
// browser test (browser_test.go) walks the same path in Chromium.

var recordPath = regexp.MustCompile(`^/ui/indicator/indicator/(\d+)$`)

func TestIndicatorScenario(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		s.addUser(t, "reviewer", "104", "indicator.division_reviewer")
		s.addUser(t, "other", "101", "indicator.division_clerk")

		clerk := s.browser(t)
		clerk.get("/").want(t, "portal before login", http.StatusSeeOther)
		clerk.login("clerk")
		clerk.get("/").want(t, "portal", 200, "预算指标管理", "预算指标", `href="/ui/indicator/indicator/new"`)

		form := clerk.get("/ui/indicator/indicator/new")
		form.want(t, "new form", 200, "基本信息", "支出要素", "金额与控制", `name="amount"`, `class="req"`, "单位：元，两位小数")
		// Sections come in the order of forms.yaml.
		if a, b := strings.Index(form.body, "基本信息"), strings.Index(form.body, "支出要素"); a > b {
			t.Errorf("sections out of order")
		}

		bad := clerk.post("/ui/indicator/indicator/new", indicatorForm("0"))
		bad.want(t, "zero amount", http.StatusUnprocessableEntity, "指标金额应大于零", `value="川财教〔2026〕20号"`)
		if !strings.Contains(bad.section("field-amount"), "指标金额应大于零") {
			t.Errorf("the amount's error is not next to the amount: %s", bad.section("field-amount"))
		}
		if !strings.Contains(bad.section("field-amount"), `value="0"`) {
			t.Errorf("the amount typed is not kept: %s", bad.section("field-amount"))
		}

		ok := clerk.post("/ui/indicator/indicator/new", indicatorForm("1,234,567.89"))
		m := recordPath.FindStringSubmatch(ok.location)
		if ok.status != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %q %s", ok.status, ok.location, excerpt(ok.body))
		}
		rec := ok.location
		clerk.get(rec).want(t, "record page", 200, "已保存", "1,234,567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分", "学前教育", "草稿", `id="event-submit"`)

		clerk.post(rec+"/events/submit", nil).want(t, "submit", http.StatusSeeOther)
		clerk.get(rec).want(t, "after submit", 200, "待处室审核", "已执行“提交”")

		reviewer := s.browser(t)
		reviewer.login("reviewer")
		reviewer.get("/").want(t, "reviewer portal", 200, `<span class="count">1</span>`)
		reviewer.get("/ui/indicator/indicator?inbox=1").want(t, "reviewer inbox", 200, `data-id="`+m[1]+`"`)
		reviewer.get(rec).want(t, "reviewer sees the record", 200, `id="event-review"`, `id="event-reject"`)
		// reject needs a comment: without one it is refused next to its button.
		reviewer.post(rec+"/events/reject", url.Values{"comment": {""}}).want(t, "reject without comment", http.StatusUnprocessableEntity, "须填写意见")
		reviewer.post(rec+"/events/review", url.Values{}).want(t, "review", http.StatusSeeOther)

		history := reviewer.get(rec)
		history.want(t, "history", 200, "待预算处复核", "创建", "提交", "审核通过", "clerk", "reviewer")

		// The budget office checks and releases it: the account opens with
		// the amount, and the record page shows the balance and its ledger.
		s.addUser(t, "budget", "", "indicator.budget_office")
		budget := s.browser(t)
		budget.login("budget")
		budget.get(rec).want(t, "budget office", 200, `id="event-check"`)
		budget.post(rec+"/events/check", nil).want(t, "check", http.StatusSeeOther)
		budget.get(rec).want(t, "checked", 200, `id="event-release"`)
		budget.post(rec+"/events/release", nil).want(t, "release", http.StatusSeeOther)
		released := budget.get(rec)
		released.want(t, "released", 200, "已下达", `id="balance"`, `<dd class="num" id="available">1,234,567.89</dd>`, "开立")

		other := s.browser(t)
		other.login("other")
		other.get("/ui/indicator/indicator").lacks(t, "other department's list", `data-id="`+m[1]+`"`)
		other.get(rec).want(t, "other department's record", http.StatusNotFound)
	})
}

// Form posts go through the same runtime as the API: a post without the
// session's CSRF token changes nothing, and a stale form does not overwrite.
func TestFormSafety(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		b := s.browser(t)
		b.login("clerk")
		b.get("/ui/indicator/indicator/new")

		scenarios := []struct {
			name  string
			token []string
		}{{"no token", nil}, {"empty token", []string{""}}, {"forged token", []string{"forged-token-of-another-site"}}}
		for _, sc := range scenarios {
			form := indicatorForm("100.00")
			if sc.token != nil {
				form["_csrf"] = sc.token
			}
			b.do("POST", "/ui/indicator/indicator/new", form).want(t, sc.name, http.StatusForbidden, "CSRF")
		}
		res, err := s.rt.List(t.Context(), engine.SystemActor, "indicator", "indicator", engine.ListQuery{Total: true})
		if err != nil {
			t.Fatal(err)
		}
		if *res.Total != 0 {
			t.Fatalf("a post without a valid CSRF token created %d records", *res.Total)
		}

		// A form posted twice (a double click) creates one record.
		b.get("/ui/indicator/indicator/new")
		key := regexp.MustCompile(`name="_idempotency" value="([^"]+)"`).FindStringSubmatch(b.get("/ui/indicator/indicator/new").body)
		if key == nil {
			t.Fatal("the new form carries no idempotency key")
		}
		form := indicatorForm("100.00")
		form.Set("_idempotency", key[1])
		created := b.post("/ui/indicator/indicator/new", form)
		again := b.post("/ui/indicator/indicator/new", form)
		if created.status != http.StatusSeeOther || again.location != created.location {
			t.Fatalf("double submit: %d %q, then %d %q", created.status, created.location, again.status, again.location)
		}
		rec := created.location
		edit := b.get(rec + "/edit")
		edit.want(t, "edit form", 200, `name="_version" value="1"`, `value="100.00"`)
		staleToken := b.csrf

		// Someone else changes the record meanwhile.
		id, _ := strconv.ParseInt(recordPath.FindStringSubmatch(rec)[1], 10, 64)
		if _, err := s.rt.Update(t.Context(), engine.SystemActor, "indicator", "indicator", id, 1, map[string]any{"remark": "预算处修改"}); err != nil {
			t.Fatal(err)
		}
		form = indicatorForm("200.00")
		form.Set("_version", "1")
		form.Set("_csrf", staleToken)
		stale := b.post(rec+"/edit", form)
		stale.want(t, "stale form", http.StatusConflict, `id="conflict"`, "已被他人修改", `value="200.00"`)
		now := b.get(rec)
		now.want(t, "record after the stale save", 200, "100.00", "预算处修改")
		now.lacks(t, "record after the stale save", "200.00")

		// Deleting works the same way: a stale version is refused, the current one deletes.
		b.post(rec+"/delete", url.Values{"_version": {"1"}}).want(t, "stale delete", http.StatusConflict, "已被他人修改")
		b.get(rec).want(t, "record page before delete", 200, `id="delete-record"`)
		b.post(rec+"/delete", url.Values{"_version": {"2"}}).want(t, "delete", http.StatusSeeOther)
		b.get(rec).want(t, "deleted record", http.StatusNotFound)
	})
}

package ui_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// createIndicators creates one draft indicator per document number as user
// (of org 104), with the given amounts, submitted when submit is set.
func createIndicators(t *testing.T, s *server, user string, submit bool, docs map[string]string) []int64 {
	t.Helper()
	ctx := context.Background()
	actor := engine.Actor{User: user, Org: "104", Roles: []string{"indicator.division_clerk"}}
	var ids []int64
	for doc, amount := range docs {
		in := map[string]any{"year": "2026", "division": "510000000", "budget_level": "2", "agency": "104001", "func_class": "2050201",
			"gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11", "fund_source": "1", "amount": amount, "doc_no": doc}
		rec, err := s.rt.Create(ctx, actor, "indicator", "indicator", in)
		if err != nil {
			t.Fatal(err)
		}
		if submit {
			if _, err := s.rt.Fire(ctx, engine.FireRequest{Actor: actor, App: "indicator", Entity: "indicator", ID: rec.ID, Event: "submit"}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, rec.ID)
	}
	return ids
}

// A list's search box, its page count and total row, its columns, and the
// reference filter's picker, as a user reads them.
func TestListSearchTotalsAndColumns(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		createIndicators(t, s, "clerk", false, map[string]string{
			"川财教〔2026〕1号": "0.10", "川财教〔2026〕2号": "0.20", "川财教〔2026〕3号": "1000000.01",
			"川财教_100%": "5.00", "川财教X100Y": "7.00",
		})
		b := s.browser(t)
		b.login("clerk")
		list := "/ui/indicator/indicator"

		page := b.get(list)
		page.want(t, "list", 200, `id="search"`, "搜索：本级指标文号、上级指标文号", `id="inbox"`, "只看待我处理", `id="jump"`)

		// The search finds a substring of the document number.
		found := b.get(list + "?q=" + url.QueryEscape("〔2026〕2号"))
		found.want(t, "search", 200, "川财教〔2026〕2号", `value="〔2026〕2号"`)
		found.lacks(t, "search", "川财教〔2026〕1号", "川财教〔2026〕3号")
		// % and _ typed by the user match themselves, not any text.
		literal := b.get(list + "?q=" + url.QueryEscape("_100%"))
		literal.want(t, "search with wildcards", 200, "川财教_100%")
		literal.lacks(t, "search with wildcards", "川财教X100Y")

		// Counted: the page count and the exact total of the amounts of
		// every matching record (0.10 + 0.20 + 1000000.01 + 5 + 7).
		counted := b.get(list + "?total=1&size=20")
		counted.want(t, "counted", 200, "第 1 / 1 页", `id="total">共 5 条<`)
		if got := counted.section("sums"); !strings.Contains(got, "合计") || !strings.Contains(got, "1,000,012.31") {
			t.Errorf("the total row reads %q, want 合计 and 1,000,012.31", got)
		}
		// The total is of the filter, not of the page.
		searched := b.get(list + "?total=1&q=" + url.QueryEscape("〔2026〕"))
		if got := searched.section("sums"); !strings.Contains(got, "1,000,000.31") {
			t.Errorf("the total row of a search reads %q, want 1,000,000.31", got)
		}

		// A hidden column is gone, and the link keeps the choice.
		hidden := b.get(list + "?hide=amount")
		hidden.want(t, "hidden column", 200, `name="hide" value="amount" checked`)
		hidden.lacks(t, "hidden column", ">0.10<", "1,000,000.01")

		// A reference filter offers the record picker, not a bare number.
		b.get("/ui/indicator/adjustment").want(t, "ref filter", 200,
			`id="f.indicator" name="f.indicator" value="" class="ref-input"`, `hx-get="/ui/ref/indicator/indicator?target=f.indicator"`)

		// The export follows the list's sort and search.
		csvText := b.get(list + "/export.csv?sort=-amount&q=" + url.QueryEscape("川财教")).body
		i1, i2, i3 := strings.Index(csvText, "1000000.01"), strings.Index(csvText, "7.00"), strings.Index(csvText, "0.10")
		if i1 < 0 || i2 < 0 || i3 < 0 || !(i1 < i2 && i2 < i3) {
			t.Errorf("CSV sorted by -amount: 1000000.01 at %d, 7.00 at %d, 0.10 at %d", i1, i2, i3)
		}
		if got := b.get(list + "/export.csv?q=" + url.QueryEscape("_100%")).body; !strings.Contains(got, "5.00") || strings.Contains(got, "7.00") {
			t.Errorf("CSV of a search: %s", got)
		}

		// The API searches the same way.
		api := b.get("/api/indicator/indicator?q=" + url.QueryEscape("〔2026〕3号"))
		api.want(t, "api search", 200, `"1000000.01"`)
		api.lacks(t, "api search", `"0.10"`)
		b.get("/api/indicator/adjustment?q=x").want(t, "api search without search fields", 400, "declares no search fields")
	})
}

// Batch events: a user who both enters and reviews selects five submitted
// indicators, one of them their own; the review of their own is refused
// (not_by: creator), the other four pass, and the page says so per record.
func TestBatchEvents(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		s.addUser(t, "both", "104", "indicator.division_clerk", "indicator.division_reviewer")
		others := createIndicators(t, s, "clerk", true, map[string]string{"甲1": "1.00", "甲2": "2.00", "甲3": "3.00", "甲4": "4.00"})
		own := createIndicators(t, s, "both", true, map[string]string{"乙1": "5.00"})
		b := s.browser(t)
		b.login("both")
		list := b.get("/ui/indicator/indicator?f.state=submitted")
		list.want(t, "list", 200, `id="batch-review"`, `class="row-select"`, `id="select-all"`)

		form := url.Values{"event": {"review"}}
		for _, id := range append(others, own...) {
			form.Add("id", strconv.FormatInt(id, 10))
		}
		res := b.post("/ui/indicator/indicator/batch", form)
		res.want(t, "batch", 200, "“审核通过”：4 条成功，1 条未通过。")
		for _, id := range others {
			if row := rowOf(res.body, id); !strings.Contains(row, "✓ 成功") {
				t.Errorf("record %d: %q, want 成功", id, row)
			}
		}
		if row := rowOf(res.body, own[0]); !strings.Contains(row, "✗ 未通过") || !strings.Contains(row, "创建") {
			t.Errorf("own record %d: %q, want refused because they created it", own[0], row)
		}
		for _, id := range others {
			rec, err := s.rt.Get(context.Background(), engine.SystemActor, "indicator", "indicator", id)
			if err != nil || rec.State != "reviewed" {
				t.Errorf("record %d after the batch: %v %v", id, rec, err)
			}
		}
		rec, _ := s.rt.Get(context.Background(), engine.SystemActor, "indicator", "indicator", own[0])
		if rec.State != "submitted" {
			t.Errorf("own record moved to %s", rec.State)
		}
		// "Approve and open the next": the reviewer lands on the next record
		// waiting for them, and on the waiting list when none is left.
		rv := s.browser(t)
		s.addUser(t, "reviewer", "104", "indicator.division_reviewer")
		rv.login("reviewer")
		more := createIndicators(t, s, "clerk", true, map[string]string{"丙1": "1.00"})
		more = append(more, createIndicators(t, s, "clerk", true, map[string]string{"丙2": "2.00"})...)
		page := rv.get("/ui/indicator/indicator/" + strconv.FormatInt(more[0], 10))
		page.want(t, "record", 200, `id="event-review-next"`, "处理并打开下一条")
		next := rv.post("/ui/indicator/indicator/"+strconv.FormatInt(more[0], 10)+"/events/review", url.Values{"_next": {"1"}})
		if want := "/ui/indicator/indicator/" + strconv.FormatInt(own[0], 10); next.location != want {
			t.Errorf("after review and next: %q, want the oldest waiting %q", next.location, want)
		}
		rv.post("/ui/indicator/indicator/"+strconv.FormatInt(own[0], 10)+"/events/review", nil).want(t, "review", 303)
		last := rv.post("/ui/indicator/indicator/"+strconv.FormatInt(more[1], 10)+"/events/review", url.Values{"_next": {"1"}})
		if last.location != "/ui/indicator/indicator?inbox=1" {
			t.Errorf("after the last: %q, want the waiting list", last.location)
		}

		// Nothing ticked: back to the list, saying so.
		b.post("/ui/indicator/indicator/batch", url.Values{"event": {"review"}}).want(t, "empty batch", 303)
	})
}

// The to-do list gathers what waits for the user across apps, oldest first.
func TestTodoList(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		s.addUser(t, "reviewer", "104", "indicator.division_reviewer")
		first := createIndicators(t, s, "clerk", true, map[string]string{"先": "1,234.50"})
		second := createIndicators(t, s, "clerk", true, map[string]string{"后": "99.00"})
		createIndicators(t, s, "clerk", false, map[string]string{"草稿": "3.00"})
		b := s.browser(t)
		b.login("reviewer")
		b.get("/").want(t, "portal", 200, `href="/ui/todo"`, "待办事项")
		todo := b.get("/ui/todo")
		todo.want(t, "todo", 200, "待办事项", "预算指标", "待处室审核", "1,234.50", "99.00")
		todo.lacks(t, "todo", "草稿</a>")
		a, z := strings.Index(todo.body, rowID(first[0])), strings.Index(todo.body, rowID(second[0]))
		if a < 0 || z < 0 || a > z {
			t.Errorf("to-do list not oldest first: %d at %d, %d at %d", first[0], a, second[0], z)
		}
		b.login("clerk")
		b.get("/ui/todo").want(t, "clerk's todo", 200, "草稿", "3.00")
	})
}

func rowID(id int64) string { return `data-id="` + strconv.FormatInt(id, 10) + `"` }

// rowOf is the table row of record id in body.
func rowOf(body string, id int64) string {
	i := strings.Index(body, rowID(id))
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</tr>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// A saved filter belongs to its user, opens the list as it was saved, and
// its link is the same for anyone it is shared with.
func TestSavedFilters(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		s.addUser(t, "mate", "104", "indicator.division_clerk")
		createIndicators(t, s, "clerk", false, map[string]string{"教〔2026〕7号": "7.00", "教〔2026〕8号": "8.00"})
		b := s.browser(t)
		b.login("clerk")
		list := "/ui/indicator/indicator"
		query := url.Values{"q": {"7号"}, "sort": {"-amount"}}.Encode()
		saved := b.post(list+"/filters", url.Values{"name": {"七号文"}, "query": {query}})
		saved.want(t, "save", 303)
		if saved.location != list+"?"+query {
			t.Errorf("after saving: %q, want the list with the filter", saved.location)
		}
		page := b.get(list)
		page.want(t, "list with a saved filter", 200, "我的筛选", ">七号文</a>", `href="`+list+"?"+strings.ReplaceAll(query, "&", "&amp;")+`"`)
		opened := b.get(list + "?" + query)
		opened.want(t, "saved filter opened", 200, "教〔2026〕7号", `value="7号"`)
		opened.lacks(t, "saved filter opened", "教〔2026〕8号")

		mate := s.browser(t)
		mate.login("mate")
		mate.get(list).lacks(t, "another user's list", "七号文")
		mate.get(list+"?"+query).want(t, "shared link", 200, "教〔2026〕7号")

		b.post(list+"/filters", url.Values{"name": {""}, "query": {query}}).want(t, "no name", 303)
		b.get(list+"?"+query).want(t, "no name, said", 200, `id="flash">请为筛选起一个名称<`)
		b.post(list+"/filters/delete", url.Values{"name": {"七号文"}}).want(t, "delete", 303)
		b.get(list).lacks(t, "after delete", ">七号文</a>")
	})
}

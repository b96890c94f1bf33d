package ui

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// listView is a list page.
type listView struct {
	Title      string
	NewURL     string
	ImportURL  string
	ExportXLSX string
	ExportCSV  string
	ResetURL   string
	Filters    []filterInput
	Hidden     []option // query parameters the filter form carries along
	Columns    []listColumn
	Rows       []listRow
	HasState   bool
	Page       int
	PrevURL    string
	NextURL    string
	CountURL   string
	// Total is the count of matching records, when asked for (Counted).
	Total      int64
	Counted    bool
	Inbox      bool
	CanInbox   bool
	PageSizes  []option
	Error      string
	FilterOpen bool
	// Search is the search box's text; CanSearch shows the box (the
	// entity declares search fields), SearchHint names them.
	Search     string
	CanSearch  bool
	SearchHint string
	// Pages is the number of pages, once counted; JumpHidden carries the
	// query to the page-jump form.
	Pages      int
	JumpHidden []option
	// Sums is the total row (one cell per column), once counted.
	Sums []listCell
	// Batch are the events the user may fire on selected rows.
	Batch    []option
	BatchURL string
	// Choosable are the columns the user may hide or show again.
	Choosable []option
	// Saved are the user's saved filters (Label: name, Value: link);
	// SaveURL saves the current query (SaveQuery) under a name.
	Saved     []option
	SaveURL   string
	SaveQuery string
}

type listColumn struct {
	Name    string
	Label   string
	SortURL string
	Sorted  string // "asc", "desc" or ""
	Numeric bool
}

type listRow struct {
	URL   string
	ID    int64
	State string
	Cells []listCell
}

type listCell struct {
	Text    string
	Title   string
	Numeric bool
}

var pageSizes = []int{20, 50, 100}

// listFields are the columns of e's list for actor: the declared columns
// (list: columns:) in their order, or every field it may see in definition
// order except long texts; never a field hidden from actor.
func (u *UI) listFields(actor engine.Actor, e *metamodel.Entity) []*metamodel.Field {
	var out []*metamodel.Field
	if e.Lists != nil && len(e.Lists.Columns) > 0 {
		for _, name := range e.Lists.Columns {
			if f := e.Field(name); f != nil && !u.rt.Access.Hidden(actor, e, name) {
				out = append(out, f)
			}
		}
		return out
	}
	for _, f := range e.Fields {
		if f.Is(metamodel.LongText) || u.rt.Access.Hidden(actor, e, f.Name) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// hiddenColumns are the columns the user chose to hide (hide=FIELD in the
// query, so that a link keeps the choice).
func hiddenColumns(r *request) map[string]bool {
	out := map[string]bool{}
	for _, v := range r.c.Context().QueryArgs().PeekMulti("hide") {
		for _, name := range strings.Split(string(v), ",") {
			out[strings.TrimSpace(name)] = true
		}
	}
	return out
}

// listCondition is the condition of a list or export request: the filter
// inputs, and "waiting for me" when asked.
func (u *UI) listCondition(r *request, e *metamodel.Entity) ([]filterInput, filter.Node, bool) {
	inputs, cond, ok := u.listFilters(r.lang, r.actor, e, func(key string) string { return r.c.Query(key) })
	if tags := u.rt.Tags(e); len(tags) > 0 {
		in, node := tagFilter(r.lang, tags, r.c.Query("tag"))
		inputs = append(inputs, in)
		if node != nil && cond == nil {
			cond = node
		} else if node != nil {
			cond = &filter.And{Terms: []filter.Node{cond, node}}
		}
	}
	// filter=: a condition in the filter language, as a report's figure links
	// to the records behind it; shown (and editable) with the other filters.
	if src := strings.TrimSpace(r.c.Query("filter")); src != "" {
		in := filterInput{Name: "filter", Label: r.lang.T("list.condition"), Kind: "condition", Value: src, Lang: r.lang}
		if node, err := filter.Parse(src); err != nil {
			in.Error, ok = err.Error(), false
		} else if cond == nil {
			cond = node
		} else {
			cond = &filter.And{Terms: []filter.Node{cond, node}}
		}
		inputs = append(inputs, in)
	}
	if r.c.Query("inbox") == "1" {
		inbox := inboxFilter(u.rt, r.actor, e)
		if inbox == nil {
			inbox = &filter.IsNull{Field: "id"} // nothing waits for this user
		}
		if cond == nil {
			cond = inbox
		} else {
			cond = &filter.And{Terms: []filter.Node{cond, inbox}}
		}
	}
	return inputs, cond, ok
}

func (u *UI) list(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	inputs, cond, ok := u.listCondition(r, e)
	query := currentQuery(r)
	page, _ := strconv.Atoi(r.c.Query("page"))
	page = max(page, 1)
	size, _ := strconv.Atoi(r.c.Query("size"))
	if !slices.Contains(pageSizes, size) {
		size = pageSizes[0]
	}
	sortKey := r.c.Query("sort")
	all := u.listFields(r.actor, e)
	if !validSort(sortKey, e, all) {
		sortKey = ""
	}
	hide := hiddenColumns(r)
	var fields []*metamodel.Field
	for _, f := range all {
		if !hide[f.Name] {
			fields = append(fields, f)
		}
	}
	view := &listView{Title: r.lang.EntityTitle(e), Filters: inputs, HasState: e.Workflow != nil, Page: page,
		Inbox: r.c.Query("inbox") == "1", CanInbox: inboxFilter(u.rt, r.actor, e) != nil, ResetURL: listURL(e)}
	for _, in := range inputs {
		if in.Value != "" || in.From != "" || in.To != "" {
			view.FilterOpen = true
		}
	}
	if u.rt.Access.Can(r.actor, e, "create") {
		view.NewURL = listURL(e) + "/new"
		view.ImportURL = listURL(e) + "/import"
	}
	if u.rt.Access.Can(r.actor, e, "export") {
		view.ExportXLSX = listURL(e) + "/export.xlsx?" + withoutKeys(query, "page", "size", "total").Encode()
		view.ExportCSV = listURL(e) + "/export.csv?" + withoutKeys(query, "page", "size", "total").Encode()
	}
	for _, n := range pageSizes {
		view.PageSizes = append(view.PageSizes, option{Value: strconv.Itoa(n), Label: strconv.Itoa(n), Selected: n == size})
	}
	for _, key := range []string{"sort"} {
		if v := query.Get(key); v != "" {
			view.Hidden = append(view.Hidden, option{Value: v, Label: key})
		}
	}
	view.Search = strings.TrimSpace(r.c.Query("q"))
	if len(e.Search) > 0 {
		view.CanSearch = true
		var names []string
		for _, name := range e.Search {
			if f := e.Field(name); f != nil && !u.rt.Access.Hidden(r.actor, e, name) {
				names = append(names, r.lang.FieldLabel(f))
			}
		}
		view.SearchHint = strings.Join(names, "、")
	}
	saved, err := u.rt.SavedFilters(r.c.UserContext(), r.actor, e.App.Name, e.Name)
	if err != nil {
		return err
	}
	for _, sf := range saved {
		view.Saved = append(view.Saved, option{Label: sf.Name, Value: listURL(e) + "?" + sf.Query})
	}
	view.SaveURL = listURL(e) + "/filters"
	view.SaveQuery = withoutKeys(query, "page").Encode()
	for _, f := range all {
		view.Choosable = append(view.Choosable, option{Value: f.Name, Label: r.lang.FieldLabel(f), Selected: hide[f.Name]})
	}
	for k, vs := range query {
		if k == "page" {
			continue
		}
		for _, v := range vs {
			view.JumpHidden = append(view.JumpHidden, option{Label: k, Value: v})
		}
	}
	slices.SortFunc(view.JumpHidden, func(a, b option) int { return strings.Compare(a.Label+"="+a.Value, b.Label+"="+b.Value) })
	if w := e.Workflow; w != nil {
		seen := map[string]bool{}
		for _, t := range w.Transitions {
			if !seen[t.Event] && len(t.Input) == 0 && mayFire(u.rt, r.actor, e, t) {
				seen[t.Event] = true
				view.Batch = append(view.Batch, option{Value: t.Event, Label: eventLabel(w, t.Event)})
			}
		}
		view.BatchURL = listURL(e) + "/batch"
	}
	for _, f := range fields {
		col := listColumn{Name: f.Name, Label: r.lang.FieldLabel(f), Numeric: isNumeric(f)}
		next := f.Name
		switch sortKey {
		case f.Name:
			col.Sorted, next = "asc", "-"+f.Name
		case "-" + f.Name:
			col.Sorted = "desc"
		}
		col.SortURL = listURL(e) + "?" + withKey(withoutKeys(query, "page"), "sort", next).Encode()
		view.Columns = append(view.Columns, col)
	}
	if !ok {
		view.Error = r.lang.T("error.filter", firstFilterError(inputs))
		return u.render(r, 400, "list", u.listPage(r, e, view))
	}
	q := engine.ListQuery{Sort: sortKey, Page: page, PageSize: size, Total: r.c.Query("total") == "1", Search: view.Search}
	if cond != nil {
		q.Filter = cond.String()
	}
	if q.Total {
		for _, f := range fields {
			if f.Is(metamodel.Money) {
				q.Sums = append(q.Sums, f.Name)
			}
		}
	}
	res, err := u.rt.List(r.c.UserContext(), r.actor, e.App.Name, e.Name, q)
	if err != nil {
		return err
	}
	files := u.fileNames(r.c.UserContext(), fields, res.Items...)
	for _, rec := range res.Items {
		row := listRow{URL: recordURL(e, rec.ID), ID: rec.ID}
		if e.Workflow != nil {
			row.State = StateLabel(e.Workflow, rec.State)
		}
		for _, f := range fields {
			v := rec.Values[f.Name]
			cell := listCell{Text: display(r.lang, f, v, u.opts.Location), Numeric: isNumeric(f)}
			if f.Is(metamodel.CodeRef) && v != nil {
				cell.Title = v.(string)
			}
			if id, ok := v.(int64); ok && f.Is(metamodel.Attachment) && files[id] != nil {
				cell.Text, cell.Numeric = files[id].Name, false
			}
			row.Cells = append(row.Cells, cell)
		}
		view.Rows = append(view.Rows, row)
	}
	if res.Total != nil {
		view.Total, view.Counted = *res.Total, true
		view.Pages = int((*res.Total + int64(size) - 1) / int64(size))
		for _, f := range fields {
			cell := listCell{Numeric: isNumeric(f)}
			if sum, ok := res.Sums[f.Name]; ok {
				cell.Text = display(r.lang, f, sum, u.opts.Location)
			}
			view.Sums = append(view.Sums, cell)
		}
	}
	if page > 1 {
		view.PrevURL = listURL(e) + "?" + withKey(query, "page", strconv.Itoa(page-1)).Encode()
	}
	if res.HasMore {
		view.NextURL = listURL(e) + "?" + withKey(query, "page", strconv.Itoa(page+1)).Encode()
	}
	if res.Total == nil {
		view.CountURL = listURL(e) + "?" + withKey(query, "total", "1").Encode()
	}
	return u.render(r, 200, "list", u.listPage(r, e, view))
}

func (u *UI) listPage(r *request, e *metamodel.Entity, view *listView) *page {
	p := u.newPage(r, view.Title, view)
	p.Crumbs = []crumb{{Label: r.lang.AppTitle(e.App)}, {Label: view.Title, URL: listURL(e)}}
	return p
}

func firstFilterError(inputs []filterInput) string {
	for _, in := range inputs {
		if in.Error != "" {
			return in.Label + "：" + in.Error
		}
	}
	return ""
}

// validSort accepts a visible column, or id, with an optional "-".
func validSort(key string, e *metamodel.Entity, fields []*metamodel.Field) bool {
	name := strings.TrimPrefix(key, "-")
	if name == "id" || name == "updated_at" || name == "created_at" {
		return true
	}
	return slices.ContainsFunc(fields, func(f *metamodel.Field) bool { return f.Name == name })
}

func recordURL(e *metamodel.Entity, id int64) string {
	return listURL(e) + "/" + strconv.FormatInt(id, 10)
}

// currentQuery is the request's query string without the language switch.
func currentQuery(r *request) url.Values {
	out := url.Values{}
	r.c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if string(k) != "lang" && len(v) > 0 {
			out.Add(string(k), string(v))
		}
	})
	return out
}

func withKey(q url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	out.Set(key, value)
	return out
}

func withoutKeys(q url.Values, keys ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

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
}

type listColumn struct {
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

// listFields are the columns of e's list for actor: every field it may see,
// in definition order, except long texts.
func (u *UI) listFields(actor engine.Actor, e *metamodel.Entity) []*metamodel.Field {
	var out []*metamodel.Field
	for _, f := range e.Fields {
		if f.Type == "text" || u.rt.Access.Hidden(actor, e, f.Name) {
			continue
		}
		out = append(out, f)
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
	fields := u.listFields(r.actor, e)
	if !validSort(sortKey, e, fields) {
		sortKey = ""
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
	for _, key := range []string{"sort", "inbox"} {
		if v := query.Get(key); v != "" {
			view.Hidden = append(view.Hidden, option{Value: v, Label: key})
		}
	}
	for _, f := range fields {
		col := listColumn{Label: r.lang.FieldLabel(f), Numeric: isNumeric(f)}
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
	q := engine.ListQuery{Sort: sortKey, Page: page, PageSize: size, Total: r.c.Query("total") == "1"}
	if cond != nil {
		q.Filter = cond.String()
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
			if f.Type == "code" && v != nil {
				cell.Title = v.(string)
			}
			if id, ok := v.(int64); ok && f.Type == "file" && files[id] != nil {
				cell.Text, cell.Numeric = files[id].Name, false
			}
			row.Cells = append(row.Cells, cell)
		}
		view.Rows = append(view.Rows, row)
	}
	if res.Total != nil {
		view.Total, view.Counted = *res.Total, true
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

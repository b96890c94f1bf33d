package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Batch events: a list page lets the user tick records and fire one event
// on all of them. Each record goes through the runtime's Fire on its own, in
// its own transaction, exactly as if its button had been pressed: the
// access rules, the transition's roles, not_by (segregation of duties),
// quorum, guards and balances are checked per record, and one refusal
// leaves the others done. The answer is a page with one line per record.

// maxBatch caps how many records one batch may name.
const maxBatch = engine.MaxPageSize

type batchView struct {
	Title   string
	Summary string
	BackURL string
	Rows    []batchRow
}

type batchRow struct {
	ID      int64
	URL     string
	OK      bool
	Message string
}

// batch fires the posted event on every posted id.
func (u *UI) batch(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	if e.Workflow == nil {
		return web.NewError(errcode.NotFound, "%s 没有审批流程", entityText(e))
	}
	event := r.c.FormValue("event")
	comment := r.c.FormValue("comment")
	var ids []int64
	for _, raw := range r.c.Request().PostArgs().PeekMulti("id") {
		id, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || id < 1 {
			return web.NewError(errcode.Malformed, "记录编号应为正整数，收到 %q", string(raw))
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	back := listURL(e)
	if ref := r.c.Get(fiber.HeaderReferer); ref != "" {
		if i := strings.Index(ref, back); i >= 0 && safeNext(ref[i:]) {
			back = ref[i:]
		}
	}
	if len(ids) == 0 {
		return u.redirect(r, back, r.lang.T("batch.none"))
	}
	if len(ids) > maxBatch {
		return web.NewError(errcode.Malformed, "一次最多处理 %d 条记录", maxBatch)
	}
	label := eventLabel(e.Workflow, event)
	view := &batchView{Title: r.lang.T("batch.title"), BackURL: back}
	done := 0
	for _, id := range ids {
		row := batchRow{ID: id, URL: recordURL(e, id)}
		res, err := u.rt.Fire(r.c.UserContext(), engine.FireRequest{Actor: r.actor, App: e.App.Name, Entity: e.Name, ID: id, Event: event, Comment: comment})
		switch {
		case err == nil && res.Fired:
			row.OK, row.Message = true, r.lang.T("batch.ok")
		case err == nil:
			row.OK, row.Message = true, r.lang.T("batch.approval", res.Approvals, res.Quorum)
		default:
			row.Message = refusalMessage(r, err)
		}
		if row.OK {
			done++
		}
		view.Rows = append(view.Rows, row)
	}
	view.Summary = r.lang.T("batch.summary", label, done, len(ids)-done)
	p := u.newPage(r, view.Title, view)
	p.Crumbs = []crumb{{Label: r.lang.AppTitle(e.App)}, {Label: r.lang.EntityTitle(e), URL: back}, {Label: view.Title}}
	return u.render(r, 200, "batch", p)
}

// refusalMessage is what the user reads about a refused event: every
// field's message of a validation error, else the error's own message.
func refusalMessage(r *request, err error) string {
	var ve *engine.ValidationError
	if asValidation(err, &ve) {
		var parts []string
		for _, list := range ve.Fields {
			for _, f := range list {
				parts = append(parts, f.Text(r.lang == English))
			}
		}
		slices.Sort(parts)
		return strings.Join(parts, "；")
	}
	_, _, msg := describe(r, err)
	return msg
}

// The to-do list (待办事项) gathers, across every app, the records on which
// the user may fire an event now (the portal's "waiting for me" per
// entity), oldest first, with their amount.

// todoLimit caps the records the to-do page reads per entity and shows.
const todoLimit = 100

type todoView struct {
	Rows []todoRow
	More []todoMore
}

type todoRow struct {
	App, Entity string
	URL         string
	ID          int64
	Label       string
	State       string
	Amount      string
	Since       string
	at          time.Time
}

type todoMore struct {
	Title, URL string
	Count      int64
}

func (u *UI) todo(r *request) error {
	view := &todoView{}
	for _, a := range u.rt.Project.Apps {
		for _, e := range a.Entities {
			cond := inboxFilter(u.rt, r.actor, e)
			if cond == nil || !u.rt.Access.Can(r.actor, e, "read") {
				continue
			}
			res, err := u.rt.List(r.c.UserContext(), r.actor, a.Name, e.Name, engine.ListQuery{Filter: cond.String(), Sort: "updated_at", PageSize: todoLimit, Total: true})
			if err != nil {
				return err
			}
			if *res.Total > int64(len(res.Items)) {
				view.More = append(view.More, todoMore{Title: r.lang.EntityTitle(e), URL: listURL(e) + "?inbox=1", Count: *res.Total - int64(len(res.Items))})
			}
			fields := u.listFields(r.actor, e)
			amount := firstMoney(fields)
			for _, rec := range res.Items {
				row := todoRow{App: r.lang.AppTitle(a), Entity: r.lang.EntityTitle(e), URL: recordURL(e, rec.ID), ID: rec.ID,
					State: StateLabel(e.Workflow, rec.State), at: rec.UpdatedAt, Since: rec.UpdatedAt.In(u.opts.Location).Format("2006-01-02 15:04")}
				if label := titleField(e, fields); label != nil {
					row.Label = display(r.lang, label, rec.Values[label.Name], u.opts.Location)
				}
				if amount != nil {
					row.Amount = display(r.lang, amount, rec.Values[amount.Name], u.opts.Location)
				}
				view.Rows = append(view.Rows, row)
			}
		}
	}
	slices.SortStableFunc(view.Rows, func(a, b todoRow) int { return a.at.Compare(b.at) })
	if len(view.Rows) > todoLimit {
		view.Rows = view.Rows[:todoLimit]
	}
	p := u.newPage(r, r.lang.T("todo.title"), view)
	p.Crumbs = []crumb{{Label: r.lang.T("todo.title"), URL: "/ui/todo"}}
	return u.render(r, 200, "todo", p)
}

// firstMoney is the first money field among fields, or nil.
func firstMoney(fields []*metamodel.Field) *metamodel.Field {
	for _, f := range fields {
		if f.Is(metamodel.Money) {
			return f
		}
	}
	return nil
}

// titleField is what names a record in a line of the to-do list: its
// first search field the user may see (a document number, a payee), else
// the first string field, else the first code field among fields.
func titleField(e *metamodel.Entity, fields []*metamodel.Field) *metamodel.Field {
	for _, name := range e.Search {
		for _, f := range fields {
			if f.Name == name {
				return f
			}
		}
	}
	for _, f := range fields {
		if metamodel.IsShortText(f) {
			return f
		}
	}
	for _, f := range fields {
		if f.Is(metamodel.CodeRef) {
			return f
		}
	}
	return nil
}

// saveFilter saves the posted list query under the posted name and opens
// the list with it.
func (u *UI) saveFilter(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	query := r.c.FormValue("query")
	target := listURL(e)
	if query != "" {
		target += "?" + query
	}
	if err := u.rt.SaveFilter(r.c.UserContext(), r.actor, e.App.Name, e.Name, r.c.FormValue("name"), query); err != nil {
		var ve *engine.ValidationError
		if asValidation(err, &ve) && safeNext(target) {
			// Back to the same list, saying what is wrong.
			return u.redirect(r, target, refusalMessage(r, err))
		}
		return err
	}
	return u.redirect(r, target, r.lang.T("filter.saved", strings.TrimSpace(r.c.FormValue("name"))))
}

// deleteFilter deletes the user's saved filter of the posted name.
func (u *UI) deleteFilter(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	if err := u.rt.DeleteSavedFilter(r.c.UserContext(), r.actor, e.App.Name, e.Name, r.c.FormValue("name")); err != nil {
		return err
	}
	return u.redirect(r, listURL(e), r.lang.T("filter.deleted", r.c.FormValue("name")))
}

// nextWaiting is the page of the oldest other record of e waiting for the
// user ("approve and open the next"), or the list of those waiting when
// none is left.
func (u *UI) nextWaiting(r *request, e *metamodel.Entity, done int64) string {
	cond := inboxFilter(u.rt, r.actor, e)
	if cond == nil {
		return listURL(e)
	}
	other := &filter.Compare{Field: "id", Op: filter.Ne, Value: filter.Value{Kind: filter.Number, Text: strconv.FormatInt(done, 10)}}
	q := engine.ListQuery{Filter: (&filter.And{Terms: []filter.Node{cond, other}}).String(), Sort: "updated_at", PageSize: 1}
	res, err := u.rt.List(r.c.UserContext(), r.actor, e.App.Name, e.Name, q)
	if err != nil || len(res.Items) == 0 {
		return listURL(e) + "?inbox=1"
	}
	return recordURL(e, res.Items[0].ID)
}

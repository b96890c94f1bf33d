package ui

import (
	"context"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

// A form's fill rules (forms: fill: [{ref, fields}]) copy fields of the
// record a ref field names into the form when the user chooses it — the
// elements of a payment from its indicator — and the picker shows that
// record's available balance where its entity is an account.
//
// Where scripts run, choosing a record asks /ui/fill/{app}/{entity}/{ref}
// for the filled fields, which htmx swaps in place (out of band). Without
// scripts the form carries, per fill rule, the ref value its fields were
// last filled for (_fill.{ref}); a post whose ref differs, or the picker's
// *带出* button, fills the fields on the server and shows the form again
// instead of saving, so the user sees what was filled before saving. A new
// form opened with ?{ref}=id (an "add" link of a parent) is filled too.
// Only fields the user may write are filled, from fields the user may read
// on a record the user may read.

// fillRule is the rule of e's form for ref field name, or nil.
func fillRule(e *metamodel.Entity, name string) *metamodel.FormFill {
	if form := formOf(e); form != nil {
		for _, f := range form.Fill {
			if f.Ref == name {
				return f
			}
		}
	}
	return nil
}

// fillFrom sets posted's fields by rule from the record id names; it
// returns the labels of the fields it filled.
func (u *UI) fillFrom(ctx context.Context, r *request, e *metamodel.Entity, rule *metamodel.FormFill, id int64, posted map[string]string) []string {
	ref := e.Field(rule.Ref)
	if ref == nil || ref.Target == nil {
		return nil
	}
	src, err := u.rt.Get(ctx, r.actor, ref.Target.App.Name, ref.Target.Name, id)
	if err != nil {
		return nil
	}
	var labels []string
	for _, f := range e.Fields {
		from, ok := rule.Fields[f.Name]
		if !ok || !u.writable(r.actor, e, f) || u.rt.Access.Hidden(r.actor, ref.Target, from) {
			continue
		}
		posted[f.Name] = inputValue(f, src.Values[from], u.opts.Location)
		labels = append(labels, r.lang.FieldLabel(f))
	}
	return labels
}

// refill applies the fill rules whose ref changed since the form was drawn
// (or whose *带出* button was pressed). It returns what to tell the user,
// or "" when nothing was filled and the post may go on.
func (u *UI) refill(r *request, e *metamodel.Entity, posted map[string]string) string {
	form := formOf(e)
	if form == nil {
		return ""
	}
	values := formValues(r.c)
	last := func(name string) (string, bool) {
		v := values(name)
		if len(v) == 0 {
			return "", false
		}
		return strings.TrimSpace(v[len(v)-1]), true
	}
	pressed, _ := last("_refill")
	var notes []string
	for _, rule := range form.Fill {
		now := strings.TrimSpace(normalizeNumber(posted[rule.Ref]))
		drawn, ok := last("_fill." + rule.Ref)
		if !ok && pressed != rule.Ref {
			continue // a form without the marker (an API-like post) is saved as posted
		}
		if now == drawn && pressed != rule.Ref {
			continue
		}
		id, err := strconv.ParseInt(now, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		if labels := u.fillFrom(r.c.UserContext(), r, e, rule, id, posted); len(labels) > 0 {
			notes = append(notes, r.lang.T("fill.done", r.lang.FieldLabel(e.Field(rule.Ref)), strings.Join(labels, "、")))
		} else if pressed == rule.Ref || now != drawn {
			notes = append(notes, r.lang.T("fill.done", r.lang.FieldLabel(e.Field(rule.Ref)), "—"))
		}
	}
	return strings.Join(notes, " ")
}

// refBalance is the available balance of account id as r's actor sees it,
// for the text beside a picker; "" when the target is no account or the
// record cannot be read.
func (u *UI) refBalance(ctx context.Context, r *request, target *metamodel.Entity, id int64) string {
	if target == nil || target.Balance == nil || id <= 0 {
		return ""
	}
	b, err := u.rt.Balance(ctx, r.actor, target.App.Name, target.Name, id)
	if err != nil {
		return ""
	}
	if !b.Open {
		return r.lang.T("fill.notopen")
	}
	return r.lang.T("fill.available", engine.FormatFen(b.Amounts.Available()))
}

// fillView is what /ui/fill answers: the filled fields, the balance beside
// the picker and the form's marker, each swapped in by id.
type fillView struct {
	Fields  []*formField
	Ref     *formField
	Balance string
}

// fillFragment answers a picker's choice where scripts run.
func (u *UI) fillFragment(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	name := r.c.Params("field")
	f := e.Field(name)
	if f == nil || !f.Is(metamodel.RecordRef) || u.rt.Access.Hidden(r.actor, e, name) {
		return engine.ErrNotFound
	}
	ctx := r.c.UserContext()
	value := strings.TrimSpace(normalizeNumber(r.c.Query(name)))
	id, _ := strconv.ParseInt(value, 10, 64)
	posted := map[string]string{name: value}
	filled := map[string]bool{}
	if rule := fillRule(e, name); rule != nil && id > 0 {
		u.fillFrom(ctx, r, e, rule, id, posted)
		for to := range rule.Fields {
			if _, ok := posted[to]; ok {
				filled[to] = true
			}
		}
	}
	st := formState{posted: posted}
	st.year = formYear(e, st)
	if yf := e.Field(e.YearField); yf != nil && u.writable(r.actor, e, yf) {
		st.yearInput = "f-" + yf.Name
	}
	view := &fillView{Ref: &formField{Name: name, ID: "f-" + name, Value: value}}
	view.Balance = u.refBalance(ctx, r, f.Target, id)
	for _, s := range u.layout(r.lang, r.actor, e) {
		for _, row := range s.Rows {
			for _, ff := range row {
				if filled[ff.field.Name] {
					u.fillField(ctx, r, e, ff, st)
					ff.OOB = true
					view.Fields = append(view.Fields, ff)
				}
			}
		}
	}
	return u.fragment(r, "fill", "fill-fields", view)
}

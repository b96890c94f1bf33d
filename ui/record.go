package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// recordView is a record page: its fields laid out like its form, the
// workflow state and the events this user may fire now, the history, and
// for accounts the balance and ledger.
type recordView struct {
	Title      string
	Name       string
	ID         int64
	PrintURL   string
	Children   []childList
	Version    int64
	State      string
	HasState   bool
	Sections   []formSection
	EditURL    string
	DeleteURL  string
	Events     []eventView
	EventError string
	History    []historyView
	Pending    []historyView
	// Changes are the record's writes from the audit trail, field by field.
	Changes    []changeView
	Balance    *balanceView
	Ledger     []ledgerRow
	LedgerMore bool
	Messages   []messageView
	System     []systemItem
}

// systemItem is one of the record's system columns; Title shows on hover.
type systemItem struct {
	Label, Value, Title string
}

// messageView is one exchange message of the record: direction, party,
// delivery and the signature, checked again when the page is drawn.
type messageView struct {
	Out                       bool
	Party, Type, At, Delivery string
	Alg, Signature, KeyPrint  string
	Verified, Failed          bool
}

type eventView struct {
	Idempotency           string
	Event, Label, ToLabel string
	URL                   string
	Comment               bool
	CommentRequired       bool
	Available             bool
	Reason                string
	Progress              string
	Error                 string
	CommentText           string
	// Inputs are the fields the user fills in with the event.
	Inputs []eventInput
}

// eventInput is one field filled in with an event: a text input checked by
// the server exactly like an edit (money accepts only valid amounts).
type eventInput struct {
	Name, Label, Value, Pattern, Help string
}

// changeView is one write of the record: when, who, which action or event,
// and each field it changed (an approval towards a quorum shows as one row
// without a field).
type changeView struct {
	At, Label, Comment string
	Actor              person
	Fields             []changeField
}

type changeField struct {
	Label, Before, After string
}

type historyView struct {
	Label, From, To, At, Comment string
	Actor                        person
}

type balanceView struct {
	Open                                            bool
	Approved, Reserved, Consumed, Frozen, Available string
}

type ledgerRow struct {
	Kind, Amount, Source, SourceURL, Event, At, Note string
	Actor                                            person
}

// loadRecord reads the record of the request's path as its actor.
func (u *UI) loadRecord(r *request) (*metamodel.Entity, *engine.Record, error) {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return nil, nil, err
	}
	id, err := recordID(r.c)
	if err != nil {
		return nil, nil, err
	}
	rec, err := u.rt.Get(r.c.UserContext(), r.actor, e.App.Name, e.Name, id)
	if err != nil {
		return nil, nil, err
	}
	return e, rec, nil
}

func (u *UI) record(r *request) error {
	e, rec, err := u.loadRecord(r)
	if err != nil {
		return err
	}
	view, err := u.recordView(r, e, rec)
	if err != nil {
		return err
	}
	return u.render(r, 200, "record", u.recordPage(r, e, view))
}

func (u *UI) recordPage(r *request, e *metamodel.Entity, view *recordView) *page {
	p := u.newPage(r, view.Title, view)
	p.Crumbs = []crumb{{Label: r.lang.AppTitle(e.App)}, {Label: r.lang.EntityTitle(e), URL: listURL(e)}, {Label: view.Name}}
	return p
}

func (u *UI) recordView(r *request, e *metamodel.Entity, rec *engine.Record) (*recordView, error) {
	ctx := r.c.UserContext()
	l := r.lang
	name := u.recordName(r, e, rec)
	view := &recordView{Title: l.T("record.title", l.EntityTitle(e), name), Name: name, ID: rec.ID, Version: rec.Version, HasState: e.Workflow != nil}
	if form := formOf(e); form != nil && form.Print != nil {
		view.PrintURL = recordURL(e, rec.ID) + "/print"
	}
	if e.Workflow != nil {
		view.State = StateLabel(e.Workflow, rec.State)
	}
	// The fields, laid out like the form, all read-only.
	view.Sections = u.layout(l, r.actor, e)
	files := u.fileNames(ctx, e.Fields, rec)
	for _, s := range view.Sections {
		for _, row := range s.Rows {
			for _, ff := range row {
				f := ff.field
				v := rec.Values[f.Name]
				ff.Name, ff.ID, ff.Label, ff.Widget, ff.Lang, ff.Numeric = f.Name, "f-"+f.Name, l.FieldLabel(f), "readonly", l, isNumeric(f)
				ff.Display = display(l, f, v, u.opts.Location)
				if v == nil {
					ff.Display = l.T("form.none")
				}
				if f.Is(metamodel.CodeRef) && v != nil {
					ff.CodeLabel = v.(string)
				}
				if f.Is(metamodel.RecordRef) && v != nil {
					ff.RefURL, ff.Display = u.refLink(ctx, r, f, v.(int64))
				}
				if id, ok := v.(int64); ok && f.Is(metamodel.Attachment) {
					if info := files[id]; info != nil {
						ff.RefURL, ff.Display = fileURL(id), info.Name+" "+engine.FormatSize(info.Size)
					}
				}
				if d, ok := v.(decimal.Decimal); ok && isMoney(f) {
					ff.Words = AmountInWords(d)
				}
			}
		}
	}
	if editable(e, rec.State) {
		if u.rt.Access.Can(r.actor, e, "update") {
			view.EditURL = recordURL(e, rec.ID) + "/edit"
		}
		if u.rt.Access.Can(r.actor, e, "delete") {
			view.DeleteURL = recordURL(e, rec.ID) + "/delete"
		}
	}
	if e.Workflow != nil {
		events, err := u.rt.EventsFor(ctx, r.actor, rec)
		if err != nil {
			return nil, err
		}
		for _, ev := range events {
			ev := ev
			t := transitionOf(e.Workflow, rec.State, ev.Event)
			item := eventView{Idempotency: idempotencyToken(), Event: ev.Event, Label: ev.Label, ToLabel: ev.ToLabel, URL: recordURL(e, rec.ID) + "/events/" + ev.Event,
				CommentRequired: ev.CommentRequired, Comment: ev.CommentRequired || (t != nil && t.Comment != ""), Available: ev.Available, Reason: ev.ReasonIn(r.lang == English)}
			if ev.Quorum > 1 {
				item.Progress = fmt.Sprintf("%d/%d", ev.Approvals, ev.Quorum)
			}
			for _, name := range ev.Input {
				f := e.Field(name)
				if f == nil {
					continue
				}
				in := eventInput{Name: name, Label: r.lang.FieldLabel(f), Value: inputValue(f, rec.Values[name], u.opts.Location), Help: f.Help}
				if c := f.Kind.Column(f); c.Kind == metamodel.ColumnScaled {
					in.Pattern = moneyPattern(c.Scale)
				}
				item.Inputs = append(item.Inputs, in)
			}
			view.Events = append(view.Events, item)
		}
		h, err := u.rt.History(ctx, r.actor, e.App.Name, e.Name, rec.ID)
		if err != nil {
			return nil, err
		}
		for _, item := range h.Items {
			hv := historyView{Label: item.Label, From: item.FromLabel, To: item.ToLabel, Actor: u.person(ctx, item.Actor), At: item.At.In(u.opts.Location).Format("2006-01-02 15:04:05"), Comment: item.Comment}
			if item.Event == "create" {
				hv.Label = l.T("record.created")
			}
			view.History = append(view.History, hv)
		}
		for _, a := range h.Pending {
			view.Pending = append(view.Pending, historyView{Label: eventLabel(e.Workflow, a.Event), Actor: u.person(ctx, a.Approver), At: a.At.In(u.opts.Location).Format("2006-01-02 15:04:05"), Comment: a.Comment})
		}
	}
	if err := u.ledgerSection(r, e, rec, view); err != nil {
		return nil, err
	}
	children, err := u.childLists(r, e, rec)
	if err != nil {
		return nil, err
	}
	view.Children = children
	writes, err := u.rt.FieldHistory(ctx, r.actor, e.App.Name, e.Name, rec.ID)
	if err != nil {
		return nil, err
	}
	for _, w := range writes {
		cv := changeView{At: w.At.In(u.opts.Location).Format("2006-01-02 15:04:05"), Actor: u.person(ctx, w.Actor), Label: changeLabel(l, e, w), Comment: w.Comment}
		for _, c := range w.Changes {
			label := c.Label
			if f := e.Field(c.Field); f != nil {
				label = l.FieldLabel(f)
			}
			cv.Fields = append(cv.Fields, changeField{Label: label, Before: changeValue(l, c.Before), After: changeValue(l, c.After)})
		}
		if len(cv.Fields) == 0 {
			cv.Fields = []changeField{{Label: "—", Before: "", After: ""}}
		}
		view.Changes = append(view.Changes, cv)
	}
	if err := u.messagesSection(r, e, rec, view); err != nil {
		return nil, err
	}
	view.System = []systemItem{
		{Label: l.T("record.createdby"), Value: u.person(ctx, rec.CreatedBy).Name, Title: rec.CreatedBy},
		{Label: l.T("record.createdat"), Value: rec.CreatedAt.In(u.opts.Location).Format("2006-01-02 15:04:05")},
		{Label: l.T("record.updatedat"), Value: rec.UpdatedAt.In(u.opts.Location).Format("2006-01-02 15:04:05")},
		{Label: l.T("record.version"), Value: strconv.FormatInt(rec.Version, 10)},
	}
	return view, nil
}

// messagesSection adds the record's exchange messages (signed vouchers out,
// signed receipts in) with their delivery state and signatures.
func (u *UI) messagesSection(r *request, e *metamodel.Entity, rec *engine.Record, view *recordView) error {
	if len(u.rt.Project.Exchanges()) == 0 || e.Workflow == nil {
		return nil
	}
	msgs, err := u.rt.MessagesFor(r.c.UserContext(), e.App.Name, e.Name, rec.ID)
	if err != nil {
		return err
	}
	l := r.lang
	short := func(s string, n int) string {
		if len(s) > n {
			return s[:n] + "…"
		}
		return s
	}
	for _, m := range msgs {
		mv := messageView{Out: m.Out, Party: m.Party, Type: m.Type, At: m.At.In(u.opts.Location).Format("2006-01-02 15:04:05"),
			Alg: strings.ToUpper(m.Alg), Signature: short(m.Signature, 24), KeyPrint: short(m.Fingerprint, 16), Verified: m.Verified}
		if x := u.rt.Project.Exchange(m.Party); x != nil && x.Title != "" {
			mv.Party = x.Title
		}
		switch {
		case !m.Out:
			mv.Delivery = l.T("msg.applied")
		case m.Sent != nil:
			mv.Delivery = l.T("msg.sent", m.Sent.In(u.opts.Location).Format("2006-01-02 15:04:05"))
		case m.Error != "":
			mv.Delivery, mv.Failed = l.T("msg.failed", m.Attempts, m.Error), true
		default:
			mv.Delivery = l.T("msg.pending")
		}
		view.Messages = append(view.Messages, mv)
	}
	return nil
}

// ledgerSection adds an account's balance and ledger, or the movements a
// drawing or adjusting record caused.
func (u *UI) ledgerSection(r *request, e *metamodel.Entity, rec *engine.Record, view *recordView) error {
	ctx := r.c.UserContext()
	if e.Balance == nil && len(e.Draws) == 0 && e.Adjusts == nil {
		return nil
	}
	if e.Balance != nil {
		b, err := u.rt.Balance(ctx, r.actor, e.App.Name, e.Name, rec.ID)
		if err != nil {
			return err
		}
		a := b.Amounts
		view.Balance = &balanceView{Open: b.Open, Approved: engine.FormatFen(a.Approved), Reserved: engine.FormatFen(a.Reserved),
			Consumed: engine.FormatFen(a.Consumed), Frozen: engine.FormatFen(a.Frozen), Available: engine.FormatFen(a.Available())}
	}
	page, err := u.rt.Ledger(ctx, r.actor, e.App.Name, e.Name, rec.ID, engine.LedgerQuery{PageSize: engine.MaxPageSize})
	if err != nil {
		return err
	}
	view.LedgerMore = page.HasMore
	names := map[string]string{}
	for _, le := range page.Items {
		row := ledgerRow{Kind: r.lang.MovementLabel(le.Kind), Amount: engine.FormatFen(le.Amount), Actor: u.person(ctx, le.Actor),
			At: le.At.In(u.opts.Location).Format("2006-01-02 15:04"), Note: le.Note, Event: le.Event}
		if se, err := u.rt.Entity(le.SourceApp, le.SourceEntity); err == nil {
			row.Source = r.lang.EntityTitle(se) + " " + u.nameByID(ctx, r, se, le.SourceID, names)
			row.SourceURL = recordURL(se, le.SourceID)
			if se.Workflow != nil && le.Event != "" {
				row.Event = eventLabel(se.Workflow, le.Event)
			}
		}
		if page.Side == "source" {
			if ae, err := u.rt.Entity(le.Account.App, le.Account.Entity); err == nil {
				row.Source = r.lang.EntityTitle(ae) + " " + u.nameByID(ctx, r, ae, le.Account.ID, names)
				row.SourceURL = recordURL(ae, le.Account.ID)
			}
		}
		view.Ledger = append(view.Ledger, row)
	}
	return nil
}

// transitionOf is the transition event fires from state.
func transitionOf(w *metamodel.Workflow, state, event string) *metamodel.Transition {
	for _, t := range w.Transitions {
		if t.Event == event && slices.Contains(t.From, state) {
			return t
		}
	}
	return nil
}

// eventLabel is the label of event's first transition, or its name.
func eventLabel(w *metamodel.Workflow, event string) string {
	for _, t := range w.Transitions {
		if t.Event == event && t.Label != "" {
			return t.Label
		}
	}
	return event
}

// fire fires a workflow event from the record page's button.
func (u *UI) fire(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	id, err := recordID(r.c)
	if err != nil {
		return err
	}
	event := r.c.Params("event")
	comment := r.c.FormValue("comment")
	var idem engine.Idempotency
	if key := r.c.FormValue("_idempotency"); key != "" {
		idem.Key = "ui:" + key
	}
	// The event's input fields come as form values named input.FIELD.
	var values map[string]any
	r.c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if name, ok := strings.CutPrefix(string(k), "input."); ok {
			if values == nil {
				values = map[string]any{}
			}
			values[name] = string(v)
		}
	})
	res, err := u.rt.Fire(r.c.UserContext(), engine.FireRequest{Actor: r.actor, App: e.App.Name, Entity: e.Name, ID: id, Event: event, Comment: comment, Input: values, Idempotency: idem})
	if err == nil {
		label := event
		if e.Workflow != nil {
			label = eventLabel(e.Workflow, event)
		}
		msg := r.lang.T("record.fired", label)
		if !res.Fired {
			msg = r.lang.T("record.approval", res.Approvals, res.Quorum)
		}
		if r.c.FormValue("_next") == "1" {
			return u.redirect(r, u.nextWaiting(r, e, id), msg)
		}
		return u.redirect(r, recordURL(e, id), msg)
	}
	// A refusal the user can act on (a missing comment, a guard, the state
	// moved on, not allowed) is shown on the record page next to the button.
	var ve *engine.ValidationError
	var ce *engine.ConflictError
	var fe *engine.ForbiddenError
	if !asValidation(err, &ve) && !asConflict(err, &ce) && !errors.As(err, &fe) {
		return err
	}
	rec, gerr := u.rt.Get(r.c.UserContext(), r.actor, e.App.Name, e.Name, id)
	if gerr != nil {
		return err
	}
	view, verr := u.recordView(r, e, rec)
	if verr != nil {
		return err
	}
	_, _, msg := describe(r, err)
	if ve != nil {
		var parts []string
		for _, list := range ve.Fields {
			for _, f := range list {
				parts = append(parts, f.Text(r.lang == English))
			}
		}
		slices.Sort(parts)
		msg = strings.Join(parts, "；")
	}
	placed := false
	for i := range view.Events {
		if view.Events[i].Event == event {
			view.Events[i].Error, view.Events[i].CommentText, placed = msg, comment, true
			// Keep what the user typed into the event's inputs.
			for j, in := range view.Events[i].Inputs {
				if v, ok := values[in.Name].(string); ok {
					view.Events[i].Inputs[j].Value = v
				}
			}
		}
	}
	if !placed {
		view.EventError = msg
	}
	status, _, _ := describe(r, err)
	return u.render(r, status, "record", u.recordPage(r, e, view))
}

// remove deletes a record from its page.
func (u *UI) remove(r *request) error {
	e, id, version, err := u.postedRecord(r)
	if err != nil {
		return err
	}
	if err := u.rt.Delete(r.c.UserContext(), r.actor, e.App.Name, e.Name, id, version); err != nil {
		return err
	}
	return u.redirect(r, listURL(e), r.lang.T("record.deleted"))
}

// refLink is the link and label of a referenced record as r's actor sees it:
// "#12 label" when the actor may read it, "#12" otherwise.
func (u *UI) refLink(ctx context.Context, r *request, f *metamodel.Field, id int64) (string, string) {
	label := "#" + strconv.FormatInt(id, 10)
	if f.Target == nil {
		return "", label
	}
	url := recordURL(f.Target, id)
	rec, err := u.rt.Get(ctx, r.actor, f.Target.App.Name, f.Target.Name, id)
	if err != nil {
		return url, label
	}
	label = u.recordName(r, f.Target, rec)
	if s := u.refSummary(r, f.Target, rec); s != "" {
		label += " " + s
	}
	return url, label
}

// refSummary names a record in a few words: its first text field (unless
// the entity has title fields, which name it already), its org and its first
// amount — for an account its available balance instead — as far as the
// actor may see them.
func (u *UI) refSummary(r *request, e *metamodel.Entity, rec *engine.Record) string {
	var parts []string
	var text, org, money *metamodel.Field
	for _, f := range e.Fields {
		if u.rt.Access.Hidden(r.actor, e, f.Name) || rec.Values[f.Name] == nil {
			continue
		}
		switch {
		case metamodel.IsShortText(f) && text == nil && len(e.TitleFields) == 0:
			text = f
		case f.Name == e.OrgField && org == nil:
			org = f
		case f.Is(metamodel.Money) && money == nil:
			money = f
		}
	}
	if e.Balance != nil {
		money = nil
	}
	for _, f := range []*metamodel.Field{text, org, money} {
		if f != nil {
			parts = append(parts, display(r.lang, f, rec.Values[f.Name], u.opts.Location))
		}
	}
	if e.Balance != nil {
		if b, err := u.rt.Balance(r.c.UserContext(), r.actor, e.App.Name, e.Name, rec.ID); err == nil && b.Open {
			parts = append(parts, r.lang.T("picker.available", engine.FormatFen(b.Amounts.Available())))
		}
	}
	return strings.Join(parts, " · ")
}

func asValidation(err error, target **engine.ValidationError) bool { return errors.As(err, target) }
func asConflict(err error, target **engine.ConflictError) bool     { return errors.As(err, target) }

// describe is the status, code and message engine/web gives err (the one
// error→HTTP mapping), the message in the user's language.
func describe(r *request, err error) (int, errcode.Code, string) {
	status, body := (&web.Errors{}).Describe(r.c, err, r.lang == English)
	return status, body.Error.Code, body.Error.Message
}

// entityText is an entity's title in both languages, for messages.
func entityText(e *metamodel.Entity) errcode.Text { return errcode.Label(e.Label(), e.TitleEn) }

// postedRecord is what a post about a record names: its entity, its id, and
// the version the form was read at (a stale one is refused by the runtime).
func (u *UI) postedRecord(r *request) (*metamodel.Entity, int64, int64, error) {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return nil, 0, 0, err
	}
	id, err := recordID(r.c)
	if err != nil {
		return nil, 0, 0, err
	}
	version, err := strconv.ParseInt(r.c.FormValue("_version"), 10, 64)
	if err != nil || version < 1 {
		return nil, 0, 0, web.NewError(errcode.Malformed, "表单缺少版本号，请刷新页面后重试")
	}
	return e, id, version, nil
}

// changeLabel names a write in the UI's language: created, edited, deleted,
// recomputed, or the workflow event's label (an approval towards a quorum
// marked as such).
func changeLabel(l Lang, e *metamodel.Entity, w engine.FieldWrite) string {
	switch w.Action {
	case "create":
		return l.T("record.created")
	case "update":
		return l.T("action.update")
	case "delete":
		return l.T("action.delete")
	case engine.RollupAction:
		return l.T("record.recomputed")
	}
	label := w.Action
	if e.Workflow != nil {
		label = eventLabel(e.Workflow, w.Action)
	}
	if w.Partial {
		label = l.T("record.partial", label)
	}
	return label
}

// changeValue shows a value of the audit trail: empty as —.
func changeValue(l Lang, v any) string {
	if v == nil || v == "" {
		return "—"
	}
	return fmt.Sprint(v)
}

package ui

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
	"golang.org/x/text/width"
)

// A form is laid out by the entity's forms: entry (sections of rows, or one
// layout of rows). Fields the layout does not place still appear, in a last
// section, so that a field added to the definition shows up on the next
// start without anyone touching the form; without a form, fields come in
// definition order, two to a row, long texts alone. Fields the user may not
// see are left out; fields the user may not write (readonly, computed, or
// read-only for the user's roles) are shown, not posted.

// formView is a new or edit form.
type formView struct {
	// Idempotency makes a double-submitted new form create one record.
	Idempotency string
	Title       string
	Action      string
	CancelURL   string
	Version     int64
	Sections    []formSection
	Errors      []string // problems of the whole record
	Invalid     bool
	Conflict    string
	ReloadURL   string
	// Multipart is set when the form has a file input.
	Multipart bool
	// Notice says which fields were filled from a chosen record.
	Notice string
}

type formSection struct {
	Title string
	Rows  [][]*formField
}

// formField is one field of a form, with its widget.
type formField struct {
	Name, ID, Label, Help string
	// Widget: text, textarea, int, money, decimal, date, datetime, bool,
	// select (enum or small code set), code (code tree picker), ref, file,
	// readonly.
	Widget    string
	Required  bool
	Value     string
	Display   string
	Errors    []string
	Options   []option
	Pattern   string
	MaxLength int
	Min, Max  string
	Step      string
	CodeSet   string
	LeafOnly  bool
	CodeLabel string
	// Year is the fiscal year a code must be valid in (0: any year), and
	// YearInput the id of the form's year input, whose value the pickers
	// follow where scripts run.
	Year      int
	YearInput string
	// PickURL is what the picker (or a code select, for its options) asks
	// for codes; BrowseURL the code tree as a page, without scripts.
	PickURL   string
	BrowseURL string
	RefURL    string
	RefLabel  string
	Words     string
	Numeric   bool
	Lang      Lang
	File      *fileView
	Accept    string
	// Balance is the available balance of the chosen record beside a ref
	// picker; FillURL what the picker asks for the fields it fills (see
	// fill.go), and Fill the ref value the fields were filled for.
	Balance string
	FillURL string
	Fill    bool
	// OOB marks a field swapped in by id (a fill answer).
	OOB   bool
	field *metamodel.Field
}

// smallCodeSet is the most codes a code field shows as a plain select; larger
// sets get the searchable tree picker.
const smallCodeSet = 60

// formOf is the form declared for e, or nil.
func formOf(e *metamodel.Entity) *metamodel.Form {
	for _, f := range e.App.Forms {
		if f.Name == e.Name {
			return f
		}
	}
	return nil
}

// layout arranges e's visible fields into sections of rows.
func (u *UI) layout(l Lang, actor engine.Actor, e *metamodel.Entity) []formSection {
	visible := func(name string) *metamodel.Field {
		f := e.Field(name)
		if f == nil || u.rt.Access.Hidden(actor, e, name) {
			return nil
		}
		return f
	}
	placed := map[string]bool{}
	var sections []formSection
	addRows := func(title string, rows [][]string) {
		s := formSection{Title: title}
		for _, row := range rows {
			var out []*formField
			for _, name := range row {
				if f := visible(name); f != nil && !placed[name] {
					placed[name] = true
					out = append(out, &formField{field: f})
				}
			}
			if len(out) > 0 {
				s.Rows = append(s.Rows, out)
			}
		}
		if len(s.Rows) > 0 {
			sections = append(sections, s)
		}
	}
	if form := formOf(e); form != nil {
		if len(form.Layout) > 0 {
			addRows("", form.Layout)
		}
		for _, s := range form.Sections {
			addRows(s.Title, s.Rows)
		}
	}
	var rest [][]string
	var pair []string
	for _, f := range e.Fields {
		if placed[f.Name] || visible(f.Name) == nil {
			continue
		}
		if f.Is(metamodel.LongText) {
			if len(pair) > 0 {
				rest, pair = append(rest, pair), nil
			}
			rest = append(rest, []string{f.Name})
			continue
		}
		pair = append(pair, f.Name)
		if len(pair) == 2 {
			rest, pair = append(rest, pair), nil
		}
	}
	if len(pair) > 0 {
		rest = append(rest, pair)
	}
	title := l.T("form.other")
	if len(sections) == 0 {
		title = ""
	}
	addRows(title, rest)
	return sections
}

// writable reports whether actor may write f on a form.
func (u *UI) writable(actor engine.Actor, e *metamodel.Entity, f *metamodel.Field) bool {
	return !f.Readonly && !f.Computed() && !u.rt.Access.ReadOnly(actor, e, f.Name) && !u.rt.Access.Hidden(actor, e, f.Name)
}

// formState is what a form is filled from: the stored record (or defaults),
// the user's posted text, and the problems found.
type formState struct {
	record *engine.Record
	posted map[string]string
	errors map[string][]string
	// year is the fiscal year the form's codes must be valid in, and
	// yearInput the id of the input it is typed in (see formYear).
	year      int
	yearInput string
}

// buildForm fills the layout's fields for r.
func (u *UI) buildForm(ctx context.Context, r *request, e *metamodel.Entity, st formState) []formSection {
	st.year = formYear(e, st)
	if f := e.Field(e.YearField); f != nil && u.writable(r.actor, e, f) {
		st.yearInput = "f-" + f.Name
	}
	sections := u.layout(r.lang, r.actor, e)
	for _, s := range sections {
		for _, row := range s.Rows {
			for _, ff := range row {
				u.fillField(ctx, r, e, ff, st)
			}
		}
	}
	return sections
}

// formYear is the fiscal year the codes of a form of e must be valid in:
// the year field as posted, else the record's, else the field's default; 0
// (any year) for an entity without year_field or a year not known yet. The
// engine checks codes against the same year when the record is saved.
func formYear(e *metamodel.Entity, st formState) int {
	f := e.Field(e.YearField)
	if f == nil {
		return 0
	}
	if text, ok := st.posted[f.Name]; ok {
		if y, err := strconv.Atoi(normalizeNumber(text)); err == nil && y > 0 {
			return y
		}
	}
	var v any
	if st.record != nil {
		v = st.record.Values[f.Name]
	} else {
		v = defaultValue(f)
	}
	if y, ok := v.(int64); ok && y > 0 {
		return int(y)
	}
	return 0
}

func (u *UI) fillField(ctx context.Context, r *request, e *metamodel.Entity, ff *formField, st formState) {
	f := ff.field
	l := r.lang
	ff.Name, ff.ID, ff.Label, ff.Help, ff.Lang, ff.Numeric = f.Name, "f-"+f.Name, l.FieldLabel(f), f.Help, l, isNumeric(f)
	ff.Required = f.Required && !f.Computed()
	ff.Errors = st.errors[f.Name]
	var current any
	if st.record != nil {
		current = st.record.Values[f.Name]
	} else {
		current = defaultValue(f)
	}
	ff.Value = inputValue(f, current, u.opts.Location)
	if text, ok := st.posted[f.Name]; ok {
		ff.Value = text
	}
	ff.Display = display(l, f, current, u.opts.Location)
	if !u.writable(r.actor, e, f) {
		ff.Widget = "readonly"
		if ff.Display == "" {
			ff.Display = l.T("form.none")
		}
		if f.Is(metamodel.RecordRef) && current != nil {
			ff.RefURL, ff.Display = u.refLink(ctx, r, f, current.(int64))
		}
		if id, ok := current.(int64); ok && f.Is(metamodel.Attachment) {
			file := u.fileOf(ctx, r, id, st.record != nil)
			ff.RefURL, ff.Display = file.URL, strings.TrimSpace(file.Name+" "+file.Size)
		}
		return
	}
	in := metamodel.InputOf(f)
	ff.Widget = in.Widget
	switch in.Widget {
	case "text":
		ff.MaxLength, ff.Pattern = in.MaxLength, in.Pattern
	case "int":
		ff.Min, ff.Max = in.Min, in.Max
	case "money":
		ff.Pattern = moneyPattern(in.Scale)
		if ff.Help == "" {
			ff.Help = l.T("form.money.help")
		}
		if d, err := decimal.NewFromString(strings.ReplaceAll(normalizeNumber(ff.Value), ",", "")); err == nil && ff.Value != "" {
			ff.Words = AmountInWords(d)
		}
	case "decimal":
		ff.Pattern = moneyPattern(in.Scale)
	case "textarea", "date", "datetime", "bool":
	case "select":
		ff.Options = []option{{Value: "", Label: ""}}
		for _, v := range f.Values {
			ff.Options = append(ff.Options, option{Value: v.Value, Label: l.EnumLabel(f, v.Value), Selected: v.Value == ff.Value})
		}
	case "code":
		ff.Year, ff.YearInput = st.year, st.yearInput
		u.codeWidget(l, ff, f)
	case "file":
		u.fileWidget(ctx, r, ff, current)
	case "ref":
		if f.Target != nil {
			ff.RefURL = "/ui/ref/" + f.Target.App.Name + "/" + f.Target.Name
		}
		id, err := strconv.ParseInt(strings.TrimSpace(ff.Value), 10, 64)
		if err == nil && id > 0 {
			_, ff.RefLabel = u.refLink(ctx, r, f, id)
			ff.Balance = u.refBalance(ctx, r, f.Target, id)
		}
		if fillRule(e, f.Name) != nil || (f.Target != nil && f.Target.Balance != nil) {
			ff.FillURL = "/ui/fill/" + e.App.Name + "/" + e.Name + "/" + f.Name
			ff.Fill = fillRule(e, f.Name) != nil
		}
	default:
		ff.Widget = "text"
	}
}

// codeWidget is a select for a small code set, the tree picker otherwise.
// Both offer only enabled codes valid in the form's year; branch codes
// cannot be chosen where the field takes leaf codes only.
func (u *UI) codeWidget(l Lang, ff *formField, f *metamodel.Field) {
	cs := f.Set
	if cs == nil {
		ff.Widget = "text"
		return
	}
	ff.CodeSet, ff.LeafOnly = cs.Name, f.LeafOnly
	if n := cs.Lookup(ff.Value); n != nil {
		ff.CodeLabel = n.Name
	}
	q := url.Values{}
	if f.LeafOnly {
		q.Set("leaf", "1")
	}
	if ff.Year > 0 {
		q.Set("year", strconv.Itoa(ff.Year))
	}
	base := "/ui/codes/" + url.PathEscape(cs.Name)
	ff.BrowseURL = withQuery(base, q)
	if cs.Len() > smallCodeSet {
		ff.Widget = "code"
		q.Set("target", ff.ID)
		ff.PickURL = withQuery(base, q)
		return
	}
	ff.Widget = "select"
	ff.Options = codeOptions(l, cs, f.LeafOnly, ff.Year, ff.Value)
	ff.PickURL = withQuery(base+"/options", q)
}

// codeOptions are the options of a code select: the codes a record of year
// may use, indented by level. The current value stays selected even when it
// may not be used (a code that has since expired, or a year changed after
// it was chosen), marked with the reason, so that saving shows the engine's
// message next to the field instead of silently dropping the value.
func codeOptions(l Lang, cs *metamodel.CodeSet, leafOnly bool, year int, value string) []option {
	out := []option{{Value: "", Label: ""}}
	found := value == ""
	cs.Walk(func(n *metamodel.CodeNode) {
		if !offered(n, year) {
			return
		}
		found = found || n.Code.Code == value
		// Full-width spaces indent the tree in any browser's select.
		out = append(out, option{Value: n.Code.Code, Label: strings.Repeat("　", n.Level-1) + n.Code.Code + " " + n.Name,
			Selected: n.Code.Code == value, Disabled: leafOnly && !n.Leaf()})
	})
	if !found {
		label := value
		if n := cs.Lookup(value); n != nil {
			label += " " + n.Name + l.T("codes.unusable", year)
			if !n.IsEnabled() {
				label = value + " " + n.Name + l.T("codes.disabled")
			}
		}
		out = append(out, option{Value: value, Label: label, Selected: true})
	}
	return out
}

// withQuery is path with q, if any.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// offered reports whether a picker offers code n to a record of year (0:
// any year): enabled, and valid in that year.
func offered(n *metamodel.CodeNode, year int) bool { return n.IsEnabled() && n.ValidIn(year) }

// moneyPattern is the HTML pattern of an amount: digits with optional
// thousands separators and at most scale decimals. The server parses the
// value exactly whatever the browser let through.
func moneyPattern(scale int) string {
	if scale <= 0 {
		return `-?[0-9][0-9,]*`
	}
	return `-?[0-9][0-9,]*(\.[0-9]{0,` + strconv.Itoa(scale) + `})?`
}

// normalizeNumber folds full-width digits and punctuation (typed with a
// Chinese input method) to ASCII and drops spaces.
func normalizeNumber(s string) string {
	s = width.Narrow.String(strings.TrimSpace(s))
	return strings.Join(strings.Fields(s), "")
}

// postedInput reads the form's fields from the request: the input map for
// the runtime, and the text as typed to show again if it is refused. On
// create an empty input is left out (so that defaults apply); on update it
// clears the field.
func (u *UI) postedInput(r *request, e *metamodel.Entity, creating bool) (map[string]any, map[string]string) {
	input := map[string]any{}
	posted := map[string]string{}
	values := formValues(r.c)
	for _, s := range u.layout(r.lang, r.actor, e) {
		for _, row := range s.Rows {
			for _, ff := range row {
				f := ff.field
				if !u.writable(r.actor, e, f) {
					continue
				}
				given := values(f.Name)
				widget := metamodel.InputOf(f).Widget
				if widget == "file" && len(values(removeField(f.Name))) > 0 {
					given = []string{""}
				}
				if len(given) == 0 {
					if widget != "bool" {
						continue
					}
					given = []string{"false"}
				}
				// The last value wins: a checkbox follows its hidden "false".
				raw := given[len(given)-1]
				posted[f.Name] = raw
				value := raw
				switch widget {
				case "money", "decimal", "int", "date", "ref", "file":
					value = normalizeNumber(raw)
				case "text", "code", "select":
					value = strings.TrimSpace(raw)
				case "datetime":
					value = strings.TrimSpace(raw)
					if t, err := time.ParseInLocation("2006-01-02T15:04", value, u.opts.Location); err == nil {
						value = t.Format(time.RFC3339)
					}
				}
				if value == "" {
					if !creating {
						input[f.Name] = nil
					}
					continue
				}
				input[f.Name] = value
			}
		}
	}
	return input, posted
}

// formValues reads a posted form's values by name, whether it was posted
// url-encoded or, with a file input, as multipart/form-data.
func formValues(c *fiber.Ctx) func(name string) []string {
	if form, err := c.MultipartForm(); err == nil {
		return func(name string) []string { return form.Value[name] }
	}
	args := c.Request().PostArgs()
	return func(name string) []string {
		var out []string
		for _, v := range args.PeekMulti(name) {
			out = append(out, string(v))
		}
		return out
	}
}

// postable names the fields a form lets actor post.
func (u *UI) postable(actor engine.Actor, e *metamodel.Entity) map[string]bool {
	out := map[string]bool{}
	for _, f := range e.Fields {
		if u.writable(actor, e, f) {
			out[f.Name] = true
		}
	}
	return out
}

// fieldErrors splits a validation or conflict error into messages by field;
// problems of fields the form does not let the user post go to the record.
func fieldErrors(l Lang, shown map[string]bool, fields map[string][]engine.FieldError) (map[string][]string, []string) {
	byField := map[string][]string{}
	var record []string
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, fe := range fields[name] {
			if shown[name] {
				byField[name] = append(byField[name], fe.Text(l == English))
			} else if name == engine.RecordField {
				record = append(record, fe.Text(l == English))
			} else {
				record = append(record, name+"："+fe.Text(l == English))
			}
		}
	}
	return byField, record
}

// labelled replaces field names in record-level problems by labels.
func labelled(l Lang, e *metamodel.Entity, msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		if name, rest, ok := strings.Cut(m, "："); ok {
			if f := e.Field(name); f != nil {
				m = l.FieldLabel(f) + "：" + rest
			}
		}
		out[i] = m
	}
	return out
}

func (u *UI) newForm(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	if !u.rt.Access.Can(r.actor, e, "create") {
		return engine.Forbidden("您无权新建%s", entityText(e))
	}
	view := &formView{Title: r.lang.T("form.new", r.lang.EntityTitle(e)), Action: listURL(e) + "/new", CancelURL: listURL(e), Idempotency: idempotencyToken()}
	// ?field=value presets writable fields (a parent's "add" link sets the
	// ref), and a preset ref fills the fields its fill rule names.
	var st formState
	for _, f := range e.Fields {
		if v := r.c.Query(f.Name); v != "" && u.writable(r.actor, e, f) {
			if st.posted == nil {
				st.posted = map[string]string{}
			}
			st.posted[f.Name] = v
		}
	}
	if form := formOf(e); form != nil && st.posted != nil {
		for _, rule := range form.Fill {
			if id, err := strconv.ParseInt(st.posted[rule.Ref], 10, 64); err == nil && id > 0 {
				u.fillFrom(r.c.UserContext(), r, e, rule, id, st.posted)
			}
		}
	}
	view.Sections = u.buildForm(r.c.UserContext(), r, e, st)
	return u.render(r, 200, "form", u.formPage(r, e, view))
}

func (u *UI) create(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	input, posted := u.postedInput(r, e, true)
	// A refused create committed nothing, so its key may be used again.
	view := &formView{Title: r.lang.T("form.new", r.lang.EntityTitle(e)), Action: listURL(e) + "/new", CancelURL: listURL(e), Idempotency: r.c.FormValue("_idempotency")}
	if note := u.refill(r, e, posted); note != "" {
		// A ref chosen without scripts: show what it filled, save nothing.
		view.Notice = note
		view.Sections = u.buildForm(r.c.UserContext(), r, e, formState{posted: posted})
		return u.render(r, 200, "form", u.formPage(r, e, view))
	}
	uploaded, badFiles, err := u.uploadFiles(r, e, input, posted)
	if err != nil {
		return err
	}
	if badFiles != nil {
		return u.refused(r, e, view, formState{posted: posted}, badFiles)
	}
	ctx := r.c.UserContext()
	if key := r.c.FormValue("_idempotency"); key != "" {
		ctx = engine.WithIdempotencyKey(ctx, "ui:"+key)
	}
	rec, err := u.rt.Create(ctx, r.actor, e.App.Name, e.Name, input)
	if err == nil {
		return u.redirect(r, recordURL(e, rec.ID), r.lang.T("record.saved"))
	}
	dropRefusedUploads(err, uploaded, posted)
	return u.refused(r, e, view, formState{posted: posted}, err)
}

func (u *UI) editForm(r *request) error {
	e, rec, err := u.loadRecord(r)
	if err != nil {
		return err
	}
	if !u.rt.Access.Can(r.actor, e, "update") {
		return engine.Forbidden("您无权修改%s", entityText(e))
	}
	view := u.editView(r, e, rec)
	if !editable(e, rec.State) {
		view.Conflict = fmt.Sprintf("%s 在“%s”状态下不能修改", r.lang.EntityTitle(e), StateLabel(e.Workflow, rec.State))
	}
	view.Sections = u.buildForm(r.c.UserContext(), r, e, formState{record: rec})
	return u.render(r, 200, "form", u.formPage(r, e, view))
}

func (u *UI) editView(r *request, e *metamodel.Entity, rec *engine.Record) *formView {
	return &formView{Title: r.lang.T("form.edit", r.lang.EntityTitle(e), u.recordName(r, e, rec)), Action: recordURL(e, rec.ID) + "/edit",
		CancelURL: recordURL(e, rec.ID), Version: rec.Version, ReloadURL: recordURL(e, rec.ID) + "/edit"}
}

func (u *UI) update(r *request) error {
	e, id, version, err := u.postedRecord(r)
	if err != nil {
		return err
	}
	input, posted := u.postedInput(r, e, false)
	if note := u.refill(r, e, posted); note != "" {
		current, err := u.rt.Get(r.c.UserContext(), r.actor, e.App.Name, e.Name, id)
		if err != nil {
			return err
		}
		view := u.editView(r, e, current)
		view.Version, view.Notice = version, note
		view.Sections = u.buildForm(r.c.UserContext(), r, e, formState{record: current, posted: posted})
		return u.render(r, 200, "form", u.formPage(r, e, view))
	}
	uploaded, badFiles, err := u.uploadFiles(r, e, input, posted)
	if err != nil {
		return err
	}
	if badFiles != nil {
		err = badFiles
	} else {
		rec, uerr := u.rt.Update(r.c.UserContext(), r.actor, e.App.Name, e.Name, id, version, input)
		if uerr == nil {
			return u.redirect(r, recordURL(e, rec.ID), r.lang.T("record.saved"))
		}
		err = uerr
		dropRefusedUploads(err, uploaded, posted)
	}
	// Read-only fields are shown as they are now; the input as it was typed.
	current, gerr := u.rt.Get(r.c.UserContext(), r.actor, e.App.Name, e.Name, id)
	if gerr != nil {
		return err
	}
	view := u.editView(r, e, current)
	view.Version = version // a stale form stays stale: saving again must not overwrite
	return u.refused(r, e, view, formState{record: current, posted: posted}, err)
}

// refused shows a form again after the runtime refused it: validation
// problems next to their fields, a conflict (stale version, state, duplicate)
// above the form, the user's input kept. Other errors become error pages.
func (u *UI) refused(r *request, e *metamodel.Entity, view *formView, st formState, err error) error {
	var ve *engine.ValidationError
	var ce *engine.ConflictError
	var problems map[string][]engine.FieldError
	switch {
	case asValidation(err, &ve):
		problems = ve.Fields
		view.Invalid = true
	case asConflict(err, &ce):
		problems = ce.Fields
		view.Conflict = ce.Text(r.lang == English)
	default:
		return err
	}
	status, _, _ := describe(r, err)
	st.errors, view.Errors = fieldErrors(r.lang, u.postable(r.actor, e), problems)
	view.Errors = labelled(r.lang, e, view.Errors)
	view.Sections = u.buildForm(r.c.UserContext(), r, e, st)
	return u.render(r, status, "form", u.formPage(r, e, view))
}

func (u *UI) formPage(r *request, e *metamodel.Entity, view *formView) *page {
	view.Multipart = hasFileInput(view.Sections)
	p := u.newPage(r, view.Title, view)
	p.Crumbs = []crumb{{Label: r.lang.AppTitle(e.App)}, {Label: r.lang.EntityTitle(e), URL: listURL(e)}, {Label: view.Title}}
	return p
}

// idempotencyToken is a fresh key for one form: posting the form twice (a
// double click, a reload after a lost answer) applies it once, because the
// runtime replays the first result for a key it has seen.
func idempotencyToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

package ui

import (
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"slices"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

// Import from the browser: the list page of an entity the user may create
// links to /ui/{app}/{entity}/import, a form that posts one CSV or Excel
// file (multipart, works without JavaScript) to rt.Import, the same call as
// POST /api/{app}/{entity}/import and `growth import`. The import is all or
// nothing: on success the browser goes to the list with how many records
// were imported; otherwise the page lists every bad row with its line
// number and what is wrong, by field, and nothing was imported. The page
// names the columns the file may have and offers a template (the header
// row as CSV).

// importView is the import page.
type importView struct {
	Title       string
	Action      string
	ListURL     string
	TemplateURL string
	Idempotency string
	Columns     []importColumn
	Error       string
	Rejected    *importRejection
}

type importColumn struct {
	Label, Name, Hint string
	// CodesURL browses the code set of a code column.
	CodesURL string
	Required bool
}

// importRejection is what a refused import shows: every bad row.
type importRejection struct {
	Message string
	Rows    []importRowView
}

type importRowView struct {
	Line     int
	Problems []string
}

// importFields are the fields a file may give for actor: those a form lets
// actor write, except files (an upload is not a cell).
func (u *UI) importFields(actor engine.Actor, e *metamodel.Entity) []*metamodel.Field {
	var out []*metamodel.Field
	for _, f := range e.Fields {
		if u.writable(actor, e, f) && !f.Is(metamodel.Attachment) {
			out = append(out, f)
		}
	}
	return out
}

func (u *UI) importEntity(r *request) (*metamodel.Entity, error) {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return nil, err
	}
	if !u.rt.Access.Can(r.actor, e, "create") {
		return nil, engine.Forbidden("您无权导入%s", entityText(e))
	}
	return e, nil
}

func (u *UI) importView(r *request, e *metamodel.Entity) *importView {
	l := r.lang
	view := &importView{Title: l.T("import.title", l.EntityTitle(e)), Action: listURL(e) + "/import", ListURL: listURL(e),
		TemplateURL: listURL(e) + "/import/template.csv", Idempotency: idempotencyToken()}
	for _, f := range u.importFields(r.actor, e) {
		col := importColumn{Label: l.FieldLabel(f), Name: f.Name, Hint: metamodel.ImportHintOf(f, l == English), Required: f.Required && f.Default == nil}
		if f.Set != nil {
			col.CodesURL = "/ui/codes/" + f.Set.Name
		}
		view.Columns = append(view.Columns, col)
	}
	return view
}

func (u *UI) importPage(r *request) error {
	e, err := u.importEntity(r)
	if err != nil {
		return err
	}
	return u.render(r, 200, "import", u.importScreen(r, e, u.importView(r, e)))
}

func (u *UI) importScreen(r *request, e *metamodel.Entity, view *importView) *page {
	p := u.newPage(r, view.Title, view)
	p.Crumbs = []crumb{{Label: r.lang.AppTitle(e.App)}, {Label: r.lang.EntityTitle(e), URL: listURL(e)}, {Label: r.lang.T("list.import")}}
	return p
}

// importFile runs the posted file through rt.Import.
func (u *UI) importFile(r *request) error {
	e, err := u.importEntity(r)
	if err != nil {
		return err
	}
	view := u.importView(r, e)
	fh, err := r.c.FormFile("file")
	if err != nil || (fh.Size == 0 && fh.Filename == "") {
		view.Error = r.lang.T("import.nofile")
		return u.render(r, fiber.StatusUnprocessableEntity, "import", u.importScreen(r, e, view))
	}
	// A double click, or a reload of the post, imports once: the second
	// post waits for the first and goes where it went.
	key := r.c.FormValue("_idempotency")
	if key != "" {
		key = r.actor.User + "\x00" + key
		if post, first := u.imports.begin(key); !first {
			if target, flash, ok := post.wait(r.c.UserContext()); ok {
				return u.redirect(r, target, flash)
			}
		}
	}
	target, flash, err := u.runImport(r, e, fh, view)
	if key != "" {
		u.imports.finish(key, target, flash, err == nil && target != "")
	}
	if err != nil {
		return err
	}
	if target == "" {
		return u.render(r, fiber.StatusUnprocessableEntity, "import", u.importScreen(r, e, view))
	}
	return u.redirect(r, target, flash)
}

// runImport imports the posted file. It returns where to go when the file
// was imported; a refused file fills view.Rejected instead.
func (u *UI) runImport(r *request, e *metamodel.Entity, fh *multipart.FileHeader, view *importView) (target, flash string, err error) {
	file, err := fh.Open()
	if err != nil {
		return "", "", fmt.Errorf("reading upload: %w", err)
	}
	defer file.Close()
	report, err := u.rt.Import(r.c.UserContext(), r.actor, e.App.Name, e.Name, file, engine.ImportFormat(fh.Filename), nil)
	var rejected *engine.ImportRejectedError
	switch {
	case errors.As(err, &rejected):
		view.Rejected = u.rejection(r.lang, e, rejected.Report)
		return "", "", nil
	case err != nil:
		return "", "", err
	}
	return listURL(e) + "?sort=-id", r.lang.T("import.done", report.Imported), nil
}

// rejection lists every bad row: its line and, by field, what is wrong.
func (u *UI) rejection(l Lang, e *metamodel.Entity, report *engine.ImportReport) *importRejection {
	out := &importRejection{Message: l.T("import.rejected", len(report.Errors), report.Total)}
	for _, row := range report.Errors {
		rv := importRowView{Line: row.Line}
		names := make([]string, 0, len(row.Fields))
		for name := range row.Fields {
			names = append(names, name)
		}
		// The file's and the row's own problems first, then by field order.
		slices.SortFunc(names, func(a, b string) int { return fieldOrder(e, a) - fieldOrder(e, b) })
		for _, name := range names {
			prefix := ""
			switch name {
			case engine.FileField:
				out.Message = l.T("import.badfile")
			case engine.RecordField:
			default:
				prefix = name + "："
				if f := e.Field(name); f != nil {
					prefix = l.FieldLabel(f) + "："
				}
			}
			for _, fe := range row.Fields[name] {
				rv.Problems = append(rv.Problems, prefix+fe.Text(l == English))
			}
		}
		out.Rows = append(out.Rows, rv)
	}
	return out
}

// fieldOrder is a field's place in e, after the file and the record.
func fieldOrder(e *metamodel.Entity, name string) int {
	switch name {
	case engine.FileField:
		return -2
	case engine.RecordField:
		return -1
	}
	for i, f := range e.Fields {
		if f.Name == name {
			return i
		}
	}
	return len(e.Fields)
}

// importTemplate is an empty file to fill in: the header row, as CSV.
func (u *UI) importTemplate(r *request) error {
	e, err := u.importEntity(r)
	if err != nil {
		return err
	}
	var header []string
	for _, f := range u.importFields(r.actor, e) {
		header = append(header, r.lang.FieldLabel(f))
	}
	buf, w := newCSV(header)
	w.Flush()
	attachment(r.c, e.App.Name+"-"+e.Name+"-template", r.lang.EntityTitle(e)+r.lang.pick("导入模板", " import template"), "csv", u.opts.Location)
	r.c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	return r.c.Send(buf.Bytes())
}

// onceGuard makes one form post run once in this process: a second post of
// the same form waits for the first and gets its answer. Imports need it
// because rt.Import takes no idempotency key (each row is a create of its
// own); forms that create one record use the engine's idempotency keys.
type onceGuard struct {
	mu    sync.Mutex
	posts map[string]*oncePost
}

type oncePost struct {
	done          chan struct{}
	target, flash string
	ok            bool
	at            time.Time
}

// onceKeep is how long a finished post is remembered.
const onceKeep = 10 * time.Minute

// begin registers key; first is false when a post with key ran or runs.
func (g *onceGuard) begin(key string) (*oncePost, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if g.posts == nil {
		g.posts = map[string]*oncePost{}
	}
	for k, p := range g.posts {
		if now.Sub(p.at) > onceKeep {
			delete(g.posts, k)
		}
	}
	if p, ok := g.posts[key]; ok {
		return p, false
	}
	g.posts[key] = &oncePost{done: make(chan struct{}), at: now}
	return g.posts[key], true
}

// finish records how the first post of key ended; a post that did not
// succeed is forgotten, so that the form may be posted again.
func (g *onceGuard) finish(key, target, flash string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.posts[key]
	if p == nil {
		return
	}
	p.target, p.flash, p.ok = target, flash, ok
	if !ok {
		delete(g.posts, key)
	}
	close(p.done)
}

// wait waits for the first post; ok tells whether it succeeded, and then
// where it went.
func (p *oncePost) wait(ctx context.Context) (string, string, bool) {
	select {
	case <-p.done:
		return p.target, p.flash, p.ok
	case <-ctx.Done():
		return "", "", false
	}
}

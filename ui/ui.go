package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Sessions is what the UI needs of the web session layer: web.Sessions (the
// session cookie, HttpOnly and SameSite, and the CSRF token bound to it), as
// the API's apps.Auth carries it. The UI has no login of its own.
type Sessions interface {
	ActorFromCookie(c *fiber.Ctx) (engine.Actor, error)
	LoginWithCookie(c *fiber.Ctx, username, password string) (*engine.Session, error)
	LogoutCookie(c *fiber.Ctx) error
	// ClearSessionCookie drops the session cookie with the same attributes
	// (Secure behind HTTPS) it was set with.
	ClearSessionCookie(c *fiber.Ctx)
	CSRFToken(c *fiber.Ctx) (string, error)
	VerifyCSRF(c *fiber.Ctx) error
}

var _ Sessions = (*web.Sessions)(nil)

// userStore is a Sessions that names its user store (web.Sessions does).
type userStore interface{ UserStore() *engine.Users }

// singleSignOn is a Sessions that offers single sign-on (apps.Auth with
// OIDC): the path its button starts at and the button's text; "" for none.
type singleSignOn interface{ SingleSignOn() (path, label string) }

// Options configure the UI.
type Options struct {
	// Sessions logs users in and out and checks CSRF tokens; required.
	Sessions Sessions
	Logger   *slog.Logger
	// Location is the time zone times are shown and entered in; default
	// China Standard Time (UTC+8).
	Location *time.Location
	// ExportLimit is the most rows one export may hold; a larger result is
	// refused with a message to narrow the filter. Default 100,000.
	ExportLimit int
	// Auditor reports whether an actor may open the auditor's pages; default:
	// the platform admin role, or a role named auditor in any app.
	Auditor func(engine.Actor) bool
	// Users is the user store the user administration pages manage, through
	// the same calls as the admin API; default: Sessions' store when it
	// names one (web.Sessions). Without one those pages are not served.
	Users *engine.Users
}

// DefaultExportLimit caps one export.
const DefaultExportLimit = 100_000

// chinaTime is UTC+8 without daylight saving, which needs no tz database.
var chinaTime = time.FixedZone("CST", 8*3600)

// reservedApps are path segments under /ui/ that are the UI's own; an app may
// not be called so, or its pages would be unreachable. It is the checker's
// list, so that a definition growth check accepts also mounts.
var reservedApps = metamodel.ReservedAppNames

// UI serves the web pages of one runtime.
type UI struct {
	rt    *engine.Runtime
	opts  Options
	log   *slog.Logger
	pages map[string]*template.Template
	// imports makes a double-posted import form import once.
	imports onceGuard
	// people caches display names by login name.
	people nameCache
}

// Mount adds the UI's routes to app: / (portal), /login, /logout, and the
// pages under /ui/. It fails when an app's name collides with the UI's own
// paths or a template does not parse.
func Mount(app *fiber.App, rt *engine.Runtime, opts Options) error {
	u, err := New(rt, opts)
	if err != nil {
		return err
	}
	u.Mount(app)
	return nil
}

// New prepares the UI without mounting it.
func New(rt *engine.Runtime, opts Options) (*UI, error) {
	if opts.Sessions == nil {
		return nil, errors.New("ui: Options.Sessions is required (web.Sessions, or apps.Auth)")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Location == nil {
		opts.Location = chinaTime
	}
	if opts.ExportLimit <= 0 {
		opts.ExportLimit = DefaultExportLimit
	}
	if opts.Auditor == nil {
		opts.Auditor = defaultAuditor
	}
	if store, ok := opts.Sessions.(userStore); ok && opts.Users == nil {
		opts.Users = store.UserStore()
	}
	for _, a := range rt.Project.Apps {
		if slices.Contains(reservedApps, a.Name) {
			return nil, fmt.Errorf("ui: an app may not be called %q: /ui/%s/ is the web UI's own path", a.Name, a.Name)
		}
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &UI{rt: rt, opts: opts, log: opts.Logger, pages: pages}, nil
}

// defaultAuditor lets admins and any role called auditor see the audit pages.
func defaultAuditor(a engine.Actor) bool {
	for _, r := range a.Roles {
		if r == engine.AdminRole || r == "auditor" || strings.HasSuffix(r, ".auditor") {
			return true
		}
	}
	return false
}

// parseTemplates parses each page with the shared layout and widgets.
func parseTemplates() (map[string]*template.Template, error) {
	shared := []string{"templates/layout.html", "templates/widgets.html"}
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, shared...)
	if err != nil {
		return nil, fmt.Errorf("ui templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		if slices.Contains(shared, name) {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("ui templates: %w", err)
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")] = t
	}
	return pages, nil
}

// funcs are the few helpers templates use; view models carry everything else
// ready to print.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"gridCols": func(n int) string {
		if n < 1 {
			n = 1
		}
		return "cols-" + strconv.Itoa(min(n, 4))
	},
}

// Mount adds the routes.
func (u *UI) Mount(app *fiber.App) {
	// First, so that it wraps every page below and the paths no route has.
	app.Use(u.errorPages)
	static, _ := fs.Sub(staticFS, "static")
	app.Get("/ui/static/*", u.static(static))
	app.Get("/", u.handle(u.portal))
	app.Get("/login", u.loginPage)
	app.Post("/login", u.login)
	app.Post("/logout", u.logout)
	app.Get("/ui/audit", u.handle(u.audit))
	app.Get("/ui/audit/diagram/:app/:workflow", u.handle(u.diagram))
	if u.opts.Users != nil {
		// Before /ui/:app/:entity, which would read them as app "admin".
		app.Get(usersPath, u.handle(u.userList))
		app.Get(usersPath+"/new", u.handle(u.newUserForm))
		app.Post(usersPath+"/new", u.handlePost(u.addUser))
		app.Get(usersPath+"/:name", u.handle(u.userEditForm))
		app.Post(usersPath+"/:name", u.handlePost(u.changeUser))
	}
	if len(u.rt.Project.Exchanges()) > 0 {
		app.Get(exceptionsPath, u.handle(u.exceptionList))
		app.Post(exceptionsPath+"/:id/resolve", u.handlePost(u.resolveException))
		app.Get(reconPath, u.handle(u.reconList))
		app.Get(reconPath+"/:id", u.handle(u.reconDetail))
		app.Post(reconPath+"/items/:id/resolve", u.handlePost(u.resolveReconItem))
	}
	// Before /ui/:app/:entity ("books" is a reserved app name).
	app.Get(booksPath, u.handle(u.booksTrialBalance))
	app.Get(booksPath+"/ledger", u.handle(u.booksLedger))
	app.Get(booksPath+"/detail", u.handle(u.booksDetail))
	app.Get("/ui/codes/:codeset", u.handle(u.codes))
	app.Get("/ui/codes/:codeset/options", u.handle(u.codeOptionsFragment))
	app.Get("/ui/ref/:app/:entity", u.handle(u.refs))
	app.Get("/ui/fill/:app/:entity/:field", u.handle(u.fillFragment))
	app.Get(accountPath, u.handle(u.accountPage))
	app.Post(accountPath, u.handlePost(u.changePassword))
	app.Get("/ui/files/:id", u.handle(u.download))
	app.Get("/ui/reports/:app/:report", u.handle(u.report))
	app.Get("/ui/reports/:app/:report/export.xlsx", u.handle(u.reportXLSX))
	app.Get("/ui/reports/:app/:report/export.csv", u.handle(u.reportCSV))
	app.Get("/public/reports/:app/:report", u.handlePublic(u.report))
	app.Get("/public/reports/:app/:report/export.xlsx", u.handlePublic(u.reportXLSX))
	app.Get("/public/reports/:app/:report/export.csv", u.handlePublic(u.reportCSV))
	app.Get("/ui/todo", u.handle(u.todo))
	app.Get("/ui/:app/:entity", u.handle(u.list))
	app.Post("/ui/:app/:entity/batch", u.handlePost(u.batch))
	app.Post("/ui/:app/:entity/filters", u.handlePost(u.saveFilter))
	app.Post("/ui/:app/:entity/filters/delete", u.handlePost(u.deleteFilter))
	app.Get("/ui/:app/:entity/export.xlsx", u.handle(u.exportXLSX))
	app.Get("/ui/:app/:entity/export.csv", u.handle(u.exportCSV))
	app.Get("/ui/:app/:entity/import", u.handle(u.importPage))
	app.Post("/ui/:app/:entity/import", u.handlePost(u.importFile))
	app.Get("/ui/:app/:entity/import/template.csv", u.handle(u.importTemplate))
	app.Get("/ui/:app/:entity/new", u.handle(u.newForm))
	app.Post("/ui/:app/:entity/new", u.handlePost(u.create))
	app.Get("/ui/:app/:entity/:id", u.handle(u.record))
	app.Get("/ui/:app/:entity/:id/edit", u.handle(u.editForm))
	app.Get("/ui/:app/:entity/:id/print", u.handle(u.printRecord))
	app.Get("/ui/:app/:entity/:id/print.pdf", u.handle(u.printPDF))
	app.Post("/ui/:app/:entity/:id/edit", u.handlePost(u.update))
	app.Post("/ui/:app/:entity/:id/delete", u.handlePost(u.remove))
	app.Post("/ui/:app/:entity/:id/events/:event", u.handlePost(u.fire))
}

// static serves the embedded assets; they change only with the binary.
func (u *UI) static(files fs.FS) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name := c.Params("*")
		data, err := fs.ReadFile(files, name)
		if err != nil || name == "" || strings.Contains(name, "..") {
			return c.Status(fiber.StatusNotFound).SendString("not found")
		}
		switch {
		case strings.HasSuffix(name, ".css"):
			c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		case strings.HasSuffix(name, ".js"):
			c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
		default:
			c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(data)
	}
}

// request is one page request: who asks, in which language.
type request struct {
	c     *fiber.Ctx
	actor engine.Actor
	lang  Lang
	csrf  string
	// public is a page anyone may open without logging in (a public
	// report); actor is then whoever is logged in, or nobody.
	public bool
}

// handler is a page handler; errors it returns become error pages.
type handler func(r *request) error

// handle authenticates a GET: no valid session sends the browser to the
// login page (htmx requests get HX-Redirect).
func (u *UI) handle(h handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		securityHeaders(c)
		r := &request{c: c, lang: langOf(c)}
		actor, err := u.opts.Sessions.ActorFromCookie(c)
		if err != nil {
			return u.toLogin(r)
		}
		r.actor = actor
		if r.csrf, err = u.opts.Sessions.CSRFToken(c); err != nil {
			return u.fail(r, err)
		}
		if err := h(r); err != nil {
			return u.fail(r, err)
		}
		return nil
	}
}

// handlePost authenticates a form post and checks its CSRF token before
// anything else happens.
func (u *UI) handlePost(h handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		securityHeaders(c)
		r := &request{c: c, lang: langOf(c)}
		actor, err := u.opts.Sessions.ActorFromCookie(c)
		if err != nil {
			return u.toLogin(r)
		}
		r.actor = actor
		if r.csrf, err = u.opts.Sessions.CSRFToken(c); err != nil {
			return u.fail(r, err)
		}
		if err := u.opts.Sessions.VerifyCSRF(c); err != nil {
			return u.fail(r, err)
		}
		if err := h(r); err != nil {
			return u.fail(r, err)
		}
		return nil
	}
}

// handlePublic serves a page that needs no login. A logged-in visitor still
// sees their name in the header; the page's content does not depend on who
// asks. Anonymous answers may be cached for a minute (as the public API's
// are), which bounds how often anonymous readers make the server run the
// query; the language cookie varies them.
func (u *UI) handlePublic(h handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		securityHeaders(c)
		r := &request{c: c, lang: langOf(c), public: true}
		if actor, err := u.opts.Sessions.ActorFromCookie(c); err == nil {
			r.actor = actor
			r.csrf, _ = u.opts.Sessions.CSRFToken(c)
		} else if c.Query("lang") == "" {
			c.Set(fiber.HeaderCacheControl, "public, max-age=60")
			c.Set(fiber.HeaderVary, "Cookie")
		}
		if err := h(r); err != nil {
			c.Set(fiber.HeaderCacheControl, "no-store")
			return u.fail(r, err)
		}
		return nil
	}
}

func securityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// toLogin sends an unauthenticated request to the login page and back.
func (u *UI) toLogin(r *request) error {
	next := r.c.OriginalURL()
	if r.c.Method() != fiber.MethodGet {
		next = r.c.Get(fiber.HeaderReferer)
		if ref, err := url.Parse(next); err == nil {
			next = ref.RequestURI()
		}
	}
	target := "/login"
	if safeNext(next) && next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	if r.c.Get("HX-Request") == "true" {
		r.c.Set("HX-Redirect", target)
		return r.c.SendStatus(fiber.StatusUnauthorized)
	}
	return r.c.Redirect(target, fiber.StatusSeeOther)
}

// safeNext accepts only paths on this site as redirect targets: an absolute
// path that no browser could read as another host. Browsers drop tabs and
// newlines anywhere in a URL and read a backslash as a slash, so
// "/\t/evil.example" and "/\\evil.example" are "//evil.example", another
// site; control characters, backslashes, a scheme, a host and a path that
// starts with "//" (before or after decoding and cleaning) are refused.
func safeNext(next string) bool {
	if len(next) > 2048 || !strings.HasPrefix(next, "/") || unsafePath(next) {
		return false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	return !unsafePath(u.Path) && !strings.HasPrefix(path.Clean(u.Path), "//")
}

// unsafePath reports whether p starts with two slashes or holds a backslash
// a control, format or space character (ASCII or Unicode).
func unsafePath(p string) bool {
	if strings.HasPrefix(p, "//") {
		return true
	}
	for _, r := range p {
		if r == '\\' || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z) || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// page is what every full page template gets.
type page struct {
	Lang     Lang
	Title    string
	User     *userView
	CSRF     string
	LangURL  string
	Flash    string
	Crumbs   []crumb
	CanAudit bool
	// CanAdmin shows the link to user administration.
	CanAdmin bool
	// CanExchange shows the link to the exchange's exceptions.
	CanExchange bool
	Data        any
}

// T translates key in the page's language.
func (p *page) T(key string, args ...any) string { return p.Lang.T(key, args...) }

// HTMLLang is the page's lang attribute.
func (p *page) HTMLLang() string { return string(p.Lang) }

type userView struct {
	// Name is the display name, Login the login name (shown on hover).
	Name    string
	Login   string
	OrgName string
	Roles   string
}

type crumb struct {
	Label, URL string
}

// newPage starts a page for r.
func (u *UI) newPage(r *request, title string, data any) *page {
	p := &page{Lang: r.lang, Title: title, CSRF: r.csrf, Data: data}
	if r.actor.User != "" {
		who := u.person(r.c.UserContext(), r.actor.User)
		p.User = &userView{Name: who.Name, Login: who.Login, Roles: describeRoles(u.rt.Project, r.actor.Roles)}
		if r.actor.Org != "" {
			p.User.OrgName = engine.OrgName(u.rt.Project, r.actor.Org)
			if p.User.OrgName == "" {
				p.User.OrgName = r.actor.Org
			}
		}
		p.CanAudit = u.opts.Auditor(r.actor)
		p.CanAdmin = u.opts.Users != nil && isAdmin(r.actor)
		p.CanExchange = isAdmin(r.actor) && len(u.rt.Project.Exchanges()) > 0
	}
	other := English
	if r.lang == English {
		other = Chinese
	}
	q := r.c.Request().URI().QueryArgs()
	args := url.Values{}
	q.VisitAll(func(k, v []byte) {
		if string(k) != "lang" {
			args.Add(string(k), string(v))
		}
	})
	args.Set("lang", string(other))
	p.LangURL = pageOf(r.c) + "?" + args.Encode()
	if msg := r.c.Cookies(flashCookie); msg != "" {
		if text, err := url.QueryUnescape(msg); err == nil {
			p.Flash = text
		}
		r.c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0)})
	}
	return p
}

// pageOf is the page a request shows, as a URL one can get: a refused post
// shows the page it was posted from (the record for an event or a delete).
func pageOf(c *fiber.Ctx) string {
	path := c.Path()
	if c.Method() == fiber.MethodGet {
		return path
	}
	if i := strings.Index(path, "/events/"); i > 0 {
		return path[:i]
	}
	if path == "/login" || path == "/logout" {
		return "/login"
	}
	return strings.TrimSuffix(path, "/delete")
}

// flashCookie carries a one-time message across a redirect (post, redirect,
// get), so that a reload does not post again.
const flashCookie = "growth_flash"

// redirect answers a successful post with 303 to target and a message.
func (u *UI) redirect(r *request, target, flash string) error {
	if flash != "" {
		r.c.Cookie(&fiber.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", MaxAge: 60, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	return r.c.Redirect(target, fiber.StatusSeeOther)
}

// render executes a page template in the layout.
func (u *UI) render(r *request, status int, name string, p *page) error {
	t := u.pages[name]
	if t == nil {
		return fmt.Errorf("ui: no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("ui: render %s: %w", name, err)
	}
	r.c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return r.c.Status(status).Send(buf.Bytes())
}

// fragment executes a named template alone, for htmx to swap in.
func (u *UI) fragment(r *request, name, block string, data any) error {
	var buf bytes.Buffer
	if err := u.pages[name].ExecuteTemplate(&buf, block, data); err != nil {
		return fmt.Errorf("ui: render %s/%s: %w", name, block, err)
	}
	r.c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return r.c.Send(buf.Bytes())
}

// errorView is the error page's content.
type errorView struct {
	Status  int
	Message string
}

// apiPath reports whether path belongs to the API (and the machine
// endpoints), which answer errors in JSON, not with pages.
func apiPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || path == "/metrics" || path == "/healthz" || path == "/readyz"
}

// errorPages answers, for every path outside the API, what no page handler
// does: a path no route has (404), a method the path does not take (405)
// and a panic of a page handler (500, logged with the request id), each
// with an error page in the user's language.
func (u *UI) errorPages(c *fiber.Ctx) (err error) {
	if apiPath(c.Path()) {
		return c.Next()
	}
	r := &request{c: c, lang: langOf(c)}
	defer func() {
		if perr := web.Recovered(recover()); perr != nil {
			securityHeaders(c)
			err = u.fail(r, perr)
		}
	}()
	err = c.Next()
	var fe *fiber.Error
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	var msg string
	switch {
	case fe.Code == fiber.StatusNotFound && strings.HasPrefix(fe.Message, "Cannot "):
		msg = r.lang.T("error.nopage", c.Path())
	case fe.Code == fiber.StatusMethodNotAllowed:
		msg = r.lang.T("error.method", c.Method())
	default:
		return err
	}
	securityHeaders(c)
	if actor, aerr := u.opts.Sessions.ActorFromCookie(c); aerr == nil {
		r.actor = actor
		r.csrf, _ = u.opts.Sessions.CSRFToken(c)
	}
	return u.failWith(r, fe.Code, msg)
}

// fail renders err as an error page with the status engine/web gives it (the
// one error→HTTP mapping); a lost session goes to the login page.
func (u *UI) fail(r *request, err error) error {
	status, body := (&web.Errors{Log: u.log}).Describe(r.c, err, r.lang == English)
	code, msg := body.Error.Code, body.Error.Message
	if status == fiber.StatusUnauthorized && code == errcode.Unauthorized {
		return u.toLogin(r)
	}
	return u.failWith(r, status, msg)
}

// failWith renders an error page of status with msg (htmx gets msg alone).
func (u *UI) failWith(r *request, status int, msg string) error {
	if r.c.Get("HX-Request") == "true" {
		r.c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return r.c.Status(status).SendString(msg)
	}
	p := u.newPage(r, r.lang.T("error.title"), &errorView{Status: status, Message: msg})
	if rerr := u.render(r, status, "error", p); rerr != nil {
		u.log.Error("ui: error page failed", "error", rerr.Error())
		return r.c.Status(status).SendString(msg)
	}
	return nil
}

// recordID parses the :id of a record path.
func recordID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, engine.NotFound("记录编号 %q 无效", c.Params("id"))
	}
	return id, nil
}

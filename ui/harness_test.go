package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/ui"
	"golang.org/x/crypto/bcrypt"
)

// shippedDir holds the business systems we ship; the UI tests run on them.
const shippedDir = "../definitions"

// server is the whole web server as `growth serve` builds it: the REST API
// with the users' sessions and role-based access, and the UI mounted on it.
type server struct {
	rt    *engine.Runtime
	app   *fiber.App
	users *engine.Users
}

// startServer starts the server on a fresh database of dialect d.
func startServer(t testing.TB, d engine.Dialect, p *metamodel.Project) *server {
	t.Helper()
	return serve(t, enginetest.Start(t, d, p, enginetest.RoleAccess(t, p)))
}

// serve builds the server over a started runtime.
func serve(t testing.TB, rt *engine.Runtime) *server {
	t.Helper()
	access, err := engine.NewRoleAccess(rt.Project)
	if err != nil {
		t.Fatal(err)
	}
	rt.Access = access
	users := engine.NewUsers(rt.DB, rt.Project)
	users.HashCost = bcrypt.MinCost // tests log in often; production keeps the default
	auth := apps.NewAuth(users)
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if err := ui.Mount(app, rt, ui.Options{Sessions: auth, Logger: enginetest.QuietLogger()}); err != nil {
		t.Fatal(err)
	}
	return &server{rt: rt, app: app, users: users}
}

const testPassword = "correct-horse-42"

// addUser adds a user with roles ("app.role") and an org.
func (s *server) addUser(t testing.TB, name, org string, roles ...string) {
	t.Helper()
	if _, err := s.users.Add(context.Background(), engine.SystemActor, engine.NewUser{Name: name, Password: testPassword, Org: org, Roles: roles}); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
}

// browser is a cookie-keeping client of the server through app.Test: what a
// browser without JavaScript does.
type browser struct {
	t       testing.TB
	s       *server
	cookies map[string]string
	// csrf is the token of the last page that had a form.
	csrf string
}

func (s *server) browser(t testing.TB) *browser {
	return &browser{t: t, s: s, cookies: map[string]string{}}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// page is one answer.
type page struct {
	status   int
	body     string
	location string
	header   http.Header
}

// do sends a request; form is posted url-encoded when not nil.
func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	return b.doWith(method, path, form, nil)
}

// htmx gets path the way htmx does, for a fragment rather than a page.
func (b *browser) htmx(path string) page {
	b.t.Helper()
	return b.doWith("GET", path, nil, map[string]string{"HX-Request": "true"})
}

func (b *browser) doWith(method, path string, form url.Values, header map[string]string) page {
	b.t.Helper()
	if form == nil {
		return b.send(method, path, nil, "", header)
	}
	return b.send(method, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", header)
}

// upload is a file posted with a multipart form.
type upload struct {
	field, name, contentType string
	data                     []byte
}

// postMultipart posts form and files as multipart/form-data, as a browser
// posts a form with a file input, with the CSRF token of the last page.
func (b *browser) postMultipart(path string, form url.Values, files ...upload) page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf)
	}
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, f.field, f.name))
		if f.contentType != "" {
			h.Set("Content-Type", f.contentType)
		}
		part, err := w.CreatePart(h)
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = part.Write(f.data)
	}
	if err := w.Close(); err != nil {
		b.t.Fatal(err)
	}
	return b.send("POST", path, &body, w.FormDataContentType(), nil)
}

// send sends a request with body of contentType.
func (b *browser) send(method, path string, body io.Reader, contentType string, header map[string]string) page {
	b.t.Helper()
	req := httptest.NewRequest(method, path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.s.app.Test(req, -1)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	p := page{status: resp.StatusCode, body: string(raw), location: resp.Header.Get("Location"), header: resp.Header}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do("GET", path, nil) }

// post posts form with the CSRF token of the last page.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf)
	}
	return b.do("POST", path, form)
}

// login logs in through the login form and fails the test if it does not work.
func (b *browser) login(name string) {
	b.t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"username": {name}, "password": {testPassword}})
	if p.status != http.StatusSeeOther || p.location != "/" {
		b.t.Fatalf("login %s: %d %s %s", name, p.status, p.location, excerpt(p.body))
	}
	b.get(p.location) // as a browser follows the redirect: the portal's forms carry the session's token
}

// want fails the test unless p has status and every text in texts.
func (p page) want(t testing.TB, what string, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d; %s", what, p.status, status, excerpt(p.body))
	}
	for _, text := range texts {
		if !strings.Contains(p.body, text) {
			t.Errorf("%s: page lacks %q; %s", what, text, excerpt(p.body))
		}
	}
}

// lacks fails the test if p holds any of texts.
func (p page) lacks(t testing.TB, what string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if strings.Contains(p.body, text) {
			t.Errorf("%s: page holds %q, which it must not", what, text)
		}
	}
}

// section returns the HTML of the element with id, up to the next element
// with an id of the same kind; enough to check what is next to what.
func (p page) section(id string) string {
	i := strings.Index(p.body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := p.body[i:]
	if j := strings.Index(rest[1:], `<div class="field`); j >= 0 {
		return rest[:j+1]
	}
	return rest
}

var alertText = regexp.MustCompile(`(?s)role="alert"[^>]*>(.*?)</`)

// excerpt is the part of a page worth reading in a failure: its alerts, and
// the start of its content.
func excerpt(body string) string {
	var alerts []string
	for _, m := range alertText.FindAllStringSubmatch(body, -1) {
		alerts = append(alerts, strings.TrimSpace(m[1]))
	}
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 1500 {
		body = body[:1500] + "…"
	}
	if len(alerts) > 0 {
		return "alerts: " + strings.Join(alerts, " | ") + "\n" + body
	}
	return body
}

// indicatorForm is a complete indicator as a clerk fills in the form.
func indicatorForm(amount string) url.Values {
	return url.Values{
		"year": {"2026"}, "division": {"510000000"}, "doc_no": {"川财教〔2026〕20号"}, "budget_level": {"2"},
		"agency": {"104001"}, "func_class": {"2050201"}, "gov_econ": {"50201"}, "dept_econ": {"30201"},
		"fund_nature": {"11"}, "fund_source": {"1"}, "amount": {amount}, "plan_control": {"false"}, "direct_fund": {"false"},
	}
}

package apps_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"golang.org/x/crypto/bcrypt"
)

// authDefs: a department (101) with two sibling agencies, another
// department's agency, and roles for each data scope.
var authDefs = map[string]string{"grants/app.yaml": `
app: grants
title: 拨款
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 教育厅}
      - {code: "101001", name: 教育厅本级, parent: "101"}
      - {code: "101002", name: 教育考试院, parent: "101"}
      - {code: "102", name: 民政厅}
      - {code: "102001", name: 民政厅本级, parent: "102"}
entities:
  grant:
    title: 拨款
    org_field: agency
    fields:
      agency:          {type: code, codeset: org, required: true, leaf_only: true, label: 单位}
      amount:          {type: money, required: true, label: 金额}
      purpose:         {type: string, label: 用途}
      secret_note:     {type: string, label: 内部备注}
      approved_amount: {type: money, label: 核定金额}
workflows:
  grant:
    entity: grant
    initial: draft
    states: [draft, submitted, approved]
    final: [approved]
    transitions:
      - {event: submit, from: [draft], to: submitted, roles: [clerk]}
      - {event: approve, from: [submitted], to: approved, roles: [department]}
roles:
  clerk:
    title: 单位经办
    scope: own_org
    can:
      grant: [create, read, update, delete, submit]
    fields:
      grant: {hidden: [secret_note], readonly: [approved_amount]}
  department:
    title: 主管部门
    scope: org_subtree
    can:
      grant: [read, update, export, approve]
  auditor:
    title: 审计
    scope: all
    can:
      grant: [read, export]
`}

// authServer is the REST API with authentication, users whose hashes are
// cheap, and a clock the test moves.
type authServer struct {
	t     *testing.T
	app   *fiber.App
	rt    *engine.Runtime
	users *engine.Users
	auth  *apps.Auth
	now   time.Time
}

func startAuthServer(t *testing.T, d engine.Dialect, p *metamodel.Project) *authServer {
	t.Helper()
	rt := enginetest.Start(t, d, p, engine.OpenAccess{})
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	rt.Access = access
	s := &authServer{t: t, rt: rt, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s.users = engine.NewUsers(rt.DB, p)
	s.users.HashCost = bcrypt.MinCost
	s.users.Clock = func() time.Time { return s.now }
	s.auth = apps.NewAuth(s.users)
	s.app, err = apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: s.auth})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// addUser adds a user whose password is name + "-password".
func (s *authServer) addUser(name, org string, roles ...string) {
	s.t.Helper()
	if _, err := s.users.Add(context.Background(), engine.SystemActor, engine.NewUser{Name: name, Password: name + "-password", Org: org, Roles: roles}); err != nil {
		s.t.Fatal(err)
	}
}

// login logs name in through the API and returns the bearer header.
func (s *authServer) login(name string) map[string]string {
	s.t.Helper()
	body := apitest.Run(s.t, s.app, apitest.Scenario{Name: "login " + name, Method: "POST", Path: "/api/auth/login",
		Body: map[string]any{"username": name, "password": name + "-password"}, Status: 200})
	token, _ := apitest.Get(body, "token")
	return map[string]string{"Authorization": "Bearer " + token.(string)}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestLoginAndTokens(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("clerk1", "101001", "grants.clerk")
		bearer := s.login("clerk1")
		badLogin := map[string]any{"error.code": "unauthorized", "error.message": "用户名或密码错误"}
		scenarios := []apitest.Scenario{
			{Name: "me", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 200,
				Want: map[string]any{"name": "clerk1", "org": "101001", "org_name": "教育厅本级", "roles.0": "grants.clerk"}},
			{Name: "no token", Method: "GET", Path: "/api/grants/grant", Status: 401, Want: map[string]any{"error.code": "unauthorized"}},
			{Name: "forged token", Method: "GET", Path: "/api/grants/grant", Headers: map[string]string{"Authorization": "Bearer " + randomToken()}, Status: 401},
			{Name: "malformed token", Method: "GET", Path: "/api/grants/grant", Headers: map[string]string{"Authorization": "Bearer abc"}, Status: 401},
			{Name: "not a bearer", Method: "GET", Path: "/api/grants/grant", Headers: map[string]string{"Authorization": "Basic Y2xlcmsxOng="}, Status: 401},
			{Name: "wrong password", Method: "POST", Path: "/api/auth/login", Body: map[string]any{"username": "clerk1", "password": "nope-nope"}, Status: 401, Want: badLogin},
			{Name: "unknown user, same answer", Method: "POST", Path: "/api/auth/login", Body: map[string]any{"username": "ghost", "password": "nope-nope"}, Status: 401, Want: badLogin},
			{Name: "login without password", Method: "POST", Path: "/api/auth/login", Body: map[string]any{"username": "clerk1"}, Status: 400},
			{Name: "login with unknown fields", Method: "POST", Path: "/api/auth/login", Body: map[string]any{"user": "clerk1", "pass": "x"}, Status: 400},
			{Name: "token works", Method: "GET", Path: "/api/grants/grant", Headers: bearer, Status: 200},
		}
		for _, sc := range scenarios {
			apitest.Run(t, s.app, sc)
		}
		// Logout revokes: the same token is refused afterwards.
		apitest.Run(t, s.app, apitest.Scenario{Name: "logout", Method: "POST", Path: "/api/auth/logout", Headers: bearer, Status: 204})
		apitest.Run(t, s.app, apitest.Scenario{Name: "revoked", Method: "GET", Path: "/api/grants/grant", Headers: bearer, Status: 401,
			Want: map[string]any{"error.message": "登录已注销，请重新登录"}})
		apitest.Run(t, s.app, apitest.Scenario{Name: "logout twice", Method: "POST", Path: "/api/auth/logout", Headers: bearer, Status: 401})
		// Tokens expire.
		bearer = s.login("clerk1")
		s.now = s.now.Add(s.users.Policy.SessionTTL)
		apitest.Run(t, s.app, apitest.Scenario{Name: "expired", Method: "GET", Path: "/api/grants/grant", Headers: bearer, Status: 401,
			Want: map[string]any{"error.message": "登录已过期，请重新登录"}})
	})
}

func TestLoginLockout(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("clerk1", "101001", "grants.clerk")
		s.users.Policy.SlowAfter = 0 // only the lock here; slowing is tested in engine
		answers := map[string]string{}
		for _, name := range []string{"clerk1", "ghost"} {
			for i := 0; i < s.users.Policy.MaxFailures; i++ {
				apitest.Run(t, s.app, apitest.Scenario{Name: "guess", Method: "POST", Path: "/api/auth/login",
					Body: map[string]any{"username": name, "password": "guess-guess"}, Status: 401})
			}
			status, body, raw := apitest.Do(t, s.app, "POST", "/api/auth/login", map[string]any{"username": name, "password": name + "-password"}, nil)
			if status != 429 {
				t.Fatalf("%s after %d failures: %d %s, want 429", name, s.users.Policy.MaxFailures, status, raw)
			}
			if code, _ := apitest.Get(body, "error.code"); code != "locked" {
				t.Errorf("%s: code %v, want locked", name, code)
			}
			msg, _ := apitest.Get(body, "error.message")
			answers[name] = strings.ReplaceAll(msg.(string), name, "NAME")
		}
		if answers["clerk1"] != answers["ghost"] {
			t.Errorf("a locked existing user and a locked unknown name are told apart:\n%s\n%s", answers["clerk1"], answers["ghost"])
		}
		// Every failed login is in the audit trail.
		var n int
		if err := s.rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_audit WHERE app = 'growth' AND entity = 'user' AND action = 'login_failed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := 2 * s.users.Policy.MaxFailures; n != want {
			t.Errorf("%d failed logins audited, want %d", n, want)
		}
		s.now = s.now.Add(s.users.Policy.Window)
		s.login("clerk1")
	})
}

func TestAdminAPI(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("root", "", engine.AdminRole)
		s.addUser("clerk1", "101001", "grants.clerk")
		root, clerk := s.login("root"), s.login("clerk1")
		scenarios := []apitest.Scenario{
			{Name: "clerk may not list users", Method: "GET", Path: "/api/admin/users", Headers: clerk, Status: 403},
			{Name: "anonymous may not", Method: "GET", Path: "/api/admin/users", Status: 401},
			{Name: "admin lists", Method: "GET", Path: "/api/admin/users", Headers: root, Status: 200, Want: map[string]any{"items.#": 2, "items.0.name": "clerk1"}},
			{Name: "admin adds", Method: "POST", Path: "/api/admin/users", Headers: root, Status: 201,
				Body: map[string]any{"name": "dept1", "display_name": "李四", "password": "dept1-password", "roles": []string{"grants.department"}, "org": "101"},
				Want: map[string]any{"name": "dept1", "org_name": "教育厅", "enabled": true}},
			{Name: "unknown role", Method: "POST", Path: "/api/admin/users", Headers: root, Status: 422,
				Body: map[string]any{"name": "x1", "password": "x1-password-x", "roles": []string{"department"}}, Want: map[string]any{"error.field_codes.roles.0": "unknown_role"}},
			{Name: "unknown org", Method: "PATCH", Path: "/api/admin/users/clerk1", Headers: root, Status: 422, Body: map[string]any{"org": "999"},
				Want: map[string]any{"error.field_codes.org.0": "unknown_org"}},
			{Name: "unknown field", Method: "PATCH", Path: "/api/admin/users/clerk1", Headers: root, Status: 400, Body: map[string]any{"superuser": true}},
			{Name: "unknown user", Method: "PATCH", Path: "/api/admin/users/nobody", Headers: root, Status: 404, Body: map[string]any{"enabled": false}},
			{Name: "no self-lockout", Method: "PATCH", Path: "/api/admin/users/root", Headers: root, Status: 403, Body: map[string]any{"enabled": false}},
			{Name: "clerk may not change users", Method: "PATCH", Path: "/api/admin/users/clerk1", Headers: clerk, Status: 403, Body: map[string]any{"roles": []string{"admin"}}},
			{Name: "move clerk to another agency", Method: "PATCH", Path: "/api/admin/users/clerk1", Headers: root, Status: 200, Body: map[string]any{"org": "101002"},
				Want: map[string]any{"org": "101002"}},
			{Name: "the move applies to the clerk's next request", Method: "GET", Path: "/api/auth/me", Headers: clerk, Status: 200, Want: map[string]any{"org": "101002"}},
			{Name: "disable the clerk", Method: "PATCH", Path: "/api/admin/users/clerk1", Headers: root, Status: 200, Body: map[string]any{"enabled": false}},
			{Name: "a disabled user's token stops working", Method: "GET", Path: "/api/auth/me", Headers: clerk, Status: 401},
			{Name: "a disabled user with the right password is answered as a wrong password", Method: "POST", Path: "/api/auth/login",
				Body: map[string]any{"username": "clerk1", "password": "clerk1-password"}, Status: 401,
				Want: map[string]any{"error.code": "unauthorized", "error.message": "用户名或密码错误"}},
			{Name: "a common password is refused", Method: "POST", Path: "/api/admin/users", Headers: root, Status: 422,
				Body: map[string]any{"name": "x2", "password": "12345678", "roles": []string{"grants.clerk"}, "org": "101001"},
				Want: map[string]any{"error.field_codes.password.0": "password", "error.fields.password.0": "这是常见密码，很容易被猜到；请换一个"}},
			{Name: "so is a change to one", Method: "PATCH", Path: "/api/admin/users/dept1", Headers: root, Status: 422,
				Body: map[string]any{"password": "qwertyui"}, Want: map[string]any{"error.field_codes.password.0": "password"}},
		}
		for _, sc := range scenarios {
			apitest.Run(t, s.app, sc)
		}
		var changes string
		if err := s.rt.DB.Read.QueryRow(`SELECT changes FROM growth_audit WHERE app = 'growth' AND entity = 'user' AND action = 'update' AND actor = 'root' ORDER BY id LIMIT 1`).Scan(&changes); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(changes, "101002") {
			t.Errorf("the org change is not audited with the admin as actor: %s", changes)
		}
	})
}

// browser is a cookie jar over app.Test.
type browser struct {
	t       *testing.T
	app     *fiber.App
	cookies map[string]*http.Cookie
}

func (b *browser) do(method, path string, form url.Values, headers map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	resp, err := b.app.Test(req, -1)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	return resp, string(raw)
}

func TestSessionCookieAndCSRF(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("clerk1", "101001", "grants.clerk")
		// The UI's own pages, standing in for the web UI built on these functions.
		s.app.Get("/ui/login", func(c *fiber.Ctx) error {
			token, err := s.auth.CSRFToken(c)
			if err != nil {
				return err
			}
			return c.SendString(token)
		})
		s.app.Post("/ui/login", func(c *fiber.Ctx) error {
			if _, err := s.auth.LoginWithCookie(c, c.FormValue("username"), c.FormValue("password")); err != nil {
				return err
			}
			return c.SendString("ok")
		})
		s.app.Post("/ui/logout", func(c *fiber.Ctx) error {
			if err := s.auth.LogoutCookie(c); err != nil {
				return err
			}
			return c.SendString("bye")
		})
		b := &browser{t: t, app: s.app, cookies: map[string]*http.Cookie{}}
		status := func(resp *http.Response, body string, want int, what string) {
			t.Helper()
			if resp.StatusCode != want {
				t.Fatalf("%s: %d %s, want %d", what, resp.StatusCode, body, want)
			}
		}
		resp, preToken := b.do("GET", "/ui/login", nil, nil)
		status(resp, preToken, 200, "login page")
		creds := url.Values{"username": {"clerk1"}, "password": {"clerk1-password"}}
		resp, body := b.do("POST", "/ui/login", creds, nil)
		status(resp, body, 403, "login form without its CSRF token")
		creds.Set(web.CSRFField, "forged")
		resp, body = b.do("POST", "/ui/login", creds, nil)
		status(resp, body, 403, "login form with a wrong CSRF token")
		creds.Set(web.CSRFField, preToken)
		resp, body = b.do("POST", "/ui/login", creds, nil)
		status(resp, body, 200, "login form")
		session := b.cookies[web.SessionCookie]
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Expires.IsZero() {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, expiring", session)
		}
		// Reading with the cookie needs no CSRF token; writing does.
		resp, body = b.do("GET", "/api/grants/grant", nil, nil)
		status(resp, body, 200, "list with the cookie")
		create := func(headers map[string]string) (*http.Response, string) {
			h := map[string]string{"Content-Type": "application/json"}
			for k, v := range headers {
				h[k] = v
			}
			return b.doJSON("POST", "/api/grants/grant", `{"agency": "101001", "amount": "1.00"}`, h)
		}
		resp, body = create(nil)
		status(resp, body, 403, "create with the cookie, no CSRF token")
		resp, body = create(map[string]string{web.CSRFHeader: web.CSRFTokenFor(randomToken())})
		status(resp, body, 403, "create with another session's CSRF token")
		resp, body = b.do("GET", "/ui/login", nil, nil)
		csrf := body
		if csrf != web.CSRFTokenFor(session.Value) {
			t.Errorf("the page's CSRF token is not the session's")
		}
		resp, body = create(map[string]string{web.CSRFHeader: csrf})
		status(resp, body, 201, "create with the cookie and its CSRF token")
		// A cookie session is not a bearer token, and a bearer token is not a cookie.
		resp, body = b.doJSON("GET", "/api/grants/grant", "", map[string]string{"Authorization": "Bearer " + session.Value})
		status(resp, body, 401, "a cookie's token as bearer")
		// Logout revokes the session and clears the cookie.
		resp, body = b.do("POST", "/ui/logout", url.Values{web.CSRFField: {csrf}}, nil)
		status(resp, body, 200, "logout")
		if b.cookies[web.SessionCookie] != nil {
			t.Error("the session cookie survives logout")
		}
		b.cookies[web.SessionCookie] = session
		resp, body = b.do("GET", "/api/grants/grant", nil, nil)
		status(resp, body, 401, "the old cookie after logout")
	})
}

func (b *browser) doJSON(method, path, body string, headers map[string]string) (*http.Response, string) {
	b.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	resp, err := b.app.Test(req, -1)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func TestLoginAddressBehindProxy(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	scenarios := []struct {
		name    string
		trusted []string
		xff     string
		want    string
	}{
		{"no proxy configured: the header is ignored", nil, "6.6.6.6", "0.0.0.0"},
		{"a trusted proxy: the address it added", []string{"0.0.0.0"}, "6.6.6.6, 10.1.2.3", "10.1.2.3"},
		{"an untrusted peer: the header is ignored", []string{"192.0.2.1"}, "10.1.2.3", "0.0.0.0"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := startAuthServer(t, engine.SQLite, p)
			app, err := apps.New(s.rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: s.auth, TrustedProxies: sc.trusted})
			if err != nil {
				t.Fatal(err)
			}
			apitest.Run(t, app, apitest.Scenario{Name: "login", Method: "POST", Path: "/api/auth/login", Headers: map[string]string{"X-Forwarded-For": sc.xff},
				Body: map[string]any{"username": "ghost", "password": "nope-nope"}, Status: 401})
			var changes string
			if err := s.rt.DB.Read.QueryRow(`SELECT changes FROM growth_audit WHERE action = 'login_failed'`).Scan(&changes); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(changes, `"address":[null,"`+sc.want+`"]`) {
				t.Errorf("audited %s, want address %s", changes, sc.want)
			}
		})
	}
}

func TestSecureCookies(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			s := startAuthServer(t, engine.SQLite, p)
			s.auth.SecureCookie = secure
			s.addUser("clerk1", "101001", "grants.clerk")
			s.app.Get("/ui/login", func(c *fiber.Ctx) error {
				token, err := s.auth.CSRFToken(c)
				if err != nil {
					return err
				}
				return c.SendString(token)
			})
			s.app.Post("/ui/login", func(c *fiber.Ctx) error {
				if _, err := s.auth.LoginWithCookie(c, c.FormValue("username"), c.FormValue("password")); err != nil {
					return err
				}
				return c.SendString("ok")
			})
			s.app.Post("/ui/logout", func(c *fiber.Ctx) error {
				if err := s.auth.LogoutCookie(c); err != nil {
					return err
				}
				return c.SendString("bye")
			})
			b := &browser{t: t, app: s.app, cookies: map[string]*http.Cookie{}}
			// Every cookie the session sets or clears carries the flag.
			check := func(resp *http.Response, what string, names ...string) {
				t.Helper()
				set := map[string]*http.Cookie{}
				for _, c := range resp.Cookies() {
					set[c.Name] = c
				}
				for _, name := range names {
					c := set[name]
					if c == nil {
						t.Errorf("%s: no Set-Cookie for %s", what, name)
						continue
					}
					if c.Secure != secure {
						t.Errorf("%s: cookie %s Secure=%v, want %v", what, name, c.Secure, secure)
					}
				}
			}
			resp, pre := b.do("GET", "/ui/login", nil, nil)
			check(resp, "login page", web.PreSessionCookie)
			resp, body := b.do("POST", "/ui/login", url.Values{"username": {"clerk1"}, "password": {"clerk1-password"}, web.CSRFField: {pre}}, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("login: %d %s", resp.StatusCode, body)
			}
			check(resp, "login", web.SessionCookie, web.PreSessionCookie)
			resp, body = b.do("POST", "/ui/logout", url.Values{web.CSRFField: {web.CSRFTokenFor(b.cookies[web.SessionCookie].Value)}}, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("logout: %d %s", resp.StatusCode, body)
			}
			check(resp, "logout", web.SessionCookie)
		})
	}
}

func TestSessionIdleOverHTTP(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("clerk1", "101001", "grants.clerk")
		bearer := s.login("clerk1")
		idle := s.users.Policy.SessionIdle
		// Requests keep the session alive past the idle limit …
		for i := 0; i < 3; i++ {
			s.now = s.now.Add(idle - time.Minute)
			apitest.Run(t, s.app, apitest.Scenario{Name: "busy", Method: "GET", Path: "/api/grants/grant", Headers: bearer, Status: 200})
		}
		// … and a pause as long as the limit ends it, like an expired one.
		s.now = s.now.Add(idle)
		apitest.Run(t, s.app, apitest.Scenario{Name: "idle", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 401,
			Want: map[string]any{"error.code": "unauthorized", "error.message": "长时间未操作，登录已过期，请重新登录"}})
	})
}

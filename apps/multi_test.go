package apps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"golang.org/x/crypto/bcrypt"
)

// startAuthServerOn starts one more server on the database at dsn, with its
// own connection pool, as a second process behind a load balancer would.
// Its clock is clock, shared by the servers of a test.
func startAuthServerOn(t *testing.T, dsn string, p *metamodel.Project, clock *time.Time) *authServer {
	t.Helper()
	rt, err := engine.Start(context.Background(), enginetest.Connect(t, dsn), p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if rt.Access, err = engine.NewRoleAccess(p); err != nil {
		t.Fatal(err)
	}
	s := &authServer{t: t, rt: rt}
	s.users = engine.NewUsers(rt.DB, p)
	s.users.HashCost = bcrypt.MinCost
	s.users.Clock = func() time.Time { return *clock }
	s.auth = apps.NewAuth(s.users)
	if s.app, err = apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: s.auth}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Two servers over one database: a session opened on one works on the
// other, with its CSRF token; logout, disabling and a password change on
// one end the sessions on the other once engine.SessionCacheRefresh has
// passed (each server keeps the sessions it checked), even one the other
// server has just served; failed logins on both count towards one lock.
func TestSessionsAcrossServers(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		dsn := enginetest.FreshDSN(t, d)
		clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		a := startAuthServerOn(t, dsn, p, &clock)
		b := startAuthServerOn(t, dsn, p, &clock)
		a.addUser("root", "", engine.AdminRole)
		for _, name := range []string{"clerk1", "clerk2", "clerk3"} {
			a.addUser(name, "101001", "grants.clerk")
		}
		root := a.login("root")
		grant := map[string]any{"agency": "101001", "amount": "100.00"}
		refresh := func() { clock = clock.Add(engine.SessionCacheRefresh) }

		t.Run("a bearer token from one server works on the other", func(t *testing.T) {
			bearer := a.login("clerk1")
			apitest.Run(t, b.app, apitest.Scenario{Name: "me on b", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 200, Want: map[string]any{"name": "clerk1"}})
			apitest.Run(t, b.app, apitest.Scenario{Name: "write on b", Method: "POST", Path: "/api/grants/grant", Headers: bearer, Body: grant, Status: 201})
			apitest.Run(t, a.app, apitest.Scenario{Name: "me on a", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 200})
			apitest.Run(t, b.app, apitest.Scenario{Name: "logout on b", Method: "POST", Path: "/api/auth/logout", Headers: bearer, Status: 204})
			apitest.Run(t, b.app, apitest.Scenario{Name: "refused on b at once", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 401})
			refresh()
			apitest.Run(t, a.app, apitest.Scenario{Name: "refused on a", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 401,
				Want: map[string]any{"error.message": "登录已注销，请重新登录"}})
		})
		t.Run("a web session and its CSRF token from one server work on the other", func(t *testing.T) {
			s, err := a.users.Login(context.Background(), "clerk2", "clerk2-password", "192.0.2.1", engine.CookieSession)
			if err != nil {
				t.Fatal(err)
			}
			cookie := map[string]string{"Cookie": web.SessionCookie + "=" + s.Token}
			withCSRF := map[string]string{"Cookie": cookie["Cookie"], web.CSRFHeader: web.CSRFTokenFor(s.Token)}
			apitest.Run(t, b.app, apitest.Scenario{Name: "write on b with the token", Method: "POST", Path: "/api/grants/grant", Headers: withCSRF, Body: grant, Status: 201})
			apitest.Run(t, b.app, apitest.Scenario{Name: "write on b without it", Method: "POST", Path: "/api/grants/grant", Headers: cookie, Body: grant, Status: 403})
			apitest.Run(t, a.app, apitest.Scenario{Name: "logout on a", Method: "POST", Path: "/api/auth/logout", Headers: withCSRF, Status: 204})
			refresh()
			apitest.Run(t, b.app, apitest.Scenario{Name: "refused on b", Method: "GET", Path: "/api/grants/grant", Headers: cookie, Status: 401})
		})
		t.Run("disabling on one server ends the sessions on the other", func(t *testing.T) {
			bearer := b.login("clerk3")
			apitest.Run(t, b.app, apitest.Scenario{Name: "me on b", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 200})
			apitest.Run(t, a.app, apitest.Scenario{Name: "disable on a", Method: "PATCH", Path: "/api/admin/users/clerk3", Headers: root, Body: map[string]any{"enabled": false}, Status: 200})
			refresh()
			apitest.Run(t, b.app, apitest.Scenario{Name: "refused on b", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 401})
			apitest.Run(t, b.app, apitest.Scenario{Name: "no new login on b", Method: "POST", Path: "/api/auth/login",
				Body: map[string]any{"username": "clerk3", "password": "clerk3-password"}, Status: 401, Want: map[string]any{"error.message": "用户名或密码错误"}}) // a disabled account reads as a wrong password (issue 14)
		})
		t.Run("a password change on one server ends the sessions on the other", func(t *testing.T) {
			bearer := b.login("clerk1")
			apitest.Run(t, b.app, apitest.Scenario{Name: "me on b", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 200})
			apitest.Run(t, a.app, apitest.Scenario{Name: "new password on a", Method: "PATCH", Path: "/api/admin/users/clerk1", Headers: root, Body: map[string]any{"password": "another-secret-9"}, Status: 200})
			refresh()
			apitest.Run(t, b.app, apitest.Scenario{Name: "old session refused on b", Method: "GET", Path: "/api/auth/me", Headers: bearer, Status: 401})
			apitest.Run(t, b.app, apitest.Scenario{Name: "old password refused on b", Method: "POST", Path: "/api/auth/login",
				Body: map[string]any{"username": "clerk1", "password": "clerk1-password"}, Status: 401})
			apitest.Run(t, b.app, apitest.Scenario{Name: "new password works on b", Method: "POST", Path: "/api/auth/login",
				Body: map[string]any{"username": "clerk1", "password": "another-secret-9"}, Status: 200})
		})
		t.Run("failed logins on both servers count towards one lock", func(t *testing.T) {
			a.addUser("clerk4", "101001", "grants.clerk")
			for i := range a.users.Policy.MaxFailures {
				srv := []*authServer{a, b}[i%2]
				clock = clock.Add(time.Minute) // past any slowing down
				apitest.Run(t, srv.app, apitest.Scenario{Name: "guess", Method: "POST", Path: "/api/auth/login",
					Body: map[string]any{"username": "clerk4", "password": "guess-guess"}, Status: 401})
			}
			for _, srv := range []*authServer{a, b} {
				apitest.Run(t, srv.app, apitest.Scenario{Name: "locked everywhere", Method: "POST", Path: "/api/auth/login",
					Body: map[string]any{"username": "clerk4", "password": "clerk4-password"}, Status: 429, Want: map[string]any{"error.code": "locked"}})
			}
		})
	})
}

// A server whose definitions are not the database's current ones answers
// every write with 503 and says why, and /readyz says it is not ready, so
// that a load balancer sends its requests to the upgraded servers.
func TestOldServerRefusesWritesWith503(t *testing.T) {
	v1 := enginetest.Load(t, authDefs)
	v2 := enginetest.Load(t, map[string]string{"grants/app.yaml": strings.Replace(authDefs["grants/app.yaml"],
		"      purpose:         {type: string, label: 用途}\n", "      purpose:         {type: string, label: 用途}\n      contact:         {type: string, label: 联系人}\n", 1)})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		dsn := enginetest.FreshDSN(t, d)
		clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		old := startAuthServerOn(t, dsn, v1, &clock)
		old.addUser("clerk1", "101001", "grants.clerk")
		apitest.Run(t, old.app, apitest.Scenario{Name: "ready before the upgrade", Method: "GET", Path: "/readyz", Status: 200})
		upgraded := startAuthServerOn(t, dsn, v2, &clock)
		bearer := old.login("clerk1")
		grant := map[string]any{"agency": "101001", "amount": "100.00"}
		body := apitest.Run(t, old.app, apitest.Scenario{Name: "write on the old server", Method: "POST", Path: "/api/grants/grant", Headers: bearer, Body: grant, Status: 503,
			Want: map[string]any{"error.code": "definitions_changed"}})
		msg, _ := apitest.Get(body, "error.message")
		if !strings.Contains(msg.(string), v1.Hash[:12]) || !strings.Contains(msg.(string), v2.Hash[:12]) {
			t.Errorf("the refusal does not name both definition versions: %v", msg)
		}
		apitest.Run(t, old.app, apitest.Scenario{Name: "reads still work", Method: "GET", Path: "/api/grants/grant", Headers: bearer, Status: 200})
		apitest.Run(t, old.app, apitest.Scenario{Name: "not ready", Method: "GET", Path: "/readyz", Status: 503, Want: map[string]any{"error.code": "definitions_changed"}})
		apitest.Run(t, upgraded.app, apitest.Scenario{Name: "the upgraded server is ready", Method: "GET", Path: "/readyz", Status: 200})
		apitest.Run(t, upgraded.app, apitest.Scenario{Name: "and writes", Method: "POST", Path: "/api/grants/grant", Headers: bearer, Body: grant, Status: 201})
	})
}

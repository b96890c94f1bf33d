package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"golang.org/x/crypto/bcrypt"
)

// testClock is a clock tests move by hand.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time      { return c.t }
func (c *testClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newTestClock() *testClock           { return &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }
func accValidationField(err error) (string, bool) {
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		return "", false
	}
	for f := range ve.Fields {
		return f, true
	}
	return "", false
}

// startUsers starts the access test project on d with a user store whose
// hashes are cheap and whose clock tests control.
func startUsers(t *testing.T, d engine.Dialect) (*engine.Runtime, *engine.Users, *testClock) {
	t.Helper()
	p, _ := accessProject(t)
	rt := enginetest.Start(t, d, p, engine.OpenAccess{})
	users := engine.NewUsers(rt.DB, p)
	users.HashCost = bcrypt.MinCost
	clock := newTestClock()
	users.Clock = clock.now
	return rt, users, clock
}

var accAdmin = engine.Actor{User: "root", Roles: []string{engine.AdminRole}}

func TestUsersAddValidates(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		_, users, _ := startUsers(t, d)
		ctx := context.Background()
		good := engine.NewUser{Name: "Clerk1", DisplayName: "张三", Password: "correct horse", Roles: []string{"grants.clerk"}, Org: "101001"}
		u, err := users.Add(ctx, accAdmin, good)
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "clerk1" || u.Org != "101001" || !u.Enabled || len(u.Roles) != 1 {
			t.Errorf("added %+v", u)
		}
		scenarios := []struct {
			name  string
			edit  func(nu *engine.NewUser)
			field string
		}{
			{"bad name", func(nu *engine.NewUser) { nu.Name = "张 三" }, "name"},
			{"short password", func(nu *engine.NewUser) { nu.Password = "short" }, "password"},
			{"password equals name", func(nu *engine.NewUser) { nu.Name, nu.Password = "longname1", "LongName1" }, "password"},
			{"unqualified role", func(nu *engine.NewUser) { nu.Roles = []string{"clerk"} }, "roles"},
			{"unknown role", func(nu *engine.NewUser) { nu.Roles = []string{"grants.boss"} }, "roles"},
			{"the platform's own role", func(nu *engine.NewUser) { nu.Roles = []string{engine.SystemRole} }, "roles"},
			{"org in no org tree", func(nu *engine.NewUser) { nu.Org = "999999" }, "org"},
		}
		for _, sc := range scenarios {
			nu := good
			nu.Name = "someone"
			sc.edit(&nu)
			_, err := users.Add(ctx, accAdmin, nu)
			if field, ok := accValidationField(err); !ok || field != sc.field {
				t.Errorf("%s: err = %v, want a validation error on %s", sc.name, err, sc.field)
			}
		}
		if _, err := users.Add(ctx, accAdmin, good); !errors.Is(err, engine.ErrConflict) {
			t.Errorf("duplicate name: err = %v, want a conflict", err)
		}
		list, err := users.List(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list = %v, %v; want one user", list, err)
		}
	})
}

func TestUsersChangeAndSessions(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt, users, clock := startUsers(t, d)
		ctx := context.Background()
		if _, err := users.Add(ctx, accAdmin, engine.NewUser{Name: "c1", Password: "harbour-lamp-1", Roles: []string{"grants.clerk"}, Org: "101001"}); err != nil {
			t.Fatal(err)
		}
		s, err := users.Login(ctx, "C1", "harbour-lamp-1", "10.0.0.1", engine.BearerSession)
		if err != nil {
			t.Fatal(err)
		}
		actor, err := users.Authenticate(ctx, s.Token, engine.BearerSession)
		if err != nil || actor.User != "c1" || actor.Org != "101001" || actor.Roles[0] != "grants.clerk" {
			t.Fatalf("authenticate = %+v, %v", actor, err)
		}
		// Role and org changes apply to the next request of a live session.
		roles := []string{"grants.department"}
		org := "101"
		if _, err := users.Change(ctx, accAdmin, "c1", engine.UserChange{Roles: &roles, Org: &org}); err != nil {
			t.Fatal(err)
		}
		actor, _ = users.Authenticate(ctx, s.Token, engine.BearerSession)
		if actor.Org != "101" || actor.Roles[0] != "grants.department" {
			t.Errorf("after change: %+v", actor)
		}
		if _, err := users.Authenticate(ctx, s.Token, engine.CookieSession); !errors.Is(err, engine.ErrUnauthorized) {
			t.Errorf("a bearer token used as a cookie: err = %v, want unauthorized", err)
		}
		// Disabling ends sessions; enabling does not revive them.
		off, on := false, true
		if _, err := users.Change(ctx, accAdmin, "c1", engine.UserChange{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := users.Change(ctx, accAdmin, "c1", engine.UserChange{Enabled: &on}); err != nil {
			t.Fatal(err)
		}
		if _, err := users.Authenticate(ctx, s.Token, engine.BearerSession); !errors.Is(err, engine.ErrUnauthorized) {
			t.Errorf("session after disable: err = %v, want unauthorized", err)
		}
		// Sessions expire.
		s2, err := users.Login(ctx, "c1", "harbour-lamp-1", "10.0.0.1", engine.BearerSession)
		if err != nil {
			t.Fatal(err)
		}
		clock.add(users.Policy.SessionTTL)
		if _, err := users.Authenticate(ctx, s2.Token, engine.BearerSession); !errors.Is(err, engine.ErrUnauthorized) || !strings.Contains(err.Error(), "过期") {
			t.Errorf("expired session: err = %v, want unauthorized (expired)", err)
		}
		// A new password works, the old one does not, and the change is audited without the password.
		pw := "meadow-quill-2"
		if _, err := users.Change(ctx, accAdmin, "c1", engine.UserChange{Password: &pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := users.Login(ctx, "c1", "harbour-lamp-1", "10.0.0.1", engine.BearerSession); !errors.Is(err, engine.ErrUnauthorized) {
			t.Errorf("old password: err = %v", err)
		}
		if _, err := users.Login(ctx, "c1", "meadow-quill-2", "10.0.0.1", engine.BearerSession); err != nil {
			t.Errorf("new password: %v", err)
		}
		if _, err := users.Change(ctx, accAdmin, "nobody", engine.UserChange{Enabled: &on}); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("changing an unknown user: err = %v, want not found", err)
		}
		var actions []string
		rows, err := rt.DB.Read.QueryContext(ctx, `SELECT action, actor, changes FROM growth_audit WHERE app = 'growth' AND entity = 'user' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var action, by, changes string
			if err := rows.Scan(&action, &by, &changes); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(changes, "password-") || strings.Contains(changes, "$2a$") {
				t.Errorf("audit row %s leaks a password or hash: %s", action, changes)
			}
			actions = append(actions, action+":"+by)
		}
		rows.Close()
		want := "create:root login:c1 update:root update:root update:root login:c1 update:root login_failed:anonymous login:c1"
		if got := strings.Join(actions, " "); got != want {
			t.Errorf("audit trail:\n got %s\nwant %s", got, want)
		}
		report, err := rt.DB.VerifyAudit(ctx)
		if err != nil || !report.OK() {
			t.Errorf("audit verify: %+v, %v", report, err)
		}
	})
}

func TestLoginLimits(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		_, users, clock := startUsers(t, d)
		ctx := context.Background()
		if _, err := users.Add(ctx, accAdmin, engine.NewUser{Name: "c1", Password: "harbour-lamp-1", Roles: []string{"grants.clerk"}, Org: "101001"}); err != nil {
			t.Fatal(err)
		}
		login := func(name, password, address string) error {
			_, err := users.Login(ctx, name, password, address, engine.BearerSession)
			return err
		}
		code := func(err error) string {
			var tm *engine.TooManyAttemptsError
			switch {
			case err == nil:
				return "ok"
			case errors.As(err, &tm):
				return string(tm.Code)
			case errors.Is(err, engine.ErrUnauthorized):
				return "unauthorized:" + err.Error()
			}
			return err.Error()
		}
		// The same sequence for an existing and an unknown name gets the
		// same answers: nothing tells them apart.
		for _, name := range []string{"c1", "ghost"} {
			var got []string
			step := func(err error) { got = append(got, code(err)) }
			step(login(name, "wrong-1", "10.0.0.2"))
			step(login(name, "wrong-2", "10.0.0.2"))
			step(login(name, "wrong-3", "10.0.0.2"))
			step(login(name, "wrong-4", "10.0.0.2")) // too fast after three failures
			clock.add(time.Second)
			step(login(name, "wrong-4", "10.0.0.2"))
			clock.add(2 * time.Second)
			step(login(name, "wrong-5", "10.0.0.2")) // the fifth failure locks
			clock.add(time.Minute)
			step(login(name, "harbour-lamp-1", "10.0.0.2")) // locked even with the right password
			want := []string{"unauthorized:unauthorized: 用户名或密码错误", "unauthorized:unauthorized: 用户名或密码错误", "unauthorized:unauthorized: 用户名或密码错误",
				"rate_limited", "unauthorized:unauthorized: 用户名或密码错误", "unauthorized:unauthorized: 用户名或密码错误", "locked"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s:\n got %v\nwant %v", name, got, want)
			}
			var tm *engine.TooManyAttemptsError
			if err := login(name, "harbour-lamp-1", "10.0.0.2"); !errors.As(err, &tm) || tm.RetryAfter <= 0 || tm.RetryAfter > users.Policy.Window {
				t.Errorf("%s: locked answer %v, want a retry within the window", name, err)
			}
			clock.add(users.Policy.Window)
		}
		// The lock lifts after the window, and a success forgives earlier failures.
		if err := login("c1", "harbour-lamp-1", "10.0.0.2"); err != nil {
			t.Errorf("after the window: %v", err)
		}
		// Many failures from one address refuse it, whatever the name.
		users.Policy.MaxAddressFailures = 4
		for i, name := range []string{"a", "b", "c", "d"} {
			if err := login(name, "x-password", "10.0.0.9"); !errors.Is(err, engine.ErrUnauthorized) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if got := code(login("c1", "harbour-lamp-1", "10.0.0.9")); got != "rate_limited" {
			t.Errorf("noisy address: %s, want rate_limited", got)
		}
		if err := login("c1", "harbour-lamp-1", "10.0.0.10"); err != nil {
			t.Errorf("another address: %v", err)
		}
		// A disabled user gets the answer of a wrong password, with the
		// right password too: the answer must not confirm the password.
		off := false
		if _, err := users.Change(ctx, accAdmin, "c1", engine.UserChange{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		right := login("c1", "harbour-lamp-1", "10.0.0.11")
		wrong := login("c1", "wrong-password", "10.0.0.11")
		if !errors.Is(right, engine.ErrUnauthorized) || right.Error() != wrong.Error() || !strings.Contains(right.Error(), "用户名或密码错误") {
			t.Errorf("disabled user: right password %v, wrong password %v; want the same answer", right, wrong)
		}
	})
}

func TestDemoUsers(t *testing.T) {
	_, users, _ := startUsers(t, engine.SQLite)
	ctx := context.Background()
	list, err := users.EnsureDemoUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orgs := map[string]string{}
	for _, d := range list {
		orgs[d.Name] = d.Org
		if !d.Created {
			t.Errorf("%s not created", d.Name)
		}
	}
	want := map[string]string{"admin": "", "grants_clerk": "101001", "grants_department": "101", "grants_auditor": "", "grants_author": "", "other_clerk": ""}
	for name, org := range want {
		if got, ok := orgs[name]; !ok || got != org {
			t.Errorf("demo user %s: org %q (exists %v), want %q", name, got, ok, org)
		}
	}
	if _, err := users.Login(ctx, "grants_clerk", engine.DemoPassword, "127.0.0.1", engine.BearerSession); err != nil {
		t.Errorf("demo login: %v", err)
	}
	again, err := users.EnsureDemoUsers(ctx)
	if err != nil || again[0].Created {
		t.Errorf("second run should find the users: %v, %v", again, err)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt, users, clock := startUsers(t, d)
		ctx := context.Background()
		if _, err := users.Add(ctx, accAdmin, engine.NewUser{Name: "c1", Password: "harbour-lamp-1", Roles: []string{"grants.clerk"}, Org: "101001"}); err != nil {
			t.Fatal(err)
		}
		login := func() string {
			t.Helper()
			s, err := users.Login(ctx, "c1", "harbour-lamp-1", "10.0.0.1", engine.BearerSession)
			if err != nil {
				t.Fatal(err)
			}
			return s.Token
		}
		use := func(token string) error {
			_, err := users.Authenticate(ctx, token, engine.BearerSession)
			return err
		}
		// lastUsed is the session's recorded last use: what the idle limit counts from.
		lastUsed := func() time.Time {
			t.Helper()
			var v any
			if err := rt.DB.Read.QueryRowContext(ctx, `SELECT MAX(last_used_at) FROM growth_sessions`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			switch x := v.(type) {
			case time.Time:
				return x.UTC()
			case string:
				tm, err := time.Parse(time.RFC3339Nano, x)
				if err != nil {
					t.Fatal(err)
				}
				return tm
			}
			t.Fatalf("last_used_at: unexpected %T", v)
			return time.Time{}
		}
		idle := users.Policy.SessionIdle
		if idle != 30*time.Minute {
			t.Fatalf("default idle limit %s, want 30m", idle)
		}
		isIdle := func(err error) bool {
			return errors.Is(err, engine.ErrUnauthorized) && strings.Contains(err.Error(), "长时间未操作")
		}

		t.Run("unused for the idle limit", func(t *testing.T) {
			token := login()
			clock.add(idle - time.Second)
			if err := use(token); err != nil {
				t.Fatalf("a second before the idle limit: %v", err)
			}
			clock.add(idle)
			if err := use(token); !isIdle(err) {
				t.Fatalf("unused for the idle limit: err = %v, want unauthorized (idle)", err)
			}
			clock.add(time.Minute)
			if err := use(token); !isIdle(err) {
				t.Errorf("an idle session stays ended: err = %v", err)
			}
		})

		t.Run("use extends it, recorded at most once a minute", func(t *testing.T) {
			token := login()
			start := clock.t
			clock.add(30 * time.Second)
			if err := use(token); err != nil {
				t.Fatal(err)
			}
			if got := lastUsed(); !got.Equal(start) {
				t.Errorf("a use 30 s after the last record wrote %s: want no write (still %s)", got, start)
			}
			clock.add(40 * time.Second)
			if err := use(token); err != nil {
				t.Fatal(err)
			}
			if got := lastUsed(); !got.Equal(clock.t) {
				t.Errorf("a use 70 s after the last record: recorded %s, want %s", got, clock.t)
			}
			// Kept busy, the session outlives the idle limit many times over.
			for i := 0; i < 6; i++ {
				clock.add(idle - time.Minute)
				if err := use(token); err != nil {
					t.Fatalf("use %d, %s after login: %v", i, clock.t.Sub(start), err)
				}
			}
			// The limit counts from the recorded use: a use less than a minute
			// after it is not recorded, so the session ends idle after the record.
			recorded := lastUsed()
			clock.add(30 * time.Second)
			if err := use(token); err != nil {
				t.Fatal(err)
			}
			clock.t = recorded.Add(idle)
			if err := use(token); !isIdle(err) {
				t.Errorf("idle limit after the recorded use: err = %v, want unauthorized (idle)", err)
			}
		})

		t.Run("the lifetime still ends a busy session", func(t *testing.T) {
			token := login()
			ttl := users.Policy.SessionTTL
			for elapsed := 20 * time.Minute; elapsed < ttl; elapsed += 20 * time.Minute {
				clock.add(20 * time.Minute)
				if err := use(token); err != nil {
					t.Fatalf("%s after login: %v", elapsed, err)
				}
			}
			clock.add(20 * time.Minute) // exactly the lifetime after login
			err := use(token)
			if !errors.Is(err, engine.ErrUnauthorized) || !strings.Contains(err.Error(), "登录已过期") || isIdle(err) {
				t.Errorf("a busy session at its lifetime: err = %v, want unauthorized (expired)", err)
			}
		})

		t.Run("the policy's limit", func(t *testing.T) {
			users.Policy.SessionIdle = 5 * time.Minute
			defer func() { users.Policy.SessionIdle = idle }()
			token := login()
			clock.add(4 * time.Minute)
			if err := use(token); err != nil {
				t.Fatalf("4 of 5 minutes: %v", err)
			}
			clock.add(5 * time.Minute)
			if err := use(token); !isIdle(err) {
				t.Errorf("5 minutes unused: err = %v, want unauthorized (idle)", err)
			}
		})
	})
}

// TestPasswordPolicy: common and easily guessed passwords are refused where
// a user is added and where a password is changed; the demo password and
// passphrases pass (docs/access.md).
func TestPasswordPolicy(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		_, users, _ := startUsers(t, d)
		ctx := context.Background()
		add := func(name, display, password string) error {
			_, err := users.Add(ctx, accAdmin, engine.NewUser{Name: name, DisplayName: display, Password: password, Roles: []string{"grants.clerk"}, Org: "101001"})
			return err
		}
		const common = "password: 这是常见密码，很容易被猜到；请换一个"
		const guessable = "password: 密码太容易猜到"
		for _, sc := range []struct {
			password, display, want string
		}{
			{"12345678", "", common},
			{"password", "", common},
			{"qwertyui", "", common},
			{"PassWord", "", common},
			{"woaini1314", "", common},
			{"11111111", "", common},
			{"asdfghjkl;'", "", guessable},  // a keyboard walk
			{"abcdefgh1234", "", guessable}, // sequences
			{"zhangwei1990", "zhangwei", guessable},
			{"growth-demo", "", ""},
			{"correct horse", "", ""},
			{"wang.wei#88", "", ""},
			{"路漫漫其修远兮", "", "password: 密码至少 8 个字符"},
		} {
			err := add(fmt.Sprintf("user%d", len(sc.password)*1000+int(sc.password[0])), sc.display, sc.password)
			switch {
			case sc.want == "" && err != nil:
				t.Errorf("%q refused: %v", sc.password, err)
			case sc.want != "" && (err == nil || !strings.Contains(err.Error(), sc.want)):
				t.Errorf("%q: %v, want %q", sc.password, err, sc.want)
			}
		}
		// Changing a password is held to the same policy.
		if err := add("li.si", "李四", "harbour-lamp-1"); err != nil {
			t.Fatal(err)
		}
		weak := "qwertyui"
		if _, err := users.Change(ctx, accAdmin, "li.si", engine.UserChange{Password: &weak}); err == nil || !strings.Contains(err.Error(), common) {
			t.Errorf("change to %q: %v", weak, err)
		}
		strong := "lantern-orchard-9"
		if _, err := users.Change(ctx, accAdmin, "li.si", engine.UserChange{Password: &strong}); err != nil {
			t.Errorf("change to %q: %v", strong, err)
		}
	})
}

// TestUsersMisspeltRoleSuggests: a role one letter off is answered with the
// role meant.
func TestUsersMisspeltRoleSuggests(t *testing.T) {
	_, users, _ := startUsers(t, engine.SQLite)
	for _, c := range []struct{ role, want string }{
		{"grants.clerc", "是否要写 grants.clerk？"},
		{"grant.clerk", "是否要写 grants.clerk？"},
	} {
		_, err := users.Add(context.Background(), accAdmin, engine.NewUser{Name: "someone", Password: "correct horse", Roles: []string{c.role}, Org: "101001"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("role %s: err = %v, want %q", c.role, err, c.want)
		}
	}
}

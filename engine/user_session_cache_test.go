package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"golang.org/x/crypto/bcrypt"
)

// TestSessionChangesReachEveryServer: two servers over one database, each
// with its own pool and its own cache of checked sessions. A logout, a
// disabled user, a new password and new roles made through one server end or
// change the sessions on that server at the next request, and on the other
// within engine.SessionCacheRefresh, which both clocks pass here.
func TestSessionChangesReachEveryServer(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		p, _ := accessProject(t)
		dsn := enginetest.FreshDSN(t, d)
		clock := newTestClock()
		servers := make([]*engine.Users, 2)
		for i := range servers {
			db := enginetest.Connect(t, dsn)
			if _, err := engine.Start(ctx, db, p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}); err != nil {
				t.Fatal(err)
			}
			servers[i] = engine.NewUsers(db, p)
			servers[i].HashCost = bcrypt.MinCost
			servers[i].Clock = clock.now
		}
		a, b := servers[0], servers[1]
		if _, err := a.Add(ctx, accAdmin, engine.NewUser{Name: "c1", Password: "harbour-lamp-1", Roles: []string{"grants.clerk"}, Org: "101001"}); err != nil {
			t.Fatal(err)
		}
		login := func() string {
			t.Helper()
			s, err := a.Login(ctx, "c1", "harbour-lamp-1", "10.0.0.1", engine.BearerSession)
			if err != nil {
				t.Fatal(err)
			}
			return s.Token
		}
		// use authenticates token on both servers twice, so that the second
		// time each answers from its cache when it can.
		use := func(token string) (engine.Actor, engine.Actor) {
			t.Helper()
			var actors [2]engine.Actor
			for range 2 {
				for i, u := range servers {
					actor, err := u.Authenticate(ctx, token, engine.BearerSession)
					if err != nil {
						t.Fatalf("server %d: %v", i, err)
					}
					actors[i] = actor
				}
			}
			return actors[0], actors[1]
		}
		refused := func(what, token string, u *engine.Users) {
			t.Helper()
			if _, err := u.Authenticate(ctx, token, engine.BearerSession); !errors.Is(err, engine.ErrUnauthorized) {
				t.Errorf("%s: err = %v, want unauthorized", what, err)
			}
		}
		pass := func() { clock.add(engine.SessionCacheRefresh) }

		// A logout on b ends the session on b at once and on a after the refresh.
		tok := login()
		use(tok)
		if err := b.Logout(ctx, tok, engine.BearerSession); err != nil {
			t.Fatal(err)
		}
		refused("the server that logged out", tok, b)
		pass()
		refused("the other server after the refresh", tok, a)

		// Disabling the user on a ends its session on b.
		tok = login()
		use(tok)
		off, on := false, true
		if _, err := a.Change(ctx, accAdmin, "c1", engine.UserChange{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		refused("disabled, the server that disabled", tok, a)
		pass()
		refused("disabled, the other server", tok, b)
		if _, err := a.Change(ctx, accAdmin, "c1", engine.UserChange{Enabled: &on}); err != nil {
			t.Fatal(err)
		}

		// A new password set on b ends the session on a.
		tok = login()
		use(tok)
		pw := "meadow-quill-2"
		if _, err := b.Change(ctx, accAdmin, "c1", engine.UserChange{Password: &pw}); err != nil {
			t.Fatal(err)
		}
		pass()
		refused("new password, the other server", tok, a)

		// New roles and org set on b reach a's next request after the refresh.
		s, err := a.Login(ctx, "c1", pw, "10.0.0.1", engine.BearerSession)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := use(s.Token); got.Org != "101001" {
			t.Fatalf("before the change: %+v", got)
		}
		roles, org := []string{"grants.department"}, "101"
		if _, err := b.Change(ctx, accAdmin, "c1", engine.UserChange{Roles: &roles, Org: &org}); err != nil {
			t.Fatal(err)
		}
		pass()
		got, other := use(s.Token)
		for _, actor := range []engine.Actor{got, other} {
			if actor.Org != "101" || len(actor.Roles) != 1 || actor.Roles[0] != "grants.department" {
				t.Errorf("after the change on b: %+v, want org 101, role grants.department", actor)
			}
		}
	})
}

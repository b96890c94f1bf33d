package ui

import (
	"context"
	"sync"
	"time"

	"github.com/growth-gov/growth/engine"
)

// People are shown by their display names (张三) everywhere a login name
// would otherwise appear — the greeting, history, field history, creator,
// ledger — with the login name (zhang.san) on hover. Names come from the
// user store and are kept for a minute, so a page with fifty history rows
// asks the store once per person.

// person is a user as a page shows them.
type person struct {
	Name, Login string
}

// nameCache remembers display names by login name for a short while.
type nameCache struct {
	mu    sync.Mutex
	names map[string]cachedName
}

type cachedName struct {
	name string
	at   time.Time
}

const nameCacheTTL = time.Minute

// person is login shown by display name; a name the store does not know
// (system, a deleted user, no user store) stays as it is.
func (u *UI) person(ctx context.Context, login string) person {
	p := person{Name: login, Login: login}
	if login == "" || u.opts.Users == nil {
		return p
	}
	now := time.Now()
	u.people.mu.Lock()
	c, ok := u.people.names[login]
	u.people.mu.Unlock()
	if ok && now.Sub(c.at) < nameCacheTTL {
		p.Name = c.name
		return p
	}
	name := login
	if user, err := u.opts.Users.Get(ctx, login); err == nil && user != nil && user.DisplayName != "" {
		name = user.DisplayName
	}
	u.people.mu.Lock()
	if u.people.names == nil || len(u.people.names) > 10000 {
		u.people.names = map[string]cachedName{}
	}
	u.people.names[login] = cachedName{name: name, at: now}
	u.people.mu.Unlock()
	p.Name = name
	return p
}

// forget drops a user's cached name after it changed through this UI.
func (u *UI) forget(login string) {
	u.people.mu.Lock()
	delete(u.people.names, engine.NormalizeUserName(login))
	u.people.mu.Unlock()
}

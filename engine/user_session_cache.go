package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Checking a token read its session and user from the database on every
// request: a fifth of a list's CPU on SQLite (docs/performance.md). A server
// now keeps the sessions it checked in memory and serves the next requests of
// the same token from there, as long as nothing about sessions or users
// changed in the meantime.
//
// What "changed" means is the auth epoch, a counter in the database
// (growth_auth_epoch) that every logout, user change (disable, password,
// roles, org, name) and login that rewrites a user's roles or org raises by
// one in its own transaction. A server reads it at most every
// SessionCacheRefresh, on a request, and forgets every cached session when it
// moved. A change made through this server forgets them at once. So a logout
// or a disabled user takes effect on the server that made it at the next
// request, and on other servers (and after `growth user` on the command
// line) within SessionCacheRefresh. The checks that depend on time alone
// (expiry, idle limit) are made on every request from the cached times.

// SessionCacheRefresh is how often a server reads the auth epoch to learn of
// session and user changes made elsewhere: the longest a revoked session
// still works on another server.
const SessionCacheRefresh = 250 * time.Millisecond

// sessionCacheMaxAge bounds how long a checked session is used without
// reading it again, whatever the epoch says.
const sessionCacheMaxAge = 30 * time.Second

// sessionCacheMax bounds the number of cached sessions; past it the cache
// starts again empty.
const sessionCacheMax = 10000

// sessionCache holds checked sessions by the hash of their token.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]cachedSession
	// gen changes with every flush: a session read from the database before
	// a flush is not cached after it.
	gen uint64
	// epoch is the auth epoch as last read, polledAt when; known is false
	// until the first read.
	epoch    int64
	known    bool
	polledAt time.Time
	polling  bool
}

type cachedSession struct {
	session  Session
	cachedAt time.Time
}

// flushLocked forgets every cached session.
func (c *sessionCache) flushLocked() {
	c.entries = nil
	c.gen++
}

// forget forgets every cached session: called after a change to sessions or
// users through this server has committed.
func (c *sessionCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

// get returns a copy of the cached session of hash when it may serve a
// request of kind at now; anything else goes to the database, which says
// why a session does not.
func (c *sessionCache) get(hash string, kind SessionKind, now time.Time, idle time.Duration) (Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || e.session.Kind != kind || now.Sub(e.cachedAt) >= sessionCacheMaxAge || now.Before(e.cachedAt) ||
		!now.Before(e.session.ExpiresAt) || !now.Before(e.session.LastUsedAt.Add(idle)) {
		return Session{}, false
	}
	return e.session, true
}

// generation is the flush count a database read should be cached under.
func (c *sessionCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches s, read from the database under generation gen, unless the
// cache was flushed since.
func (c *sessionCache) put(hash string, s *Session, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.entries == nil || len(c.entries) >= sessionCacheMax {
		c.entries = make(map[string]cachedSession)
	}
	c.entries[hash] = cachedSession{session: *s, cachedAt: now}
}

// used records that the session of hash was recorded as used at at.
func (c *sessionCache) used(hash string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[hash]; ok && e.session.LastUsedAt.Before(at) {
		e.session.LastUsedAt = at
		c.entries[hash] = e
	}
}

// refresh reads the auth epoch when it was last read SessionCacheRefresh
// ago or more, and forgets every cached session when it moved. One request
// at a time reads it; the others go on with the cache meanwhile.
func (u *Users) refreshSessions(ctx context.Context, now time.Time) error {
	c := &u.sessions
	c.mu.Lock()
	if c.polling || (c.known && now.Sub(c.polledAt) < SessionCacheRefresh && !now.Before(c.polledAt)) {
		c.mu.Unlock()
		return nil
	}
	c.polling = true
	c.mu.Unlock()
	epoch, err := u.db.authEpoch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.polling = false
	if err != nil {
		c.flushLocked()
		c.known = false
		return err
	}
	if !c.known || epoch != c.epoch {
		c.flushLocked()
	}
	c.epoch, c.known, c.polledAt = epoch, true, now
	return nil
}

// authEpoch reads the auth epoch.
func (db *DB) authEpoch(ctx context.Context) (int64, error) {
	var epoch int64
	err := db.Read.QueryRowContext(ctx, `SELECT epoch FROM growth_auth_epoch WHERE id = 1`).Scan(&epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sessions: auth epoch: %w", err)
	}
	return epoch, nil
}

// bumpAuthEpoch tells every server, through the database, that sessions or
// users changed in tx. The caller forgets its own cache once tx committed.
func (db *DB) bumpAuthEpoch(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE growth_auth_epoch SET epoch = epoch + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("sessions: auth epoch: %w", err)
	}
	return nil
}

package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SessionKind says how a session's token travels: a bearer token in the
// Authorization header (API clients), or a cookie of the web UI. A token
// works only the way it was issued, so that a cookie session is never usable
// without the CSRF check the cookie path makes.
type SessionKind string

// The kinds of session.
const (
	BearerSession SessionKind = "bearer"
	CookieSession SessionKind = "cookie"
)

// Session is a logged-in user's session. Token is set only when the session
// is created: the store keeps its SHA-256 hash, never the token.
type Session struct {
	Token string
	Kind  SessionKind
	User  *User
	// ExpiresAt is the end of the session however busy (LoginPolicy.SessionTTL
	// after login); it ends sooner when unused for LoginPolicy.SessionIdle
	// after LastUsedAt.
	ExpiresAt  time.Time
	LastUsedAt time.Time
}

// SessionTouchInterval is how stale a session's recorded last use may get
// before a request records it again. Recording every request would make
// every read a database write (on SQLite, through the one writer); once a
// minute costs one small UPDATE per user per minute. The price: the idle
// limit counts from the last recorded use, so a session can end up to this
// much before SessionIdle has passed since its very last request.
const SessionTouchInterval = time.Minute

// tokenBytes is the entropy of a session token.
const tokenBytes = 32

// newToken returns a random token (43 characters of base64url) and its hash.
func newToken() (token, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormedToken reports whether token could be one newToken made.
func wellFormedToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// Errors a client with a bad credential gets; each wraps ErrUnauthorized.
var (
	errNoCredentials   = Unauthorized("请先登录")
	errBadToken        = Unauthorized("登录凭据无效，请重新登录")
	errSessionExpired  = Unauthorized("登录已过期，请重新登录")
	errSessionIdle     = Unauthorized("长时间未操作，登录已过期，请重新登录")
	errSessionRevoked  = Unauthorized("登录已注销，请重新登录")
	errAccountDisabled = Unauthorized("账户已停用，请联系管理员")
)

// ErrAccountDisabled is the refusal of a disabled user's login or session.
var ErrAccountDisabled = errAccountDisabled

// startSession stores a new session for user inside tx.
func (u *Users) startSession(ctx context.Context, tx *sql.Tx, user *User, kind SessionKind, address string, now time.Time) (*Session, error) {
	token, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	ttl := u.Policy.SessionTTL
	if ttl <= 0 {
		ttl = DefaultLoginPolicy.SessionTTL
	}
	s := &Session{Token: token, Kind: kind, User: user, ExpiresAt: now.Add(ttl), LastUsedAt: now}
	ph := u.db.Placeholder
	_, err = tx.ExecContext(ctx, `INSERT INTO growth_sessions (token_hash, user_id, kind, address, created_at, expires_at, last_used_at) VALUES (`+
		ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`, `+ph(5)+`, `+ph(6)+`, `+ph(7)+`)`,
		hash, user.ID, string(kind), address, u.db.timeArg(now), u.db.timeArg(s.ExpiresAt), u.db.timeArg(now))
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return s, nil
}

// Authenticate returns the actor of a session token of the given kind, with
// the user's roles and org as they are now (a change by an admin applies to
// the next request). A missing, malformed, unknown, expired, idle or revoked
// token, or a disabled user, is an error wrapping ErrUnauthorized. Each
// success is a use of the session that keeps it from going idle, recorded
// when the last record is SessionTouchInterval old.
func (u *Users) Authenticate(ctx context.Context, token string, kind SessionKind) (Actor, error) {
	s, err := u.checkedSession(ctx, token, kind)
	if err != nil {
		return Actor{}, err
	}
	if err := u.touch(ctx, token, s); err != nil {
		return Actor{}, err
	}
	return s.User.Actor(), nil
}

// checkedSession is session served from the cache of checked sessions when
// it can be (user_session_cache.go), and cached when it was read.
func (u *Users) checkedSession(ctx context.Context, token string, kind SessionKind) (*Session, error) {
	token = strings.TrimSpace(token)
	if token == "" || !wellFormedToken(token) {
		return u.session(ctx, token, kind)
	}
	now := u.now()
	if err := u.refreshSessions(ctx, now); err != nil {
		return nil, err
	}
	hash := hashToken(token)
	if s, ok := u.sessions.get(hash, kind, now, u.idleLimit()); ok {
		return &s, nil
	}
	gen := u.sessions.generation()
	s, err := u.session(ctx, token, kind)
	if err != nil {
		return nil, err
	}
	u.sessions.put(hash, s, gen, now)
	return s, nil
}

// idleLimit is the policy's idle limit, or the default one.
func (u *Users) idleLimit() time.Duration {
	if u.Policy.SessionIdle > 0 {
		return u.Policy.SessionIdle
	}
	return DefaultLoginPolicy.SessionIdle
}

// touch records a use of s now, unless the recorded one is recent enough.
// With a short idle limit (tests, a strict policy) it records more often,
// so that the slack stays well below the limit.
func (u *Users) touch(ctx context.Context, token string, s *Session) error {
	now := u.now()
	every := min(SessionTouchInterval, u.idleLimit()/4)
	if now.Sub(s.LastUsedAt) < every {
		return nil
	}
	ph := u.db.Placeholder
	// Never backwards: a slower request of the same session may arrive later
	// with an earlier clock reading.
	_, err := u.db.Write.ExecContext(ctx, `UPDATE growth_sessions SET last_used_at = `+ph(1)+` WHERE token_hash = `+ph(2)+` AND (last_used_at IS NULL OR last_used_at < `+ph(3)+`)`,
		u.db.timeArg(now), hashToken(strings.TrimSpace(token)), u.db.timeArg(now))
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	s.LastUsedAt = now
	u.sessions.used(hashToken(strings.TrimSpace(token)), now)
	return nil
}

// session looks a token up and checks it.
func (u *Users) session(ctx context.Context, token string, kind SessionKind) (*Session, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errNoCredentials
	}
	if !wellFormedToken(token) {
		return nil, errBadToken
	}
	ph := u.db.Placeholder
	row := u.db.Read.QueryRowContext(ctx, `SELECT s.kind, s.expires_at, s.revoked_at, COALESCE(s.last_used_at, s.created_at), u.id, u.name, u.display_name, u.org, u.roles, u.enabled, u.created_at, u.updated_at
FROM growth_sessions s JOIN growth_users u ON u.id = s.user_id WHERE s.token_hash = `+ph(1), hashToken(token))
	var (
		sessionKind                string
		expires, revoked, lastUsed any
		user                       = &User{}
		roles                      string
		enabled, cat, uat          any
	)
	err := row.Scan(&sessionKind, &expires, &revoked, &lastUsed, &user.ID, &user.Name, &user.DisplayName, &user.Org, &roles, &enabled, &cat, &uat)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	if SessionKind(sessionKind) != kind {
		return nil, errBadToken
	}
	if revoked != nil {
		return nil, errSessionRevoked
	}
	exp, err := scanTime(expires)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	now := u.now()
	if !now.Before(exp) {
		return nil, errSessionExpired
	}
	used, err := scanTime(lastUsed)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	if !now.Before(used.Add(u.idleLimit())) {
		return nil, errSessionIdle
	}
	if !asBool(enabled) {
		return nil, errAccountDisabled
	}
	user.Enabled = true
	user.Roles = []string{}
	if roles != "" {
		user.Roles = strings.Split(roles, ",")
	}
	if user.CreatedAt, err = scanTime(cat); err != nil {
		return nil, err
	}
	if user.UpdatedAt, err = scanTime(uat); err != nil {
		return nil, err
	}
	return &Session{Kind: kind, User: user, ExpiresAt: exp, LastUsedAt: used}, nil
}

// Logout revokes the session of token, whatever its kind; a token that is
// not a live session is ErrUnauthorized.
func (u *Users) Logout(ctx context.Context, token string, kind SessionKind) error {
	s, err := u.session(ctx, token, kind)
	if err != nil {
		return err
	}
	now := u.now()
	err = u.db.Tx(ctx, func(tx *sql.Tx) error {
		ph := u.db.Placeholder
		if _, err := tx.ExecContext(ctx, `UPDATE growth_sessions SET revoked_at = `+ph(1)+` WHERE token_hash = `+ph(2)+` AND revoked_at IS NULL`,
			u.db.timeArg(now), hashToken(strings.TrimSpace(token))); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		if err := u.db.bumpAuthEpoch(ctx, tx); err != nil {
			return err
		}
		return u.audit(ctx, tx, s.User.Name, s.User.ID, "logout", now, map[string][2]any{"session": {nil, string(kind)}})
	})
	u.sessions.forget()
	return err
}

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
	Token     string
	Kind      SessionKind
	User      *User
	ExpiresAt time.Time
}

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
	errNoCredentials   = fmt.Errorf("%w: 请先登录", ErrUnauthorized)
	errBadToken        = fmt.Errorf("%w: 登录凭据无效，请重新登录", ErrUnauthorized)
	errSessionExpired  = fmt.Errorf("%w: 登录已过期，请重新登录", ErrUnauthorized)
	errSessionRevoked  = fmt.Errorf("%w: 登录已注销，请重新登录", ErrUnauthorized)
	errAccountDisabled = fmt.Errorf("%w: 账户已停用，请联系管理员", ErrUnauthorized)
)

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
	s := &Session{Token: token, Kind: kind, User: user, ExpiresAt: now.Add(ttl)}
	ph := u.db.Placeholder
	_, err = tx.ExecContext(ctx, `INSERT INTO growth_sessions (token_hash, user_id, kind, address, created_at, expires_at) VALUES (`+
		ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`, `+ph(5)+`, `+ph(6)+`)`,
		hash, user.ID, string(kind), address, u.db.timeArg(now), u.db.timeArg(s.ExpiresAt))
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return s, nil
}

// Authenticate returns the actor of a session token of the given kind, with
// the user's roles and org as they are now (a change by an admin applies to
// the next request). A missing, malformed, unknown, expired or revoked
// token, or a disabled user, is an error wrapping ErrUnauthorized.
func (u *Users) Authenticate(ctx context.Context, token string, kind SessionKind) (Actor, error) {
	s, err := u.session(ctx, token, kind)
	if err != nil {
		return Actor{}, err
	}
	return s.User.Actor(), nil
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
	row := u.db.Read.QueryRowContext(ctx, `SELECT s.kind, s.expires_at, s.revoked_at, u.id, u.name, u.display_name, u.org, u.roles, u.enabled, u.created_at, u.updated_at
FROM growth_sessions s JOIN growth_users u ON u.id = s.user_id WHERE s.token_hash = `+ph(1), hashToken(token))
	var (
		sessionKind       string
		expires, revoked  any
		user              = &User{}
		roles             string
		enabled, cat, uat any
	)
	err := row.Scan(&sessionKind, &expires, &revoked, &user.ID, &user.Name, &user.DisplayName, &user.Org, &roles, &enabled, &cat, &uat)
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
	if !u.now().Before(exp) {
		return nil, errSessionExpired
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
	return &Session{Kind: kind, User: user, ExpiresAt: exp}, nil
}

// Logout revokes the session of token, whatever its kind; a token that is
// not a live session is ErrUnauthorized.
func (u *Users) Logout(ctx context.Context, token string, kind SessionKind) error {
	s, err := u.session(ctx, token, kind)
	if err != nil {
		return err
	}
	now := u.now()
	return u.db.Tx(ctx, func(tx *sql.Tx) error {
		ph := u.db.Placeholder
		if _, err := tx.ExecContext(ctx, `UPDATE growth_sessions SET revoked_at = `+ph(1)+` WHERE token_hash = `+ph(2)+` AND revoked_at IS NULL`,
			u.db.timeArg(now), hashToken(strings.TrimSpace(token))); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		return u.audit(ctx, tx, s.User.Name, s.User.ID, "logout", now, map[string][2]any{"session": {nil, string(kind)}})
	})
}

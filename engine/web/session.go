package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
)

// The web UI's session lives in an HttpOnly, SameSite=Lax cookie that
// scripts cannot read. Because a browser sends the cookie with requests other
// sites make it send, every form post (and every other request that may
// change something) must also carry a CSRF token: a value bound to the
// session, which another site can neither read nor compute. Before login the
// login form is protected the same way by a random pre-session cookie
// (double submit), so that no site can log a user in as someone else.

// Sessions keeps the web UI's session in a cookie and checks the CSRF token
// of every request that may change something. The API's login (apps.Auth)
// and the web UI share it.
type Sessions struct {
	Users *engine.Users
	// SecureCookie marks the session and CSRF cookies Secure, so that a
	// browser sends them over HTTPS only. It must be set wherever users reach
	// the server over HTTPS, also when a reverse proxy terminates TLS and
	// the server itself speaks plain HTTP (growth serve --secure-cookies);
	// it is off by default so that http://127.0.0.1:8080 works as it is.
	SecureCookie bool
}

// UserStore is the user store the sessions belong to.
func (a *Sessions) UserStore() *engine.Users { return a.Users }

// Names of the cookies and of the places a CSRF token is read from.
const (
	SessionCookie = "growth_session"
	// PreSessionCookie holds the login form's CSRF token before a session exists.
	PreSessionCookie = "growth_csrf"
	CSRFHeader       = "X-CSRF-Token"
	CSRFField        = "_csrf"
)

var errCSRF = engine.Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")

// LoginWithCookie logs a user in from the web UI's login form: it checks the
// form's CSRF token, checks the password (with the same limits and audit as
// the API) and sets the session cookie.
func (a *Sessions) LoginWithCookie(c *fiber.Ctx, username, password string) (*engine.Session, error) {
	if err := a.VerifyCSRF(c); err != nil {
		return nil, err
	}
	s, err := a.Users.Login(c.UserContext(), username, password, ClientAddress(c), engine.CookieSession)
	if err != nil {
		return nil, err
	}
	a.SetSessionCookie(c, s)
	a.clearCookie(c, PreSessionCookie, fiber.CookieSameSiteStrictMode)
	return s, nil
}

// SetSessionCookie sends the session's token as the HttpOnly session cookie,
// expiring with the session (the server also ends it sooner when it goes
// unused: LoginPolicy.SessionIdle), and Secure when SecureCookie is set.
func (a *Sessions) SetSessionCookie(c *fiber.Ctx, s *engine.Session) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: s.Token, Path: "/", Expires: s.ExpiresAt, HTTPOnly: true, Secure: a.SecureCookie, SameSite: fiber.CookieSameSiteLaxMode})
}

// ClearSessionCookie tells the browser to forget the session cookie.
func (a *Sessions) ClearSessionCookie(c *fiber.Ctx) {
	a.clearCookie(c, SessionCookie, fiber.CookieSameSiteLaxMode)
}

// clearCookie expires a cookie with the attributes it was set with: a
// browser may keep a Secure cookie that a non-Secure Set-Cookie tries to
// replace.
func (a *Sessions) clearCookie(c *fiber.Ctx, name, sameSite string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1, HTTPOnly: true, Secure: a.SecureCookie, SameSite: sameSite})
}

// ActorFromCookie returns the actor of the request's session cookie. It does
// not check the CSRF token: call VerifyCSRF on every request that changes
// something (Actor does).
func (a *Sessions) ActorFromCookie(c *fiber.Ctx) (engine.Actor, error) {
	return a.Users.Authenticate(c.UserContext(), c.Cookies(SessionCookie), engine.CookieSession)
}

// LogoutCookie revokes the session of the request's cookie, after checking
// the CSRF token, and clears the cookie.
func (a *Sessions) LogoutCookie(c *fiber.Ctx) error {
	if err := a.VerifyCSRF(c); err != nil {
		return err
	}
	if err := a.Users.Logout(c.UserContext(), c.Cookies(SessionCookie), engine.CookieSession); err != nil {
		return err
	}
	a.ClearSessionCookie(c)
	return nil
}

// CSRFTokenFor is the CSRF token of a session token: an HMAC keyed by the
// session token, so that it needs no storage and dies with the session.
func CSRFTokenFor(sessionToken string) string {
	mac := hmac.New(sha256.New, []byte(sessionToken))
	mac.Write([]byte("growth csrf v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CSRFToken is the token a page puts in its forms (hidden field _csrf) and
// scripts send in the X-CSRF-Token header: bound to the session cookie of
// the request or, before login, to a pre-session cookie it sets.
func (a *Sessions) CSRFToken(c *fiber.Ctx) (string, error) {
	if token := c.Cookies(SessionCookie); token != "" {
		return CSRFTokenFor(token), nil
	}
	if pre := c.Cookies(PreSessionCookie); len(pre) == 43 {
		return pre, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("csrf token: %w", err)
	}
	pre := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: PreSessionCookie, Value: pre, Path: "/", HTTPOnly: true, Secure: a.SecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
	return pre, nil
}

// VerifyCSRF checks the request's CSRF token (header X-CSRF-Token, or form
// field _csrf) against its session cookie, or before login against its
// pre-session cookie. A missing or wrong token is a ForbiddenError (403).
func (a *Sessions) VerifyCSRF(c *fiber.Ctx) error {
	got := c.Get(CSRFHeader)
	if got == "" {
		got = c.FormValue(CSRFField)
	}
	var want string
	if token := c.Cookies(SessionCookie); token != "" {
		want = CSRFTokenFor(token)
	} else {
		want = c.Cookies(PreSessionCookie)
	}
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

// ClientAddress is the address login limits count by: the peer, or behind a
// trusted proxy the last address in the app's proxy header (X-Forwarded-For),
// which that proxy added (addresses before it come from the client and
// could be anything).
func ClientAddress(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP().String()
	header := c.App().Config().ProxyHeader
	if header == "" || !c.IsProxyTrusted() {
		return peer
	}
	parts := strings.Split(c.Get(header), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		if addr := strings.TrimSpace(parts[i]); addr != "" {
			return addr
		}
	}
	return peer
}

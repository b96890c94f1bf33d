package ui

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
)

// loginView is the login form: the name typed is kept after a failure, the
// password never is.
type loginView struct {
	Username string
	Next     string
	Error    string
	// SSO is the single sign-on link, when a provider is configured, and
	// SSOLabel its text; Passwords is false when local passwords are off.
	SSO       string
	SSOLabel  string
	Passwords bool
}

func (u *UI) loginPage(c *fiber.Ctx) error {
	securityHeaders(c)
	r := &request{c: c, lang: langOf(c)}
	if actor, err := u.opts.Sessions.ActorFromCookie(c); err == nil && actor.User != "" {
		return c.Redirect(nextOf(c), fiber.StatusSeeOther)
	}
	v := &loginView{Next: c.Query("next")}
	switch sso := c.Query("sso"); sso {
	case "disabled", "unknown_user", "expired", "unavailable", "failed":
		v.Error = r.lang.T("login.sso." + sso)
	}
	return u.showLogin(r, fiber.StatusOK, v)
}

func (u *UI) showLogin(r *request, status int, v *loginView) error {
	v.Passwords = true
	if sso, ok := u.opts.Sessions.(singleSignOn); ok {
		if v.SSO, v.SSOLabel = sso.SingleSignOn(); v.SSO != "" && safeNext(v.Next) && v.Next != "" {
			v.SSO += "?next=" + url.QueryEscape(v.Next)
		}
	}
	if store, ok := u.opts.Sessions.(userStore); ok {
		v.Passwords = !store.UserStore().NoPasswords
	}
	token, err := u.opts.Sessions.CSRFToken(r.c)
	if err != nil {
		return err
	}
	r.csrf = token
	p := u.newPage(r, r.lang.T("login.title"), v)
	return u.render(r, status, "login", p)
}

// nextOf is where to go after login: the ?next= path when it is one of
// ours, else the portal.
func nextOf(c *fiber.Ctx) string {
	next := c.Query("next")
	if next == "" {
		next = c.FormValue("next")
	}
	if !safeNext(next) {
		return "/"
	}
	return next
}

func (u *UI) login(c *fiber.Ctx) error {
	securityHeaders(c)
	r := &request{c: c, lang: langOf(c)}
	v := &loginView{Username: strings.TrimSpace(c.FormValue("username")), Next: c.FormValue("next")}
	password := c.FormValue("password")
	if v.Username == "" || password == "" {
		v.Error = r.lang.T("login.missing")
		return u.showLogin(r, fiber.StatusUnprocessableEntity, v)
	}
	if _, err := u.opts.Sessions.LoginWithCookie(c, v.Username, password); err != nil {
		status, body := (&web.Errors{Log: u.log}).Describe(c, err, r.lang == English)
		msg := body.Error.Message
		var tma *engine.TooManyAttemptsError
		if errors.Is(err, engine.ErrUnauthorized) || errors.As(err, &tma) || status == fiber.StatusForbidden {
			v.Error = msg
			return u.showLogin(r, status, v)
		}
		return u.fail(r, err)
	}
	return c.Redirect(nextOf(c), fiber.StatusSeeOther)
}

func (u *UI) logout(c *fiber.Ctx) error {
	securityHeaders(c)
	r := &request{c: c, lang: langOf(c)}
	if err := u.opts.Sessions.LogoutCookie(c); err != nil && !errors.Is(err, engine.ErrUnauthorized) {
		return u.fail(r, err)
	}
	// A session that had already ended still leaves the browser logged out.
	u.opts.Sessions.ClearSessionCookie(c)
	return c.Redirect("/login?lang="+url.QueryEscape(string(r.lang)), fiber.StatusSeeOther)
}

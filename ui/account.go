package ui

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/growth-gov/growth/engine"
)

// A user changes their own password at /ui/account/password: the current
// password (checked by a login, so wrong guesses count against the name's
// attempt limit like any login), the new one twice. The change goes through
// engine.Users.Change — the password policy, the audit row, and the end of
// every session of the user, this one included — so the user logs in again
// with the new password.

type accountView struct {
	Name, Login string
	Current     *formField
	Password    *formField
	Password2   *formField
	Errors      []string
	Invalid     bool
	Done        bool
}

const accountPath = "/ui/account/password"

func (u *UI) accountView(r *request, errs map[string][]string) *accountView {
	who := u.person(r.c.UserContext(), r.actor.User)
	field := func(name, label string) *formField {
		return &formField{Name: name, ID: "f-" + name, Label: r.lang.T(label), Widget: "password", Required: true, Errors: errs[name], Lang: r.lang}
	}
	return &accountView{Name: who.Name, Login: who.Login,
		Current: field("current", "account.current"), Password: field("password", "users.password"), Password2: field("password2", "users.password2")}
}

func (u *UI) accountPage(r *request) error {
	if u.opts.Users == nil || r.actor.User == "" {
		return fiber.ErrNotFound
	}
	v := u.accountView(r, nil)
	return u.render(r, 200, "account", u.newPage(r, r.lang.T("account.title"), v))
}

func (u *UI) changePassword(r *request) error {
	if u.opts.Users == nil || r.actor.User == "" {
		return fiber.ErrNotFound
	}
	ctx := r.c.UserContext()
	current, password, password2 := r.c.FormValue("current"), r.c.FormValue("password"), r.c.FormValue("password2")
	refuse := func(status int, field, msg string) error {
		v := u.accountView(r, map[string][]string{field: {msg}})
		v.Invalid = true
		return u.render(r, status, "account", u.newPage(r, r.lang.T("account.title"), v))
	}
	if password != password2 {
		return refuse(422, "password2", r.lang.T("users.password.diff"))
	}
	// The current password is checked by a login of its own, which counts
	// towards the attempt limits; its session is closed again at once.
	s, err := u.opts.Users.Login(ctx, r.actor.User, current, r.c.IP(), engine.CookieSession)
	if err != nil {
		var tm *engine.TooManyAttemptsError
		if errors.As(err, &tm) {
			return refuse(429, "current", tm.Text(r.lang == English))
		}
		if errors.Is(err, engine.ErrUnauthorized) {
			return refuse(422, "current", r.lang.T("account.wrong"))
		}
		return err
	}
	_ = u.opts.Users.Logout(ctx, s.Token, engine.CookieSession)
	if _, err := u.opts.Users.Change(ctx, r.actor, r.actor.User, engine.UserChange{Password: &password}); err != nil {
		var ve *engine.ValidationError
		if asValidation(err, &ve) {
			msgs := map[string][]string{}
			for name, list := range ve.Fields {
				for _, fe := range list {
					msgs[name] = append(msgs[name], fe.Text(r.lang == English))
				}
			}
			v := u.accountView(r, msgs)
			v.Invalid = true
			return u.render(r, 422, "account", u.newPage(r, r.lang.T("account.title"), v))
		}
		return err
	}
	v := u.accountView(r, nil)
	v.Done = true
	p := u.newPage(r, r.lang.T("account.title"), v)
	p.User = nil // the session has ended
	return u.render(r, 200, "account", p)
}

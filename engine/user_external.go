package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// Users can log in through an identity provider the installation trusts
// (OpenID Connect: apps/oidc.go checks the provider's answer). The provider
// vouches for who the user is; configuration rules turn its claims into a
// Growth user name, org and roles (ExternalIdentity), and LoginExternal
// opens a session for that user like a password login would: the same
// sessions, the same audit trail, the same refusal of a disabled user.

// ErrPasswordsOff is the answer to a password login when local passwords
// are switched off (Users.NoPasswords).
var ErrPasswordsOff = Unauthorized("本系统已关闭本地密码登录，请通过统一身份认证登录")

// ExternalIdentity is a user as an identity provider vouched for them, after
// the configuration's rules mapped the claims.
type ExternalIdentity struct {
	// Issuer and Subject name the user at the provider, for the audit trail.
	Issuer, Subject string
	// Name is the Growth user name.
	Name        string
	DisplayName string
	// Org, when not "", is the user's org; "" keeps the stored one.
	Org string
	// Roles, when not nil, replace the user's roles at every login, so that
	// the provider stays the one place roles are granted; nil keeps them.
	Roles []string
}

// errNoSuchExternalUser: the provider vouched for a user this installation
// does not know, and may not create.
func errNoSuchExternalUser(name string) error {
	return Unauthorized("统一身份认证已通过，但本系统没有用户 %s，且不自动开通，请联系管理员", name)
}

// LoginExternal opens a session of kind for the user id names. A user not
// yet known is created when provision is true (with no password: it can
// only log in through the provider) and refused otherwise; a disabled user
// is refused; the org and roles id carries replace the stored ones. Roles
// and orgs the definitions do not know are refused, naming them.
func (u *Users) LoginExternal(ctx context.Context, id ExternalIdentity, provision bool, address string, kind SessionKind) (*Session, error) {
	name := NormalizeUserName(id.Name)
	if !userNamePattern.MatchString(name) {
		return nil, Unauthorized("统一身份认证给出的用户名 %q 不能用作本系统的用户名", id.Name)
	}
	var roles []string
	if id.Roles != nil {
		var msg errcode.Text
		if roles, msg = u.checkRoles(id.Roles); msg.Zh != "" {
			return nil, fmt.Errorf("统一身份认证的角色规则有误：%s", msg.Zh)
		}
	}
	org := strings.TrimSpace(id.Org)
	if org != "" {
		if msg := u.checkOrg(org); msg.Zh != "" {
			return nil, fmt.Errorf("统一身份认证的单位规则有误：%s", msg.Zh)
		}
	}
	display := strings.TrimSpace(id.DisplayName)
	if display == "" || utf8.RuneCountInString(display) > 100 {
		display = name
	}
	address = truncateRunes(address, 64)
	now := u.now()
	by := "oidc:" + truncateRunes(id.Issuer, 100)
	var session *Session
	changed := false // the user's roles or org changed: sessions cached here are stale
	err := u.db.Tx(ctx, func(tx *sql.Tx) error {
		ph := u.db.Placeholder
		user, err := u.get(ctx, tx, name, true)
		switch {
		case errors.Is(err, ErrNotFound):
			if !provision {
				return errNoSuchExternalUser(name)
			}
			if roles == nil {
				roles = []string{}
			}
			user = &User{Name: name, DisplayName: display, Org: org, Roles: roles, Enabled: true, CreatedAt: now, UpdatedAt: now}
			// No password hash: bcrypt never matches "", so a password
			// login of this user always fails.
			err = tx.QueryRowContext(ctx, `INSERT INTO growth_users (name, display_name, password_hash, org, roles, enabled, created_at, updated_at) VALUES (`+
				ph(1)+`, `+ph(2)+`, '', `+ph(3)+`, `+ph(4)+`, `+ph(5)+`, `+ph(6)+`, `+ph(7)+`) RETURNING id`,
				name, display, org, strings.Join(roles, ","), true, u.db.timeArg(now), u.db.timeArg(now)).Scan(&user.ID)
			if err != nil {
				return fmt.Errorf("users: %w", err)
			}
			if err := u.audit(ctx, tx, by, user.ID, "create", now, map[string][2]any{
				"name": {nil, name}, "display_name": {nil, display}, "org": {nil, org}, "roles": {nil, strings.Join(roles, ",")}, "enabled": {nil, true}}); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if !user.Enabled {
				return errAccountDisabled
			}
			diff := map[string][2]any{}
			if org != "" && org != user.Org {
				diff["org"] = [2]any{user.Org, org}
				user.Org = org
			}
			if roles != nil && !slices.Equal(roles, user.Roles) {
				diff["roles"] = [2]any{strings.Join(user.Roles, ","), strings.Join(roles, ",")}
				user.Roles = roles
			}
			if len(diff) > 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE growth_users SET org = `+ph(1)+`, roles = `+ph(2)+`, updated_at = `+ph(3)+` WHERE id = `+ph(4),
					user.Org, strings.Join(user.Roles, ","), u.db.timeArg(now), user.ID); err != nil {
					return fmt.Errorf("users: %w", err)
				}
				if err := u.db.bumpAuthEpoch(ctx, tx); err != nil {
					return err
				}
				changed = true
				if err := u.audit(ctx, tx, by, user.ID, "update", now, diff); err != nil {
					return err
				}
			}
		}
		if session, err = u.startSession(ctx, tx, user, kind, address, now); err != nil {
			return err
		}
		return u.audit(ctx, tx, user.Name, user.ID, "login", now, map[string][2]any{
			"name": {nil, name}, "address": {nil, address}, "session": {nil, string(kind)},
			"method": {nil, "oidc"}, "issuer": {nil, id.Issuer}, "subject": {nil, id.Subject}})
	})
	if err != nil {
		if errors.Is(err, errAccountDisabled) || errors.Is(err, ErrUnauthorized) {
			_ = u.db.Tx(ctx, func(tx *sql.Tx) error {
				return u.audit(ctx, tx, anonymous, 0, "login_failed", now, map[string][2]any{
					"name": {nil, name}, "address": {nil, address}, "method": {nil, "oidc"}, "reason": {nil, strings.TrimPrefix(err.Error(), ErrUnauthorized.Error()+": ")}})
			})
		}
		return nil, err
	}
	if changed {
		u.sessions.forget()
	}
	return session, nil
}

// CheckGrant says which of roles and org (when not "") the definitions do
// not know, or nil: for checking the rules of an identity provider's
// configuration when the server starts.
func (u *Users) CheckGrant(roles []string, org string) error {
	if _, msg := u.checkRoles(roles); msg.Zh != "" {
		return errors.New(msg.Zh)
	}
	if org != "" {
		if msg := u.checkOrg(org); msg.Zh != "" {
			return errors.New(msg.Zh)
		}
	}
	return nil
}

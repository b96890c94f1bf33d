package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"golang.org/x/crypto/bcrypt"
)

// Users is the platform's user store: accounts with a bcrypt password hash,
// an org (a code of an org tree) and roles; the sessions they log in to; and
// the login attempts that slow and lock guessing. Every change and every
// login, failed or not, is written to the audit trail (app "growth", entity
// "user", the user's id as record id).
type Users struct {
	db      *DB
	project *metamodel.Project
	// Policy limits logins and sets how long sessions last.
	Policy LoginPolicy
	// HashCost is the bcrypt cost of new password hashes; verifying uses the
	// cost stored in each hash.
	HashCost int
	// Clock is the time source; tests move it instead of sleeping.
	Clock func() time.Time
	// NoPasswords switches local passwords off: every login goes through
	// the identity provider (LoginExternal), and Login refuses.
	NoPasswords bool

	dummyOnce sync.Once
	dummy     []byte
	lastPrune atomic.Int64
	// sessions holds the sessions this server checked (user_session_cache.go).
	sessions sessionCache
}

// User is one account. Roles are "app.role" names or platform roles (admin).
type User struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Org         string    `json:"org"`
	Roles       []string  `json:"roles"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Actor is the user acting.
func (u *User) Actor() Actor {
	return Actor{User: u.Name, Roles: slices.Clone(u.Roles), Org: u.Org}
}

// NewUser is what adding a user takes. The password is never stored, only
// its hash.
type NewUser struct {
	Name        string
	DisplayName string
	Password    string
	Org         string
	Roles       []string
	Disabled    bool
}

// UserChange changes the fields that are not nil.
type UserChange struct {
	DisplayName *string
	Password    *string
	Org         *string
	Roles       *[]string
	Enabled     *bool
}

// The audit trail's chain for users: app "growth", entity "user".
const (
	userAuditApp    = "growth"
	userAuditEntity = "user"
)

// NewUsers returns the user store over db; p decides which roles and org
// codes exist.
func NewUsers(db *DB, p *metamodel.Project) *Users {
	return &Users{db: db, project: p, Policy: DefaultLoginPolicy, HashCost: DefaultHashCost, Clock: time.Now}
}

// DefaultHashCost is the bcrypt cost of password hashes (about 0.25 s per
// guess on one core, which is what makes a stolen hash slow to crack).
const DefaultHashCost = 12

// Project is the definitions the store checks roles and orgs against.
func (u *Users) Project() *metamodel.Project { return u.project }

func (u *Users) now() time.Time { return u.Clock().UTC().Truncate(time.Microsecond) }

var userNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.@-]{0,63}$`)

// NormalizeUserName is how names are stored and looked up: trimmed, lower case.
func NormalizeUserName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// checkRoles normalises roles (trimmed, sorted, without repeats) and reports
// the first unknown one.
func (u *Users) checkRoles(roles []string) ([]string, errcode.Text) {
	out := []string{} // never null in JSON: a user without roles has []
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if r == "" || slices.Contains(out, r) {
			continue
		}
		if !u.roleExists(r) {
			if near := metamodel.Closest(r, u.roleNames()); near != "" {
				return nil, errcode.UnknownRole.Format("角色 %s 不存在，是否要写 %s？（应为平台角色（%s）或“应用.角色”）", r, near, strings.Join(PlatformRoles, "、"))
			}
			return nil, errcode.UnknownRole.Format("角色 %s 不存在：应为平台角色（%s）或“应用.角色”，如 %s", r, strings.Join(PlatformRoles, "、"), u.exampleRole())
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return out, errcode.Text{}
}

func (u *Users) roleExists(role string) bool {
	if slices.Contains(PlatformRoles, role) {
		return true
	}
	app, name, ok := strings.Cut(role, ".")
	if !ok {
		return false
	}
	a := u.project.App(app)
	return a != nil && a.Role(name) != nil
}

// roleNames are every role a user may be given: the platform's and each
// app's, as app.role.
func (u *Users) roleNames() []string {
	names := slices.Clone(PlatformRoles)
	for _, a := range u.project.Apps {
		for _, r := range a.Roles {
			names = append(names, a.Name+"."+r.Name)
		}
	}
	return names
}

func (u *Users) exampleRole() string {
	for _, a := range u.project.Apps {
		for _, r := range a.Roles {
			return a.Name + "." + r.Name
		}
	}
	return "app.role"
}

// OrgCodeSets are the code sets some entity's org_field takes its codes from:
// the org trees a user's org may be a code of.
func OrgCodeSets(p *metamodel.Project) []*metamodel.CodeSet {
	var out []*metamodel.CodeSet
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			if f := e.Field(e.OrgField); f != nil && f.Set != nil && !slices.Contains(out, f.Set) {
				out = append(out, f.Set)
			}
		}
	}
	return out
}

// OrgName is the name of org code in the first org tree that has it, or "".
func OrgName(p *metamodel.Project, code string) string {
	for _, cs := range OrgCodeSets(p) {
		if n := cs.Lookup(code); n != nil {
			return n.Name
		}
	}
	return ""
}

// checkOrg explains why org cannot be a user's org, or returns an empty
// text.
func (u *Users) checkOrg(org string) errcode.Text {
	if org == "" {
		return errcode.Text{}
	}
	sets := OrgCodeSets(u.project)
	var names []string
	for _, cs := range sets {
		if cs.Lookup(org) != nil {
			return errcode.Text{}
		}
		names = append(names, cs.Label())
	}
	if len(sets) == 0 {
		return errcode.UnknownOrg.Format("单位 %s 无效：没有实体声明 org_field，没有可用的单位代码集", org)
	}
	return errcode.UnknownOrg.Format("单位 %s 不在单位代码集（%s）中", org, strings.Join(names, "、"))
}

func (u *Users) hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), u.HashCost)
	if err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	return string(h), nil
}

// Add creates a user; by is who does it, for the audit trail.
func (u *Users) Add(ctx context.Context, by Actor, nu NewUser) (*User, error) {
	verr := &ValidationError{}
	name := NormalizeUserName(nu.Name)
	if !userNamePattern.MatchString(name) {
		verr.Add("name", errcode.Pattern, "用户名 %q 无效：只能包含小写字母、数字和 _ . @ -，以字母或数字开头，最长 64 个字符", nu.Name)
	}
	if msg := checkPassword(name, nu.DisplayName, nu.Password); msg.Zh != "" {
		verr.addError("password", fieldError(errcode.Password, msg))
	}
	roles, msg := u.checkRoles(nu.Roles)
	if msg.Zh != "" {
		verr.addError("roles", fieldError(errcode.UnknownRole, msg))
	}
	org := strings.TrimSpace(nu.Org)
	if msg := u.checkOrg(org); msg.Zh != "" {
		verr.addError("org", fieldError(errcode.UnknownOrg, msg))
	}
	display := strings.TrimSpace(nu.DisplayName)
	if display == "" {
		display = name
	}
	if utf8.RuneCountInString(display) > 100 {
		verr.Add("display_name", errcode.MaxLength, "姓名最长 100 个字符")
	}
	if hasNUL(display) || !utf8.ValidString(display) {
		verr.Add("display_name", errcode.NulCharacter, "姓名不能包含 NUL 字符或无效的 UTF-8")
	}
	if !verr.empty() {
		return nil, verr
	}
	hash, err := u.hash(nu.Password)
	if err != nil {
		return nil, err
	}
	now := u.now()
	user := &User{Name: name, DisplayName: display, Org: org, Roles: roles, Enabled: !nu.Disabled, CreatedAt: now, UpdatedAt: now}
	ph := u.db.Placeholder
	err = u.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_users WHERE name = `+ph(1), name).Scan(&n); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if n > 0 {
			ce := conflict(errcode.Duplicate, "用户 %s 已存在", name)
			ce.Fields = map[string][]FieldError{"name": {fieldError(errcode.Duplicate, errcode.Duplicate.Format("已存在同名用户"))}}
			return ce
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO growth_users (name, display_name, password_hash, org, roles, enabled, created_at, updated_at) VALUES (`+
			ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`, `+ph(5)+`, `+ph(6)+`, `+ph(7)+`, `+ph(8)+`) RETURNING id`,
			name, display, hash, org, strings.Join(roles, ","), user.Enabled, u.db.timeArg(now), u.db.timeArg(now)).Scan(&user.ID)
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		return u.audit(ctx, tx, by.User, user.ID, "create", now, map[string][2]any{
			"name": {nil, name}, "display_name": {nil, display}, "org": {nil, org}, "roles": {nil, strings.Join(roles, ",")}, "enabled": {nil, user.Enabled},
		})
	})
	if err != nil {
		return nil, err
	}
	return user, nil
}

func (u *Users) audit(ctx context.Context, tx *sql.Tx, actor string, userID int64, action string, at time.Time, changes map[string][2]any) error {
	return u.db.appendAudit(ctx, tx, AuditEntry{App: userAuditApp, Entity: userAuditEntity, RecordID: userID, Action: action, Actor: actor, At: at,
		Changes: changes, DefVersion: u.project.Hash})
}

const userColumns = `id, name, display_name, org, roles, enabled, created_at, updated_at`

func scanUser(row scanner) (*User, error) {
	var (
		user           User
		roles          string
		enabled        any
		created, upd   any
		createdT, updT time.Time
		err            error
	)
	if err := row.Scan(&user.ID, &user.Name, &user.DisplayName, &user.Org, &roles, &enabled, &created, &upd); err != nil {
		return nil, err
	}
	if roles != "" {
		user.Roles = strings.Split(roles, ",")
	} else {
		user.Roles = []string{}
	}
	user.Enabled = asBool(enabled)
	if createdT, err = scanTime(created); err != nil {
		return nil, err
	}
	if updT, err = scanTime(upd); err != nil {
		return nil, err
	}
	user.CreatedAt, user.UpdatedAt = createdT, updT
	return &user, nil
}

func asBool(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case int64:
		return b != 0
	case int32:
		return b != 0
	case []byte:
		return string(b) == "1" || string(b) == "true" || string(b) == "t"
	case string:
		return b == "1" || b == "true" || b == "t"
	}
	return false
}

// List returns every user by name.
func (u *Users) List(ctx context.Context) ([]*User, error) {
	rows, err := u.db.Read.QueryContext(ctx, `SELECT `+userColumns+` FROM growth_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	out := []*User{}
	for rows.Next() {
		user, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, user)
	}
	return out, rows.Err()
}

// Get returns the user called name, or ErrNotFound.
func (u *Users) Get(ctx context.Context, name string) (*User, error) {
	return u.get(ctx, u.db.Read, NormalizeUserName(name), false)
}

// rowQuerier is a pool or a transaction.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (u *Users) get(ctx context.Context, q rowQuerier, name string, lock bool) (*User, error) {
	query := `SELECT ` + userColumns + ` FROM growth_users WHERE name = ` + u.db.Placeholder(1)
	if lock && u.db.Dialect == Postgres {
		query += " FOR UPDATE"
	}
	user, err := scanUser(q.QueryRowContext(ctx, query, storableText(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFound("用户 %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return user, nil
}

// Change applies ch to the user called name; by is who does it. Disabling a
// user or changing the password ends the user's sessions.
func (u *Users) Change(ctx context.Context, by Actor, name string, ch UserChange) (*User, error) {
	name = NormalizeUserName(name)
	if name == by.User && ((ch.Enabled != nil && !*ch.Enabled) || (ch.Roles != nil && !slices.Contains(*ch.Roles, AdminRole))) {
		// An admin who locks themselves out needs the command line to get
		// back in; the API and the web UI both come through here.
		return nil, Forbidden("不能停用自己或取消自己的管理员角色；请由另一位管理员操作")
	}
	verr := &ValidationError{}
	var roles []string
	if ch.Roles != nil {
		var msg errcode.Text
		if roles, msg = u.checkRoles(*ch.Roles); msg.Zh != "" {
			verr.addError("roles", fieldError(errcode.UnknownRole, msg))
		}
	}
	if ch.Org != nil {
		if msg := u.checkOrg(strings.TrimSpace(*ch.Org)); msg.Zh != "" {
			verr.addError("org", fieldError(errcode.UnknownOrg, msg))
		}
	}
	if ch.Password != nil {
		display := ""
		if ch.DisplayName != nil {
			display = *ch.DisplayName
		}
		if msg := checkPassword(name, display, *ch.Password); msg.Zh != "" {
			verr.addError("password", fieldError(errcode.Password, msg))
		}
	}
	if ch.DisplayName != nil && (strings.TrimSpace(*ch.DisplayName) == "" || utf8.RuneCountInString(*ch.DisplayName) > 100) {
		verr.Add("display_name", errcode.MaxLength, "姓名不能为空，最长 100 个字符")
	}
	if ch.DisplayName != nil && (hasNUL(*ch.DisplayName) || !utf8.ValidString(*ch.DisplayName)) {
		verr.Add("display_name", errcode.NulCharacter, "姓名不能包含 NUL 字符或无效的 UTF-8")
	}
	if !verr.empty() {
		return nil, verr
	}
	var hash string
	if ch.Password != nil {
		var err error
		if hash, err = u.hash(*ch.Password); err != nil {
			return nil, err
		}
	}
	var user *User
	err := u.db.Tx(ctx, func(tx *sql.Tx) error {
		old, err := u.get(ctx, tx, name, true)
		if err != nil {
			return err
		}
		now := u.now()
		next := *old
		diff := map[string][2]any{}
		if ch.DisplayName != nil && strings.TrimSpace(*ch.DisplayName) != old.DisplayName {
			next.DisplayName = strings.TrimSpace(*ch.DisplayName)
			diff["display_name"] = [2]any{old.DisplayName, next.DisplayName}
		}
		if ch.Org != nil && strings.TrimSpace(*ch.Org) != old.Org {
			next.Org = strings.TrimSpace(*ch.Org)
			diff["org"] = [2]any{old.Org, next.Org}
		}
		if ch.Roles != nil && !slices.Equal(roles, old.Roles) {
			next.Roles = roles
			diff["roles"] = [2]any{strings.Join(old.Roles, ","), strings.Join(roles, ",")}
		}
		if ch.Enabled != nil && *ch.Enabled != old.Enabled {
			next.Enabled = *ch.Enabled
			diff["enabled"] = [2]any{old.Enabled, next.Enabled}
		}
		if ch.Password != nil {
			// The audit trail says that the password changed, never what to.
			diff["password"] = [2]any{nil, "changed"}
		}
		user = &next
		if len(diff) == 0 {
			return nil
		}
		next.UpdatedAt = now
		ph := u.db.Placeholder
		set := `display_name = ` + ph(1) + `, org = ` + ph(2) + `, roles = ` + ph(3) + `, enabled = ` + ph(4) + `, updated_at = ` + ph(5)
		args := []any{next.DisplayName, next.Org, strings.Join(next.Roles, ","), next.Enabled, u.db.timeArg(now)}
		if ch.Password != nil {
			set += `, password_hash = ` + ph(6)
			args = append(args, hash)
		}
		args = append(args, old.ID)
		if _, err := tx.ExecContext(ctx, `UPDATE growth_users SET `+set+` WHERE id = `+ph(len(args)), args...); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if !next.Enabled || ch.Password != nil {
			if err := u.revokeAll(ctx, tx, old.ID, now); err != nil {
				return err
			}
		}
		if err := u.db.bumpAuthEpoch(ctx, tx); err != nil {
			return err
		}
		return u.audit(ctx, tx, by.User, old.ID, "update", now, diff)
	})
	u.sessions.forget()
	if err != nil {
		return nil, err
	}
	return user, nil
}

// revokeAll ends every open session of a user.
func (u *Users) revokeAll(ctx context.Context, tx *sql.Tx, userID int64, now time.Time) error {
	ph := u.db.Placeholder
	_, err := tx.ExecContext(ctx, `UPDATE growth_sessions SET revoked_at = `+ph(1)+` WHERE user_id = `+ph(2)+` AND revoked_at IS NULL`, u.db.timeArg(now), userID)
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	return nil
}

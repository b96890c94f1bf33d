package ui

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// User administration (用户管理): the pages an administrator — a user with
// the platform role admin, and nobody else — uses instead of the admin API
// or the CLI to list users, add one, and change a user's display name, org,
// roles, whether they may log in, and password. Every write is the call
// behind POST and PATCH /api/admin/users (engine.Users.Add and Change) as the
// session's admin, so a form is refused for the same reasons with the same
// messages, and the audit trail gets the same rows.
//
// The pages live under /ui/admin/users; a user's page is
// /ui/admin/users/{name}, except that the user called "new" (whose name is
// the add form's) is /ui/admin/users/_new: a name cannot start with "_", so
// one leading "_" is dropped from the path.

// usersPath is the list of users.
const usersPath = "/ui/admin/users"

// userURL is the page of the user called name.
func userURL(name string) string {
	if name == "new" {
		name = "_new"
	}
	return usersPath + "/" + url.PathEscape(name)
}

// userParam is the name of the user a path names.
func userParam(r *request) string {
	name, err := url.PathUnescape(r.c.Params("name"))
	if err != nil {
		name = r.c.Params("name")
	}
	return strings.TrimPrefix(name, "_")
}

// isAdmin reports whether actor holds the platform admin role, which the
// admin API asks for too.
func isAdmin(a engine.Actor) bool { return slices.Contains(a.Roles, engine.AdminRole) }

// mustAdmin refuses anyone but an administrator, as the admin API does.
func (u *UI) mustAdmin(r *request) error {
	if !isAdmin(r.actor) {
		return &engine.ForbiddenError{Message: r.lang.T("users.forbidden")}
	}
	return nil
}

// usersView is the list of users.
type usersView struct {
	Users []userRow
}

type userRow struct {
	Name, DisplayName, URL string
	Org, OrgName           string
	Roles                  string
	Enabled                bool
	Updated                string
}

func (u *UI) userList(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	users, err := u.opts.Users.List(r.c.UserContext())
	if err != nil {
		return err
	}
	view := &usersView{}
	for _, user := range users {
		view.Users = append(view.Users, userRow{Name: user.Name, DisplayName: user.DisplayName, URL: userURL(user.Name),
			Org: user.Org, OrgName: engine.OrgName(u.rt.Project, user.Org), Roles: roleTitles(r.lang, u.rt.Project, user.Roles),
			Enabled: user.Enabled, Updated: user.UpdatedAt.In(u.opts.Location).Format("2006-01-02 15:04")})
	}
	p := u.newPage(r, r.lang.T("users.title"), view)
	p.Crumbs = []crumb{{Label: r.lang.T("users.title")}}
	return u.render(r, 200, "users", p)
}

// roleTitles names roles by their titles and apps, since two apps may each
// have an auditor: "预算处（预算指标管理）、审计（国库集中支付）".
func roleTitles(l Lang, p *metamodel.Project, roles []string) string {
	out := make([]string, len(roles))
	for i, name := range roles {
		out[i] = roleTitle(l, p, name)
		if app, _, ok := strings.Cut(name, "."); ok && p.App(app) != nil {
			out[i] = l.T("users.role.in", out[i], l.AppTitle(p.App(app)))
		}
	}
	sep := "、"
	if l == English {
		sep = ", "
	}
	return strings.Join(out, sep)
}

// roleTitle is a role's title: the platform's own from the catalogue, an
// app's from its definition (Chinese only), else the name itself.
func roleTitle(l Lang, p *metamodel.Project, name string) string {
	if name == engine.AdminRole {
		return l.T("users.role.admin")
	}
	if app, role, ok := strings.Cut(name, "."); ok {
		if a := p.App(app); a != nil {
			if r := a.Role(role); r != nil && r.Title != "" {
				return r.Title
			}
		}
	}
	return name
}

// userInput is what a user form posts.
type userInput struct {
	name, displayName, password, password2, org string
	roles                                       []string
	enabled                                     bool
}

// postedUser reads a user form. The enabled checkbox follows a hidden
// "false", so the last value wins.
func postedUser(r *request) userInput {
	values := formValues(r.c)
	last := func(name string) string {
		if v := values(name); len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	in := userInput{name: strings.TrimSpace(last("name")), displayName: strings.TrimSpace(last("display_name")),
		password: last("password"), password2: last("password2"), org: strings.TrimSpace(last("org")), enabled: last("enabled") == "true"}
	for _, role := range values("roles") {
		if role = strings.TrimSpace(role); role != "" && !slices.Contains(in.roles, role) {
			in.roles = append(in.roles, role)
		}
	}
	slices.Sort(in.roles)
	return in
}

// userFormView is the add form or a user's page.
type userFormView struct {
	Title, Action string
	// Editing is a user's page: the name is fixed and the password is only
	// typed to reset it.
	Editing                      bool
	Name, DisplayName            *formField
	Password, Password2, Enabled *formField
	Org                          orgField
	Roles                        []roleGroup
	RoleErrors                   []string
	Created, Updated             string
	Invalid                      bool
	Errors                       []string
	// Original holds the values the form was opened with, posted back so
	// that only what the admin changed is written (see changeUser).
	Original []option
}

// orgField is the org input with one tree picker per org code set.
type orgField struct {
	Value, Label string
	Errors       []string
	Pickers      []orgPicker
}

type orgPicker struct {
	Title, PickURL, BrowseURL string
}

// roleGroup is the roles of one app (or the platform's), as checkboxes.
type roleGroup struct {
	Title string
	Roles []roleChoice
}

type roleChoice struct {
	ID, Value, Title string
	Checked          bool
}

// userForm builds the form for in; errors maps a field to its problems.
func (u *UI) userForm(r *request, editing bool, in userInput, errs map[string][]string) *userFormView {
	l := r.lang
	field := func(name, widget, label, value, help string) *formField {
		return &formField{Name: name, ID: "f-" + name, Label: l.T(label), Widget: widget, Value: value, Help: help, Lang: l, Errors: errs[name]}
	}
	v := &userFormView{Title: l.T("users.new"), Action: usersPath + "/new", Editing: editing}
	if editing {
		v.Title, v.Action = l.T("users.edit", in.name), userURL(in.name)
		v.Name = field("name", "readonly", "users.name", in.name, "")
		v.Name.Display = in.name
	} else {
		v.Name = field("name", "text", "users.name", in.name, l.T("users.name.help"))
		v.Name.Required, v.Name.MaxLength = true, 64
	}
	v.DisplayName = field("display_name", "text", "users.display", in.displayName, "")
	v.DisplayName.MaxLength = 100
	// A password is never sent back to the browser, not even a refused one.
	v.Password = field("password", "password", "users.password", "", l.T("users.password.help", engine.MinPasswordLength))
	v.Password2 = field("password2", "password", "users.password2", "", "")
	v.Password.Required, v.Password2.Required = !editing, !editing
	if editing {
		v.Password.Label, v.Password.Help = l.T("users.password.new"), l.T("users.password.keep")
	}
	v.Enabled = field("enabled", "bool", "users.enabled", strconv.FormatBool(in.enabled), l.T("users.enabled.help"))
	v.Org = orgField{Value: in.org, Label: engine.OrgName(u.rt.Project, in.org), Errors: errs["org"]}
	for _, cs := range engine.OrgCodeSets(u.rt.Project) {
		base := "/ui/codes/" + url.PathEscape(cs.Name)
		v.Org.Pickers = append(v.Org.Pickers, orgPicker{Title: l.T("users.org.pick", l.pick(cs.Label(), cs.TitleEn)),
			PickURL: base + "?target=f-org", BrowseURL: base})
	}
	v.Roles, v.RoleErrors = u.roleGroups(l, in.roles), errs["roles"]
	return v
}

// roleGroups are the roles a user may hold, by app with their titles, the
// ones in held checked. A held role the definitions no longer have is listed
// too, checked, so that saving the roles says so rather than dropping it.
func (u *UI) roleGroups(l Lang, held []string) []roleGroup {
	known := map[string]bool{}
	choice := func(value, title string) roleChoice {
		known[value] = true
		return roleChoice{ID: "role-" + strings.ReplaceAll(value, ".", "-"), Value: value, Title: title, Checked: slices.Contains(held, value)}
	}
	platform := roleGroup{Title: l.T("users.platform")}
	for _, name := range engine.PlatformRoles {
		platform.Roles = append(platform.Roles, choice(name, roleTitle(l, u.rt.Project, name)))
	}
	groups := []roleGroup{platform}
	for _, a := range u.rt.Project.Apps {
		g := roleGroup{Title: l.AppTitle(a)}
		for _, role := range a.Roles {
			title := role.Title
			if title == "" {
				title = role.Name
			}
			g.Roles = append(g.Roles, choice(a.Name+"."+role.Name, title))
		}
		if len(g.Roles) > 0 {
			groups = append(groups, g)
		}
	}
	gone := roleGroup{Title: l.T("users.role.unknown")}
	for _, name := range held {
		if !known[name] {
			gone.Roles = append(gone.Roles, roleChoice{ID: "role-gone-" + strconv.Itoa(len(gone.Roles)), Value: name, Title: name, Checked: true})
		}
	}
	if len(gone.Roles) > 0 {
		groups = append(groups, gone)
	}
	return groups
}

// userFields are the fields a user form shows problems next to.
var userFields = map[string]bool{"name": true, "display_name": true, "password": true, "password2": true, "org": true, "roles": true, "enabled": true}

func (u *UI) userPage(r *request, status int, v *userFormView) error {
	p := u.newPage(r, v.Title, v)
	p.Crumbs = []crumb{{Label: r.lang.T("users.title"), URL: usersPath}, {Label: v.Title}}
	return u.render(r, status, "user", p)
}

func (u *UI) newUserForm(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	return u.userPage(r, 200, u.userForm(r, false, userInput{enabled: true}, nil))
}

func (u *UI) addUser(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	in := postedUser(r)
	if in.password != in.password2 {
		return u.userRefused(r, false, in, nil, mismatch(r))
	}
	user, err := u.opts.Users.Add(r.c.UserContext(), r.actor, engine.NewUser{Name: in.name, DisplayName: in.displayName, Password: in.password,
		Org: in.org, Roles: in.roles, Disabled: !in.enabled})
	if err != nil {
		return u.userRefused(r, false, in, nil, err)
	}
	return u.redirect(r, userURL(user.Name), r.lang.T("users.added", user.Name))
}

// mismatch is the refusal of two different passwords: the UI's own check,
// since the API takes the password once.
func mismatch(r *request) error {
	return &engine.ValidationError{Fields: map[string][]engine.FieldError{"password2": {{Code: errcode.Mismatch, Message: r.lang.T("users.password.diff")}}}}
}

func (u *UI) userEditForm(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	user, err := u.opts.Users.Get(r.c.UserContext(), userParam(r))
	if err != nil {
		return err
	}
	in := userInput{name: user.Name, displayName: user.DisplayName, org: user.Org, roles: user.Roles, enabled: user.Enabled}
	v := u.userForm(r, true, in, nil)
	u.describeUser(v, user)
	v.Original = originals(in)
	return u.userPage(r, 200, v)
}

// describeUser adds when the user was created and last changed.
func (u *UI) describeUser(v *userFormView, user *engine.User) {
	v.Created = user.CreatedAt.In(u.opts.Location).Format("2006-01-02 15:04:05")
	v.Updated = user.UpdatedAt.In(u.opts.Location).Format("2006-01-02 15:04:05")
}

// originals are a user's values as the form shows them, to post back.
func originals(in userInput) []option {
	return []option{{Label: "_orig.display_name", Value: in.displayName}, {Label: "_orig.org", Value: in.org},
		{Label: "_orig.roles", Value: strings.Join(in.roles, ",")}, {Label: "_orig.enabled", Value: strconv.FormatBool(in.enabled)}}
}

// changeUser writes what the admin changed on a user's page. Only fields
// whose posted value differs from the one the form was opened with are
// sent, so a page opened before another admin changed the user's roles
// does not put the old roles back when it saves the display name.
func (u *UI) changeUser(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	ctx := r.c.UserContext()
	user, err := u.opts.Users.Get(ctx, userParam(r))
	if err != nil {
		return err
	}
	in := postedUser(r)
	in.name = user.Name
	orig := userInput{displayName: r.c.FormValue("_orig.display_name"), org: r.c.FormValue("_orig.org"), enabled: r.c.FormValue("_orig.enabled") == "true"}
	if s := r.c.FormValue("_orig.roles"); s != "" {
		orig.roles = strings.Split(s, ",")
	}
	var ch engine.UserChange
	if in.displayName != orig.displayName {
		ch.DisplayName = &in.displayName
	}
	if in.org != orig.org {
		ch.Org = &in.org
	}
	if !slices.Equal(in.roles, orig.roles) {
		roles := slices.Clone(in.roles)
		if roles == nil {
			roles = []string{}
		}
		ch.Roles = &roles
	}
	if in.enabled != orig.enabled {
		ch.Enabled = &in.enabled
	}
	if in.password != "" || in.password2 != "" {
		if in.password != in.password2 {
			return u.userRefused(r, true, in, user, mismatch(r))
		}
		ch.Password = &in.password
	}
	if _, err := u.opts.Users.Change(ctx, r.actor, user.Name, ch); err != nil {
		return u.userRefused(r, true, in, user, err)
	}
	u.forget(user.Name) // a new display name shows at once
	return u.redirect(r, userURL(user.Name), r.lang.T("users.saved", user.Name))
}

// userRefused shows a user form again after a refusal: problems next to
// their fields, others above the form, everything typed kept but the
// passwords. Errors that are not about the input become error pages.
func (u *UI) userRefused(r *request, editing bool, in userInput, user *engine.User, err error) error {
	var (
		ve       *engine.ValidationError
		ce       *engine.ConflictError
		fe       *engine.ForbiddenError
		problems map[string][]engine.FieldError
		above    []string
		invalid  bool
	)
	switch {
	case asValidation(err, &ve):
		problems, invalid = ve.Fields, true
	case asConflict(err, &ce):
		problems = ce.Fields
		if len(problems) == 0 {
			above = append(above, ce.Text(r.lang == English))
		}
	case errors.As(err, &fe):
		above = append(above, fe.Text(r.lang == English))
	default:
		return err
	}
	status, _, _ := describe(r, err)
	byField, rest := fieldErrors(r.lang, userFields, problems)
	v := u.userForm(r, editing, in, byField)
	v.Invalid, v.Errors = invalid, append(above, rest...)
	if editing {
		u.describeUser(v, user)
		v.Original = []option{}
		for _, name := range []string{"_orig.display_name", "_orig.org", "_orig.roles", "_orig.enabled"} {
			v.Original = append(v.Original, option{Label: name, Value: r.c.FormValue(name)})
		}
	}
	return u.userPage(r, status, v)
}

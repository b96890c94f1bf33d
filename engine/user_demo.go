package engine

import (
	"context"
	"errors"

	"github.com/growth-gov/growth/metamodel"
)

// DemoPassword is the password of the demo users, documented in
// docs/access.md. Demo users exist only where `growth serve --demo` made them.
const DemoPassword = "growth-demo"

// DemoUser is a demo account that EnsureDemoUsers made or found.
type DemoUser struct {
	Name    string
	Roles   []string
	Org     string
	Created bool
}

// EnsureDemoUsers makes one demo user per role of every app, named
// app_role (payment_agency_clerk), plus "admin" with the admin role, all
// with DemoPassword. A user whose scope is by org gets an org fitting it: an
// agency-level code for own_org, its parent department for org_subtree. Users
// that exist already are left as they are.
func (u *Users) EnsureDemoUsers(ctx context.Context) ([]DemoUser, error) {
	want := []DemoUser{{Name: "admin", Roles: []string{AdminRole}}}
	for _, a := range u.project.Apps {
		for _, r := range a.Roles {
			want = append(want, DemoUser{Name: NormalizeUserName(a.Name + "_" + r.Name), Roles: []string{a.Name + "." + r.Name}, Org: demoOrg(u.project, a, r)})
		}
	}
	var out []DemoUser
	for _, d := range want {
		if _, err := u.Get(ctx, d.Name); err == nil {
			out = append(out, d)
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		_, err := u.Add(ctx, SystemActor, NewUser{Name: d.Name, DisplayName: "演示用户 " + d.Name, Password: DemoPassword, Roles: d.Roles, Org: d.Org})
		if err != nil {
			return nil, err
		}
		d.Created = true
		out = append(out, d)
	}
	return out, nil
}

// demoOrg picks an org for a demo user of role r: in the org tree of the
// entities r is granted on, the first code two levels down (an agency under
// its department) for own_org and own, that code's department for
// org_subtree, none for all.
func demoOrg(p *metamodel.Project, a *metamodel.App, r *metamodel.Role) string {
	if r.Scope == "all" {
		return ""
	}
	var set *metamodel.CodeSet
	for _, g := range r.Can {
		if e := p.Entity(a, g.Name); e != nil {
			if f := e.Field(e.OrgField); f != nil && f.Set != nil {
				set = f.Set
				break
			}
		}
	}
	if set == nil {
		return ""
	}
	var leaf *metamodel.CodeNode
	set.Walk(func(n *metamodel.CodeNode) {
		if leaf == nil && n.Parent != nil && n.IsEnabled() {
			leaf = n
		}
	})
	switch {
	case leaf == nil:
		if roots := set.Roots(); len(roots) > 0 {
			return roots[0].Code.Code
		}
		return ""
	case r.Scope == "org_subtree":
		return leaf.Parent.Code.Code
	}
	return leaf.Code.Code
}

package engine

import (
	"context"
	"errors"

	"github.com/growth-gov/growth/metamodel"
	"golang.org/x/crypto/bcrypt"
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
			want = append(want, DemoUser{Name: NormalizeUserName(a.Name + "_" + r.Name), Roles: []string{a.Name + "." + r.Name}, Org: u.demoOrg(ctx, a, r)})
		}
	}
	// The demo password is public, so a slow hash protects nothing: the
	// cheapest cost keeps a first demo start at a second, not half a minute.
	// Start-up is single-threaded; the store's cost is restored after.
	cost := u.HashCost
	u.HashCost = bcrypt.MinCost
	defer func() { u.HashCost = cost }()
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

// demoOrg picks an org for a demo user of role r, in the org tree of the
// entities r is granted on: where the most records are (seed data loaded
// before the first demo start), else the first code two levels down (an
// agency under its department). A role with scope own_org or own gets that
// code; org_subtree its parent (the department); all none.
func (u *Users) demoOrg(ctx context.Context, a *metamodel.App, r *metamodel.Role) string {
	if r.Scope == "all" {
		return ""
	}
	var set *metamodel.CodeSet
	var busiest *metamodel.CodeNode
	for _, g := range r.Can {
		e := u.project.Entity(a, g.Name)
		if e == nil {
			continue
		}
		f := e.Field(e.OrgField)
		if f == nil || f.Set == nil {
			continue
		}
		if set == nil {
			set = f.Set
		}
		if busiest == nil && f.Set == set {
			busiest = u.busiestOrg(ctx, e, f)
		}
	}
	if set == nil {
		return ""
	}
	node := busiest
	if node == nil {
		set.Walk(func(n *metamodel.CodeNode) {
			if node == nil && n.Parent != nil && n.IsEnabled() {
				node = n
			}
		})
	}
	switch {
	case node == nil:
		if roots := set.Roots(); len(roots) > 0 {
			return roots[0].Code.Code
		}
		return ""
	case r.Scope == "org_subtree" && node.Parent != nil:
		return node.Parent.Code.Code
	}
	return node.Code.Code
}

// busiestOrg is the org code holding the most records of e, or nil.
func (u *Users) busiestOrg(ctx context.Context, e *metamodel.Entity, f *metamodel.Field) *metamodel.CodeNode {
	q := u.db.Quote
	col := q(f.Name)
	var code string
	err := u.db.Read.QueryRowContext(ctx, "SELECT "+col+" FROM "+q(TableName(e))+" WHERE "+col+" IS NOT NULL GROUP BY "+col+" ORDER BY COUNT(*) DESC, "+col+" LIMIT 1").Scan(&code)
	if err != nil {
		return nil
	}
	return f.Set.Lookup(code)
}

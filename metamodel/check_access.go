package metamodel

import "slices"

// orgScopes confine a role to records by the org a record belongs to, which
// only an entity with an org_field has.
var orgScopes = []string{"own_org", "org_subtree"}

// ReadActions are the actions that only read records; every other action
// (create, update, delete, workflow events) writes.
var ReadActions = []string{"read", "export"}

// checkAccess checks what makes roles unusable rather than malformed: writes
// granted under an org scope on an entity with no org to confine them to, and
// a create grant whose role may not write a required field. checkRole has
// already reported unknown entities, actions and fields.
func checkAccess(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			checkRoleWrites(p, a, r, ps)
		}
		for _, w := range a.Workflows {
			if w.Target == nil || w.Target.OrgField != "" {
				continue
			}
			for _, t := range w.Transitions {
				for i, name := range t.Roles {
					if r := a.Role(name); r != nil && slices.Contains(orgScopes, r.Scope) {
						ps.Addf(itemPos(t.At, "roles", i), "workflow %s: transition %s: role %s has scope %s, but entity %s has no org_field to confine its records; "+
							"give %s an org_field, or let a role with scope own or all fire %s", w.Name, t.Event, r.Name, r.Scope, w.Target.Name, w.Target.Name, t.Event)
					}
				}
			}
		}
	}
}

func checkRoleWrites(p *Project, a *App, r *Role, ps *Problems) {
	for _, g := range r.Can {
		e := p.Entity(a, g.Name)
		if e == nil {
			continue
		}
		if e.OrgField == "" && slices.Contains(orgScopes, r.Scope) {
			for i, act := range g.Actions {
				if !slices.Contains(ReadActions, act) {
					ps.Addf(itemPos(g.At, "actions", i), "role %s: can: %s on %s: scope %s confines records by org, but entity %s has no org_field, so the role may only read it; "+
						"give %s an org_field, or grant %s to a role with scope own or all", r.Name, act, g.Name, r.Scope, e.Name, e.Name, act)
				}
			}
		}
		if !slices.Contains(g.Actions, "create") {
			continue
		}
		for _, fr := range r.Fields {
			if p.Entity(a, fr.Name) != e {
				continue
			}
			for _, key := range []string{"hidden", "readonly"} {
				names := fr.Hidden
				if key == "readonly" {
					names = fr.Readonly
				}
				for i, name := range names {
					f := e.Field(name)
					if f != nil && f.Required && f.Default == nil && !f.Readonly && !f.Computed() {
						ps.Addf(itemPos(fr.At, key, i), "role %s: fields: %s: %s is required on %s and has no default, so a role that may create %s must be able to write it; "+
							"remove it from %s, give it a default, or take create away from %s", r.Name, key, name, e.Name, e.Name, key, r.Name)
					}
				}
			}
		}
	}
}

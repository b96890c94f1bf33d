package review

import (
	"slices"

	"github.com/growth-gov/growth/metamodel"
)

// Who may do what follows two layers of the definitions, the same two the
// runtime enforces: a role's can: grants an action on an entity, and a
// workflow event is further limited to the roles its transition lists (a
// transition without roles is open to every role granted the event).

// Matrix is who may do what on one entity: a row per role that is granted
// anything on it (in any app), a column per action.
type Matrix struct {
	Entity *metamodel.Entity
	// Actions are the record actions, then the workflow's events in
	// definition order.
	Actions []string
	Rows    []MatrixRow
}

// MatrixRow is one role's permissions on the matrix's entity.
type MatrixRow struct {
	Role *metamodel.Role
	// App is the app that defines the role.
	App *metamodel.App
	// Allowed holds the actions the role may take, after the transition's
	// roles are applied.
	Allowed map[string]bool
	// Blocked holds events the role is granted under can: but may not fire
	// because the event's transitions list other roles.
	Blocked map[string]bool
}

// RoleName is the role's name, qualified with its app when it is not the
// entity's: clerk, or payment.clerk.
func (r MatrixRow) RoleName(e *metamodel.Entity) string {
	if r.App != e.App {
		return r.App.Name + "." + r.Role.Name
	}
	return r.Role.Name
}

// Matrices builds the matrix of every entity of app a, in definition order.
func Matrices(p *metamodel.Project, a *metamodel.App) []*Matrix {
	var out []*Matrix
	for _, e := range a.Entities {
		m := &Matrix{Entity: e, Actions: slices.Clone(metamodel.BasicActions)}
		m.Actions = append(m.Actions, events(e.Workflow)...)
		for _, ra := range p.Apps {
			for _, r := range ra.Roles {
				g := grantOn(p, ra, r, e)
				if g == nil {
					continue
				}
				row := MatrixRow{Role: r, App: ra, Allowed: map[string]bool{}, Blocked: map[string]bool{}}
				for _, act := range g.Actions {
					if Allows(e, r.Name, act) {
						row.Allowed[act] = true
					} else {
						row.Blocked[act] = true
					}
				}
				m.Rows = append(m.Rows, row)
			}
		}
		out = append(out, m)
	}
	return out
}

// grantOn is role r's grant (of app ra) on entity e, or nil.
func grantOn(p *metamodel.Project, ra *metamodel.App, r *metamodel.Role, e *metamodel.Entity) *metamodel.Grant {
	for _, g := range r.Can {
		if p.Entity(ra, g.Name) == e {
			return g
		}
	}
	return nil
}

// Allows reports whether a role called role, once granted action on e, may
// take it: record actions always, workflow events when one of the event's
// transitions lists the role or lists no role at all.
func Allows(e *metamodel.Entity, role, action string) bool {
	if e.Workflow == nil || slices.Contains(metamodel.BasicActions, action) {
		return true
	}
	for _, t := range e.Workflow.Transitions {
		if t.Event == action && (len(t.Roles) == 0 || slices.Contains(t.Roles, role)) {
			return true
		}
	}
	return false
}

// Firers lists the roles (qualified when foreign) that may fire transition t
// of entity e: granted its event and allowed by its roles.
func Firers(p *metamodel.Project, e *metamodel.Entity, t *metamodel.Transition) []string {
	var out []string
	for _, ra := range p.Apps {
		for _, r := range ra.Roles {
			g := grantOn(p, ra, r, e)
			if g == nil || !slices.Contains(g.Actions, t.Event) {
				continue
			}
			if len(t.Roles) > 0 && !slices.Contains(t.Roles, r.Name) {
				continue
			}
			out = append(out, MatrixRow{Role: r, App: ra}.RoleName(e))
		}
	}
	return out
}

// events lists a workflow's events once each, in definition order.
func events(w *metamodel.Workflow) []string {
	if w == nil {
		return nil
	}
	var out []string
	for _, t := range w.Transitions {
		if t.Event != "" && !slices.Contains(out, t.Event) {
			out = append(out, t.Event)
		}
	}
	return out
}

package review

import (
	"fmt"
	"slices"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// Segregation of duties is written per transition (not_by) and enforced per
// record. An auditor also wants the people: which real users hold roles that
// together reach both sides of a pair — a toxic combination. The engine
// still refuses them on the same record where not_by says so, but they are
// the users an insider attack would start from, and where no not_by
// separates the sides nothing stops them.

// Pair is one segregation of duties the definitions ask for, or imply: who
// took one of First on a record should not take Second on it.
type Pair struct {
	App    *metamodel.App
	Entity *metamodel.Entity
	T      *metamodel.Transition
	// NotBy is the not_by entry that separates the sides, or "" when the
	// pair is implied and nothing holds it: entering a record and approving
	// it where the approval has no not_by, or approving two steps of one
	// record where the later one does not exclude actors.
	NotBy  string
	First  []string
	Second string
}

// SegregationPairs lists the pairs of every workflow of p, in definition
// order.
func SegregationPairs(p *metamodel.Project) []Pair {
	var out []Pair
	for _, a := range p.Apps {
		for _, w := range a.Workflows {
			e := a.Entity(w.Entity)
			if e == nil {
				continue
			}
			for _, t := range w.Transitions {
				// An approval should not be taken by whoever approved an
				// earlier step of the same record: unless not_by: [actors]
				// says so, that pair is implied and nothing holds it (beyond
				// previous_approver for the step just before).
				if isApproval(w, t) && !slices.Contains(t.NotBy, "actors") {
					var earlier []string
					for _, t1 := range w.Transitions {
						if t1 == t || t1.Event == t.Event || !isApproval(w, t1) || !slices.Contains(earlierEvents(w, t), t1.Event) || slices.Contains(earlier, t1.Event) {
							continue
						}
						if slices.Contains(t.NotBy, "previous_approver") && slices.Contains(t.From, t1.To) {
							continue
						}
						earlier = append(earlier, t1.Event)
					}
					if len(earlier) > 0 {
						out = append(out, Pair{App: a, Entity: e, T: t, First: earlier, Second: t.Event})
					}
				}
				if len(t.NotBy) == 0 {
					if isApproval(w, t) {
						out = append(out, Pair{App: a, Entity: e, T: t, First: []string{"create", "update"}, Second: t.Event})
					}
					continue
				}
				for _, nb := range t.NotBy {
					var first []string
					switch nb {
					case "creator":
						first = []string{"create"}
					case "editors":
						first = []string{"create", "update"}
					case "submitter":
						first = submitEvents(w)
					case "actors":
						first = earlierEvents(w, t)
					case "previous_approver":
						for _, t1 := range w.Transitions {
							if t1 != t && slices.ContainsFunc(t.From, func(s string) bool { return s == t1.To }) && !slices.Contains(first, t1.Event) {
								first = append(first, t1.Event)
							}
						}
					}
					first = slices.DeleteFunc(first, func(ev string) bool { return ev == t.Event })
					if len(first) > 0 {
						out = append(out, Pair{App: a, Entity: e, T: t, NotBy: nb, First: first, Second: t.Event})
					}
				}
			}
		}
	}
	return out
}

// submitEvents are the events that move a record out of an editable state
// into one that is not.
func submitEvents(w *metamodel.Workflow) []string {
	ed := editable(w)
	var out []string
	for _, t := range w.Transitions {
		if slices.ContainsFunc(t.From, func(s string) bool { return slices.Contains(ed, s) }) && !slices.Contains(ed, t.To) && !slices.Contains(out, t.Event) {
			out = append(out, t.Event)
		}
	}
	return out
}

// earlierEvents are the events that may fire on a record before t: those of
// transitions from which one of t's from-states can be reached.
func earlierEvents(w *metamodel.Workflow, t *metamodel.Transition) []string {
	leadsTo := map[string]bool{}
	for _, s := range t.From {
		leadsTo[s] = true
	}
	for changed := true; changed; {
		changed = false
		for _, t1 := range w.Transitions {
			if leadsTo[t1.To] {
				for _, s := range t1.From {
					if !leadsTo[s] {
						leadsTo[s], changed = true, true
					}
				}
			}
		}
	}
	var out []string
	for _, t1 := range w.Transitions {
		if leadsTo[t1.To] && !slices.Contains(out, t1.Event) {
			out = append(out, t1.Event)
		}
	}
	return out
}

// User is a real user as the audit sees them: a name and the roles they hold
// ("app.role", or a role without an app).
type User struct {
	Name, DisplayName, Org string
	Roles                  []string
}

// Toxic is one user whose roles together reach both sides of the pairs of
// one transition: First are the actions of the first sides the user may take
// through roles that do not also allow the transition (a single role holding
// both sides is a finding about the role: self_approval,
// same_person_two_steps), Via the roles that allow each, Second the roles
// that allow the transition.
type Toxic struct {
	User   User
	App    *metamodel.App
	Entity *metamodel.Entity
	T      *metamodel.Transition
	// NotBy are the not_by entries that keep the sides apart on one record;
	// empty when nothing does.
	NotBy  []string
	First  []string
	Via    map[string][]string
	Second []string
}

// Held says in words whether the engine keeps the two sides apart on one
// record.
func (x Toxic) Held() string {
	if len(x.NotBy) == 0 {
		if len(x.T.NotBy) > 0 {
			return fmt.Sprintf("nothing: not_by: [%s] on %s (%s) does not cover this pair (add actors), so one person may take both sides on the same record", strings.Join(x.T.NotBy, ", "), x.T.Event, where(x.T.Pos))
		}
		return fmt.Sprintf("nothing: %s (%s) has no not_by, so one person may take both sides on the same record", x.T.Event, where(x.T.Pos))
	}
	return fmt.Sprintf("not_by: [%s] on %s (%s) refuses it on the same record", strings.Join(x.NotBy, ", "), x.T.Event, where(x.T.Pos))
}

// ToxicCombinations lists every user of users whose roles together allow
// both sides of a segregation pair of p, one row per user and transition,
// by user then definition order.
func ToxicCombinations(p *metamodel.Project, users []User) []Toxic {
	pairs := SegregationPairs(p)
	var out []Toxic
	type key struct {
		t       *metamodel.Transition
		guarded bool
	}
	for _, u := range users {
		byT := map[key]int{}
		for _, pr := range pairs {
			second := rolesAllowing(p, u.Roles, pr.Entity, pr.Second, pr.T)
			if len(second) == 0 {
				continue
			}
			k := key{pr.T, pr.NotBy != ""}
			i, ok := byT[k]
			if !ok {
				i = len(out)
				byT[k] = i
				out = append(out, Toxic{User: u, App: pr.App, Entity: pr.Entity, T: pr.T, Second: second, Via: map[string][]string{}})
			}
			x := &out[i]
			found := false
			for _, act := range pr.First {
				var via []string
				for _, r := range rolesAllowing(p, u.Roles, pr.Entity, act, nil) {
					if !slices.Contains(second, r) {
						via = append(via, r)
					}
				}
				if len(via) == 0 {
					continue
				}
				found = true
				if !slices.Contains(x.First, act) {
					x.First = append(x.First, act)
				}
				for _, r := range via {
					if !slices.Contains(x.Via[act], r) {
						x.Via[act] = append(x.Via[act], r)
					}
				}
			}
			if found && pr.NotBy != "" && !slices.Contains(x.NotBy, pr.NotBy) {
				x.NotBy = append(x.NotBy, pr.NotBy)
			}
		}
	}
	return slices.DeleteFunc(out, func(x Toxic) bool { return len(x.First) == 0 })
}

// rolesAllowing lists the user's roles that allow action on e (for a
// workflow event, that some transition of it allows, or t when given).
func rolesAllowing(p *metamodel.Project, roles []string, e *metamodel.Entity, action string, t *metamodel.Transition) []string {
	var out []string
	for _, held := range roles {
		appName, roleName, ok := strings.Cut(held, ".")
		if !ok {
			appName, roleName = e.App.Name, held
		}
		ra := p.App(appName)
		if ra == nil {
			continue
		}
		r := ra.Role(roleName)
		if r == nil {
			continue
		}
		g := grantOn(p, ra, r, e)
		if g == nil || !slices.Contains(g.Actions, action) {
			continue
		}
		if t != nil {
			if len(t.Roles) > 0 && (ra != e.App || !slices.Contains(t.Roles, r.Name)) {
				continue
			}
		} else if ra != e.App && !slices.Contains(metamodel.BasicActions, action) {
			continue
		} else if !Allows(e, r.Name, action) {
			continue
		}
		out = append(out, held)
	}
	return out
}

// ToxicText is one toxic combination in words: "may update payment (as
// payment.agency_clerk) and sign it (as payment.treasury)".
func (x Toxic) ToxicText() string {
	var firsts []string
	for _, act := range x.First {
		firsts = append(firsts, fmt.Sprintf("%s (as %s)", act, strings.Join(x.Via[act], ", ")))
	}
	return fmt.Sprintf("may %s %s and then %s it (as %s)", strings.Join(firsts, ", "), x.Entity.Name, x.T.Event, strings.Join(x.Second, ", "))
}

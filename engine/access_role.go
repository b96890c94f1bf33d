package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// Role names. An actor's roles are qualified by the app that defines them,
// "app.role" (indicator.agency_clerk), because two apps may each define a
// "clerk"; the platform's own roles have no app.
const (
	// AdminRole manages users: their roles, org and whether they may log in.
	// It grants no access to any app's records.
	AdminRole = "admin"
	// SystemRole is the platform acting by itself (imports, seeds, scheduled
	// rules): every action on every record. No user can be given it.
	SystemRole = "system"
)

// PlatformRoles are the roles that exist without any definition and may be
// given to users.
var PlatformRoles = []string{AdminRole}

// RoleAccess is the Access of the roles in the definitions: casbin decides
// which actions a role may take on which entity, from a policy built when the
// definitions load; the role's data scope becomes SQL on every query; its
// field rules hide fields and make them read-only.
//
// An actor with several roles gets their union: an action is allowed when any
// role allows it, a record is visible when any role allowed to read it sees
// it, a field is hidden only when every role granted on the entity hides it.
type RoleAccess struct {
	enforcer *casbin.SyncedCachedEnforcer
	roles    map[string]*roleRules // by "app.role"
	perms    []Permission
	subtrees sync.Map // subtreeKey → subtreeShape
}

var (
	_ Access       = (*RoleAccess)(nil)
	_ ActionAccess = (*RoleAccess)(nil)
)

// roleRules is what RoleAccess keeps of one role outside casbin: its scope
// and field rules, by entity.
type roleRules struct {
	app, name, scope string
	granted          map[string]bool            // entities ("app.entity") with any grant
	hidden, readonly map[string]map[string]bool // entity → field → true
	// decided holds casbin's answer, asked once when the definitions
	// load, for every action of every entity the role is granted on: the
	// policy does not change after NewRoleAccess, so the answer does not
	// either. An entity or action not in it is asked of casbin.
	decided map[decisionKey]bool
}

// decisionKey is one question put to casbin for a role: an action on an
// entity (of the definitions the role was built from).
type decisionKey struct {
	e      *metamodel.Entity
	action string
}

// casbinModel is RBAC with domains: a role is named within its app (the
// domain), and a policy line allows one role one action on one entity.
const casbinModel = `
[request_definition]
r = role, app, obj, act

[policy_definition]
p = role, app, obj, act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.role == p.role && r.app == p.app && r.obj == p.obj && r.act == p.act
`

// Permission is one line of the policy: role Role of App may take Action on
// Entity ("app.entity") within Scope. Auditors' who-can-do-what tables read
// these, so that they show exactly what is enforced.
type Permission struct {
	App, Role, Scope, Entity, Action string
}

// NewRoleAccess builds the policy of every role in p. A role may take the
// actions its can: lists; a workflow event also needs the role among the
// roles: of a transition of that event, when the transitions name roles (the
// workflow runtime applies the same rule per transition).
func NewRoleAccess(p *metamodel.Project) (*RoleAccess, error) {
	m, err := model.NewModelFromString(casbinModel)
	if err != nil {
		return nil, fmt.Errorf("access model: %w", err)
	}
	enf, err := casbin.NewSyncedCachedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("access enforcer: %w", err)
	}
	enf.EnableLog(false)
	a := &RoleAccess{enforcer: enf, roles: map[string]*roleRules{}}
	seen := map[Permission]bool{}
	for _, app := range p.Apps {
		for _, r := range app.Roles {
			rr := &roleRules{app: app.Name, name: r.Name, scope: r.Scope, granted: map[string]bool{},
				hidden: map[string]map[string]bool{}, readonly: map[string]map[string]bool{}}
			a.roles[app.Name+"."+r.Name] = rr
			for _, fr := range r.Fields {
				e := p.Entity(app, fr.Name)
				if e == nil {
					return nil, fmt.Errorf("role %s.%s: fields: unknown entity %s", app.Name, r.Name, fr.Name)
				}
				rr.hidden[e.QualifiedName()] = setOf(fr.Hidden)
				rr.readonly[e.QualifiedName()] = setOf(fr.Readonly)
			}
			for _, g := range r.Can {
				e := p.Entity(app, g.Name)
				if e == nil {
					return nil, fmt.Errorf("role %s.%s: can: unknown entity %s", app.Name, r.Name, g.Name)
				}
				for _, act := range g.Actions {
					perm := Permission{App: app.Name, Role: r.Name, Scope: r.Scope, Entity: e.QualifiedName(), Action: act}
					if seen[perm] || !transitionAllows(e, act, app.Name, r.Name) {
						continue
					}
					seen[perm] = true
					a.perms = append(a.perms, perm)
					rr.granted[e.QualifiedName()] = true
				}
			}
		}
	}
	rules := make([][]string, len(a.perms))
	for i, perm := range a.perms {
		rules[i] = []string{perm.Role, perm.App, perm.Entity, perm.Action}
	}
	if len(rules) > 0 {
		if _, err := enf.AddPolicies(rules); err != nil {
			return nil, fmt.Errorf("access policy: %w", err)
		}
	}
	// Every request asks whether the caller's roles may take an action: ask
	// casbin each question once, now that the policy is complete.
	for _, rr := range a.roles {
		rr.decided = map[decisionKey]bool{}
		for _, app := range p.Apps {
			for _, e := range app.Entities {
				qn := e.QualifiedName()
				if !rr.granted[qn] {
					continue
				}
				for _, act := range entityActions(e) {
					ok, err := enf.Enforce(rr.name, rr.app, qn, act)
					if err != nil {
						return nil, fmt.Errorf("access policy: %w", err)
					}
					rr.decided[decisionKey{e, act}] = ok
				}
			}
		}
	}
	return a, nil
}

// entityActions are the actions isAction accepts on e: the record actions
// and the events of its workflow.
func entityActions(e *metamodel.Entity) []string {
	acts := slices.Clone(metamodel.BasicActions)
	if e.Workflow != nil {
		for _, t := range e.Workflow.Transitions {
			if !slices.Contains(acts, t.Event) {
				acts = append(acts, t.Event)
			}
		}
	}
	return acts
}

// transitionAllows reports whether a transition of event on e lets role (of
// app) fire it: one without roles, or one naming the role; a transition's
// roles are roles of the workflow's app. Actions that are not events of e's
// workflow are not restricted here.
func transitionAllows(e *metamodel.Entity, action, app, role string) bool {
	if e.Workflow == nil || slices.Contains(metamodel.BasicActions, action) {
		return true
	}
	found := false
	for _, t := range e.Workflow.Transitions {
		if t.Event != action {
			continue
		}
		found = true
		if len(t.Roles) == 0 || (app == e.App.Name && slices.Contains(t.Roles, role)) {
			return true
		}
	}
	return !found
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Permissions lists the policy in definition order.
func (a *RoleAccess) Permissions() []Permission { return slices.Clone(a.perms) }

// HasRole reports whether "app.role" (or a platform role) exists.
func (a *RoleAccess) HasRole(role string) bool {
	return a.roles[role] != nil || slices.Contains(PlatformRoles, role)
}

// allows asks casbin whether one role may take action on e.
func (a *RoleAccess) allows(rr *roleRules, e *metamodel.Entity, action string) bool {
	if ok, decided := rr.decided[decisionKey{e, action}]; decided {
		return ok
	}
	if !rr.granted[e.QualifiedName()] || !isAction(e, action) {
		// Only the actions of the definitions reach casbin, whose decision
		// cache would otherwise grow with whatever a caller passes.
		return false
	}
	ok, err := a.enforcer.Enforce(rr.name, rr.app, e.QualifiedName(), action)
	return err == nil && ok
}

// isSystem reports whether actor is the platform itself.
func isSystem(actor Actor) bool { return slices.Contains(actor.Roles, SystemRole) }

// rolesWith lists the actor's roles that may take any of actions on e (any
// action at all when actions is empty).
func (a *RoleAccess) rolesWith(actor Actor, e *metamodel.Entity, actions ...string) []*roleRules {
	var out []*roleRules
	for _, name := range actor.Roles {
		rr := a.roles[name]
		if rr == nil || !rr.granted[e.QualifiedName()] {
			continue
		}
		if len(actions) == 0 {
			out = append(out, rr)
			continue
		}
		for _, act := range actions {
			if a.allows(rr, e, act) {
				out = append(out, rr)
				break
			}
		}
	}
	return out
}

// isAction reports whether action is a record action or an event of e's workflow.
func isAction(e *metamodel.Entity, action string) bool {
	if slices.Contains(metamodel.BasicActions, action) {
		return true
	}
	if e.Workflow != nil {
		for _, t := range e.Workflow.Transitions {
			if t.Event == action {
				return true
			}
		}
	}
	return false
}

// writeActions are the actions on e that change records.
func writeActions(e *metamodel.Entity) []string {
	acts := []string{"create", "update", "delete"}
	if e.Workflow != nil {
		for _, t := range e.Workflow.Transitions {
			if !slices.Contains(acts, t.Event) {
				acts = append(acts, t.Event)
			}
		}
	}
	return acts
}

// Can reports whether any of the actor's roles may take action on e.
func (a *RoleAccess) Can(actor Actor, e *metamodel.Entity, action string) bool {
	if isSystem(actor) {
		return true
	}
	for _, name := range actor.Roles {
		if rr := a.roles[name]; rr != nil && a.allows(rr, e, action) {
			return true
		}
	}
	return false
}

// Scope is the union of the data scopes of the actor's roles that may read
// (or export) e, as a filter the engine compiles to SQL; nil means every
// record. An actor none of whose roles may read e sees nothing.
func (a *RoleAccess) Scope(actor Actor, e *metamodel.Entity) filter.Node {
	if isSystem(actor) {
		return nil
	}
	return a.unionScope(actor, e, a.rolesWith(actor, e, metamodel.ReadActions...))
}

// Sees reports whether a record is within the data scope of the actor's roles
// that may write e; the engine calls SeesFor instead, which knows the action.
func (a *RoleAccess) Sees(actor Actor, e *metamodel.Entity, rec *Record) bool {
	if isSystem(actor) {
		return true
	}
	return slices.ContainsFunc(a.rolesWith(actor, e, writeActions(e)...), func(rr *roleRules) bool { return recordInScope(rr.scope, actor, e, rec) })
}

// SeesFor reports whether rec is within the data scope of a role of the actor
// that may take action on e.
func (a *RoleAccess) SeesFor(actor Actor, e *metamodel.Entity, action string, rec *Record) bool {
	if isSystem(actor) {
		return true
	}
	return slices.ContainsFunc(a.rolesWith(actor, e, action), func(rr *roleRules) bool { return recordInScope(rr.scope, actor, e, rec) })
}

// Hidden reports a field every role of the actor granted on e hides.
func (a *RoleAccess) Hidden(actor Actor, e *metamodel.Entity, field string) bool {
	if isSystem(actor) {
		return false
	}
	granted := false
	qn := e.QualifiedName()
	for _, name := range actor.Roles {
		rr := a.roles[name]
		if rr == nil || !rr.granted[qn] {
			continue
		}
		granted = true
		if !rr.hidden[qn][field] {
			return false
		}
	}
	return granted
}

// ReadOnly reports a field that no role of the actor allowed to create or
// update e may write: each of them marks it read-only or hidden.
func (a *RoleAccess) ReadOnly(actor Actor, e *metamodel.Entity, field string) bool {
	if isSystem(actor) {
		return false
	}
	qn := e.QualifiedName()
	for _, name := range actor.Roles {
		rr := a.roles[name]
		if rr == nil || !rr.granted[qn] || !(a.allows(rr, e, "create") || a.allows(rr, e, "update")) {
			continue
		}
		if !rr.readonly[qn][field] && !rr.hidden[qn][field] {
			return false
		}
	}
	return true
}

// matchNothing is a condition no record meets (every record has an id).
func matchNothing() filter.Node { return &filter.IsNull{Field: "id"} }

// unionScope ORs the scopes of roles; nil when one of them sees every record.
func (a *RoleAccess) unionScope(actor Actor, e *metamodel.Entity, roles []*roleRules) filter.Node {
	if len(roles) == 0 {
		return matchNothing()
	}
	var terms []filter.Node
	seen := map[string]bool{}
	for _, rr := range roles {
		n := a.scopeNode(rr.scope, actor, e)
		if n == nil {
			return nil
		}
		if key := n.String(); !seen[key] {
			seen[key] = true
			terms = append(terms, n)
		}
	}
	if len(terms) == 1 {
		return terms[0]
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].String() < terms[j].String() })
	return &filter.Or{Terms: terms}
}

func text(s string) filter.Value { return filter.Value{Kind: filter.String, Text: s} }

// scopeNode is one scope as a filter; nil means every record. On an entity
// without org_field the org scopes read every record (the checker lets them
// only read such entities).
func (a *RoleAccess) scopeNode(scope string, actor Actor, e *metamodel.Entity) filter.Node {
	switch scope {
	case "all":
		return nil
	case "own":
		if actor.User == "" {
			return matchNothing()
		}
		return &filter.Compare{Field: "created_by", Op: filter.Eq, Value: text(actor.User)}
	case "own_org", "org_subtree":
		if e.OrgField == "" {
			return nil
		}
		f := e.Field(e.OrgField)
		if actor.Org == "" || f == nil || f.Set == nil || f.Set.Lookup(actor.Org) == nil {
			// An org from another tree (a division for an agency field) owns
			// none of these records.
			return matchNothing()
		}
		if scope == "own_org" {
			return &filter.Compare{Field: e.OrgField, Op: filter.Eq, Value: text(actor.Org)}
		}
		return a.subtreeNode(e.OrgField, f.Set, actor.Org)
	}
	return matchNothing()
}

type subtreeKey struct {
	set  *metamodel.CodeSet
	code string
}

// subtreeShape is what decides how a subtree scope is queried: how many
// codes it holds, and whether they are exactly the codes starting with its
// root's code.
type subtreeShape struct {
	size   int
	prefix bool
}

// subtreeLikeShare is the share of an org tree's codes from which a subtree
// is queried with LIKE 'code%' rather than a list of its codes. Lists are
// picked up through the org column's index and then sorted, which is fast
// for a few codes and slow for a whole department (10,000 of 100,000 rows
// to sort for one page); a prefix lets the database walk the newest records
// and stop at the page's end, which is fast when the subtree holds a good
// share of the records and slow when it holds few. docs/performance.md has
// the measurements.
const subtreeLikeShare = 50 // 1/50 = 2 %

// subtreeNode is org_subtree under code as a filter: equality for a code
// with nothing below it, a prefix for a large subtree of a prefix-coded tree,
// else the list of its codes (filter.Under).
func (a *RoleAccess) subtreeNode(field string, set *metamodel.CodeSet, code string) filter.Node {
	key := subtreeKey{set, code}
	v, ok := a.subtrees.Load(key)
	if !ok {
		v, _ = a.subtrees.LoadOrStore(key, shapeOf(set, code))
	}
	shape := v.(subtreeShape)
	switch {
	case shape.size == 1:
		return &filter.Compare{Field: field, Op: filter.Eq, Value: text(code)}
	case shape.prefix && atLevelBoundary(set, code):
		// The schema indexes substr(org, 1, n) per level (engine/schema.go).
		return &filter.Prefix{Field: field, Code: code}
	case shape.prefix && shape.size*subtreeLikeShare >= set.Len():
		return &filter.Like{Field: field, Pattern: text(escapeLike(code) + "%")}
	}
	return &filter.Under{Field: field, Code: text(code)}
}

// atLevelBoundary reports whether code's length is the width of one of the
// fixed levels of set above its leaves, for which the schema keeps an index.
func atLevelBoundary(set *metamodel.CodeSet, code string) bool {
	levels := orgLevels(set)
	width := 0
	for i, w := range levels {
		width += w
		if i < len(levels)-1 && width == len(code) {
			return true
		}
	}
	return false
}

// shapeOf measures the subtree of code. It is a prefix subtree when every
// code below starts with code and no other code does, compared without case
// since SQLite's LIKE ignores the case of ASCII letters.
func shapeOf(set *metamodel.CodeSet, code string) subtreeShape {
	sub := set.Subtree(code)
	shape := subtreeShape{size: len(sub), prefix: true}
	for _, c := range sub {
		if !strings.HasPrefix(c, code) {
			shape.prefix = false
		}
	}
	n := 0
	set.Walk(func(node *metamodel.CodeNode) {
		if len(node.Code.Code) >= len(code) && strings.EqualFold(node.Code.Code[:len(code)], code) {
			n++
		}
	})
	if n != len(sub) {
		shape.prefix = false
	}
	return shape
}

// escapeLike makes s match itself in a LIKE pattern with escape \.
func escapeLike(s string) string { return likeEscaper.Replace(s) }

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// recordInScope is scopeNode evaluated on one record in memory, for writes.
func recordInScope(scope string, actor Actor, e *metamodel.Entity, rec *Record) bool {
	switch scope {
	case "all":
		return true
	case "own":
		return actor.User != "" && rec.CreatedBy == actor.User
	case "own_org", "org_subtree":
		if e.OrgField == "" || actor.Org == "" {
			return false
		}
		code, _ := rec.Values[e.OrgField].(string)
		if scope == "own_org" {
			return code == actor.Org
		}
		f := e.Field(e.OrgField)
		if f == nil || f.Set == nil {
			return false
		}
		for n := f.Set.Lookup(code); n != nil; n = n.Parent {
			if n.Code.Code == actor.Org {
				return true
			}
		}
	}
	return false
}

// RolesIn lists the actor's roles defined by app, by their names in that app
// (without the "app." prefix): what a workflow guard's actor.roles holds.
func (a Actor) RolesIn(app string) []string {
	var out []string
	prefix := app + "."
	for _, r := range a.Roles {
		if name, ok := strings.CutPrefix(r, prefix); ok {
			out = append(out, name)
		}
	}
	return out
}

package apps_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// TestAuthorizationMatrix is generated from the definitions: for every role
// of every app and every entity of the project, a user holding only that role
// tries create, read (get and list), update, delete and every workflow event
// through the REST API, and the answer must be the one the definitions give.
// Records are placed in the user's own agency, in a sibling agency under the
// same department, and under another department, so that each data scope is
// exercised. It runs over the shipped definitions and over authDefs.
func TestAuthorizationMatrix(t *testing.T) {
	projects := []struct {
		name string
		p    *metamodel.Project
	}{
		{"scopes", enginetest.Load(t, authDefs)},
		{"shipped", enginetest.LoadDir(t, shippedDir)},
	}
	for _, pr := range projects {
		t.Run(pr.name, func(t *testing.T) {
			enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
				m := &matrix{t: t, s: startAuthServer(t, d, pr.p), p: pr.p, ctx: context.Background(), deps: map[string]int64{}, broken: map[string]string{}}
				m.run()
			})
		})
	}
}

const (
	matrixYear  = 2026
	otherAuthor = "m_someone_else"
)

type matrix struct {
	t      *testing.T
	s      *authServer
	p      *metamodel.Project
	ctx    context.Context
	seq    int
	deps   map[string]int64  // "entity|org|creator" → a record to refer to
	broken map[string]string // entity → why no valid record could be generated
}

// orgPlan is where test records go in one org tree: inside is the user's
// agency, sibling another agency of the same department, cousin an agency
// of another department.
type orgPlan struct {
	set                           *metamodel.CodeSet
	dept, inside, sibling, cousin string
}

func planOrgs(set *metamodel.CodeSet) *orgPlan {
	plan := &orgPlan{set: set}
	usable := func(n *metamodel.CodeNode) bool { return n.IsEnabled() && n.ValidIn(matrixYear) && n.Leaf() }
	for _, root := range set.Roots() {
		var leaves []string
		for _, c := range root.Children {
			if usable(c) {
				leaves = append(leaves, c.Code.Code)
			}
		}
		switch {
		case plan.dept == "" && len(leaves) >= 2:
			plan.dept, plan.inside, plan.sibling = root.Code.Code, leaves[0], leaves[1]
		case plan.dept != "" && plan.cousin == "" && len(leaves) >= 1:
			plan.cousin = leaves[0]
		}
	}
	return plan
}

// matrixRole is a test user holding one role.
type matrixRole struct {
	app    *metamodel.App
	role   *metamodel.Role
	user   string
	org    string
	plan   *orgPlan
	bearer map[string]string
}

func (m *matrix) run() {
	for _, a := range m.p.Apps {
		for _, r := range a.Roles {
			mr := &matrixRole{app: a, role: r, user: engine.NormalizeUserName("m_" + a.Name + "_" + r.Name)}
			mr.plan = m.rolePlan(a, r)
			if mr.plan != nil {
				mr.org = mr.plan.inside
				if r.Scope == "org_subtree" {
					mr.org = mr.plan.dept
				}
			}
			m.s.addUser(mr.user, mr.org, a.Name+"."+r.Name)
			mr.bearer = m.s.login(mr.user)
			for _, ea := range m.p.Apps {
				for _, e := range ea.Entities {
					m.t.Run(mr.user+"/"+e.QualifiedName(), func(t *testing.T) { m.check(t, mr, e) })
				}
			}
		}
	}
	var names []string
	for name, why := range m.broken {
		names = append(names, name+": "+why)
	}
	sort.Strings(names)
	for _, n := range names {
		m.t.Logf("no valid record could be generated for %s; create on it is checked for authorization only", n)
	}
}

// rolePlan is the org plan of the first org tree among the entities role r
// is granted on, or of the first org tree of the project.
func (m *matrix) rolePlan(a *metamodel.App, r *metamodel.Role) *orgPlan {
	for _, g := range r.Can {
		if e := m.p.Entity(a, g.Name); e != nil {
			if set := orgSet(e); set != nil {
				return planOrgs(set)
			}
		}
	}
	if sets := engine.OrgCodeSets(m.p); len(sets) > 0 {
		return planOrgs(sets[0])
	}
	return nil
}

func orgSet(e *metamodel.Entity) *metamodel.CodeSet {
	if f := e.Field(e.OrgField); f != nil {
		return f.Set
	}
	return nil
}

// allowed is what the definitions say: the role's can: lists the action on
// e and, for a workflow event, a transition of it names the role or no role.
func (m *matrix) allowed(mr *matrixRole, e *metamodel.Entity, action string) bool {
	var actions []string
	for _, g := range mr.role.Can {
		if m.p.Entity(mr.app, g.Name) == e {
			actions = append(actions, g.Actions...)
		}
	}
	if !slices.Contains(actions, action) {
		return false
	}
	if e.Workflow == nil || slices.Contains(metamodel.BasicActions, action) {
		return true
	}
	for _, t := range e.Workflow.Transitions {
		if t.Event == action && (len(t.Roles) == 0 || (mr.app == e.App && slices.Contains(t.Roles, mr.role.Name))) {
			return true
		}
	}
	return false
}

// fixture is a stored test record.
type fixture struct {
	name    string
	id      int64
	org     string
	creator string
}

// readable says whether a record is in the role's data scope for reading;
// writable for writing (org scopes cannot write an entity without org_field).
func readable(mr *matrixRole, e *metamodel.Entity, fx fixture) bool { return inScope(mr, e, fx, true) }
func writable(mr *matrixRole, e *metamodel.Entity, fx fixture) bool { return inScope(mr, e, fx, false) }

func inScope(mr *matrixRole, e *metamodel.Entity, fx fixture, reading bool) bool {
	switch mr.role.Scope {
	case "all":
		return true
	case "own":
		return fx.creator == mr.user
	}
	set := orgSet(e)
	if set == nil {
		return reading
	}
	if mr.role.Scope == "own_org" {
		return fx.org == mr.org
	}
	for n := set.Lookup(fx.org); n != nil; n = n.Parent {
		if n.Code.Code == mr.org {
			return true
		}
	}
	return false
}

// fixtures stores records of e for mr: in the user's agency (by another
// user, unless the scope is own), in a sibling agency and in another
// department; for an entity without org_field, one by the user and one by
// someone else.
func (m *matrix) fixtures(mr *matrixRole, e *metamodel.Entity) ([]fixture, error) {
	insideBy := otherAuthor
	if mr.role.Scope == "own" {
		insideBy = mr.user
	}
	var want []fixture
	if set := orgSet(e); set != nil {
		plan := planOrgs(set)
		want = []fixture{{name: "own agency", org: plan.inside, creator: insideBy}, {name: "sibling agency", org: plan.sibling, creator: otherAuthor},
			{name: "other department", org: plan.cousin, creator: otherAuthor}}
	} else {
		want = []fixture{{name: "own record", creator: mr.user}, {name: "another's record", creator: otherAuthor}}
	}
	var out []fixture
	for _, fx := range want {
		if orgSet(e) != nil && fx.org == "" {
			continue
		}
		id, err := m.store(e, fx.org, fx.creator, 0)
		if err != nil {
			return nil, err
		}
		fx.id = id
		out = append(out, fx)
	}
	return out, nil
}

func (m *matrix) check(t *testing.T, mr *matrixRole, e *metamodel.Entity) {
	path := "/api/" + e.App.Name + "/" + e.Name
	run := func(name, method, p string, body any, status int, want map[string]any) any {
		t.Helper()
		return apitest.Run(t, m.s.app, apitest.Scenario{Name: name, Method: method, Path: p, Body: body, Headers: mr.bearer, Status: status, Want: want})
	}
	can := func(action string) bool { return m.allowed(mr, e, action) }
	var events []string
	if e.Workflow != nil {
		for _, tr := range e.Workflow.Transitions {
			if !slices.Contains(events, tr.Event) {
				events = append(events, tr.Event)
			}
		}
	}
	forbidden := map[string]any{"error.code": "forbidden"}

	// Denied actions are refused whatever the record (even one that does not exist).
	if !can("read") {
		run("list denied", "GET", path, nil, 403, forbidden)
		run("get denied", "GET", path+"/1", nil, 403, forbidden)
	}
	if !can("update") {
		run("update denied", "PATCH", path+"/1", map[string]any{"version": 1}, 403, forbidden)
	}
	if !can("delete") {
		run("delete denied", "DELETE", path+"/1?version=1", nil, 403, forbidden)
	}
	if !can("create") {
		run("create denied", "POST", path, map[string]any{}, 403, forbidden)
	}
	for _, ev := range events {
		if !can(ev) {
			run("event "+ev+" denied", "POST", fmt.Sprintf("%s/1/events/%s", path, ev), nil, 403, forbidden)
		}
	}
	if why, broken := m.broken[e.QualifiedName()]; broken {
		t.Logf("no valid %s record: %s", e.QualifiedName(), why)
	}

	if can("create") {
		m.checkCreate(t, mr, e, path, run)
	}
	needRecords := can("read") || can("update") || can("delete") || slices.ContainsFunc(events, can)
	if !needRecords {
		return
	}
	fixtures, err := m.fixtures(mr, e)
	if err != nil {
		m.broken[e.QualifiedName()] = err.Error()
		t.Logf("records of %s cannot be generated (%v): record-level checks skipped", e.QualifiedName(), err)
		return
	}
	hidden, readonly := fieldRules(m.p, mr, e)

	if can("read") {
		var ids []string
		var visible []any
		for _, fx := range fixtures {
			ids = append(ids, fmt.Sprint(fx.id))
			if !readable(mr, e, fx) {
				run("get "+fx.name+" (out of scope: not found)", "GET", fmt.Sprintf("%s/%d", path, fx.id), nil, 404, map[string]any{"error.code": "not_found"})
				continue
			}
			visible = append(visible, fx.id)
			body := run("get "+fx.name, "GET", fmt.Sprintf("%s/%d", path, fx.id), nil, 200, map[string]any{"id": fx.id})
			for _, f := range e.Fields {
				if _, present := apitest.Get(body, f.Name); present == slices.Contains(hidden, f.Name) {
					t.Errorf("get %s: field %s present=%v, but hidden=%v for %s", fx.name, f.Name, present, slices.Contains(hidden, f.Name), mr.role.Name)
				}
			}
		}
		filter := url.QueryEscape("id in (" + strings.Join(ids, ", ") + ")")
		body := run("list", "GET", path+"?sort=id&filter="+filter, nil, 200, map[string]any{"items.#": len(visible)})
		for i, id := range visible {
			if got, _ := apitest.Get(body, fmt.Sprintf("items.%d.id", i)); !apitest.Equal(got, id) {
				t.Errorf("list: item %d is %v, want %v", i, got, id)
			}
		}
		for _, f := range hidden {
			run("filter on hidden "+f, "GET", path+"?filter="+url.QueryEscape(f+" is null"), nil, 400, map[string]any{"error.code": "malformed"})
		}
	}

	if can("update") {
		for _, fx := range fixtures {
			status := 403
			if writable(mr, e, fx) {
				status = 200
			}
			run("update "+fx.name, "PATCH", fmt.Sprintf("%s/%d", path, fx.id), map[string]any{"version": 1}, status, nil)
		}
		if fx := fixtures[0]; writable(mr, e, fx) {
			for _, f := range append(slices.Clone(hidden), readonly...) {
				run("write "+f+" (not writable)", "PATCH", fmt.Sprintf("%s/%d", path, fx.id), map[string]any{"version": 1, f: "1"}, 422,
					map[string]any{"error.field_codes." + f + ".0": "readonly"})
			}
		}
	}

	for _, ev := range events {
		if !can(ev) {
			continue
		}
		id, err := m.store(e, fixtures[0].org, fixtures[0].creator, 0)
		if err != nil {
			t.Fatal(err)
		}
		fx := fixtures[0]
		fx.id = id
		status, _, raw := apitest.Do(t, m.s.app, "POST", fmt.Sprintf("%s/%d/events/%s", path, id, ev), map[string]any{"comment": "矩阵测试"}, mr.bearer)
		switch {
		case !writable(mr, e, fx):
			if status != 403 {
				t.Errorf("event %s on a record out of scope: %d %s, want 403", ev, status, raw)
			}
		case !fromInitial(e, ev):
			if status != 409 {
				t.Errorf("event %s from the initial state: %d %s, want 409 (not allowed in this state)", ev, status, raw)
			}
		case notByCreator(e, ev) && fx.creator == mr.user:
			if status != 403 {
				t.Errorf("event %s on the user's own record (not_by creator): %d %s, want 403", ev, status, raw)
			}
		case status == 401 || status == 403 || status == 404:
			t.Errorf("event %s, allowed to %s: %d %s", ev, mr.role.Name, status, raw)
		}
	}

	if can("delete") {
		for i := len(fixtures) - 1; i >= 0; i-- {
			fx := fixtures[i]
			status := 403
			if writable(mr, e, fx) {
				status = 204
			}
			run("delete "+fx.name, "DELETE", fmt.Sprintf("%s/%d?version=1", path, fx.id), nil, status, nil)
		}
	}
}

// checkCreate creates as the role, in its own org and in another department.
func (m *matrix) checkCreate(t *testing.T, mr *matrixRole, e *metamodel.Entity, path string, run func(string, string, string, any, int, map[string]any) any) {
	org, cousin := "", ""
	if set := orgSet(e); set != nil {
		plan := planOrgs(set)
		org, cousin = plan.inside, plan.cousin
	}
	hidden, readonly := fieldRules(m.p, mr, e)
	skip := append(hidden, readonly...)
	values, err := m.validValues(e, org, mr.user, skip)
	if err != nil {
		m.broken[e.QualifiedName()] = err.Error()
	}
	if values == nil || err != nil {
		status, _, raw := apitest.Do(t, m.s.app, "POST", path, map[string]any{}, mr.bearer)
		if status == 401 || status == 403 || status == 404 {
			t.Errorf("create, allowed to %s: %d %s", mr.role.Name, status, raw)
		}
		return
	}
	inside := fixture{org: org, creator: mr.user}
	status := 201
	if !writable(mr, e, inside) {
		status = 403
	} else if f := unreadableRef(m, mr, e); f != "" {
		status = 422
	}
	run("create in own org", "POST", path, values, status, nil)
	if cousin != "" && org != "" {
		other, err := m.validValues(e, cousin, mr.user, skip)
		if err != nil {
			t.Fatal(err)
		}
		status := 201
		if !writable(mr, e, fixture{org: cousin, creator: mr.user}) {
			status = 403
		} else if f := unreadableRef(m, mr, e); f != "" {
			status = 422
		}
		run("create in another department", "POST", path, other, status, nil)
	}
}

// unreadableRef names a required reference the role may not read (creating
// then fails: a role may refer only to records it may read).
func unreadableRef(m *matrix, mr *matrixRole, e *metamodel.Entity) string {
	for _, f := range e.Fields {
		if f.Type == "ref" && f.Required && f.Target != nil && !m.allowed(mr, f.Target, "read") {
			return f.Name
		}
	}
	return ""
}

func fieldRules(p *metamodel.Project, mr *matrixRole, e *metamodel.Entity) (hidden, readonly []string) {
	for _, fr := range mr.role.Fields {
		if p.Entity(mr.app, fr.Name) == e {
			hidden = append(hidden, fr.Hidden...)
			readonly = append(readonly, fr.Readonly...)
		}
	}
	return hidden, readonly
}

func fromInitial(e *metamodel.Entity, event string) bool {
	for _, t := range e.Workflow.Transitions {
		if t.Event == event && slices.Contains(t.From, e.Workflow.Initial) {
			return true
		}
	}
	return false
}

func notByCreator(e *metamodel.Entity, event string) bool {
	for _, t := range e.Workflow.Transitions {
		if t.Event == event && t.ExcludesCreator() {
			return true
		}
	}
	return false
}

// store creates a valid record of e in org by creator, through the runtime
// as the platform (so that creator may be anyone).
func (m *matrix) store(e *metamodel.Entity, org, creator string, depth int) (int64, error) {
	id, _, err := m.storeWith(e, org, creator, depth)
	return id, err
}

// storeWith is store, also returning the values of the valid record.
func (m *matrix) storeWith(e *metamodel.Entity, org, creator string, depth int) (int64, map[string]any, error) {
	var lastErr error
	bump := map[string]int{}
	conflicts := 0
	for attempt := 0; attempt < 40; attempt++ {
		values, err := m.values(e, org, creator, depth, bump)
		if err != nil {
			return 0, nil, err
		}
		rec, err := m.s.rt.Create(m.ctx, engine.Actor{User: creator, Roles: []string{engine.SystemRole}}, e.App.Name, e.Name, values)
		if err == nil {
			return rec.ID, values, nil
		}
		lastErr = err
		var ve *engine.ValidationError
		var ce *engine.ConflictError
		switch {
		case errors.As(err, &ve):
			for name := range ve.Fields {
				if name == engine.RecordField {
					for _, f := range e.Fields {
						bump[f.Name]++
					}
				}
				bump[name]++
			}
		case errors.As(err, &ce):
			// A duplicate of a unique group: count through the combinations
			// of the group's fields, the first one fastest.
			conflicts++
			var names []string
			for name := range ce.Fields {
				names = append(names, name)
			}
			sort.Strings(names)
			k := conflicts
			for _, name := range names {
				if f := e.Field(name); f != nil && name != e.OrgField {
					radix := candidates(f)
					bump[name] = k % radix
					k /= radix
				}
			}
			m.seq++
		default:
			return 0, nil, err
		}
	}
	return 0, nil, lastErr
}

// validValues is the JSON body of a record that store found valid, without
// the fields in skip (those the role may not write).
func (m *matrix) validValues(e *metamodel.Entity, org, creator string, skip []string) (map[string]any, error) {
	id, values, err := m.storeWith(e, org, creator, 0)
	if err != nil {
		return nil, err
	}
	// The values are known to be valid; the record goes, so that they are
	// not a duplicate of it.
	if err := m.s.rt.Delete(m.ctx, engine.SystemActor, e.App.Name, e.Name, id, 1); err != nil {
		return nil, err
	}
	for _, f := range skip {
		delete(values, f)
	}
	return values, nil
}

// depOrg is the org of a record of e referred to from a record in org.
func depOrg(e *metamodel.Entity, org string) string {
	set := orgSet(e)
	switch {
	case set == nil:
		return ""
	case set.Lookup(org) == nil:
		return planOrgs(set).inside
	}
	return org
}

// uniqueField reports whether field is unique alone on e.
func uniqueField(e *metamodel.Entity, field string) bool {
	if f := e.Field(field); f != nil && f.Unique {
		return true
	}
	for _, group := range e.Unique {
		if len(group) == 1 && group[0] == field {
			return true
		}
	}
	return false
}

// candidates is how many values the generator tries for f before repeating.
func candidates(f *metamodel.Field) int {
	switch f.Type {
	case "enum":
		return max(1, len(f.Values))
	case "code":
		return max(1, min(50, len(usableCodes(f.Set))))
	case "int":
		if f.Name == f.Owner.YearField {
			return 10
		}
		var lo, hi int64 = 1, 1 << 31
		if f.Min != "" {
			fmt.Sscan(f.Min, &lo)
		}
		if f.Max != "" {
			fmt.Sscan(f.Max, &hi)
		}
		return int(max(1, min(50, hi-lo+1)))
	case "ref", "bool":
		return 2
	}
	return 50
}

// dep returns a record of e to refer to, readable by creator in org.
func (m *matrix) dep(e *metamodel.Entity, org, creator string, depth int) (int64, error) {
	org = depOrg(e, org)
	key := e.QualifiedName() + "|" + org + "|" + creator
	if id, ok := m.deps[key]; ok {
		return id, nil
	}
	if depth > 5 {
		return 0, fmt.Errorf("references of %s nest too deeply", e.QualifiedName())
	}
	id, err := m.store(e, org, creator, depth)
	if err != nil {
		return 0, fmt.Errorf("referenced %s: %w", e.QualifiedName(), err)
	}
	m.deps[key] = id
	return id, nil
}

// values generates field values for e: the org field in org, required
// references to stored records, and for every other field a value its type
// and limits accept; bump[field] picks a further candidate after a field was
// refused.
func (m *matrix) values(e *metamodel.Entity, org, creator string, depth int, bump map[string]int) (map[string]any, error) {
	m.seq++
	out := map[string]any{}
	for _, f := range e.Fields {
		if f.Readonly || f.Type == "computed" {
			continue
		}
		if f.Name == e.OrgField {
			out[f.Name] = org
			continue
		}
		if f.Default != nil && bump[f.Name] == 0 {
			continue
		}
		n := bump[f.Name]
		if f.Name == e.YearField {
			out[f.Name] = json.Number(fmt.Sprint(matrixYear - n))
			continue
		}
		switch f.Type {
		case "ref":
			// Optional references are left out until a rule asks for one.
			if f.Target == nil || (!f.Required && n == 0) {
				continue
			}
			var id int64
			var err error
			if uniqueField(e, f.Name) {
				// A reference that must differ per record gets a record of its own.
				id, err = m.store(f.Target, depOrg(f.Target, org), creator, depth+1)
			} else {
				id, err = m.dep(f.Target, org, creator, depth+1)
			}
			if err != nil {
				return nil, err
			}
			out[f.Name] = id
		case "code":
			codes := usableCodes(f.Set)
			if len(codes) == 0 {
				return nil, fmt.Errorf("code set %s has no usable code", f.CodeSet)
			}
			out[f.Name] = codes[n%len(codes)]
		case "int":
			out[f.Name] = json.Number(pickInt(f, n))
		case "money", "decimal":
			out[f.Name] = pickNumber(f, []string{"100.00", "1.00", "5000.00"}, n)
		case "string":
			if kind := checkedBy(e, f.Name); kind != "" {
				out[f.Name] = checkedValue(kind, m.seq+n)
				continue
			}
			out[f.Name] = m.text(f, n)
		case "text":
			out[f.Name] = fmt.Sprintf("矩阵测试 %d", m.seq)
		case "date":
			out[f.Name] = fmt.Sprintf("%d-06-30", matrixYear)
		case "datetime":
			out[f.Name] = fmt.Sprintf("%d-06-30T10:00:00+08:00", matrixYear)
		case "bool":
			out[f.Name] = n%2 == 1
		case "enum":
			if len(f.Values) > 0 {
				out[f.Name] = f.Values[n%len(f.Values)].Value
			}
		}
	}
	return out, nil
}

// pickInt is the year when the field takes it, else its minimum (or 1), and
// after n refusals the n-th value up from there within its maximum.
func pickInt(f *metamodel.Field, n int) string {
	lo, hi := int64(1), int64(1<<31)
	if f.Min != "" {
		fmt.Sscan(f.Min, &lo)
	}
	if f.Max != "" {
		fmt.Sscan(f.Max, &hi)
	}
	start := lo
	if matrixYear >= lo && matrixYear <= hi {
		start = matrixYear
	}
	v := start + int64(n)
	if v > hi {
		v = lo + (v-lo)%(hi-lo+1)
	}
	return fmt.Sprint(v)
}

func usableCodes(set *metamodel.CodeSet) []string {
	var out []string
	if set == nil {
		return nil
	}
	set.Walk(func(n *metamodel.CodeNode) {
		if set.CheckCode(n.Code.Code, matrixYear, true) == nil {
			out = append(out, n.Code.Code)
		}
	})
	return out
}

// pickNumber takes the n-th candidate within the field's min and max.
func pickNumber(f *metamodel.Field, candidates []string, n int) string {
	var fits []string
	for _, c := range append(slices.Clone(candidates), f.Min, f.Max) {
		if c != "" && within(c, f.Min, f.Max) && !slices.Contains(fits, c) {
			fits = append(fits, c)
		}
	}
	if len(fits) == 0 {
		return candidates[0]
	}
	return fits[n%len(fits)]
}

func within(v, lo, hi string) bool {
	var x, a, b float64 // comparing test candidates only, never stored amounts
	fmt.Sscan(v, &x)
	if lo != "" {
		fmt.Sscan(lo, &a)
		if x < a {
			return false
		}
	}
	if hi != "" {
		fmt.Sscan(hi, &b)
		if x > b {
			return false
		}
	}
	return true
}

// text makes a string the field accepts, different every time.
func (m *matrix) text(f *metamodel.Field, n int) string {
	m.seq++
	s := fmt.Sprintf("测试%d", m.seq+n)
	if f.Pattern != "" {
		re, err := syntax.Parse(f.Pattern, syntax.Perl)
		if err == nil {
			var b strings.Builder
			gen := uint64(m.seq*7 + n)
			generate(&b, re.Simplify(), &gen)
			s = b.String()
		}
	}
	if f.MaxLength > 0 && len([]rune(s)) > f.MaxLength {
		s = string([]rune(s)[:f.MaxLength])
	}
	return s
}

// generate writes a string matching re; gen varies the characters chosen.
func generate(b *strings.Builder, re *syntax.Regexp, gen *uint64) {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		var all []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1] && len(all) < 64; r++ {
				all = append(all, r)
			}
		}
		if len(all) > 0 {
			*gen = *gen*31 + 17
			b.WriteRune(all[(*gen/7)%uint64(len(all))])
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteRune('x')
	case syntax.OpCapture:
		generate(b, re.Sub[0], gen)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			generate(b, sub, gen)
		}
	case syntax.OpAlternate:
		generate(b, re.Sub[0], gen)
	case syntax.OpStar, syntax.OpQuest:
	case syntax.OpPlus:
		for range 8 {
			generate(b, re.Sub[0], gen)
		}
	case syntax.OpRepeat:
		n := re.Min
		if re.Max < 0 || re.Max > re.Min {
			n = max(re.Min, min(8, re.Max))
			if re.Max < 0 {
				n = max(re.Min, 8)
			}
		}
		for range n {
			generate(b, re.Sub[0], gen)
		}
	}
}

var checkCall = regexp.MustCompile(`\b(is_luhn|is_resident_id|is_uscc|is_division_code)\((\w+)\)`)

// checkedBy names the check function a rule of e applies to field, if any.
func checkedBy(e *metamodel.Entity, field string) string {
	for _, r := range e.Rules {
		for _, m := range checkCall.FindAllStringSubmatch(r.Assert+" "+r.When, -1) {
			if m[2] == field {
				return m[1]
			}
		}
	}
	return ""
}

// checkedValue makes the n-th value that passes a check function.
func checkedValue(kind string, n int) string {
	switch kind {
	case "is_luhn":
		payload := fmt.Sprintf("622202%09d", n%1_000_000_000)
		sum, double := 0, true
		for i := len(payload) - 1; i >= 0; i-- {
			d := int(payload[i] - '0')
			if double {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum, double = sum+d, !double
		}
		return payload + fmt.Sprint((10-sum%10)%10)
	case "is_resident_id":
		body := fmt.Sprintf("51010419800101%03d", n%1000)
		weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
		sum := 0
		for i, w := range weights {
			sum += int(body[i]-'0') * w
		}
		return body + string("10X98765432"[sum%11])
	case "is_uscc":
		const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
		body := fmt.Sprintf("91510100%09d", n%1_000_000_000)
		sum, w := 0, 1
		for i := range body {
			sum += strings.IndexByte(alphabet, body[i]) * w
			w = w * 3 % 31
		}
		return body + string(alphabet[(31-sum%31)%31])
	case "is_division_code":
		return "510104"
	}
	return ""
}

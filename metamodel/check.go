package metamodel

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm"
)

// reservedFields are columns every entity table has; a definition cannot reuse them.
var reservedFields = map[string]bool{"id": true, "version": true, "state": true, "created_by": true, "created_at": true, "updated_at": true, "def_version": true}

// BasicActions are the record actions a role may be granted besides workflow events.
var BasicActions = []string{"create", "read", "update", "delete", "export"}

// Scopes are the data scopes a role may have.
var Scopes = []string{"own", "own_org", "org_subtree", "all"}

// check resolves every reference and compiles every expression, recording all
// problems. It runs in dependency order: code sets, then entity fields, then
// expressions, workflows, forms, roles and reports.
func check(p *Project, ps *Problems) {
	checkCodeSets(p, ps)
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			checkFields(p, e, ps)
		}
	}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			checkEntityExprs(e, ps)
		}
		for _, w := range a.Workflows {
			checkWorkflow(a, w, ps)
			checkWorkflowActions(a, w, ps)
		}
		for _, f := range a.Forms {
			checkForm(a, f, ps)
		}
		for _, r := range a.Roles {
			checkRole(p, a, r, ps)
		}
		for _, r := range a.Reports {
			checkReport(a, r, ps)
		}
	}
	checkLedger(p, ps)
}

func checkName(kind, name string, pos Pos, ps *Problems) {
	if !namePattern.MatchString(name) {
		ps.Addf(pos, "%s %q: names are lower-case letters, digits and _ (at most 63), starting with a letter", kind, name)
	}
}

func checkCodeSets(p *Project, ps *Problems) {
	all := p.CodeSets()
	for _, cs := range all {
		checkName("code set", cs.Name, cs.NamePos, ps)
		if prev := p.codeSets[cs.Name]; prev != nil {
			ps.Addf(cs.NamePos, "code set %s is defined twice (first at %s)", cs.Name, prev.NamePos)
			continue
		}
		p.codeSets[cs.Name] = cs
		if cs.Title == "" {
			ps.Addf(cs.NamePos, "code set %s needs a title", cs.Name)
		}
		switch cs.Standard {
		case "", "national":
			if cs.Extends != "" {
				ps.Addf(cs.At["extends"], "code set %s: only an extension set (standard: extension) may extend another", cs.Name)
			}
		case "extension":
			if cs.Extends == "" {
				ps.Addf(cs.NamePos, "code set %s: an extension set must name the set it extends (extends:)", cs.Name)
			}
		default:
			ps.Addf(cs.At["standard"], "code set %s: standard must be national or extension, got %q", cs.Name, cs.Standard)
		}
		for i, w := range cs.Levels {
			if w <= 0 {
				ps.Addf(cs.At["levels"], "code set %s: level %d width must be positive", cs.Name, i+1)
			}
		}
		if len(cs.Codes) == 0 && cs.CSV == "" && cs.Extends == "" {
			ps.Addf(cs.NamePos, "code set %s has no codes (give codes: or csv:)", cs.Name)
		}
	}
	// Build national sets before the extensions that copy their trees.
	built := map[*CodeSet]bool{}
	for _, cs := range all {
		if p.codeSets[cs.Name] != cs || cs.Extends != "" {
			continue
		}
		cs.build(ps)
		built[cs] = true
	}
	for _, cs := range all {
		if p.codeSets[cs.Name] != cs || cs.Extends == "" {
			continue
		}
		base := p.codeSets[cs.Extends]
		switch {
		case base == nil:
			ps.Addf(cs.At["extends"], "code set %s extends %q, which does not exist%s", cs.Name, cs.Extends, suggest(cs.Extends, codeSetNames(p)))
			cs.build(ps)
		case base.Extends != "":
			ps.Addf(cs.At["extends"], "code set %s extends %s, which is itself an extension; extend the national set", cs.Name, cs.Extends)
			cs.build(ps)
		default:
			cs.Base = base
			cs.build(ps)
		}
	}
	// Attribute values that name codes of another set must exist there.
	for _, cs := range all {
		declared := map[string]*CodeAttr{}
		for _, a := range cs.Attributes {
			declared[a.Name] = a
			if a.CodeSet != "" && p.codeSets[a.CodeSet] == nil {
				ps.Addf(a.NamePos, "code set %s: attribute %s refers to code set %q, which does not exist", cs.Name, a.Name, a.CodeSet)
			}
		}
		for _, c := range cs.Codes {
			for k, v := range c.Attrs {
				a := declared[k]
				if a == nil {
					ps.Addf(c.Pos, "code set %s: code %s has attribute %q, which the set does not declare", cs.Name, c.Code, k)
					continue
				}
				if target := p.codeSets[a.CodeSet]; target != nil && target.Lookup(v) == nil {
					ps.Addf(c.Pos, "code set %s: code %s maps %s to %s, which is not in code set %s", cs.Name, c.Code, k, v, a.CodeSet)
				}
			}
		}
	}
}

func codeSetNames(p *Project) []string {
	var out []string
	for n := range p.codeSets {
		out = append(out, n)
	}
	return out
}

func suggest(word string, candidates []string) string {
	if s := closest(word, candidates); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}

func checkFields(p *Project, e *Entity, ps *Problems) {
	checkName("entity", e.Name, e.NamePos, ps)
	e.fields = map[string]*Field{}
	if len(e.Fields) == 0 {
		ps.Addf(e.NamePos, "entity %s has no fields", e.Name)
	}
	for _, f := range e.Fields {
		f.Owner = e
		checkName("field", f.Name, f.NamePos, ps)
		if reservedFields[f.Name] {
			ps.Addf(f.NamePos, "entity %s: field name %q is reserved by the platform", e.Name, f.Name)
		}
		e.fields[f.Name] = f
		if f.Type == "" {
			ps.Addf(f.NamePos, "field %s: type is missing (one of %s)", f.Name, strings.Join(FieldTypeNames(), ", "))
			continue
		}
		f.Kind = LookupFieldType(f.Type)
		if f.Kind == nil {
			ps.Addf(f.At["type"], "field %s: unknown type %q%s; known types: %s", f.Name, f.Type, suggest(f.Type, FieldTypeNames()), strings.Join(FieldTypeNames(), ", "))
			continue
		}
		f.Kind.Setup(f, ps)
		switch f.Type {
		case "code":
			if f.CodeSet != "" {
				f.Set = p.CodeSet(f.CodeSet)
				if f.Set == nil {
					ps.Addf(f.At["codeset"], "field %s: code set %q does not exist%s", f.Name, f.CodeSet, suggest(f.CodeSet, codeSetNames(p)))
				}
			}
		case "ref":
			if f.Entity != "" {
				f.Target = p.Entity(e.App, f.Entity)
				if f.Target == nil {
					ps.Addf(f.At["entity"], "field %s: entity %q does not exist (write entity, or app.entity for another app)", f.Name, f.Entity)
				}
			}
		}
		if f.Default != nil && f.Type != "computed" {
			in := f.Default
			switch v := in.(type) {
			case int:
				in = int64(v)
			case float64:
				in = strings.TrimRight(strings.TrimRight(strings.TrimSpace(formatFloat(v)), "0"), ".")
			}
			if f.Type == "money" || f.Type == "decimal" {
				if n, ok := in.(int64); ok {
					in = formatInt(n)
				}
			}
			v, err := f.Kind.Parse(f, in)
			if err == nil {
				err = f.Kind.Validate(f, v)
			}
			if err != nil {
				ps.Addf(f.At["default"], "field %s: default %v is not valid: %s", f.Name, f.Default, AsInputError(err).Message)
			}
		}
	}
	fieldRef := func(what string, name string, pos Pos) *Field {
		f := e.fields[name]
		if f == nil {
			ps.Addf(pos, "entity %s: %s names field %q, which does not exist%s", e.Name, what, name, suggest(name, fieldNames(e)))
		}
		return f
	}
	if e.OrgField != "" {
		if f := fieldRef("org_field", e.OrgField, e.At["org_field"]); f != nil && f.Type != "code" {
			ps.Addf(e.At["org_field"], "entity %s: org_field %s must be a code field (an org tree code)", e.Name, f.Name)
		}
	}
	if e.YearField != "" {
		if f := fieldRef("year_field", e.YearField, e.At["year_field"]); f != nil && f.Type != "int" {
			ps.Addf(e.At["year_field"], "entity %s: year_field %s must be an int field", e.Name, f.Name)
		}
	}
	for _, group := range e.Unique {
		if len(group) == 0 {
			ps.Addf(e.At["unique"], "entity %s: an empty unique group", e.Name)
		}
		for _, name := range group {
			fieldRef("unique", name, e.At["unique"])
		}
	}
	for _, name := range e.Filters {
		fieldRef("filters", name, e.At["filters"])
	}
}

func fieldNames(e *Entity) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name)
	}
	return out
}

func checkEntityExprs(e *Entity, ps *Problems) {
	env := Env(e, false)
	for _, f := range e.Fields {
		if f.Type != "computed" || f.Expr == "" || f.Settings == nil {
			continue
		}
		prog, err := CompileValue(f.Expr, env)
		if err != nil {
			ps.Addf(f.At["expr"], "field %s: expression does not compile: %s", f.Name, exprError(err, env))
			continue
		}
		want := reflect.TypeOf(settingsOf(f).result.Zero(settingsOf(f).shadow))
		if got := prog.Node().Type(); got != nil && got.Kind() != reflect.Interface && !compatible(got, want) {
			ps.Addf(f.At["expr"], "field %s: expression gives %s, but returns is %s", f.Name, got, ResultType(f))
		}
		f.Program = prog
	}
	for _, r := range e.Rules {
		if r.Assert == "" {
			ps.Addf(r.Pos, "entity %s: a rule needs assert", e.Name)
		} else if prog, err := CompileBool(r.Assert, env); err != nil {
			ps.Addf(r.At["assert"], "entity %s: rule does not compile: %s", e.Name, exprError(err, env))
		} else {
			r.AssertProgram = prog
		}
		if r.When != "" {
			if prog, err := CompileBool(r.When, env); err != nil {
				ps.Addf(r.At["when"], "entity %s: rule condition does not compile: %s", e.Name, exprError(err, env))
			} else {
				r.WhenProgram = prog
			}
		}
		if r.Message == "" {
			ps.Addf(r.Pos, "entity %s: a rule needs a message for the user", e.Name)
		}
		for i, name := range r.Fields {
			if e.fields[name] == nil {
				ps.Addf(itemPos(r.At, "fields", i), "entity %s: rule blames field %q, which does not exist%s", e.Name, name, suggest(name, fieldNames(e)))
			}
		}
	}
}

// compatible reports whether an expression result of type got can be stored in
// a field whose expression type is want.
func compatible(got, want reflect.Type) bool {
	if got == want {
		return true
	}
	isInt := func(t reflect.Type) bool { return t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 }
	if isInt(got) && (isInt(want) || want == reflect.TypeOf(decimalZero)) {
		return true
	}
	return got == reflect.TypeOf(decimalZero) && isInt(want)
}

// exprError flattens expr's multi-line error (with a caret drawing) to one
// line, and suggests the nearest name for an unknown one.
func exprError(err error, env map[string]any) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if m := unknownName.FindStringSubmatch(msg); m != nil {
		var names []string
		for n := range env {
			names = append(names, n)
		}
		msg += suggest(m[1], names)
	}
	return msg
}

var unknownName = regexp.MustCompile(`unknown name (\w+)`)

func checkWorkflow(a *App, w *Workflow, ps *Problems) {
	checkName("workflow", w.Name, w.NamePos, ps)
	if w.Entity == "" {
		ps.Addf(w.NamePos, "workflow %s: entity is missing", w.Name)
	} else if e := a.Entity(w.Entity); e == nil {
		ps.Addf(w.At["entity"], "workflow %s: entity %q does not exist in app %s%s", w.Name, w.Entity, a.Name, suggest(w.Entity, entityNames(a)))
	} else if e.Workflow != nil {
		ps.Addf(w.At["entity"], "workflow %s: entity %s already has workflow %s", w.Name, e.Name, e.Workflow.Name)
	} else {
		e.Workflow = w
		w.Target = e
	}
	states := map[string]bool{}
	for i, s := range w.States {
		checkName("state", s, itemPos(w.At, "states", i), ps)
		if states[s] {
			ps.Addf(itemPos(w.At, "states", i), "workflow %s: state %s is listed twice", w.Name, s)
		}
		states[s] = true
	}
	stateRef := func(what, s string, pos Pos) {
		if !states[s] {
			ps.Addf(pos, "workflow %s: %s names state %q, which is not in states%s", w.Name, what, s, suggest(s, w.States))
		}
	}
	if w.Initial == "" {
		ps.Addf(w.NamePos, "workflow %s: initial state is missing", w.Name)
	} else {
		stateRef("initial", w.Initial, w.At["initial"])
	}
	for i, s := range w.Final {
		stateRef("final", s, itemPos(w.At, "final", i))
	}
	for i, s := range w.Editable {
		stateRef("editable", s, itemPos(w.At, "editable", i))
	}
	for s := range w.Labels {
		stateRef("labels", s, w.At["labels"])
	}
	var env map[string]any
	if w.Target != nil {
		env = Env(w.Target, true)
	}
	events := map[string]bool{}
	for _, t := range w.Transitions {
		if t.Event == "" {
			ps.Addf(t.Pos, "workflow %s: a transition needs an event name", w.Name)
		} else {
			checkName("event", t.Event, t.At["event"], ps)
		}
		if slices.Contains(BasicActions, t.Event) {
			ps.Addf(t.At["event"], "workflow %s: event name %q is taken by a record action", w.Name, t.Event)
		}
		events[t.Event] = true
		if len(t.From) == 0 {
			ps.Addf(t.Pos, "workflow %s: transition %s needs from", w.Name, t.Event)
		}
		for i, s := range t.From {
			stateRef("transition "+t.Event+" from", s, itemPos(t.At, "from", i))
		}
		if t.To == "" {
			ps.Addf(t.Pos, "workflow %s: transition %s needs to", w.Name, t.Event)
		} else {
			stateRef("transition "+t.Event+" to", t.To, t.At["to"])
		}
		for i, r := range t.Roles {
			if a.Role(r) == nil {
				ps.Addf(itemPos(t.At, "roles", i), "workflow %s: transition %s names role %q, which app %s does not define%s", w.Name, t.Event, r, a.Name, suggest(r, roleNames(a)))
			}
		}
		for _, nb := range t.NotBy {
			if nb != "creator" && nb != "previous_approver" {
				ps.Addf(t.At["not_by"], "workflow %s: not_by takes creator or previous_approver, got %q", w.Name, nb)
			}
		}
		if t.Quorum < 0 {
			ps.Addf(t.At["quorum"], "workflow %s: quorum must be positive", w.Name)
		}
		if t.Comment != "" && t.Comment != "required" && t.Comment != "optional" {
			ps.Addf(t.At["comment"], "workflow %s: comment is required or optional, got %q", w.Name, t.Comment)
		}
		if env == nil {
			continue
		}
		if t.Guard != "" {
			if prog, err := CompileBool(t.Guard, env); err != nil {
				ps.Addf(t.At["guard"], "workflow %s: guard of %s does not compile: %s", w.Name, t.Event, exprError(err, env))
			} else {
				t.GuardProgram = prog
			}
		}
		for field, code := range t.Set {
			f := w.Target.Field(field)
			if f == nil {
				ps.Addf(t.At["set"], "workflow %s: transition %s sets field %q, which does not exist%s", w.Name, t.Event, field, suggest(field, fieldNames(w.Target)))
				continue
			}
			prog, err := CompileValue(code, env)
			if err != nil {
				ps.Addf(t.At["set"], "workflow %s: transition %s: value for %s does not compile: %s", w.Name, t.Event, field, exprError(err, env))
				continue
			}
			if t.SetPrograms == nil {
				t.SetPrograms = map[string]*vm.Program{}
			}
			t.SetPrograms[field] = prog
		}
	}
	checkReachable(w, states, ps)
}

// checkReachable reports states no record can reach from the initial state, and
// non-final states with no way out.
func checkReachable(w *Workflow, states map[string]bool, ps *Problems) {
	if !states[w.Initial] {
		return
	}
	out := map[string][]string{}
	for _, t := range w.Transitions {
		for _, f := range t.From {
			out[f] = append(out[f], t.To)
		}
	}
	seen := map[string]bool{w.Initial: true}
	queue := []string{w.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, next := range out[s] {
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	for i, s := range w.States {
		if !seen[s] {
			ps.Addf(itemPos(w.At, "states", i), "workflow %s: state %s cannot be reached from %s", w.Name, s, w.Initial)
		}
		if !slices.Contains(w.Final, s) && len(out[s]) == 0 {
			ps.Addf(itemPos(w.At, "states", i), "workflow %s: state %s is not final but has no way out", w.Name, s)
		}
	}
}

func entityNames(a *App) []string {
	var out []string
	for _, e := range a.Entities {
		out = append(out, e.Name)
	}
	return out
}

func roleNames(a *App) []string {
	var out []string
	for _, r := range a.Roles {
		out = append(out, r.Name)
	}
	return out
}

func checkForm(a *App, f *Form, ps *Problems) {
	e := a.Entity(f.Name)
	if e == nil {
		ps.Addf(f.NamePos, "form %s: forms are named after an entity of app %s, and there is none called %q%s", f.Name, a.Name, f.Name, suggest(f.Name, entityNames(a)))
		return
	}
	seen := map[string]bool{}
	rowsCheck := func(rows [][]string, pos Pos) {
		for _, row := range rows {
			for _, name := range row {
				if e.Field(name) == nil {
					ps.Addf(pos, "form %s: field %q does not exist%s", f.Name, name, suggest(name, fieldNames(e)))
				} else if seen[name] {
					ps.Addf(pos, "form %s: field %s appears twice", f.Name, name)
				}
				seen[name] = true
			}
		}
	}
	rowsCheck(f.Layout, f.At["layout"])
	for _, s := range f.Sections {
		rowsCheck(s.Rows, s.Pos)
	}
	if len(f.Layout) > 0 && len(f.Sections) > 0 {
		ps.Addf(f.At["layout"], "form %s: give layout or sections, not both", f.Name)
	}
}

func checkRole(p *Project, a *App, r *Role, ps *Problems) {
	checkName("role", r.Name, r.NamePos, ps)
	switch {
	case r.Scope == "":
		ps.Addf(r.NamePos, "role %s: scope is missing (one of %s)", r.Name, strings.Join(Scopes, ", "))
	case !slices.Contains(Scopes, r.Scope):
		ps.Addf(r.At["scope"], "role %s: scope must be one of %s, got %q", r.Name, strings.Join(Scopes, ", "), r.Scope)
	}
	for _, g := range r.Can {
		e := p.Entity(a, g.Name)
		if e == nil {
			ps.Addf(g.NamePos, "role %s: entity %q does not exist%s", r.Name, g.Name, suggest(g.Name, entityNames(a)))
			continue
		}
		for _, act := range g.Actions {
			if slices.Contains(BasicActions, act) {
				continue
			}
			if e.Workflow != nil && slices.ContainsFunc(e.Workflow.Transitions, func(t *Transition) bool { return t.Event == act }) {
				continue
			}
			ps.Addf(g.Pos, "role %s: %q is not an action on %s (%s, or one of its workflow events)", r.Name, act, e.Name, strings.Join(BasicActions, ", "))
		}
	}
	for _, fr := range r.Fields {
		e := p.Entity(a, fr.Name)
		if e == nil {
			ps.Addf(fr.NamePos, "role %s: fields: entity %q does not exist", r.Name, fr.Name)
			continue
		}
		for _, name := range append(append([]string{}, fr.Hidden...), fr.Readonly...) {
			if e.Field(name) == nil {
				ps.Addf(fr.Pos, "role %s: fields of %s: field %q does not exist%s", r.Name, e.Name, name, suggest(name, fieldNames(e)))
			}
		}
	}
}

func checkReport(a *App, r *Report, ps *Problems) {
	checkName("report", r.Name, r.NamePos, ps)
	e := a.Entity(r.Entity)
	if e == nil {
		ps.Addf(r.At["entity"], "report %s: entity %q does not exist%s", r.Name, r.Entity, suggest(r.Entity, entityNames(a)))
		return
	}
	for _, name := range append(append([]string{}, r.GroupBy...), r.Filters...) {
		if e.Field(name) == nil {
			ps.Addf(r.Pos, "report %s: field %q does not exist in %s%s", r.Name, name, e.Name, suggest(name, fieldNames(e)))
		}
	}
	for _, m := range r.Measures {
		switch m.Agg {
		case "count":
		case "sum", "min", "max":
			f := e.Field(m.Field)
			if f == nil {
				ps.Addf(m.Pos, "report %s: measure %s: field %q does not exist", r.Name, m.Name, m.Field)
			} else if m.Agg == "sum" && f.Kind != nil && f.Kind.Column(f).Kind != ColumnScaled && f.Kind.Column(f).Kind != ColumnInt {
				ps.Addf(m.Pos, "report %s: measure %s: cannot sum %s field %s", r.Name, m.Name, f.Type, f.Name)
			}
		default:
			ps.Addf(m.At["agg"], "report %s: measure %s: agg must be sum, count, min or max, got %q", r.Name, m.Name, m.Agg)
		}
	}
}

// itemPos is the position of item i of the list under key, or of the key's
// value when the list was written as a single value.
func itemPos(at map[string]Pos, key string, i int) Pos {
	if p, ok := at[key+"."+strconv.Itoa(i)]; ok {
		return p
	}
	return at[key]
}

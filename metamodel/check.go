package metamodel

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	exprfile "github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// reservedFieldNames are columns every entity table has; a definition cannot reuse them.
var reservedFieldNames = []string{"id", "version", "state", "created_by", "created_at", "updated_at", "def_version"}

var reservedFields = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range reservedFieldNames {
		m[n] = true
	}
	return m
}()

// BasicActions are the record actions a role may be granted besides workflow events.
var BasicActions = []string{"create", "read", "update", "delete", "export"}

// Scopes are the data scopes a role may have.
var Scopes = []string{"own", "own_org", "org_subtree", "all"}

// NotByValues are who a transition's not_by may exclude: the record's
// creator; its editors (the creator and everyone who changed its fields by an
// edit or typed a value in with an event's input); its submitter (who last moved it out of an editable state); its
// actors (everyone who fired an earlier event on it or approved towards one);
// the previous approver (who fired its last event).
var NotByValues = []string{"creator", "editors", "submitter", "actors", "previous_approver"}

// ExcludesCreator reports whether t's not_by keeps the record's creator from
// firing it: creator, or editors, which include the creator.
func (t *Transition) ExcludesCreator() bool {
	return slices.Contains(t.NotBy, "creator") || slices.Contains(t.NotBy, "editors")
}

// CommentValues are the values of a transition's comment.
var CommentValues = []string{"required", "optional"}

// Aggregates are the aggregate functions of a report measure.
var Aggregates = []string{"sum", "count", "min", "max"}

// Standards are the kinds of code set.
var Standards = []string{"national", "extension"}

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
	checkRollups(p, ps)
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			checkEntityExprs(e, ps)
		}
		for _, w := range a.Workflows {
			checkWorkflow(a, w, ps)
			checkWorkflowActions(a, w, ps)
		}
		for _, e := range a.Entities {
			checkTitleFields(e, ps)
		}
		for _, f := range a.Forms {
			checkForm(p, a, f, ps)
		}
		for _, t := range a.Tags {
			checkTag(p, a, t, ps)
		}
		for _, r := range a.Reports {
			checkReport(a, r, ps)
		}
	}
	// Roles last: a role may grant the workflow events of another app's entity,
	// so every app's workflows must be bound first.
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			checkRole(p, a, r, ps)
		}
	}
	checkExportsAndSchedules(p, ps)
	checkExchanges(p, ps)
	checkLedger(p, ps)
	checkAccess(p, ps)
	checkGenerates(p, ps)
	checkBlocks(p, ps)
	checkRefsUse(p, ps)
	checkCodeCallsAll(p, ps)
	checkTransitionInputs(p, ps)
	checkFreezeOn(p, ps)
}

// nameRule explains namePattern; load.go uses it for app folders.
const nameRule = "names are lower-case letters, digits and _ (at most 63), starting with a letter, since they become table, column and URL names"

func checkName(kind, name string, pos Pos, ps *Problems) {
	if !namePattern.MatchString(name) {
		ps.Addf(pos, "%s %q: %s", kind, name, nameRule)
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
			ps.Addf(cs.At["standard"], "code set %s: standard must be one of %s, got %q", cs.Name, strings.Join(Standards, ", "), cs.Standard)
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
			if a.Type != "" && !slices.Contains(AttrTypes, a.Type) {
				ps.Addf(a.At["type"], "code set %s: attribute %s: type must be one of %s, got %q%s", cs.Name, a.Name, strings.Join(AttrTypes, ", "), a.Type, suggest(a.Type, AttrTypes))
			}
			if a.CodeSet != "" && a.Type != "" && a.Type != "text" {
				ps.Addf(a.At["type"], "code set %s: attribute %s names codes of %s, so its values are text, not %s", cs.Name, a.Name, a.CodeSet, a.Type)
			}
		}
		for _, c := range cs.Codes {
			checkAttr := func(k, v, when string) {
				a := declared[k]
				if a == nil && cs.Base != nil {
					for _, ba := range cs.Base.Attributes {
						if ba.Name == k {
							a = ba
						}
					}
				}
				if a == nil {
					ps.Addf(c.Pos, "code set %s: code %s has attribute %q%s, which the set does not declare%s", cs.Name, c.Code, k, when, suggest(k, attrNames(cs)))
					return
				}
				if target := p.codeSets[a.CodeSet]; target != nil && target.Lookup(v) == nil {
					ps.Addf(c.Pos, "code set %s: code %s maps %s to %s, which is not in code set %s", cs.Name, c.Code, k, v, a.CodeSet)
				}
				if _, err := ParseAttr(a.Type, v); err != nil && slices.Contains(AttrTypes, a.Type) {
					ps.Addf(c.Pos, "code set %s: code %s: attribute %s%s is %q, not %s", cs.Name, c.Code, k, when, v, err)
				}
			}
			for _, k := range sortedKeys(c.Attrs) {
				checkAttr(k, c.Attrs[k], "")
			}
			for _, from := range sortedKeys(c.AttrsFrom) {
				if y, err := strconv.Atoi(from); err != nil || y < 1900 || y > 9999 {
					ps.Addf(c.Pos, "code set %s: code %s: attrs_from takes fiscal years as keys, got %q", cs.Name, c.Code, from)
					continue
				}
				for _, k := range sortedKeys(c.AttrsFrom[from]) {
					checkAttr(k, c.AttrsFrom[from][k], " from "+from)
				}
			}
		}
	}
}

func attrNames(cs *CodeSet) []string {
	var out []string
	for s := cs; s != nil; s = s.Base {
		for _, a := range s.Attributes {
			out = append(out, a.Name)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
			ps.Addf(f.NamePos, "entity %s: field name %q is reserved: every record has the system fields %s", e.Name, f.Name, strings.Join(reservedFieldNames, ", "))
		}
		e.fields[f.Name] = f
		if f.Type == "" {
			ps.Addf(f.NamePos, "field %s: type is missing (one of %s)", f.where(), strings.Join(FieldTypeNames(), ", "))
			continue
		}
		f.Kind = LookupFieldType(f.Type)
		if f.Kind == nil {
			ps.Addf(f.At["type"], "field %s: unknown type %q%s; known types: %s", f.where(), f.Type, suggest(f.Type, FieldTypeNames()), strings.Join(FieldTypeNames(), ", "))
			continue
		}
		f.Kind.Setup(f, ps)
		if r, ok := f.Kind.(Resolver); ok {
			r.Resolve(f, p, ps)
		}
		if _, err := DefaultValue(f); err != nil {
			hint := ""
			if _, text := f.Kind.Zero(f).(string); text {
				switch f.Default.(type) {
				case int, float64:
					hint = " (YAML reads it as a number; quote it to make it text)"
				case bool:
					hint = " (YAML reads it as true or false; quote it to make it text)"
				}
			}
			ps.Addf(f.At["default"], "field %s: default %v is not valid for type %s: %s%s", f.where(), f.Default, f.Type, AsInputError(err).Message, hint)
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
		if f := fieldRef("org_field", e.OrgField, e.At["org_field"]); f != nil && !f.Is(CodeRef) {
			ps.Addf(e.At["org_field"], "entity %s: org_field %s must be a code field (an org tree code)", e.Name, f.Name)
		}
	}
	if e.YearField != "" {
		if f := fieldRef("year_field", e.YearField, e.At["year_field"]); f != nil && !wholeNumber(f) {
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
	for _, name := range e.Search {
		if f := fieldRef("search", name, e.At["search"]); f != nil && !f.Is(Searchable) {
			ps.Addf(e.At["search"], "entity %s: search field %s is %s; only string, text and code fields are searched", e.Name, name, f.Type)
		}
	}
	if e.Lists != nil {
		for _, name := range e.Lists.Columns {
			fieldRef("list columns", name, e.Lists.Pos)
		}
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
		if c, ok := f.Kind.(exprCompiler); ok {
			c.compile(f, env, ps)
		}
	}
	for i, r := range e.Rules {
		// Rules are named by their name, or by their place in the list.
		rule := fmt.Sprintf("entity %s: rule %d", e.Name, i+1)
		if r.Name != "" {
			rule = fmt.Sprintf("entity %s: rule %s", e.Name, r.Name)
		}
		if r.Assert == "" {
			ps.Addf(r.Pos, "%s needs assert: the expression that must be true", rule)
		} else if prog, err := CompileBool(r.Assert, env); err != nil {
			ps.Addf(r.At["assert"], "%s: assert does not compile: %s", rule, exprError(err, env))
		} else {
			r.AssertProgram = prog
		}
		if r.When != "" {
			if prog, err := CompileBool(r.When, env); err != nil {
				ps.Addf(r.At["when"], "%s: when does not compile: %s", rule, exprError(err, env))
			} else {
				r.WhenProgram = prog
			}
		}
		if r.Message == "" {
			ps.Addf(r.Pos, "%s needs a message for the user", rule)
		}
		for j, name := range r.Fields {
			if e.fields[name] == nil {
				ps.Addf(itemPos(r.At, "fields", j), "%s blames field %q, which entity %s does not have%s", rule, name, e.Name, suggest(name, fieldNames(e)))
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
// line that says where in the expression it is, speaks of definition types
// rather than Go types, and suggests the nearest name for an unknown one.
func exprError(err error, env map[string]any) string {
	var msg, where string
	var fe *exprfile.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		if fe.Snippet != "" {
			where = fmt.Sprintf(" at character %d", fe.Column+1)
			if fe.Line > 1 {
				where = fmt.Sprintf(" at line %d, character %d", fe.Line, fe.Column+1)
			}
		}
	} else {
		msg, _, _ = strings.Cut(err.Error(), "\n")
	}
	msg = goTypeNames.Replace(msg) + where
	msg = refsError(msg, env)
	if m := unknownName.FindStringSubmatch(msg); m != nil {
		var names []string
		for n := range env {
			if !strings.Contains(n, " ") {
				names = append(names, n)
			}
		}
		msg += suggest(m[1], names)
	}
	return msg
}

var unknownName = regexp.MustCompile(`unknown name (\w+)`)

// goTypeNames turns the Go types of expression values into the words of the
// definition language.
var goTypeNames = strings.NewReplacer(
	"decimal.Decimal", "decimal",
	"time.Time", "date",
	"metamodel.Actor", "actor",
	"unexpected token EOF", "the expression ends too early",
	"float64", "float",
)

// typeName is a Go type of expression values in the words of the definition language.
func typeName(t reflect.Type) string { return goTypeNames.Replace(t.String()) }

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
	// A transition naming an unknown state makes the reachability problems
	// below follow from it; they are left out until it is fixed.
	danglingTransition := false
	if len(w.States) == 0 {
		ps.Addf(w.NamePos, "workflow %s: states is missing: list every state a record can be in", w.Name)
	}
	stateRef := func(what, s string, pos Pos) {
		if !states[s] && len(w.States) > 0 {
			if strings.HasPrefix(what, "transition ") {
				danglingTransition = true
			}
			ps.Addf(pos, "workflow %s: %s: state %q is not one of the workflow's states (%s)%s", w.Name, what, s, strings.Join(w.States, ", "), suggest(s, w.States))
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
		stateRef("labels", s, itemPos(w.At, "labels", s))
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
			stateRef("transition "+t.Event+", from", s, itemPos(t.At, "from", i))
		}
		if t.To == "" {
			ps.Addf(t.Pos, "workflow %s: transition %s needs to", w.Name, t.Event)
		} else {
			stateRef("transition "+t.Event+", to", t.To, t.At["to"])
		}
		for i, r := range t.Roles {
			if a.Role(r) == nil {
				ps.Addf(itemPos(t.At, "roles", i), "workflow %s: transition %s: role %q is not defined under roles: of app %s%s", w.Name, t.Event, r, a.Name, suggest(r, roleNames(a)))
			}
		}
		for i, nb := range t.NotBy {
			if !slices.Contains(NotByValues, nb) {
				ps.Addf(itemPos(t.At, "not_by", i), "workflow %s: transition %s: not_by takes %s, got %q%s", w.Name, t.Event, strings.Join(NotByValues, ", "), nb, suggest(nb, NotByValues))
			}
		}
		checkQuorum(ps, w.Target, w, t)
		if t.Comment != "" && !slices.Contains(CommentValues, t.Comment) {
			ps.Addf(t.At["comment"], "workflow %s: transition %s: comment is %s, got %q", w.Name, t.Event, strings.Join(CommentValues, " or "), t.Comment)
		}
		if env == nil {
			continue
		}
		if t.Guard != "" {
			if prog, err := CompileBool(t.Guard, env); err != nil {
				ps.Addf(t.At["guard"], "workflow %s: transition %s: guard does not compile: %s", w.Name, t.Event, exprError(err, env))
			} else {
				t.GuardProgram = prog
			}
		}
		for field, code := range t.Set {
			f := w.Target.Field(field)
			if f == nil {
				ps.Addf(itemPos(t.At, "set", field), "workflow %s: transition %s: set names field %q, which entity %s does not have%s", w.Name, t.Event, field, w.Target.Name, suggest(field, fieldNames(w.Target)))
				continue
			}
			prog, err := CompileValue(code, env)
			if err != nil {
				ps.Addf(itemPos(t.At, "set", field), "workflow %s: transition %s: set %s does not compile: %s", w.Name, t.Event, field, exprError(err, env))
				continue
			}
			if t.SetPrograms == nil {
				t.SetPrograms = map[string]*vm.Program{}
			}
			t.SetPrograms[field] = prog
		}
	}
	if !danglingTransition {
		checkReachable(w, states, ps)
	}
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
			ps.Addf(itemPos(w.At, "states", i), "workflow %s: state %s cannot be reached from the initial state %s: no chain of transitions leads to it", w.Name, s, w.Initial)
		}
		if !slices.Contains(w.Final, s) && len(out[s]) == 0 {
			ps.Addf(itemPos(w.At, "states", i), "workflow %s: state %s has no transition out of it and is not final: add a transition from it, or list it under final", w.Name, s)
		}
	}
}

// entityHint suggests the entity nearest to a misspelt reference from app a,
// or explains how references are written.
func entityHint(p *Project, a *App, name string) string {
	candidates := entityNames(a)
	for _, other := range p.Apps {
		for _, e := range other.Entities {
			candidates = append(candidates, other.Name+"."+e.Name)
		}
	}
	if s := suggest(name, candidates); s != "" {
		return s
	}
	return " (name an entity of this app, or another app's as app.entity)"
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

// checkTitleFields checks that an entity's title fields are fields a title
// can show: stored values, not long texts or files.
func checkTitleFields(e *Entity, ps *Problems) {
	for i, name := range e.TitleFields {
		pos := itemPos(e.At, "title_fields", i)
		f := e.Field(name)
		switch {
		case f == nil:
			ps.Addf(pos, "entity %s: title_fields: %q is not a field of entity %s%s", e.Name, name, e.Name, suggest(name, fieldNames(e)))
		case f.Is(LongText) || f.Is(Attachment):
			ps.Addf(pos, "entity %s: title_fields: %s is a %s field; a title is made of short values (string, code, int, date, enum, money)", e.Name, name, f.Type)
		}
	}
}

// checkFormExtras checks a form's fill rules, child lists and print layout.
func checkFormExtras(p *Project, a *App, e *Entity, f *Form, ps *Problems) {
	for _, fill := range f.Fill {
		ref := e.Field(fill.Ref)
		if ref == nil || ref.Target == nil {
			ps.Addf(fill.At["ref"], "form %s: fill: %q is not a ref field of entity %s%s", f.Name, fill.Ref, e.Name, suggest(fill.Ref, fieldNames(e)))
			continue
		}
		for _, to := range slices.Sorted(maps.Keys(fill.Fields)) {
			from := fill.Fields[to]
			tf, sf := e.Field(to), ref.Target.Field(from)
			switch {
			case tf == nil:
				ps.Addf(itemPos(fill.At, "fields", to), "form %s: fill: %q is not a field of entity %s%s", f.Name, to, e.Name, suggest(to, fieldNames(e)))
			case sf == nil:
				ps.Addf(itemPos(fill.At, "fields", to), "form %s: fill: %q is not a field of entity %s, which %s points at%s", f.Name, from, ref.Target.Name, fill.Ref, suggest(from, fieldNames(ref.Target)))
			case ResultType(tf) != ResultType(sf) || (tf.Is(CodeRef) && tf.CodeSet != sf.CodeSet):
				ps.Addf(itemPos(fill.At, "fields", to), "form %s: fill: %s (%s) cannot be filled from %s.%s (%s): the types differ", f.Name, to, tf.Type, ref.Target.Name, from, sf.Type)
			}
		}
	}
	for _, c := range f.Children {
		c.Target = p.Entity(a, c.Entity)
		if c.Target == nil {
			ps.Addf(c.At["entity"], "form %s: children: there is no entity %q", f.Name, c.Entity)
			continue
		}
		if rf := c.Target.Field(c.Ref); rf == nil || rf.Target != e {
			ps.Addf(c.At["ref"], "form %s: children: %q is not a ref field of %s pointing at %s", f.Name, c.Ref, c.Target.Name, e.Name)
		}
		for i, name := range c.Columns {
			if c.Target.Field(name) == nil {
				ps.Addf(itemPos(c.At, "columns", i), "form %s: children: %q is not a field of entity %s%s", f.Name, name, c.Target.Name, suggest(name, fieldNames(c.Target)))
			}
		}
	}
	if pr := f.Print; pr != nil {
		for _, s := range pr.Sections {
			for i, row := range s.Rows {
				for j, name := range row {
					if e.Field(name) == nil {
						ps.Addf(itemPos(s.At, "rows", i, j), "form %s: print: field %q is not a field of entity %s%s", f.Name, name, e.Name, suggest(name, fieldNames(e)))
					}
				}
			}
		}
		if pr.Amount != "" {
			if af := e.Field(pr.Amount); af == nil || !af.ValueField().Is(Money) {
				ps.Addf(pr.At["amount"], "form %s: print: amount %q is not a money field of entity %s", f.Name, pr.Amount, e.Name)
			}
		}
	}
}

func checkForm(p *Project, a *App, f *Form, ps *Problems) {
	e := a.Entity(f.Name)
	if e == nil {
		ps.Addf(f.NamePos, "form %s: forms are named after an entity of app %s, and there is none called %q%s", f.Name, a.Name, f.Name, suggest(f.Name, entityNames(a)))
		return
	}
	seen := map[string]bool{}
	rowsCheck := func(rows [][]string, at map[string]Pos, key string) {
		for i, row := range rows {
			for j, name := range row {
				pos := itemPos(at, key, i, j)
				if e.Field(name) == nil {
					ps.Addf(pos, "form %s: field %q is not a field of entity %s%s", f.Name, name, e.Name, suggest(name, fieldNames(e)))
				} else if seen[name] {
					ps.Addf(pos, "form %s: field %s appears twice", f.Name, name)
				}
				seen[name] = true
			}
		}
	}
	rowsCheck(f.Layout, f.At, "layout")
	for _, s := range f.Sections {
		rowsCheck(s.Rows, s.At, "rows")
	}
	if len(f.Layout) > 0 && len(f.Sections) > 0 {
		ps.Addf(f.At["layout"], "form %s: give layout or sections, not both", f.Name)
	}
	checkFormExtras(p, a, e, f, ps)
}

func checkRole(p *Project, a *App, r *Role, ps *Problems) {
	checkName("role", r.Name, r.NamePos, ps)
	switch {
	case r.Scope == "":
		ps.Addf(r.NamePos, "role %s: scope is missing (one of %s)", r.Name, strings.Join(Scopes, ", "))
	case !slices.Contains(Scopes, r.Scope):
		ps.Addf(r.At["scope"], "role %s: scope must be one of %s, got %q", r.Name, strings.Join(Scopes, ", "), r.Scope)
	}
	for i, name := range r.Dashboard {
		if _, rep := p.ReportByName(a, name); rep == nil {
			ps.Addf(itemPos(r.At, "dashboard", i), "role %s: dashboard: report %q does not exist", r.Name, name)
		}
	}
	for _, g := range r.Can {
		e := p.Entity(a, g.Name)
		if e == nil {
			ps.Addf(g.NamePos, "role %s: can: entity %q does not exist%s", r.Name, g.Name, entityHint(p, a, g.Name))
			continue
		}
		actions := slices.Clone(BasicActions)
		if e.Workflow != nil {
			for _, t := range e.Workflow.Transitions {
				if t.Event != "" && !slices.Contains(actions, t.Event) {
					actions = append(actions, t.Event)
				}
			}
		}
		for i, act := range g.Actions {
			if !slices.Contains(actions, act) {
				ps.Addf(itemPos(g.At, "actions", i), "role %s: can: %q is not an action on %s; actions are %s%s", r.Name, act, g.Name, strings.Join(actions, ", "), suggest(act, actions))
			}
		}
	}
	for _, fr := range r.Fields {
		e := p.Entity(a, fr.Name)
		if e == nil {
			ps.Addf(fr.NamePos, "role %s: fields: entity %q does not exist%s", r.Name, fr.Name, entityHint(p, a, fr.Name))
			continue
		}
		for _, key := range []string{"hidden", "readonly"} {
			names := fr.Hidden
			if key == "readonly" {
				names = fr.Readonly
			}
			for i, name := range names {
				if e.Field(name) == nil {
					ps.Addf(itemPos(fr.At, key, i), "role %s: fields: %s: field %q is not a field of entity %s%s", r.Name, key, name, fr.Name, suggest(name, fieldNames(e)))
				}
			}
		}
	}
}

// itemPos is the position of an item inside the value of key: of item i of a
// list (then item j of that item, for a list of lists), or of a key of a
// mapping. It falls back to the nearest enclosing position, such as the key's
// value when a list was written as a single value.
func itemPos[I int | string](at map[string]Pos, key string, path ...I) Pos {
	best := at[key]
	for _, p := range path {
		key += "." + fmt.Sprint(p)
		if pos, ok := at[key]; ok {
			best = pos
		} else {
			break
		}
	}
	return best
}

// ItemPos is the position of item i of the list under key, or of the key.
func ItemPos(at map[string]Pos, key string, i int) Pos { return itemPos(at, key, i) }

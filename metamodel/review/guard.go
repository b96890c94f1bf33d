package review

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// A guard "can never be true when that can be shown": the analysis below is
// sound but incomplete. It proves a guard false for every record and actor
// from the constant false, from comparisons of one field with constants that
// contradict each other or the field's own limits (min, max, enum values),
// from the record's state, which a guard is only evaluated in the
// transition's from-states, and from roles that no app defines. Anything it
// cannot reason about (arithmetic, functions, two fields compared) it assumes
// may be true, so it never reports a guard that can hold.

// guardContext is what is known about the values a guard sees.
type guardContext struct {
	e *metamodel.Entity
	// from are the states the guard is evaluated in.
	from []string
	// roles are every role defined in the project.
	roles map[string]bool
}

// neverTrue reports whether guard can be shown never to hold, and why.
func neverTrue(p *metamodel.Project, e *metamodel.Entity, t *metamodel.Transition) (bool, string) {
	if t.Guard == "" || e == nil {
		return false, ""
	}
	tree, err := parser.Parse(t.Guard)
	if err != nil {
		return false, ""
	}
	gc := &guardContext{e: e, from: t.From, roles: map[string]bool{}}
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			gc.roles[r.Name] = true
		}
	}
	return gc.never(tree.Node)
}

// never decides whether n is false for every record: it writes n as a
// disjunction of conjunctions and looks for a contradiction in each.
func (gc *guardContext) never(n ast.Node) (bool, string) {
	clauses, ok := dnf(n)
	if !ok {
		return false, ""
	}
	if len(clauses) == 0 {
		return true, "it is the constant false"
	}
	var whys []string
	for _, c := range clauses {
		never, why := gc.contradiction(c)
		if !never {
			return false, ""
		}
		if !slices.Contains(whys, why) {
			whys = append(whys, why)
		}
	}
	if len(clauses) == 1 {
		return true, whys[0]
	}
	return true, "no alternative can hold: " + strings.Join(whys, "; ")
}

// maxClauses bounds the disjunctive normal form; larger guards are not
// analysed.
const maxClauses = 64

// dnf writes n as a list of conjunctions (each a list of terms); false is no
// conjunction at all, true one empty conjunction.
func dnf(n ast.Node) ([][]ast.Node, bool) {
	switch x := n.(type) {
	case *ast.BoolNode:
		if x.Value {
			return [][]ast.Node{{}}, true
		}
		return nil, true
	case *ast.UnaryNode:
		if b, ok := x.Node.(*ast.BoolNode); ok && (x.Operator == "!" || x.Operator == "not") {
			return dnf(&ast.BoolNode{Value: !b.Value})
		}
	case *ast.BinaryNode:
		switch x.Operator {
		case "||", "or":
			l, lok := dnf(x.Left)
			r, rok := dnf(x.Right)
			if !lok || !rok || len(l)+len(r) > maxClauses {
				return nil, false
			}
			return append(l, r...), true
		case "&&", "and":
			l, lok := dnf(x.Left)
			r, rok := dnf(x.Right)
			if !lok || !rok || len(l)*len(r) > maxClauses {
				return nil, false
			}
			var out [][]ast.Node
			for _, a := range l {
				for _, b := range r {
					out = append(out, append(slices.Clone(a), b...))
				}
			}
			return out, true
		}
	}
	return [][]ast.Node{{n}}, true
}

// atom is one comparison of a name with constants: amount <= 1000,
// state == 'draft', method in ['a', 'b'], 'treasury' in actor.roles.
type atom struct {
	name  string
	op    string // ==, !=, <, <=, >, >=, in, not in, has
	num   decimal.Decimal
	isNum bool
	strs  []string // the constant(s) as text
	text  string   // as written, for messages
}

// contradiction looks for atoms about one name that cannot all hold.
func (gc *guardContext) contradiction(terms []ast.Node) (bool, string) {
	byName := map[string][]atom{}
	var names []string
	for _, term := range terms {
		a, ok := gc.atomOf(term)
		if !ok {
			continue
		}
		if a.op == "has" {
			if !gc.roles[a.strs[0]] {
				return true, fmt.Sprintf("`%s` cannot hold: no app defines a role %s", a.text, a.strs[0])
			}
			continue
		}
		if _, seen := byName[a.name]; !seen {
			names = append(names, a.name)
		}
		byName[a.name] = append(byName[a.name], a)
	}
	for _, name := range names {
		if never, why := gc.unsatisfiable(name, byName[name]); never {
			return true, why
		}
	}
	return false, ""
}

func (gc *guardContext) atomOf(n ast.Node) (atom, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		if f := gc.e.Field(x.Value); f != nil && isFlag(f) {
			return atom{name: x.Value, op: "==", strs: []string{"true"}, text: x.Value}, true
		}
	case *ast.UnaryNode:
		if x.Operator != "!" && x.Operator != "not" {
			return atom{}, false
		}
		inner, ok := gc.atomOf(x.Node)
		if !ok {
			return atom{}, false
		}
		neg := map[string]string{"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "not in"}[inner.op]
		if neg == "" {
			return atom{}, false
		}
		if f := gc.e.Field(inner.name); f != nil && isFlag(f) && inner.op == "==" {
			// not flag is flag == false.
			inner.strs = []string{map[string]string{"true": "false", "false": "true"}[inner.strs[0]]}
			neg = "=="
		}
		inner.op, inner.text = neg, x.Operator+" "+inner.text
		if x.Operator == "not" {
			inner.text = "not (" + strings.TrimPrefix(inner.text, "not ") + ")"
		}
		return inner, true
	case *ast.BinaryNode:
		text := x.String()
		// 'role' in actor.roles
		if x.Operator == "in" {
			if s, ok := x.Left.(*ast.StringNode); ok && isActorRoles(x.Right) {
				return atom{op: "has", strs: []string{s.Value}, text: text}, true
			}
			id, ok := x.Left.(*ast.IdentifierNode)
			arr, ok2 := x.Right.(*ast.ArrayNode)
			if !ok || !ok2 {
				return atom{}, false
			}
			a := atom{name: id.Value, op: "in", text: text}
			for _, item := range arr.Nodes {
				v, _, ok := constant(item)
				if !ok {
					return atom{}, false
				}
				a.strs = append(a.strs, v)
			}
			return a, true
		}
		flip := map[string]string{"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
		if _, cmp := flip[x.Operator]; !cmp {
			return atom{}, false
		}
		id, lit, op := x.Left, x.Right, x.Operator
		if _, ok := id.(*ast.IdentifierNode); !ok {
			id, lit, op = x.Right, x.Left, flip[x.Operator]
		}
		name, ok := id.(*ast.IdentifierNode)
		if !ok {
			return atom{}, false
		}
		v, num, ok := constant(lit)
		if !ok {
			return atom{}, false
		}
		a := atom{name: name.Value, op: op, strs: []string{v}, text: text}
		if num {
			d, err := decimal.NewFromString(v)
			if err != nil {
				return atom{}, false
			}
			a.num, a.isNum = d, true
		}
		return a, true
	}
	return atom{}, false
}

func isActorRoles(n ast.Node) bool {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return false
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	return ok && ok2 && id.Value == "actor" && prop.Value == "roles"
}

// constant is a literal's value as text, and whether it is a number.
func constant(n ast.Node) (string, bool, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return strconv.Itoa(x.Value), true, true
	case *ast.FloatNode:
		return strconv.FormatFloat(x.Value, 'f', -1, 64), true, true
	case *ast.StringNode:
		return x.Value, false, true
	case *ast.BoolNode:
		return strconv.FormatBool(x.Value), false, true
	case *ast.UnaryNode:
		if x.Operator == "-" {
			if v, num, ok := constant(x.Node); ok && num {
				return "-" + v, true, true
			}
		}
	}
	return "", false, false
}

// unsatisfiable decides whether the atoms about name can all hold together
// with what the definitions say of name.
func (gc *guardContext) unsatisfiable(name string, atoms []atom) (bool, string) {
	var texts []string
	for _, a := range atoms {
		texts = append(texts, "`"+a.text+"`")
	}
	both := strings.Join(texts, " and ")
	if len(texts) > 1 {
		both += " cannot all hold"
	} else {
		both += " cannot hold"
	}
	f := gc.e.Field(name)
	// Finite domains: the state, enum values, true and false.
	var domain []string
	var domainNote string
	switch {
	case name == "state":
		domain, domainNote = gc.from, "the guard is only evaluated in state "+strings.Join(gc.from, ", ")
	case f != nil && f.Is(metamodel.Choice):
		for _, v := range f.Values {
			domain = append(domain, v.Value)
		}
		domainNote = fmt.Sprintf("enum field %s takes only %s", name, strings.Join(domain, ", "))
	case f != nil && isFlag(f):
		domain = []string{"true", "false"}
	}
	numeric := f != nil && metamodel.IsNumber(f)
	for _, a := range atoms {
		if a.isNum {
			numeric = true
		}
	}
	if numeric && domain == nil {
		return gc.numberRange(f, atoms, both)
	}
	// Text or finite: intersect the sets the atoms allow.
	var allowed []string // nil: any value
	limited := false
	if domain != nil {
		allowed, limited = slices.Clone(domain), true
	}
	restrict := func(set []string) {
		if !limited {
			allowed, limited = slices.Clone(set), true
			return
		}
		allowed = slices.DeleteFunc(allowed, func(v string) bool { return !slices.Contains(set, v) })
	}
	var excluded []string
	for _, a := range atoms {
		switch a.op {
		case "==":
			restrict(a.strs)
		case "in":
			restrict(a.strs)
		case "!=":
			excluded = append(excluded, a.strs...)
		case "not in":
			excluded = append(excluded, a.strs...)
		default:
			return false, "" // ordering of text: not analysed
		}
	}
	if !limited {
		return false, ""
	}
	allowed = slices.DeleteFunc(allowed, func(v string) bool { return slices.Contains(excluded, v) })
	if len(allowed) > 0 {
		return false, ""
	}
	if domainNote != "" {
		return true, both + ": " + domainNote
	}
	return true, both
}

// bound is one end of a range of numbers.
type bound struct {
	set    bool
	v      decimal.Decimal
	strict bool
	from   string // what set it
}

// numberRange intersects the ranges the atoms allow with the field's min and
// max.
func (gc *guardContext) numberRange(f *metamodel.Field, atoms []atom, both string) (bool, string) {
	var lo, hi bound
	var limits []string
	if f != nil {
		if d, err := decimal.NewFromString(f.Min); err == nil && f.Min != "" {
			lo = bound{set: true, v: d, from: "min"}
		}
		if d, err := decimal.NewFromString(f.Max); err == nil && f.Max != "" {
			hi = bound{set: true, v: d, from: "max"}
		}
	}
	raiseLo := func(v decimal.Decimal, strict bool) {
		if !lo.set || v.GreaterThan(lo.v) || (v.Equal(lo.v) && strict) {
			lo = bound{set: true, v: v, strict: strict, from: "guard"}
		}
	}
	lowerHi := func(v decimal.Decimal, strict bool) {
		if !hi.set || v.LessThan(hi.v) || (v.Equal(hi.v) && strict) {
			hi = bound{set: true, v: v, strict: strict, from: "guard"}
		}
	}
	var ne []decimal.Decimal
	for _, a := range atoms {
		if !a.isNum {
			return false, ""
		}
		switch a.op {
		case "==":
			raiseLo(a.num, false)
			lowerHi(a.num, false)
		case "<":
			lowerHi(a.num, true)
		case "<=":
			lowerHi(a.num, false)
		case ">":
			raiseLo(a.num, true)
		case ">=":
			raiseLo(a.num, false)
		case "!=":
			ne = append(ne, a.num)
		default:
			return false, ""
		}
	}
	if lo.from == "min" || hi.from == "max" {
		limits = append(limits, limitNote(f))
	}
	empty := lo.set && hi.set && (lo.v.GreaterThan(hi.v) || (lo.v.Equal(hi.v) && (lo.strict || hi.strict)))
	if !empty && lo.set && hi.set && lo.v.Equal(hi.v) {
		empty = slices.ContainsFunc(ne, func(d decimal.Decimal) bool { return d.Equal(lo.v) })
	}
	if !empty {
		return false, ""
	}
	if len(limits) > 0 {
		sort.Strings(limits)
		return true, both + ": " + strings.Join(limits, "; ")
	}
	return true, both
}

func limitNote(f *metamodel.Field) string {
	switch {
	case f.Min != "" && f.Max != "":
		return fmt.Sprintf("field %s is between %s and %s", f.Name, f.Min, f.Max)
	case f.Min != "":
		return fmt.Sprintf("field %s is at least %s", f.Name, f.Min)
	default:
		return fmt.Sprintf("field %s is at most %s", f.Name, f.Max)
	}
}

// upperBound is the largest value guard allows for numeric field name, when
// the guard caps it on every path (a top-level conjunction holding name <= X
// or name < X, or a disjunction whose every side caps it).
func upperBound(guard string, name string) (decimal.Decimal, bool) {
	return guardBound(guard, name, false)
}

// guardBound is the bound guard puts on numeric field name on every path:
// the lowest value it lets through (lower) or the highest (upper). Where
// both sides of && bound the field, the tighter one holds; of ||, the looser.
func guardBound(guard, name string, lower bool) (decimal.Decimal, bool) {
	if guard == "" {
		return decimal.Decimal{}, false
	}
	tree, err := parser.Parse(guard)
	if err != nil {
		return decimal.Decimal{}, false
	}
	return boundOf(tree.Node, name, lower)
}

func boundOf(n ast.Node, name string, lower bool) (decimal.Decimal, bool) {
	tighter, looser := decimal.Min, decimal.Max
	if lower {
		tighter, looser = decimal.Max, decimal.Min
	}
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return decimal.Decimal{}, false
	}
	switch b.Operator {
	case "&&", "and":
		l, lok := boundOf(b.Left, name, lower)
		r, rok := boundOf(b.Right, name, lower)
		switch {
		case lok && rok:
			return tighter(l, r), true
		case lok:
			return l, true
		case rok:
			return r, true
		}
		return decimal.Decimal{}, false
	case "||", "or":
		l, lok := boundOf(b.Left, name, lower)
		r, rok := boundOf(b.Right, name, lower)
		if lok && rok {
			return looser(l, r), true
		}
		return decimal.Decimal{}, false
	}
	gc := &guardContext{e: &metamodel.Entity{}}
	a, ok := gc.atomOf(b)
	if !ok || a.name != name || !a.isNum {
		return decimal.Decimal{}, false
	}
	switch {
	case lower && (a.op == ">=" || a.op == "=="):
		// at or above v: the tier starts just below v.
		return a.num.Sub(decimal.New(1, -2)), true
	case lower && a.op == ">", !lower && (a.op == "<=" || a.op == "<" || a.op == "=="):
		return a.num, true
	}
	return decimal.Decimal{}, false
}

// isFlag reports whether f is a yes-or-no field a user sets (a bool field).
func isFlag(f *metamodel.Field) bool {
	return !f.Computed() && f.Kind != nil && f.Kind.Column(f).Kind == metamodel.ColumnBool
}

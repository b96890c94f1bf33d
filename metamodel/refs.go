package metamodel

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Expressions read the records an entity's ref fields point at through
// refs: `refs.account.controlled`, `refs.project.agency == agency`.
// refs.<ref field> is the referenced record with its fields, id, state,
// created_by, created_at and updated_at, typed as in that entity's own
// expressions (money stays an exact decimal); when the ref is empty every
// member is empty (refs.account.id == 0). The checker knows each member's
// type, so a ref field or member that does not exist is a load problem.
//
// The engine loads the referenced records, by id and without the actor's
// data scope (a rule is the system's check, not the actor's read), for the
// entities whose rules, computed fields, guards, set values or generate
// expressions use refs (RefsUsed), inside the write's transaction.

// RefsName is the name of the referenced records in expressions.
const RefsName = "refs"

// RefsShape is the Go type refs has in one entity's expressions: a struct
// with one member per ref field, each the RecordShape of its target.
type RefsShape struct {
	Entity  *Entity
	typ     reflect.Type
	index   map[string]int
	targets map[string]*RecordShape
	names   []string
}

// NewRefsShape builds the shape of e's refs, or returns nil when e has no
// ref field whose target resolved.
func NewRefsShape(e *Entity) *RefsShape { return newRefsShape(e, MaxRefDepth-1) }

// newRefsShape is the shape of e's refs whose targets show depth more
// records below them.
func newRefsShape(e *Entity, depth int) *RefsShape {
	s := &RefsShape{Entity: e, index: map[string]int{}, targets: map[string]*RecordShape{}}
	var fields []reflect.StructField
	for _, f := range e.Fields {
		if f.Is(RecordRef) && f.Target == nil && f.Entity != "" {
			// The target is misspelt, which is reported at the field; refs
			// of it read as untyped, so that every expression using it does
			// not add a second, misleading problem.
			s.index[f.Name] = len(fields)
			fields = append(fields, reflect.StructField{Name: "X" + f.Name, Type: reflect.TypeOf((*any)(nil)).Elem(), Tag: reflect.StructTag(`expr:"` + f.Name + `"`)})
			continue
		}
		if f.Target == nil {
			continue
		}
		target := targetShape(f.Target, depth)
		s.index[f.Name] = len(fields)
		s.targets[f.Name] = target
		s.names = append(s.names, f.Name)
		fields = append(fields, reflect.StructField{Name: "X" + f.Name, Type: target.typ, Tag: reflect.StructTag(`expr:"` + f.Name + `"`)})
	}
	if len(fields) == 0 {
		return nil
	}
	s.typ = reflect.StructOf(fields)
	return s
}

// Zero is refs with every ref empty: the sample the checker compiles against.
func (s *RefsShape) Zero() any { return reflect.New(s.typ).Elem().Interface() }

// Target is the shape of the record ref field name points at, or nil.
func (s *RefsShape) Target(name string) *RecordShape { return s.targets[name] }

// Value is refs holding records, by ref field name, each a value of its
// Target's shape; refs not in records are empty.
func (s *RefsShape) Value(records map[string]any) any {
	v := reflect.New(s.typ).Elem()
	for name, rec := range records {
		if i, ok := s.index[name]; ok && rec != nil {
			v.Field(i).Set(reflect.ValueOf(rec))
		}
	}
	return v.Interface()
}

// addRefsEnv puts refs in e's expression environment, unless e has no ref
// field or a field of its own called refs.
func addRefsEnv(env map[string]any, e *Entity) {
	if e.Field(RefsName) != nil {
		return
	}
	if s := NewRefsShape(e); s != nil {
		env[RefsName] = s.Zero()
	}
}

// RefsUsed lists, sorted, the ref fields of e whose records e's expressions
// read through refs: in its rules, computed fields, and its workflow's
// guards, set values and generate expressions. A dynamic access
// (refs[name]) reads them all. None: the engine loads nothing.
func RefsUsed(e *Entity) []string {
	if e.Field(RefsName) != nil {
		return nil
	}
	shape := NewRefsShape(e)
	if shape == nil {
		return nil
	}
	var used []string
	for _, p := range entityPrograms(e) {
		names, all := refsRead(p)
		if all {
			return shape.names
		}
		used = mergeNames(used, names...)
	}
	return used
}

// entityPrograms are the compiled expressions that run with e's record:
// its computed fields and rules, and its workflow's guards, set values and
// generate expressions.
func entityPrograms(e *Entity) []*vm.Program {
	var progs []*vm.Program
	for _, f := range e.Fields {
		progs = append(progs, f.Program)
	}
	for _, r := range e.Rules {
		progs = append(progs, r.AssertProgram, r.WhenProgram)
	}
	if w := e.Workflow; w != nil {
		for _, t := range w.Transitions {
			progs = append(progs, t.GuardProgram)
			for _, p := range t.SetPrograms {
				progs = append(progs, p)
			}
			for _, g := range t.Generate {
				progs = append(progs, g.CountProgram, g.WhenProgram)
				for _, p := range g.SetPrograms {
					progs = append(progs, p)
				}
			}
		}
	}
	return progs
}

// refsRead lists the ref fields a program reads through refs; all is true
// when it reads refs other than as refs.name.
func refsRead(p *vm.Program) (names []string, all bool) {
	if p == nil {
		return nil, false
	}
	uses, members := 0, 0
	ast.Find(p.Node(), func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			if x.Value == RefsName {
				uses++
			}
		case *ast.MemberNode:
			if id, ok := x.Node.(*ast.IdentifierNode); ok && id.Value == RefsName {
				if s, ok := x.Property.(*ast.StringNode); ok {
					members++
					names = mergeNames(names, s.Value)
				}
			}
		}
		return false
	})
	return names, uses > members
}

// usesRefs reports whether a program reads refs at all.
func usesRefs(p *vm.Program) bool {
	names, all := refsRead(p)
	return all || len(names) > 0
}

// checkRefsUse refuses refs where the engine does not load the referenced
// records: in a draw's when, a schedule's when and a block's when, which run
// over records read in bulk.
func checkRefsUse(p *Project, ps *Problems) {
	refuse := func(prog *vm.Program, pos Pos, what string) {
		if usesRefs(prog) {
			ps.Addf(pos, "%s: refs cannot be used here; the records refs points at are read for rules, computed fields and workflow guards, set and generate", what)
		}
	}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			for i, d := range e.Draws {
				refuse(d.WhenProgram, d.At["when"], fmt.Sprintf("entity %s: draw %d: when", e.Name, i+1))
			}
			for i, b := range e.Blocks {
				refuse(b.WhenProgram, b.At["when"], fmt.Sprintf("entity %s: blocks %d: when", e.Name, i+1))
			}
		}
		for _, s := range a.Schedules {
			refuse(s.WhenProgram, s.At["when"], "schedule "+s.Name+": when")
			for _, name := range sortedKeys(s.SetPrograms) {
				refuse(s.SetPrograms[name], itemPos(s.At, "set", name), "schedule "+s.Name+": set "+name)
			}
		}
	}
}

var (
	structHasNoField = regexp.MustCompile(`type (struct \{.*\}) has no field (\w+)`)
	noRefs           = regexp.MustCompile(`unknown name refs\b`)
)

// refsError rewrites expr's "type struct {…} has no field x" about refs in
// the words of the definition: which ref field or member does not exist,
// and the nearest one that does.
func refsError(msg string, env map[string]any) string {
	zero, ok := env[RefsName]
	if !ok {
		if noRefs.MatchString(msg) {
			msg += "; refs reads the records the entity's ref fields point at, and it has no ref field"
		}
		return msg
	}
	m := structHasNoField.FindStringSubmatchIndex(msg)
	if m == nil {
		return pathError(msg)
	}
	typ, name := msg[m[2]:m[3]], msg[m[4]:m[5]]
	refsType := reflect.TypeOf(zero)
	if typ == goTypeNames.Replace(refsType.String()) {
		var refs []string
		for i := 0; i < refsType.NumField(); i++ {
			refs = append(refs, strings.TrimPrefix(refsType.Field(i).Name, "X"))
		}
		sort.Strings(refs)
		return msg[:m[0]] + fmt.Sprintf("refs has no ref field %s (the ref fields are %s)", name, strings.Join(refs, ", ")) + msg[m[1]:] + suggest(name, refs)
	}
	// Records reached through refs, at any depth; two ref fields to one
	// entity share a type: name them all.
	var refs, members []string
	var walk func(t reflect.Type, path string, depth int)
	walk = func(t reflect.Type, path string, depth int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sf.Type.Kind() != reflect.Struct {
				continue
			}
			p := path + "." + strings.TrimPrefix(sf.Name, "X")
			if typ == goTypeNames.Replace(sf.Type.String()) {
				refs = append(refs, p)
				members = members[:0]
				for j := 0; j < sf.Type.NumField(); j++ {
					members = append(members, strings.TrimPrefix(sf.Type.Field(j).Name, "X"))
				}
			}
			if nested, ok := sf.Type.FieldByName("X" + RefsName); ok && depth < MaxRefDepth {
				walk(nested.Type, p+"."+RefsName, depth+1)
			}
		}
	}
	walk(refsType, RefsName, 1)
	if len(refs) == 0 {
		return msg
	}
	hint := suggest(name, members)
	switch {
	case name == RefsName:
		hint = fmt.Sprintf(" (paths through references go at most %d records deep)", MaxRefDepth)
	case name == BalanceName:
		hint = " (only an account, an entity with balance:, has balance figures)"
	}
	return msg[:m[0]] + fmt.Sprintf("%s has no field %s", strings.Join(refs, " / "), name) + msg[m[1]:] + hint
}

var (
	balanceHasNoField = regexp.MustCompile(`type metamodel\.BalanceFigures has no field (\w+)`)
	intHasNoField     = regexp.MustCompile(`type int has no field (\w+)`)
)

// pathError explains members read from what is not a record: a ref field's
// id, or balance figures.
func pathError(msg string) string {
	if m := balanceHasNoField.FindStringSubmatchIndex(msg); m != nil {
		name := msg[m[2]:m[3]]
		figures := []string{"approved", "reserved", "consumed", "frozen", "available"}
		return msg[:m[0]] + fmt.Sprintf("balance has no figure %s (figures: %s)", name, strings.Join(figures, ", ")) + msg[m[1]:] + suggest(name, figures)
	}
	if intHasNoField.MatchString(msg) {
		return msg + fmt.Sprintf("; a ref field of a referenced record holds the id of the record it points at: read that record through refs, as in refs.order.refs.party.name (at most %d records deep)", MaxRefDepth)
	}
	return msg
}

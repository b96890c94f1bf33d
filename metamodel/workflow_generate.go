package metamodel

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/vm"
)

// A transition may generate records when it fires, in its own transaction:
//
//	generate:
//	  - entity: line                       # one line per active member of the batch's group
//	    from: {entity: member, where: "group_code = $group_code and active = true"}
//	    set: {batch: "parent.id", member: "src.id", amount: "src.rate"}
//	  - entity: instalment                 # one instalment per year of the term
//	    count: "term_years"
//	    set: {contract: "parent.id", seq: "i", principal: "i == n ? parent.principal : dec(0)"}
//	  - entity: alert                      # one alert, only when the condition holds
//	    when: "amount > 50000"
//	    set: {order: "parent.id", level: "'high'"}
//
// Expressions see the firing record after the transition's own set as
// parent (and its fields by name, as in its rules, and actor); with from,
// the source record as src; with count, i (1..n) and n. The generated
// records go through the normal create path (engine/generate.go).

// MaxGenerated is the most records one transition may generate; above it
// the transition is refused, so that a filter matching a whole table cannot
// hold a transaction open for minutes.
const MaxGenerated = 10000

// GenerateAction is one kind of record a transition generates.
type GenerateAction struct {
	Pos    Pos
	At     map[string]Pos
	Entity string            `yaml:"entity" desc:"The entity of the generated records (of this app, or app.entity)."`
	From   *GenerateFrom     `yaml:"from" desc:"One record per source record: {entity, where}; expressions see the source record as src."`
	Count  string            `yaml:"count" desc:"An int expression over the firing record: one record for each i = 1..n; expressions see i and n."`
	When   string            `yaml:"when" desc:"Generate only where this expression is true (for each source record, or each i, when given)."`
	Set    map[string]string `yaml:"set" desc:"Fields of each generated record, each from an expression over parent (the firing record), src, i and n."`
	Unless string            `yaml:"unless" desc:"A filter on the generated entity; where a record matches it, that record is not generated again (a warning raised before). $name is the value being set for field name."`

	// Resolved by the checker.
	Target       *Entity                `yaml:"-"`
	Source       *Entity                `yaml:"-"`
	ParentShape  *RecordShape           `yaml:"-"`
	SourceShape  *RecordShape           `yaml:"-"`
	CountProgram *vm.Program            `yaml:"-"`
	WhenProgram  *vm.Program            `yaml:"-"`
	SetPrograms  map[string]*vm.Program `yaml:"-"`
	// Params are the $names of From.Where: fields of the firing record.
	Params []string `yaml:"-"`
	// UnlessParams are the $names of Unless: fields being set.
	UnlessParams []string `yaml:"-"`
}

// GenerateFrom names the source records of a generate action.
type GenerateFrom struct {
	Pos    Pos
	At     map[string]Pos
	Entity string `yaml:"entity" desc:"The entity of the source records (of this app, or app.entity)."`
	Where  string `yaml:"where" desc:"Which source records, in the filter language (docs/filter.md); $name is the firing record's field name."`
}

// GenerateEnv is the environment of g's expressions on workflow w:
// the firing record's fields by name, actor, parent, and src, i and n when
// g has from or count. The names parent, src, i and n hide fields so called
// (write parent.field for those).
func GenerateEnv(g *GenerateAction, w *Workflow, withIndex bool) map[string]any {
	env := Env(w.Target, true)
	if g.ParentShape != nil {
		env["parent"] = g.ParentShape.Zero()
	}
	if g.SourceShape != nil {
		env["src"] = g.SourceShape.Zero()
	}
	if withIndex && g.Count != "" {
		env["i"], env["n"] = 0, 0
	}
	return env
}

// Label names the action in messages: the generated entity's title.
func (g *GenerateAction) Label() string {
	if g.Target != nil {
		return g.Target.Label()
	}
	return g.Entity
}

// checkGenerates checks every transition's generate actions. It runs once
// workflows are bound to their entities and rollups resolved.
func checkGenerates(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, w := range a.Workflows {
			if w.Target == nil {
				continue
			}
			for _, t := range w.Transitions {
				for i, g := range t.Generate {
					checkGenerate(p, a, w, t, g, fmt.Sprintf("workflow %s: transition %s: generate %d", w.Name, t.Event, i+1), ps)
				}
			}
		}
	}
}

// generateParamNames are the system fields a from filter may take as $name.
var generateParamNames = []string{"id", "state", "created_by"}

func checkGenerate(p *Project, a *App, w *Workflow, t *Transition, g *GenerateAction, where string, ps *Problems) {
	pos := func(key string) Pos {
		if at, ok := g.At[key]; ok {
			return at
		}
		return g.Pos
	}
	if g.Entity == "" {
		ps.Addf(g.Pos, "%s needs entity: the entity of the generated records", where)
		return
	}
	if g.Target = p.Entity(a, g.Entity); g.Target == nil {
		ps.Addf(pos("entity"), "%s: entity %q does not exist%s", where, g.Entity, entityHint(p, a, g.Entity))
		return
	}
	where += " (" + g.Target.Name + ")"
	if g.From != nil && g.Count != "" {
		ps.Addf(pos("count"), "%s: give from or count, not both", where)
	}
	g.ParentShape = NewRecordShape(w.Target)
	shapes := map[string]*RecordShape{"parent": g.ParentShape}
	fromPos := func(f *GenerateFrom, key string) Pos {
		if at, ok := f.At[key]; ok {
			return at
		}
		return pos("from")
	}
	if f := g.From; f != nil {
		switch {
		case f.Entity == "":
			ps.Addf(pos("from"), "%s: from needs entity: the entity of the source records", where)
		case p.Entity(a, f.Entity) == nil:
			ps.Addf(fromPos(f, "entity"), "%s: from: entity %q does not exist%s", where, f.Entity, entityHint(p, a, f.Entity))
		default:
			g.Source = p.Entity(a, f.Entity)
			g.SourceShape = NewRecordShape(g.Source)
			shapes["src"] = g.SourceShape
		}
		g.Params = FilterParams(f.Where)
		for _, name := range g.Params {
			if w.Target.Field(name) == nil && !slices.Contains(generateParamNames, name) {
				ps.Addf(fromPos(f, "where"), "%s: from: where uses $%s, but %s has no field %s%s", where, name, w.Target.Name, name, suggest(name, append(fieldNames(w.Target), generateParamNames...)))
			}
		}
	}
	if g.Count != "" {
		env := GenerateEnv(g, w, false)
		prog, err := CompileValue(g.Count, env)
		switch {
		case err != nil:
			ps.Addf(pos("count"), "%s: count does not compile: %s", where, shapeError(err, env, shapes))
		case !isIntType(prog.Node().Type()):
			ps.Addf(pos("count"), "%s: count must give an int, not %s", where, typeName(prog.Node().Type()))
		default:
			g.CountProgram = prog
		}
	}
	env := GenerateEnv(g, w, true)
	if g.When != "" {
		if prog, err := CompileBool(g.When, env); err != nil {
			ps.Addf(pos("when"), "%s: when does not compile: %s", where, shapeError(err, env, shapes))
		} else {
			g.WhenProgram = prog
		}
	}
	if len(g.Set) == 0 {
		ps.Addf(g.Pos, "%s needs set: the fields of the generated records", where)
	}
	names := make([]string, 0, len(g.Set))
	for name := range g.Set {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		at := itemPos(g.At, "set", name)
		f := g.Target.Field(name)
		switch {
		case f == nil:
			ps.Addf(at, "%s: set names field %q, which %s does not have%s", where, name, g.Target.Name, suggest(name, fieldNames(g.Target)))
			continue
		case f.Computed():
			ps.Addf(at, "%s: set names %s field %s, which the platform computes", where, f.Type, name)
			continue
		case f.Kind == nil:
			continue
		}
		prog, err := CompileValue(g.Set[name], env)
		if err != nil {
			ps.Addf(at, "%s: set %s does not compile: %s", where, name, shapeError(err, env, shapes))
			continue
		}
		want := reflect.TypeOf(f.Kind.Zero(f))
		if got := prog.Node().Type(); got != nil && want != nil && got.Kind() != reflect.Interface && !compatible(got, want) {
			ps.Addf(at, "%s: set %s gives %s, but field %s is %s", where, name, typeName(got), name, f.Type)
			continue
		}
		if g.SetPrograms == nil {
			g.SetPrograms = map[string]*vm.Program{}
		}
		g.SetPrograms[name] = prog
	}
	var missing []string
	for _, f := range g.Target.Fields {
		if f.Required && f.Default == nil && !f.Computed() && g.Set[f.Name] == "" {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		ps.Addf(g.Pos, "%s: required fields of %s have no default and are not set: %s", where, g.Target.Name, strings.Join(missing, ", "))
	}
	if g.Unless != "" {
		g.UnlessParams = FilterParams(g.Unless)
		for _, name := range g.UnlessParams {
			if _, set := g.Set[name]; !set {
				ps.Addf(pos("unless"), "%s: unless uses $%s, but set gives no value for field %s", where, name, name)
			}
		}
	}
}

// isIntType reports whether t is an int type, or unknown until run time.
func isIntType(t reflect.Type) bool {
	return t == nil || t.Kind() == reflect.Interface || (t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64)
}

package metamodel

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Schedules are rules the platform runs by itself on an interval: it looks at
// the records of an entity that a filter selects, keeps those an expression
// holds for, and creates a record (a warning, a reminder) for each, unless a
// matching one exists already; it may also set fields of the record, fire an
// event of it, and close what it created once the condition clears
// (create: resolve). `growth serve` runs each schedule every `every`;
// `growth run-rules` runs them once.

// MinScheduleInterval is the shortest every a schedule may have: a rule that
// must run more often than once a minute is a record rule, not a schedule.
const MinScheduleInterval = time.Minute

// Schedule is one scheduled rule.
type Schedule struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Title   string            `yaml:"title" desc:"Label (zh-CN), shown in run reports."`
	Every   string            `yaml:"every" desc:"How often growth serve runs it: a duration such as 24h, 1h30m or 15m (at least 1m); the first run is one interval after the server starts."`
	Entity  string            `yaml:"entity" desc:"The entity whose records the rule looks at."`
	Where   string            `yaml:"where" desc:"Which records to look at, in the filter language (docs/filter.md), run as SQL, e.g. state = 'allocated'."`
	When    string            `yaml:"when" desc:"An expression over the record's fields (like a rule's), checked per record; the rule matches where it is true. Optional."`
	Create  *ScheduleCreate   `yaml:"create" desc:"The record created for every match: {entity, set, unless, resolve}."`
	Set     map[string]string `yaml:"set" desc:"Fields of the matched record changed on every match, each from an expression over its fields and today (a late fee: amount * 0.05); written as an update by the platform, only when a value changes."`
	Fire    string            `yaml:"fire" desc:"An event of the matched record's workflow fired on every match by the platform (mark a notice overdue); a record whose state has no such event is skipped."`

	// Resolved by the checker.
	App         *App                   `yaml:"-"`
	Interval    time.Duration          `yaml:"-"`
	Target      *Entity                `yaml:"-"`
	WhenProgram *vm.Program            `yaml:"-"`
	SetPrograms map[string]*vm.Program `yaml:"-"`
}

// ScheduleCreate is the record a schedule creates for each match.
type ScheduleCreate struct {
	Pos     Pos
	At      map[string]Pos
	Entity  string            `yaml:"entity" desc:"The entity of the created records (of this app, or app.entity)."`
	Set     map[string]string `yaml:"set" desc:"Fields of the new record, each from an expression over src (the matched record: src.id, src.project), today and literals ('open')."`
	Unless  string            `yaml:"unless" desc:"A filter on the created entity; where a record matches it, nothing is created (the warning exists already). $name is the value being set for field name."`
	Resolve *ScheduleResolve  `yaml:"resolve" desc:"What happens to the records unless finds once the condition clears (where selects the record but when no longer holds): {fire: event}."`

	// Resolved by the checker.
	Target      *Entity                `yaml:"-"`
	SetPrograms map[string]*vm.Program `yaml:"-"`
	// Params are the $names unless uses, sorted.
	Params []string `yaml:"-"`
}

// ScheduleResolve closes what a schedule created once its condition clears.
type ScheduleResolve struct {
	Pos  Pos
	At   map[string]Pos
	Fire string `yaml:"fire" desc:"The event fired on each record unless finds (a warning's close), by the platform."`
}

// QualifiedName is "app.schedule".
func (s *Schedule) QualifiedName() string { return s.App.Name + "." + s.Name }

// Label is the schedule's title, or its name.
func (s *Schedule) Label() string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}

// ScheduleSetEnv is the environment of a schedule's set expressions: src, the
// record matched, today, and the rule functions.
func ScheduleSetEnv(s *Schedule, src *RecordShape) map[string]any {
	env := map[string]any{"today": time.Time{}, "src": src.Zero()}
	if s.App != nil && s.App.project != nil {
		for name, fn := range s.App.project.Functions() {
			env[name] = fn
		}
	}
	return env
}

var paramPattern = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// FilterParams lists, sorted and once each, the $names a filter uses outside
// its quoted strings.
func FilterParams(src string) []string {
	var out []string
	for _, m := range paramPattern.FindAllStringSubmatch(withoutQuoted(src), -1) {
		out = mergeNames(out, m[1])
	}
	return out
}

func checkSchedule(p *Project, a *App, s *Schedule, ps *Problems) {
	checkName("schedule", s.Name, s.NamePos, ps)
	where := "schedule " + s.Name
	switch d, err := time.ParseDuration(strings.TrimSpace(s.Every)); {
	case s.Every == "":
		ps.Addf(s.NamePos, "%s: every is missing: how often it runs, such as 24h", where)
	case err != nil:
		ps.Addf(s.At["every"], "%s: every must be a duration such as 24h, 1h30m or 15m (no d: write 24h for a day), got %q", where, s.Every)
	case d < MinScheduleInterval:
		ps.Addf(s.At["every"], "%s: every is %s; a schedule runs at most once a minute", where, d)
	default:
		s.Interval = d
	}
	if s.Entity == "" {
		ps.Addf(s.NamePos, "%s: entity is missing: the entity whose records the rule looks at", where)
	} else if s.Target = p.Entity(a, s.Entity); s.Target == nil {
		ps.Addf(s.At["entity"], "%s: entity %q does not exist%s", where, s.Entity, entityHint(p, a, s.Entity))
	}
	if s.Target != nil && s.When != "" {
		env := Env(s.Target, false)
		if prog, err := CompileBool(s.When, env); err != nil {
			ps.Addf(s.At["when"], "%s: when does not compile: %s", where, exprError(err, env))
		} else {
			s.WhenProgram = prog
		}
	}
	checkScheduleActions(s, ps)
	c := s.Create
	if c == nil {
		if len(s.Set) == 0 && s.Fire == "" {
			ps.Addf(s.NamePos, "%s: give what it does on every match: create (a record), set (fields of the record) or fire (an event of the record)", where)
		}
		return
	}
	if c.Entity == "" {
		ps.Addf(c.Pos, "%s: create: entity is missing", where)
		return
	}
	if c.Target = p.Entity(a, c.Entity); c.Target == nil {
		ps.Addf(c.At["entity"], "%s: create: entity %q does not exist%s", where, c.Entity, entityHint(p, a, c.Entity))
		return
	}
	if len(c.Set) == 0 {
		ps.Addf(c.Pos, "%s: create: set is missing: the fields of the new record", where)
	}
	var env map[string]any
	var shapes map[string]*RecordShape
	if s.Target != nil {
		src := NewRecordShape(s.Target)
		env, shapes = ScheduleSetEnv(s, src), map[string]*RecordShape{"src": src}
	}
	names := make([]string, 0, len(c.Set))
	for name := range c.Set {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pos := itemPos(c.At, "set", name)
		f := c.Target.Field(name)
		switch {
		case f == nil:
			ps.Addf(pos, "%s: create: set names field %q, which entity %s does not have%s", where, name, c.Target.Name, suggest(name, fieldNames(c.Target)))
			continue
		case f.Computed():
			ps.Addf(pos, "%s: create: set names %s field %s, which the platform computes", where, f.Type, name)
			continue
		case f.Readonly:
			ps.Addf(pos, "%s: create: set names readonly field %s; records are created through the normal create path, which refuses readonly fields (make it read-only for users with a role's fields: readonly instead)", where, name)
			continue
		}
		if env == nil {
			continue
		}
		prog, err := CompileValue(c.Set[name], env)
		if err != nil {
			ps.Addf(pos, "%s: create: set %s does not compile: %s", where, name, shapeError(err, env, shapes))
			continue
		}
		if c.SetPrograms == nil {
			c.SetPrograms = map[string]*vm.Program{}
		}
		c.SetPrograms[name] = prog
	}
	if c.Unless != "" {
		c.Params = FilterParams(c.Unless)
		for _, name := range c.Params {
			if _, set := c.Set[name]; !set {
				ps.Addf(c.At["unless"], "%s: create: unless uses $%s, but set gives no value for field %s%s", where, name, name, suggest(name, names))
			}
		}
	}
	for _, f := range c.Target.Fields {
		if f.Required && f.Default == nil && !f.Computed() && !slices.Contains(names, f.Name) {
			ps.Addf(c.Pos, "%s: create: required field %s of %s has no default and is not set", where, f.Name, c.Target.Name)
		}
	}
	if r := c.Resolve; r != nil {
		switch {
		case c.Unless == "":
			ps.Addf(r.Pos, "%s: create: resolve acts on the records unless finds; give unless", where)
		case r.Fire == "":
			ps.Addf(r.Pos, "%s: create: resolve: fire is missing: the event that closes a created record", where)
		default:
			checkEvent(c.Target, r.Fire, r.At["fire"], where+": create: resolve: fire", ps)
		}
	}
}

// checkScheduleActions checks a schedule's set and fire, which act on the
// matched record itself.
func checkScheduleActions(s *Schedule, ps *Problems) {
	where := "schedule " + s.Name
	if s.Target == nil {
		return
	}
	if s.Fire != "" {
		checkEvent(s.Target, s.Fire, s.At["fire"], where+": fire", ps)
	}
	if len(s.Set) == 0 {
		return
	}
	env := Env(s.Target, false)
	for _, name := range sortedKeys(s.Set) {
		pos := itemPos(s.At, "set", name)
		f := s.Target.Field(name)
		switch {
		case f == nil:
			ps.Addf(pos, "%s: set names field %q, which entity %s does not have%s", where, name, s.Target.Name, suggest(name, fieldNames(s.Target)))
			continue
		case f.Computed():
			ps.Addf(pos, "%s: set names %s field %s, which the platform computes", where, f.Type, name)
			continue
		case f.Readonly:
			ps.Addf(pos, "%s: set names readonly field %s; records are changed through the normal update path, which refuses readonly fields", where, name)
			continue
		}
		prog, err := CompileValue(s.Set[name], env)
		if err != nil {
			ps.Addf(pos, "%s: set %s does not compile: %s", where, name, exprError(err, env))
			continue
		}
		if s.SetPrograms == nil {
			s.SetPrograms = map[string]*vm.Program{}
		}
		s.SetPrograms[name] = prog
	}
}

// checkEvent checks that event is an event of e's workflow.
func checkEvent(e *Entity, event string, pos Pos, what string, ps *Problems) {
	if e.Workflow == nil {
		ps.Addf(pos, "%s: entity %s has no workflow, so no event to fire", what, e.Name)
		return
	}
	var events []string
	for _, t := range e.Workflow.Transitions {
		if !slices.Contains(events, t.Event) {
			events = append(events, t.Event)
		}
	}
	if !slices.Contains(events, event) {
		ps.Addf(pos, "%s: %q is not an event of workflow %s (events: %s)%s", what, event, e.Workflow.Name, strings.Join(events, ", "), suggest(event, events))
	}
}

package metamodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/vm"
)

// Block makes records of an entity stop events of the records they point
// at: while a record exists whose ref field Ref names a record, and for which
// When holds, the listed events of that record's workflow are refused.
//
//	alert:
//	  blocks:
//	    - {ref: order, events: [sign, send], when: "level == 'high' && state != 'closed'", message: 存在未处理的高等级提示，不能发送}
//
// The engine checks it inside the event's transaction (engine/blocks.go).
type Block struct {
	Pos     Pos
	At      map[string]Pos
	Ref     string   `yaml:"ref" desc:"The ref field naming the record whose events are blocked; its entity must have a workflow."`
	Events  []string `yaml:"events" desc:"The events of that record's workflow refused while a blocking record exists."`
	When    string   `yaml:"when" desc:"Which records of this entity block: an expression over their fields, such as level == 'high' && state != 'closed'; default: every record pointing at it."`
	Message string   `yaml:"message" desc:"What the user is told (zh-CN); the blocking record is named after it, as (提示 #7)."`

	// Resolved by the checker.
	Owner       *Entity     `yaml:"-"`
	RefField    *Field      `yaml:"-"`
	Target      *Entity     `yaml:"-"`
	WhenProgram *vm.Program `yaml:"-"`
}

// checkBlocks checks every entity's blocks. It runs once workflows are bound
// to their entities, since the events blocked are those of the target's.
func checkBlocks(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			for i, b := range e.Blocks {
				checkBlock(e, b, fmt.Sprintf("entity %s: blocks %d", e.Name, i+1), ps)
			}
		}
	}
}

func checkBlock(e *Entity, b *Block, where string, ps *Problems) {
	b.Owner = e
	pos := func(key string) Pos {
		if at, ok := b.At[key]; ok {
			return at
		}
		return b.Pos
	}
	if b.Message == "" {
		ps.Addf(b.Pos, "%s needs a message for the user", where)
	}
	if b.When != "" {
		env := Env(e, false)
		if prog, err := CompileBool(b.When, env); err != nil {
			ps.Addf(pos("when"), "%s: when does not compile: %s", where, exprError(err, env))
		} else {
			b.WhenProgram = prog
		}
	}
	f := e.Field(b.Ref)
	switch {
	case b.Ref == "":
		ps.Addf(b.Pos, "%s needs ref: the ref field naming the record whose events are blocked", where)
		return
	case f == nil:
		ps.Addf(pos("ref"), "%s: ref names %q, which is not a field of %s%s", where, b.Ref, e.Name, suggest(b.Ref, fieldNames(e)))
		return
	case !f.Is(RecordRef):
		ps.Addf(pos("ref"), "%s: ref names %s field %s; it must be a ref field", where, f.Type, f.Name)
		return
	case f.Target == nil:
		return
	}
	b.RefField, b.Target = f, f.Target
	w := f.Target.Workflow
	if w == nil {
		ps.Addf(pos("ref"), "%s: %s has no workflow, so there are no events to block", where, f.Target.Name)
		return
	}
	if len(b.Events) == 0 {
		ps.Addf(b.Pos, "%s needs events: the events of workflow %s it refuses", where, w.Name)
	}
	var events []string
	for _, t := range w.Transitions {
		if !slices.Contains(events, t.Event) {
			events = append(events, t.Event)
		}
	}
	for i, ev := range b.Events {
		if !slices.Contains(events, ev) {
			ps.Addf(itemPos(b.At, "events", i), "%s: %q is not an event of workflow %s (%s)%s", where, ev, w.Name, strings.Join(events, ", "), suggest(ev, events))
		}
	}
}

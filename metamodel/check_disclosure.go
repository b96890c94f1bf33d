package metamodel

import (
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Warnings are what loads and runs but an implementer should look at: the
// definitions are valid, growth check prints them (file:line:col: warning:
// …) and still succeeds.
//
// checkDisclosure warns when a computed field a role may read is computed
// from fields hidden from that role: its value reveals theirs (a total of
// deductions shown to a role from which each deduction is hidden tells that
// role their sum; a field equal to a hidden one tells it outright). Only
// direct reads are reported: a visible computed field that reads another
// visible one is covered by the warning on that one.
func checkDisclosure(p *Project) []Problem {
	var out []Problem
	warn := func(f *Field, r *Role, e *Entity, what string, read []string) {
		pos := f.Pos
		if at, ok := f.At["expr"]; ok && f.Program != nil {
			pos = at
		} else if at, ok := f.At["field"]; ok && RollupOf(f) != nil {
			pos = at
		}
		out = append(out, Problem{Pos: pos, Message: "role " + r.Name + " may read " + e.Name + "." + f.Name + ", " + what + " (" +
			strings.Join(read, ", ") + "), so its value reveals them; hide " + f.Name + " from " + r.Name + " too, or accept the disclosure"})
	}
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			hidden := map[*Entity][]string{}
			for _, fr := range r.Fields {
				if e := p.Entity(a, fr.Name); e != nil {
					hidden[e] = append(hidden[e], fr.Hidden...)
				}
			}
			if len(hidden) == 0 {
				continue
			}
			for _, g := range r.Can {
				e := p.Entity(a, g.Name)
				if e == nil || !slices.Contains(g.Actions, "read") {
					continue
				}
				for _, f := range e.Fields {
					if slices.Contains(hidden[e], f.Name) {
						continue
					}
					var read []string
					for _, name := range FieldsRead(f) {
						if name != f.Name && slices.Contains(hidden[e], name) {
							read = append(read, name)
						}
					}
					if len(read) > 0 {
						warn(f, r, e, "computed from fields hidden from it", read)
					}
					// A sum (or min, max) of a field hidden from the role on the
					// records aggregated reveals it too.
					if ru := RollupOf(f); ru != nil && ru.Of != nil && slices.Contains(hidden[ru.Child], ru.Of.Name) {
						warn(f, r, e, "an aggregate of a field of "+ru.Child.Name+" hidden from it", []string{ru.Child.Name + "." + ru.Of.Name})
					}
				}
			}
		}
	}
	sortProblems(out)
	return out
}

// FieldsRead lists the fields of its entity a computed field's expression
// reads directly, sorted and without repeats (nil before the checker
// compiled it).
func FieldsRead(f *Field) []string {
	if f.Program == nil || f.Owner == nil {
		return nil
	}
	seen := map[string]bool{}
	ast.Find(f.Program.Node(), func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok {
			seen[id.Value] = true
		}
		return false
	})
	out := make([]string, 0, len(seen))
	for name := range seen {
		if f.Owner.Field(name) != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

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
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			for _, fr := range r.Fields {
				e := p.Entity(a, fr.Name)
				if e == nil || len(fr.Hidden) == 0 || !roleReads(p, a, r, e) {
					continue
				}
				for _, f := range e.Fields {
					if f.Type != "computed" || f.Program == nil || slices.Contains(fr.Hidden, f.Name) {
						continue
					}
					var read []string
					for _, name := range FieldsRead(f) {
						if name != f.Name && slices.Contains(fr.Hidden, name) {
							read = append(read, name)
						}
					}
					if len(read) == 0 {
						continue
					}
					pos := f.Pos
					if at, ok := f.At["expr"]; ok {
						pos = at
					}
					out = append(out, Problem{Pos: pos, Message: "role " + r.Name + " may read " + e.Name + "." + f.Name + ", computed from fields hidden from it (" +
						strings.Join(read, ", ") + "), so its value reveals them; hide " + f.Name + " from " + r.Name + " too, or accept the disclosure"})
				}
			}
		}
	}
	sortProblems(out)
	return out
}

// roleReads reports whether role r (of app a) may read entity e.
func roleReads(p *Project, a *App, r *Role, e *Entity) bool {
	for _, g := range r.Can {
		if p.Entity(a, g.Name) == e && slices.Contains(g.Actions, "read") {
			return true
		}
	}
	return false
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

package metamodel

import (
	"fmt"
	"slices"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Code functions read the project's code sets from expressions, so that rules
// can follow the basic-data standard's own mappings:
//
//	code_attr("dept_econ", dept_econ, "gov_econ") == gov_econ   // the mapping between classifications
//	code_under("func_class", func_class, "205")                  // 教育支出 and below
//	code_name("agency", agency), code_level("func_class", func_class), code_leaf(…)
//
// The code set (and attribute) named must be a string literal, checked at load.
var codeFunctionNames = []string{"code_attr", "code_name", "code_under", "code_level", "code_leaf"}

// Functions are the project's own expression functions, present in every
// entity's environment (the engine adds the same map at run time).
func (p *Project) Functions() map[string]any {
	p.functionsOnce.Do(func() {
		node := func(set, code string) *CodeNode {
			if cs := p.codeSets[set]; cs != nil {
				return cs.Lookup(code)
			}
			return nil
		}
		p.functions = map[string]any{
			"code_attr": func(set, code, attr string) string {
				if n := node(set, code); n != nil {
					return n.Attrs[attr]
				}
				return ""
			},
			"code_name": func(set, code string) string {
				if n := node(set, code); n != nil {
					return n.Name
				}
				return ""
			},
			"code_under": func(set, code, ancestor string) bool {
				for n := node(set, code); n != nil; n = n.Parent {
					if n.Code.Code == ancestor {
						return true
					}
				}
				return false
			},
			"code_level": func(set, code string) int {
				if n := node(set, code); n != nil {
					return n.Level
				}
				return 0
			},
			"code_leaf": func(set, code string) bool {
				n := node(set, code)
				return n != nil && n.Leaf()
			},
		}
	})
	return p.functions
}

// checkCodeCalls reports code function calls whose code set or attribute is
// not a literal naming something that exists.
func checkCodeCalls(p *Project, prog *vm.Program) error {
	var problem error
	ast.Find(prog.Node(), func(n ast.Node) bool {
		call, ok := n.(*ast.CallNode)
		if !ok || problem != nil {
			return false
		}
		id, ok := call.Callee.(*ast.IdentifierNode)
		if !ok || !slices.Contains(codeFunctionNames, id.Value) || len(call.Arguments) == 0 {
			return false
		}
		set, ok := call.Arguments[0].(*ast.StringNode)
		if !ok {
			problem = fmt.Errorf("%s: the code set must be written as a quoted name, such as \"func_class\"", id.Value)
			return true
		}
		cs := p.codeSets[set.Value]
		if cs == nil {
			problem = fmt.Errorf("%s: code set %q does not exist%s", id.Value, set.Value, suggest(set.Value, codeSetNames(p)))
			return true
		}
		if id.Value == "code_attr" && len(call.Arguments) == 3 {
			attr, ok := call.Arguments[2].(*ast.StringNode)
			if !ok {
				problem = fmt.Errorf("code_attr: the attribute must be written as a quoted name")
				return true
			}
			if !slices.ContainsFunc(cs.Attributes, func(a *CodeAttr) bool { return a.Name == attr.Value }) &&
				(cs.Base == nil || !slices.ContainsFunc(cs.Base.Attributes, func(a *CodeAttr) bool { return a.Name == attr.Value })) {
				problem = fmt.Errorf("code_attr: code set %s has no attribute %q", set.Value, attr.Value)
				return true
			}
		}
		return false
	})
	return problem
}

// checkCodeCallsAll runs checkCodeCalls over every compiled expression of the
// project's entities and workflows.
func checkCodeCallsAll(p *Project, ps *Problems) {
	check := func(prog *vm.Program, pos Pos, what string) {
		if prog == nil {
			return
		}
		if err := checkCodeCalls(p, prog); err != nil {
			ps.Addf(pos, "%s: %v", what, err)
		}
	}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			for _, f := range e.Fields {
				check(f.Program, f.At["expr"], "field "+e.Name+"."+f.Name)
			}
			for i, r := range e.Rules {
				what := fmt.Sprintf("entity %s: rule %d", e.Name, i+1)
				check(r.AssertProgram, r.At["assert"], what)
				check(r.WhenProgram, r.At["when"], what)
			}
		}
		for _, w := range a.Workflows {
			for _, t := range w.Transitions {
				what := "workflow " + w.Name + ": transition " + t.Event
				check(t.GuardProgram, t.At["guard"], what)
				for field, prog := range t.SetPrograms {
					check(prog, t.At["set"], what+": set "+field)
				}
			}
		}
	}
}

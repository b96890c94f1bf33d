package metamodel

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/shopspring/decimal"
)

// Code functions read the project's code sets from expressions, so that rules
// can follow the basic-data standard's own mappings:
//
//	code_attr("dept_econ", dept_econ, "gov_econ") == gov_econ   // the mapping between classifications
//	code_under("func_class", func_class, "205")                  // 教育支出 and below
//	code_name("agency", agency), code_level("func_class", func_class), code_leaf(…)
//
// The code set (and attribute) named must be a string literal, checked at load.
var codeFunctionNames = []string{"code_attr", "code_name", "code_under", "code_level", "code_leaf",
	"code_attr_decimal", "code_attr_int", "code_attr_date", "code_attr_bool"}

// code_attr of an attribute declared with a type (decimal, money, int, date,
// bool) gives a value of that type: the checker rewrites the call to the
// typed function below (codeAttrTyping), so that
// code_attr("fee_item", item, "rate") * qty is exact decimal arithmetic. A
// fourth argument, the fiscal year, reads the value in force that year
// (attrs_from): code_attr("fee_item", item, "rate", year).

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
		attr := func(set, code, attr string, year []int) (string, string) {
			y := 0
			if len(year) > 0 {
				y = year[0]
			}
			cs := p.codeSets[set]
			if n := node(set, code); n != nil {
				return n.Attr(attr, y), cs.AttrType(attr)
			}
			if cs != nil {
				return "", cs.AttrType(attr)
			}
			return "", "text"
		}
		// typed reads an attribute in its type; a code without the
		// attribute gives the type's zero. Values were checked at load.
		typed := func(set, code, name string, year []int) any {
			v, typ := attr(set, code, name, year)
			out, err := ParseAttr(typ, v)
			if err != nil {
				out, _ = ParseAttr(typ, "")
			}
			return out
		}
		p.functions = map[string]any{
			"code_attr": func(set, code, name string, year ...int) string {
				v, _ := attr(set, code, name, year)
				return v
			},
			"code_attr_decimal": func(set, code, name string, year ...int) decimal.Decimal {
				d, _ := typed(set, code, name, year).(decimal.Decimal)
				return d
			},
			"code_attr_int": func(set, code, name string, year ...int) int {
				n, _ := typed(set, code, name, year).(int)
				return n
			},
			"code_attr_date": func(set, code, name string, year ...int) time.Time {
				t, _ := typed(set, code, name, year).(time.Time)
				return t
			},
			"code_attr_bool": func(set, code, name string, year ...int) bool {
				b, _ := typed(set, code, name, year).(bool)
				return b
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
		if strings.HasPrefix(id.Value, "code_attr") && len(call.Arguments) >= 3 {
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

// codeAttrTypesKey holds, in the environment the checker compiles against,
// the declared type of each code set's attributes (a name no expression can
// write, so it is never a variable of the definitions).
const codeAttrTypesKey = "code attribute types"

// codeAttrTyping rewrites code_attr("set", code, "attr"[, year]) of a typed
// attribute into the typed function of its type.
type codeAttrTyping struct {
	typeOf func(set, attr string) string
}

func (v codeAttrTyping) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || len(call.Arguments) < 3 {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != "code_attr" {
		return
	}
	set, ok1 := call.Arguments[0].(*ast.StringNode)
	attr, ok2 := call.Arguments[2].(*ast.StringNode)
	if !ok1 || !ok2 {
		return
	}
	typ := v.typeOf(set.Value, attr.Value)
	if typ == "money" {
		typ = "decimal"
	}
	switch typ {
	case "decimal", "int", "date", "bool":
		// A new node, not ast.Patch: the checker keeps a call's type from
		// its first pass (the untyped code_attr's string) on the node.
		typed := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "code_attr_" + typ}, Arguments: call.Arguments}
		typed.SetLocation(call.Location())
		*node = typed
	}
}

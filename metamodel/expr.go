package metamodel

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/shopspring/decimal"
)

// Expressions (rules, guards, computed fields, set actions) are expr programs
// compiled once at load against a typed environment: every field of the entity
// under its name, with the Go type its field type gives (decimal.Decimal for
// money, so amounts stay exact; number literals mixed with amounts are turned
// into decimals by operator overloading). A typo in a field name is a load error.

// Function is a rule function available to every expression (is_uscc, …).
type Function struct {
	Name string
	// Doc is one sentence for the reference manual.
	Doc string
	Fn  func(params ...any) (any, error)
	// Types are the signatures the checker accepts, as new(func(...) ...).
	Types []any
}

var (
	functionsMu sync.RWMutex
	functions   = map[string]Function{}
)

// RegisterFunction makes a rule function available to every expression.
func RegisterFunction(f Function) {
	functionsMu.Lock()
	defer functionsMu.Unlock()
	if _, dup := functions[f.Name]; dup {
		panic("metamodel: rule function registered twice: " + f.Name)
	}
	functions[f.Name] = f
}

// Functions lists the registered rule functions by name.
func Functions() []Function {
	functionsMu.RLock()
	defer functionsMu.RUnlock()
	out := make([]Function, 0, len(functions))
	for _, f := range functions {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Actor is how the acting user appears in guard expressions: `actor.name`,
// `"treasury" in actor.roles`, `actor.org`.
type Actor struct {
	Name  string   `expr:"name"`
	Roles []string `expr:"roles"`
	Org   string   `expr:"org"`
}

// SystemFields are present in every entity's expression environment.
var SystemFields = []string{"id", "state", "created_by", "created_at", "updated_at"}

// Env is the typed environment of an entity's expressions. With actor, guard
// expressions may also use `actor`.
func Env(e *Entity, withActor bool) map[string]any {
	env := map[string]any{
		"id":         0,
		"state":      "",
		"created_by": "",
		"created_at": time.Time{},
		"updated_at": time.Time{},
		"today":      time.Time{},
	}
	for _, f := range e.Fields {
		if f.Kind != nil {
			env[f.Name] = f.Kind.Zero(f)
		} else {
			// A field whose type is wrong is still a name: no second error.
			env[f.Name] = nil
		}
	}
	addRefsEnv(env, e)
	if withActor {
		env["actor"] = Actor{}
	}
	if e.App != nil && e.App.project != nil {
		p := e.App.project
		for name, fn := range p.Functions() {
			env[name] = fn
		}
		env[codeAttrTypesKey] = func(set, attr string) string {
			if cs := p.codeSets[set]; cs != nil {
				return cs.AttrType(attr)
			}
			return "text"
		}
	}
	return env
}

// exprOptions are the options every expression compiles with.
func exprOptions(env map[string]any, output reflect.Kind) []expr.Option {
	var typing []expr.Option
	if typeOf, ok := env[codeAttrTypesKey].(func(set, attr string) string); ok {
		typing = append(typing, expr.Patch(codeAttrTyping{typeOf: typeOf}))
		plain := make(map[string]any, len(env))
		for k, v := range env {
			if k != codeAttrTypesKey {
				plain[k] = v
			}
		}
		env = plain
	}
	opts := []expr.Option{expr.Env(env), expr.Patch(balanceCall{})}
	opts = append(opts, typing...)
	for _, f := range Functions() {
		opts = append(opts, expr.Function(f.Name, f.Fn, f.Types...))
	}
	opts = append(opts, decimalOperators()...)
	switch output {
	case reflect.Bool:
		opts = append(opts, expr.AsBool())
	}
	return opts
}

// CompileBool compiles an expression that must yield true or false.
func CompileBool(code string, env map[string]any) (*vm.Program, error) {
	return expr.Compile(code, exprOptions(env, reflect.Bool)...)
}

// CompileValue compiles an expression of any result type.
func CompileValue(code string, env map[string]any) (*vm.Program, error) {
	return expr.Compile(code, exprOptions(env, reflect.Invalid)...)
}

// RunBool runs a program compiled by CompileBool.
func RunBool(p *vm.Program, env map[string]any) (bool, error) {
	out, err := expr.Run(p, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("expression gave %T, not a bool", out)
	}
	return b, nil
}

// Run runs any compiled program.
func Run(p *vm.Program, env map[string]any) (any, error) { return expr.Run(p, env) }

// decimalOperators overloads arithmetic and comparison so that amounts
// (decimal.Decimal) mix with each other and with number literals. A float
// literal such as 0.1 is converted through its shortest decimal text, which is
// exactly what was written in the definition.
func decimalOperators() []expr.Option {
	toDec := func(v any) decimal.Decimal {
		switch x := v.(type) {
		case decimal.Decimal:
			return x
		case int:
			return decimal.NewFromInt(int64(x))
		case int64:
			return decimal.NewFromInt(x)
		case float64:
			d, _ := decimal.NewFromString(fmt.Sprint(x))
			return d
		}
		panic(fmt.Sprintf("not a number: %T", v))
	}
	D := decimal.Decimal{}
	sigs := func(ret any) []any {
		return []any{
			reflectFunc(D, D, ret), reflectFunc(D, 0, ret), reflectFunc(0, D, ret),
			reflectFunc(D, 0.0, ret), reflectFunc(0.0, D, ret),
		}
	}
	type op struct {
		sym, name string
		arith     func(a, b decimal.Decimal) (any, error)
	}
	ops := []op{
		{"+", "dec_add", func(a, b decimal.Decimal) (any, error) { return a.Add(b), nil }},
		{"-", "dec_sub", func(a, b decimal.Decimal) (any, error) { return a.Sub(b), nil }},
		{"*", "dec_mul", func(a, b decimal.Decimal) (any, error) { return a.Mul(b), nil }},
		{"/", "dec_div", func(a, b decimal.Decimal) (any, error) {
			if b.IsZero() {
				return nil, fmt.Errorf("division by zero")
			}
			return a.DivRound(b, 16), nil
		}},
		{"<", "dec_lt", func(a, b decimal.Decimal) (any, error) { return a.LessThan(b), nil }},
		{"<=", "dec_le", func(a, b decimal.Decimal) (any, error) { return a.LessThanOrEqual(b), nil }},
		{">", "dec_gt", func(a, b decimal.Decimal) (any, error) { return a.GreaterThan(b), nil }},
		{">=", "dec_ge", func(a, b decimal.Decimal) (any, error) { return a.GreaterThanOrEqual(b), nil }},
		{"==", "dec_eq", func(a, b decimal.Decimal) (any, error) { return a.Equal(b), nil }},
		{"!=", "dec_ne", func(a, b decimal.Decimal) (any, error) { return !a.Equal(b), nil }},
	}
	var opts []expr.Option
	for _, o := range ops {
		o := o
		var ret any = D
		switch o.sym {
		case "<", "<=", ">", ">=", "==", "!=":
			ret = true
		}
		opts = append(opts,
			expr.Function(o.name, func(params ...any) (any, error) {
				return o.arith(toDec(params[0]), toDec(params[1]))
			}, sigs(ret)...),
			expr.Operator(o.sym, o.name))
	}
	// dec(x) makes a decimal of a number, round_to(x, places) rounds half away
	// from zero, and unary minus on a decimal becomes dec_neg (expr overloads
	// binary operators only).
	opts = append(opts,
		expr.Function("dec", func(params ...any) (any, error) { return toDec(params[0]), nil },
			reflectFunc1(0, D), reflectFunc1(0.0, D), reflectFunc1(D, D)),
		expr.Function("round_to", func(params ...any) (any, error) {
			return toDec(params[0]).Round(int32(params[1].(int))), nil
		}, reflectFunc(D, 0, D)),
		expr.Function("dec_neg", func(params ...any) (any, error) { return toDec(params[0]).Neg(), nil },
			reflectFunc1(D, D)),
		expr.Patch(&decimalNegation{}),
	)
	return opts
}

// decimalNegation rewrites -x for a decimal x into dec_neg(x). It runs with
// the operator overloads, repeatedly, so that -(a + b) is seen once a + b has
// become a decimal.
type decimalNegation struct{ patched bool }

var decimalReflectType = reflect.TypeOf(decimal.Decimal{})

func (v *decimalNegation) Visit(node *ast.Node) {
	u, ok := (*node).(*ast.UnaryNode)
	if !ok || u.Operator != "-" || u.Node.Type() != decimalReflectType {
		return
	}
	ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "dec_neg"}, Arguments: []ast.Node{u.Node}})
	v.patched = true
}

func (v *decimalNegation) Reset()             { v.patched = false }
func (v *decimalNegation) ShouldRepeat() bool { return v.patched }

// reflectFunc builds new(func(A, B) R) for the given sample values' types.
func reflectFunc(a, b, ret any) any {
	ft := reflect.FuncOf([]reflect.Type{reflect.TypeOf(a), reflect.TypeOf(b)}, []reflect.Type{reflect.TypeOf(ret)}, false)
	return reflect.New(ft).Interface()
}

func reflectFunc1(a, ret any) any {
	ft := reflect.FuncOf([]reflect.Type{reflect.TypeOf(a)}, []reflect.Type{reflect.TypeOf(ret)}, false)
	return reflect.New(ft).Interface()
}

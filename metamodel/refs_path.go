package metamodel

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/shopspring/decimal"
)

// Paths through references. A referenced record's own ref fields hold ids,
// as everywhere (refs.order.party is the party's id); the records
// they point at are read through the record's refs, to a bounded depth:
//
//	refs.order.refs.party.account_no        // two records deep
//	refs.fund.balance.available >= amount   // an account's balance figures
//	balance(refs.fund).available >= amount  // the same
//
// MaxRefDepth records in all may be followed from the record
// (refs.a.refs.b.refs.c). An account (an entity with balance:) shows its
// ledger figures as balance: approved, reserved, consumed, frozen and
// available, exact decimals as of the moment the expression runs.

// MaxRefDepth is how many records deep a path through references may go.
const MaxRefDepth = 3

// BalanceFigures is how an account's balance appears in expressions.
type BalanceFigures struct {
	Approved  decimal.Decimal `expr:"approved"`
	Reserved  decimal.Decimal `expr:"reserved"`
	Consumed  decimal.Decimal `expr:"consumed"`
	Frozen    decimal.Decimal `expr:"frozen"`
	Available decimal.Decimal `expr:"available"`
}

// BalanceName is the member of an account's record holding its figures.
const BalanceName = "balance"

var (
	targetShapesMu sync.Mutex
	targetShapes   = map[targetKey]*RecordShape{}
)

type targetKey struct {
	e     *Entity
	depth int
}

// targetShape is the shape of a record reached through refs with depth more
// records below it: its fields, its balance when it is an account, and its
// own refs while depth > 0. Shapes are shared by entity and depth.
func targetShape(e *Entity, depth int) *RecordShape {
	targetShapesMu.Lock()
	if s := targetShapes[targetKey{e, depth}]; s != nil {
		targetShapesMu.Unlock()
		return s
	}
	targetShapesMu.Unlock()
	s := NewRecordShape(e)
	var extra []reflect.StructField
	if e.Balance != nil && e.Field(BalanceName) == nil {
		s.balance = true
		extra = append(extra, reflect.StructField{Name: "X" + BalanceName, Type: reflect.TypeOf(BalanceFigures{}), Tag: `expr:"balance"`})
	}
	if depth > 0 && e.Field(RefsName) == nil {
		if nested := newRefsShape(e, depth-1); nested != nil {
			s.refs = nested
			extra = append(extra, reflect.StructField{Name: "X" + RefsName, Type: nested.typ, Tag: `expr:"refs"`})
		}
	}
	if len(extra) > 0 {
		fields := make([]reflect.StructField, 0, s.typ.NumField()+len(extra))
		for i := 0; i < s.typ.NumField(); i++ {
			fields = append(fields, s.typ.Field(i))
		}
		for _, f := range extra {
			s.index[strings.ToLower(f.Tag.Get("expr"))] = len(fields)
			fields = append(fields, f)
		}
		s.typ = reflect.StructOf(fields)
	}
	targetShapesMu.Lock()
	targetShapes[targetKey{e, depth}] = s
	targetShapesMu.Unlock()
	return s
}

// Refs is the shape of the record's own refs, or nil when it has none
// (too deep, or no ref field).
func (s *RecordShape) Refs() *RefsShape { return s.refs }

// HasBalance reports whether the shape shows an account's balance.
func (s *RecordShape) HasBalance() bool { return s.balance }

// With is rec (a value of the shape) with its refs holding nested (by ref
// field, values of the nested targets' shapes) and its balance figures.
func (s *RecordShape) With(rec any, nested map[string]any, figures *BalanceFigures) any {
	v := reflect.New(s.typ).Elem()
	v.Set(reflect.ValueOf(rec))
	if s.refs != nil && len(nested) > 0 {
		v.Field(s.index[RefsName]).Set(reflect.ValueOf(s.refs.Value(nested)))
	}
	if s.balance && figures != nil {
		v.Field(s.index[BalanceName]).Set(reflect.ValueOf(*figures))
	}
	return v.Interface()
}

// RefPaths lists, sorted, what e's expressions read through refs: each
// path of ref fields ("order", "order.party"), and for an account
// read for its balance the path with "#balance" ("fund#balance").
func RefPaths(e *Entity) []string {
	shape := NewRefsShape(e)
	if shape == nil || e.Field(RefsName) != nil {
		return nil
	}
	seen := map[string]bool{}
	for _, p := range entityPrograms(e) {
		if p == nil {
			continue
		}
		ast.Find(p.Node(), func(n ast.Node) bool {
			props, ok := memberChain(n)
			if !ok {
				return false
			}
			// props: a [refs b [refs c]] [balance] [member]
			path := props[0]
			seen[path] = true
			for i := 1; i < len(props); i++ {
				switch {
				case props[i] == RefsName && i+1 < len(props):
					path += "." + props[i+1]
					seen[path] = true
					i++
				case props[i] == BalanceName:
					seen[path+"#"+BalanceName] = true
					return false
				default:
					return false
				}
			}
			return false
		})
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// memberChain is the chain of members a node reads from refs: for
// refs.a.refs.b.x it is [a refs b x]; ok is false when the node is not such
// a chain.
func memberChain(n ast.Node) ([]string, bool) {
	var props []string
	for {
		m, ok := n.(*ast.MemberNode)
		if !ok {
			break
		}
		s, ok := m.Property.(*ast.StringNode)
		if !ok {
			return nil, false
		}
		props = append([]string{s.Value}, props...)
		n = m.Node
	}
	id, ok := n.(*ast.IdentifierNode)
	if !ok || id.Value != RefsName || len(props) == 0 {
		return nil, false
	}
	return props, true
}

// balanceCall rewrites balance(x) into x.balance, so that rules may write
// either.
type balanceCall struct{}

func (balanceCall) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != BalanceName {
		return
	}
	m := &ast.MemberNode{Node: call.Arguments[0], Property: &ast.StringNode{Value: BalanceName}}
	m.SetLocation(call.Location())
	*node = m
}

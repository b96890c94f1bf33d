package metamodel

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
)

// RecordShape is how a whole record appears as one name inside an
// expression (line.amount, record.net_total, src.id): a Go struct type built
// at load from the entity's fields, so that the checker knows the type of
// every member and money stays decimal.Decimal under the operator overloads.
// A map would type every member as "any" and lose both.
type RecordShape struct {
	Entity *Entity
	typ    reflect.Type
	index  map[string]int // field or system field name → struct field index
	// A record reached through refs may show its own refs and, for an
	// account, its balance figures (refs_path.go).
	refs    *RefsShape
	balance bool
}

// NewRecordShape builds the shape of records of e: the system fields id,
// state, created_by, created_at, updated_at and every field, each with the
// type it has in e's own expressions.
func NewRecordShape(e *Entity) *RecordShape {
	s := &RecordShape{Entity: e, index: map[string]int{}}
	var fields []reflect.StructField
	add := func(name string, zero any) {
		t := reflect.TypeOf(zero)
		if t == nil {
			// A field whose type did not check: still a name, of any type.
			t = reflect.TypeOf((*any)(nil)).Elem()
		}
		s.index[name] = len(fields)
		fields = append(fields, reflect.StructField{Name: "X" + name, Type: t, Tag: reflect.StructTag(`expr:"` + name + `"`)})
	}
	add("id", 0)
	add("state", "")
	add("created_by", "")
	add("created_at", time.Time{})
	add("updated_at", time.Time{})
	for _, f := range e.Fields {
		if _, dup := s.index[f.Name]; dup {
			continue
		}
		var zero any
		if f.Kind != nil {
			zero = f.Kind.Zero(f)
		}
		add(f.Name, zero)
	}
	s.typ = reflect.StructOf(fields)
	return s
}

// Zero is a record of the shape with every field empty: the sample value the
// checker compiles against.
func (s *RecordShape) Zero() any { return reflect.New(s.typ).Elem().Interface() }

// Value is the record with the given system fields and values (canonical
// values as the engine holds them; nil is the field's empty value, int64 is
// an expression's int).
func (s *RecordShape) Value(id int64, state, createdBy string, createdAt, updatedAt time.Time, values map[string]any) any {
	v := reflect.New(s.typ).Elem()
	set := func(name string, x any) {
		i, ok := s.index[name]
		if !ok || x == nil {
			return
		}
		if n, isInt := x.(int64); isInt {
			x = int(n)
		}
		fv := v.Field(i)
		xv := reflect.ValueOf(x)
		if xv.Type().AssignableTo(fv.Type()) {
			fv.Set(xv)
		} else if xv.Type().ConvertibleTo(fv.Type()) {
			fv.Set(xv.Convert(fv.Type()))
		}
	}
	set("id", id)
	set("state", state)
	set("created_by", createdBy)
	set("created_at", createdAt)
	set("updated_at", updatedAt)
	for _, f := range s.Entity.Fields {
		set(f.Name, values[f.Name])
	}
	return v.Interface()
}

// membersUsed lists, sorted, the members of name that the expression tree
// reads (line.amount → amount), so that the engine can refuse to show a
// reader the value of a field hidden from them.
func membersUsed(node ast.Node, name string) []string {
	v := &memberVisitor{name: name, seen: map[string]bool{}}
	ast.Walk(&node, v)
	var out []string
	for m := range v.seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

type memberVisitor struct {
	name string
	seen map[string]bool
}

func (v *memberVisitor) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || id.Value != v.name {
		return
	}
	if p, ok := m.Property.(*ast.StringNode); ok {
		v.seen[p.Value] = true
	}
}

// mergeNames adds names to a sorted set.
func mergeNames(set []string, names ...string) []string {
	for _, n := range names {
		i := sort.SearchStrings(set, n)
		if i < len(set) && set[i] == n {
			continue
		}
		set = append(set, "")
		copy(set[i+1:], set[i:])
		set[i] = n
	}
	return set
}

// withoutQuoted blanks the quoted strings of a filter, so that a $ inside
// text is not read as a parameter.
func withoutQuoted(src string) string {
	var b strings.Builder
	var quote rune
	escaped := false
	for _, r := range src {
		switch {
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
			b.WriteRune(' ')
		case quote != 0:
			if quote == '"' && r == '\\' && !escaped {
				escaped = true
			} else {
				if r == quote && !escaped {
					quote = 0
				}
				escaped = false
			}
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var noFieldInStruct = regexp.MustCompile(`type struct \{.*\} has no field (\w+)`)

// shapeError is exprError for expressions over record shapes: "record has
// no field mnth (did you mean month?)" rather than the Go struct type.
func shapeError(err error, env map[string]any, shapes map[string]*RecordShape) string {
	msg := exprError(err, env)
	m := noFieldInStruct.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	field := msg[m[2]:m[3]]
	for name, sh := range shapes {
		if sh == nil || !strings.Contains(msg[m[0]:m[1]], goTypeNames.Replace(sh.typ.String())) {
			continue
		}
		names := append(fieldNames(sh.Entity), SystemFields...)
		return msg[:m[0]] + fmt.Sprintf("%s (%s) has no field %s", name, sh.Entity.Name, field) + msg[m[1]:] + suggest(field, names)
	}
	return msg
}

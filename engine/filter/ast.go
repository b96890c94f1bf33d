package filter

import "strings"

// Node is a node of a parsed filter: *And, *Or, *Not, *Compare, *In, *Like,
// *Under or *IsNull. String renders it in canonical form: keywords in lower
// case, strings in single quotes, one space around operators and parentheses
// only where precedence needs them. The canonical form parses back to the
// same tree.
type Node interface {
	node()
	String() string
}

// And holds when every term holds.
type And struct {
	Terms []Node
}

// Or holds when any term holds.
type Or struct {
	Terms []Node
}

// Not holds when its term does not. Like SQL's NOT it does not hold when the
// term is unknown because a column is NULL.
type Not struct {
	Term Node
}

// Op is a comparison operator.
type Op string

// Comparison operators.
const (
	Eq Op = "="
	Ne Op = "!="
	Lt Op = "<"
	Le Op = "<="
	Gt Op = ">"
	Ge Op = ">="
)

// Compare is field op value.
type Compare struct {
	Field  string
	Offset int // of the field name in the source
	Op     Op
	Value  Value
}

// In holds when the field equals one of Values.
type In struct {
	Field  string
	Offset int
	Values []Value
}

// Like matches the field against a pattern with SQL's % and _ wildcards; a
// backslash makes the next character literal.
type Like struct {
	Field   string
	Offset  int
	Pattern Value // always a string
}

// Under holds when a code field holds Code or any code below it in the
// field's code set.
type Under struct {
	Field  string
	Offset int
	Code   Value // always a string
}

// IsNull holds when the field has no value (SQL NULL), or with Not when it has one.
type IsNull struct {
	Field  string
	Offset int
	Not    bool
}

// Prefix holds when the first len(Code) characters of a text field equal
// Code: a subtree of a code set whose codes extend their parent's code by
// fixed-width levels. It compiles to substr(field, 1, n) = ?, which the schema
// indexes per level of an org field, so a data scope over a department walks an
// index in page order. It is built in Go (data scopes), not parsed.
type Prefix struct {
	Field  string
	Offset int
	Code   string
}

// ValueKind says how a value was written, which decides how the field type
// parses it.
type ValueKind int

// Value kinds.
const (
	// String is a quoted string; Text is its content without quotes.
	String ValueKind = iota + 1
	// Number is an unquoted number; Text is its digits as written, never
	// converted through a float.
	Number
	// Bool is true or false; Text is "true" or "false".
	Bool
	// Param is $name, a value supplied by the caller (Bind): the field of
	// another record, such as the parent of generated records. Text is the name.
	Param
)

// Value is a literal of a filter.
type Value struct {
	Kind   ValueKind
	Text   string
	Offset int // of the literal in the source
}

func (*And) node()     {}
func (*Or) node()      {}
func (*Not) node()     {}
func (*Compare) node() {}
func (*In) node()      {}
func (*Like) node()    {}
func (*Under) node()   {}
func (*Prefix) node()  {}
func (*IsNull) node()  {}

// String renders the conjunction; or-terms get parentheses because "and"
// binds tighter than "or".
func (n *And) String() string {
	parts := make([]string, len(n.Terms))
	for i, t := range n.Terms {
		parts[i] = t.String()
		if _, ok := t.(*Or); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " and ")
}

// String renders the disjunction; its terms never need parentheses.
func (n *Or) String() string {
	parts := make([]string, len(n.Terms))
	for i, t := range n.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, " or ")
}

// String renders the negation; "not" binds tighter than "and" and "or", so a
// compound term gets parentheses.
func (n *Not) String() string {
	switch n.Term.(type) {
	case *And, *Or:
		return "not (" + n.Term.String() + ")"
	}
	return "not " + n.Term.String()
}

// String renders "field op value".
func (n *Compare) String() string {
	return n.Field + " " + string(n.Op) + " " + n.Value.String()
}

// String renders "field in (v1, v2)".
func (n *In) String() string {
	parts := make([]string, len(n.Values))
	for i, v := range n.Values {
		parts[i] = v.String()
	}
	return n.Field + " in (" + strings.Join(parts, ", ") + ")"
}

// String renders "field like 'pattern'".
func (n *Like) String() string { return n.Field + " like " + n.Pattern.String() }

// String renders "field under 'code'".
func (n *Under) String() string { return n.Field + " under " + n.Code.String() }

// String renders "field is null" or "field is not null".
func (n *Prefix) String() string {
	return n.Field + " like " + Value{Kind: String, Text: n.Code + "%"}.String()
}

func (n *IsNull) String() string {
	if n.Not {
		return n.Field + " is not null"
	}
	return n.Field + " is null"
}

// String renders the literal: strings in single quotes, a quote in them doubled,
// since single-quoted strings have no other escapes and so hold any text.
func (v Value) String() string {
	if v.Kind == Param {
		return "$" + v.Text
	}
	if v.Kind == String {
		return "'" + strings.ReplaceAll(v.Text, "'", "''") + "'"
	}
	return v.Text
}

// MapLeaves rebuilds n with every condition that is not And, Or or Not
// replaced by leaf(condition); n itself is left unchanged.
func MapLeaves(n Node, leaf func(Node) Node) Node {
	switch x := n.(type) {
	case *And:
		terms := make([]Node, len(x.Terms))
		for i, t := range x.Terms {
			terms[i] = MapLeaves(t, leaf)
		}
		return &And{Terms: terms}
	case *Or:
		terms := make([]Node, len(x.Terms))
		for i, t := range x.Terms {
			terms[i] = MapLeaves(t, leaf)
		}
		return &Or{Terms: terms}
	case *Not:
		return &Not{Term: MapLeaves(x.Term, leaf)}
	}
	return leaf(n)
}

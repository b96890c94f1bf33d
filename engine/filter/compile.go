package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel"
)

// Compile compiles the AST to a SQL condition over the resolved columns.
// argStart is the number of arguments the caller has already bound: the
// filter's placeholders continue from argStart+1, and args are to be appended
// to the caller's. The condition can be joined to others with AND as it
// stands (a top-level "or" comes back in parentheses).
//
// Every value goes through the field type's Parse, then bind.Arg, and reaches
// the database only as an argument. A problem with the filter (unknown field,
// an operator the field does not take, a value that does not parse) is an
// *Error; any other error means the Resolver returned a column the compiler
// cannot use, which is the caller's bug.
func Compile(n Node, resolve Resolver, bind Binder, argStart int) (sql string, args []any, err error) {
	c := &compiler{resolve: resolve, bind: bind, argStart: argStart}
	var b strings.Builder
	if err := c.node(&b, n, 0); err != nil {
		return "", nil, err
	}
	sql = b.String()
	if _, ok := n.(*Or); ok {
		sql = "(" + sql + ")"
	}
	return sql, c.args, nil
}

// ErrBadColumn is wrapped by the errors Compile returns when the Resolver
// gives a column without SQL or without a type.
var ErrBadColumn = errors.New("filter: resolver returned an unusable column")

type compiler struct {
	resolve  Resolver
	bind     Binder
	argStart int
	args     []any
}

// maxTreeDepth bounds recursion over trees built by hand rather than by
// Parse; a parsed tree is at most about 2×MaxDepth deep.
const maxTreeDepth = 4 * MaxDepth

func (c *compiler) node(b *strings.Builder, n Node, depth int) error {
	if depth > maxTreeDepth {
		return errorf(0, "the filter nests too deeply")
	}
	if isNil(n) {
		return errorf(0, "the filter is empty")
	}
	switch n := n.(type) {
	case *And:
		return c.group(b, n.Terms, " AND ", depth)
	case *Or:
		return c.group(b, n.Terms, " OR ", depth)
	case *Not:
		// Always parenthesised: the two databases rank NOT against
		// comparison operators differently.
		b.WriteString("NOT (")
		if err := c.node(b, n.Term, depth+1); err != nil {
			return err
		}
		b.WriteString(")")
		return nil
	case *Compare:
		return c.compare(b, n)
	case *In:
		return c.in(b, n)
	case *Like:
		return c.like(b, n)
	case *Under:
		return c.under(b, n)
	case *Prefix:
		col, err := c.column(n.Field, n.Offset)
		if err != nil {
			return err
		}
		if !isText(col) || n.Code == "" {
			return errorf(n.Offset, "%s: a prefix applies only to text fields, with a code", n.Field)
		}
		ph, err := c.arg(n.Offset, col.Field, n.Code)
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "substr(%s, 1, %d) = %s", col.SQL, len(n.Code), ph)
		return nil
	case *Tag:
		return errorf(n.Offset, "data tags cannot be used here: %s", n.String())
	case *IsNull:
		col, err := c.column(n.Field, n.Offset)
		if err != nil {
			return err
		}
		b.WriteString(col.SQL)
		if n.Not {
			b.WriteString(" IS NOT NULL")
		} else {
			b.WriteString(" IS NULL")
		}
		return nil
	}
	return fmt.Errorf("filter: unknown node type %T", n)
}

func isNil(n Node) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *And:
		return n == nil
	case *Or:
		return n == nil
	case *Not:
		return n == nil
	case *Compare:
		return n == nil
	case *In:
		return n == nil
	case *Like:
		return n == nil
	case *Under:
		return n == nil
	case *Prefix:
		return n == nil
	case *IsNull:
		return n == nil
	case *Tag:
		return n == nil
	}
	return false
}

// group writes terms joined by sep; an OR inside an AND is parenthesised,
// since AND binds tighter in SQL as in the filter language.
func (c *compiler) group(b *strings.Builder, terms []Node, sep string, depth int) error {
	if len(terms) == 0 {
		return errorf(0, "the filter has an empty group")
	}
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		_, paren := t.(*Or)
		paren = paren && sep == " AND "
		if paren {
			b.WriteString("(")
		}
		if err := c.node(b, t, depth+1); err != nil {
			return err
		}
		if paren {
			b.WriteString(")")
		}
	}
	return nil
}

var sqlOps = map[Op]string{Eq: "=", Ne: "<>", Lt: "<", Le: "<=", Gt: ">", Ge: ">="}

func (c *compiler) compare(b *strings.Builder, n *Compare) error {
	col, err := c.column(n.Field, n.Offset)
	if err != nil {
		return err
	}
	op, ok := sqlOps[n.Op]
	if !ok {
		return errorf(n.Offset, "unknown operator %q", n.Op)
	}
	if n.Op != Eq && n.Op != Ne && isBool(col) {
		return errorf(n.Offset, "%s: %q does not apply to a yes/no field; use = or !=", n.Field, n.Op)
	}
	ph, err := c.value(n.Field, col, n.Value)
	if err != nil {
		return err
	}
	b.WriteString(col.SQL + " " + op + " " + ph)
	return nil
}

func (c *compiler) in(b *strings.Builder, n *In) error {
	col, err := c.column(n.Field, n.Offset)
	if err != nil {
		return err
	}
	if len(n.Values) == 0 {
		return errorf(n.Offset, "%s: the in list is empty", n.Field)
	}
	if len(n.Values) > MaxInValues {
		return errorf(n.Values[MaxInValues].Offset, "an \"in\" list may hold at most %d values", MaxInValues)
	}
	phs := make([]string, len(n.Values))
	for i, v := range n.Values {
		if phs[i], err = c.value(n.Field, col, v); err != nil {
			return err
		}
	}
	b.WriteString(col.SQL + " IN (" + strings.Join(phs, ", ") + ")")
	return nil
}

func (c *compiler) like(b *strings.Builder, n *Like) error {
	col, err := c.column(n.Field, n.Offset)
	if err != nil {
		return err
	}
	if !isText(col) {
		return errorf(n.Offset, "%s: like applies only to text fields (string, text, enum, code)", n.Field)
	}
	if n.Pattern.Kind == Param {
		return errorf(n.Pattern.Offset, "%s: $%s has no value (bind parameters before compiling)", n.Field, n.Pattern.Text)
	}
	if n.Pattern.Kind != String {
		return errorf(n.Pattern.Offset, "%s: the like pattern must be a quoted string", n.Field)
	}
	if trailingEscape(n.Pattern.Text) {
		return errorf(n.Pattern.Offset, `the pattern ends with a lone "\"; write "\\" to match a backslash`)
	}
	ph, err := c.value(n.Field, col, n.Pattern)
	if err != nil {
		return err
	}
	// The escape character is fixed so that both databases read \ alike;
	// with standard_conforming_strings (PostgreSQL's default) '\' is one
	// backslash there as in SQLite.
	b.WriteString(col.SQL + " LIKE " + ph + ` ESCAPE '\'`)
	return nil
}

func (c *compiler) under(b *strings.Builder, n *Under) error {
	col, err := c.column(n.Field, n.Offset)
	if err != nil {
		return err
	}
	f := col.Field
	if f == nil || f.Set == nil {
		return errorf(n.Offset, "%s: under applies only to code fields", n.Field)
	}
	if n.Code.Kind == Param {
		return errorf(n.Code.Offset, "%s: $%s has no value (bind parameters before compiling)", n.Field, n.Code.Text)
	}
	if n.Code.Kind != String {
		return errorf(n.Code.Offset, "%s: the code after under must be a quoted string", n.Field)
	}
	parsed, err := f.Kind.Parse(f, n.Code.Text)
	if err != nil {
		return valueError(n.Field, n.Code, metamodel.AsInputError(err).Message)
	}
	code, ok := parsed.(string)
	if !ok {
		return fmt.Errorf("%w: code field %s parsed %q as %T", ErrBadColumn, n.Field, n.Code.Text, parsed)
	}
	codes := f.Set.Subtree(code)
	if codes == nil {
		return valueError(n.Field, n.Code, fmt.Sprintf("代码 %s 不在代码集“%s”中", code, f.Set.Label()))
	}
	if len(codes) <= MaxInValues {
		phs := make([]string, len(codes))
		for i, code := range codes {
			if phs[i], err = c.arg(n.Code.Offset, f, code); err != nil {
				return err
			}
		}
		b.WriteString(col.SQL + " IN (" + strings.Join(phs, ", ") + ")")
		return nil
	}
	// A large subtree of a code set whose codes extend their parent's code
	// (fixed-width levels such as 201 → 20101 → 2010101) is exactly the set
	// of codes that start with the code, which one LIKE finds.
	if !prefixCoded(f.Set, code, codes) {
		return errorf(n.Code.Offset, "%s: %d codes lie under %s, more than %d, and the codes of %s do not start with their parent's code; filter on codes further down",
			n.Field, len(codes), code, MaxInValues, f.Set.Name)
	}
	ph, err := c.arg(n.Code.Offset, f, escapeLike(code)+"%")
	if err != nil {
		return err
	}
	b.WriteString(col.SQL + " LIKE " + ph + ` ESCAPE '\'`)
	return nil
}

// prefixCoded reports whether the codes of set that start with code are
// exactly subtree (code and the codes below it). Both directions matter: in a
// set without fixed widths "1" may have a child "11" and a sibling "12".
func prefixCoded(set *metamodel.CodeSet, code string, subtree []string) bool {
	for _, c := range subtree {
		if !strings.HasPrefix(c, code) {
			return false
		}
	}
	n := 0
	set.Walk(func(node *metamodel.CodeNode) {
		if strings.HasPrefix(node.Code.Code, code) {
			n++
		}
	})
	return n == len(subtree)
}

// escapeLike makes s match itself in a LIKE pattern with escape \.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// column resolves a field name, checking what the Resolver returned.
func (c *compiler) column(name string, off int) (Column, error) {
	col, ok := c.resolve(name)
	if !ok {
		if s := suggestName(name, c.resolve); s != "" {
			return Column{}, errorf(off, "unknown field %q (did you mean %q?)", name, s)
		}
		return Column{}, errorf(off, "unknown field %q", name)
	}
	switch {
	case col.SQL == "":
		return Column{}, fmt.Errorf("%w: %q has no SQL", ErrBadColumn, name)
	case col.Field != nil && col.Field.Kind == nil:
		return Column{}, fmt.Errorf("%w: field %q has no resolved type", ErrBadColumn, name)
	case col.Field == nil && (col.Kind < SystemInt || col.Kind > SystemTime):
		return Column{}, fmt.Errorf("%w: system column %q has no kind", ErrBadColumn, name)
	}
	return col, nil
}

func isBool(col Column) bool {
	return col.Field != nil && col.Field.Kind.Column(col.Field).Kind == metamodel.ColumnBool
}

func isText(col Column) bool {
	if col.Field == nil {
		return col.Kind == SystemText
	}
	return col.Field.Kind.Column(col.Field).Kind == metamodel.ColumnText
}

// value converts a literal to the column's canonical value, binds it and
// returns its placeholder.
func (c *compiler) value(name string, col Column, v Value) (string, error) {
	var parsed any
	if f := col.Field; f != nil {
		var in any
		switch v.Kind {
		case String:
			in = v.Text
		case Number:
			in = json.Number(v.Text)
			// A decimal type refuses a JSON number with a fraction because
			// it has been through a client's float; a filter's number is
			// exact text, so it goes in as the string it is.
			if f.Kind.Column(f).Kind == metamodel.ColumnScaled {
				in = v.Text
			}
		case Bool:
			in = v.Text == "true"
		case Param:
			return "", errorf(v.Offset, "%s: $%s has no value (bind parameters before compiling)", name, v.Text)
		default:
			return "", errorf(v.Offset, "%s: a value has no kind", name)
		}
		var err error
		if parsed, err = f.Kind.Parse(f, in); err != nil {
			msg := metamodel.AsInputError(err).Message
			if v.Kind == Number && isText(col) {
				msg += fmt.Sprintf(" (text values are quoted: '%s')", v.Text)
			}
			return "", valueError(name, v, msg)
		}
	} else {
		var err error
		if parsed, err = parseSystem(col.Kind, v); err != nil {
			return "", valueError(name, v, err.Error())
		}
	}
	return c.arg(v.Offset, col.Field, parsed)
}

func (c *compiler) arg(off int, f *metamodel.Field, v any) (string, error) {
	if len(c.args) >= MaxArgs {
		return "", errorf(off, "the filter uses more than %d values", MaxArgs)
	}
	c.args = append(c.args, c.bind.Arg(f, v))
	return c.bind.Placeholder(c.argStart + len(c.args)), nil
}

func valueError(name string, v Value, reason string) error {
	return errorf(v.Offset, "%s: %s", name, reason)
}

// parseSystem converts a literal for a platform column, with the messages
// the field types use for the same mistakes.
func parseSystem(kind SystemKind, v Value) (any, error) {
	switch kind {
	case SystemInt:
		if v.Kind != Bool {
			if n, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
				return n, nil
			}
		}
		return nil, fmt.Errorf("应为整数，收到 %s", v)
	case SystemText:
		if v.Kind == String {
			return v.Text, nil
		}
		return nil, fmt.Errorf("应为文本 (text values are quoted: '%s')", v.Text)
	case SystemTime:
		if v.Kind == String {
			if t, err := time.Parse(time.RFC3339, v.Text); err == nil {
				if y := t.UTC().Year(); y < metamodel.MinYear || y > metamodel.MaxYear {
					return nil, fmt.Errorf("日期须在 0001-01-01 至 9999-12-31 之间，收到 %s", v)
				}
				return t.UTC(), nil
			}
		}
		return nil, fmt.Errorf("时间格式应为 RFC 3339（如 2026-01-02T15:04:05+08:00），收到 %s", v)
	}
	return nil, fmt.Errorf("%w: unknown system kind %d", ErrBadColumn, kind)
}

// suggestName finds a name the Resolver knows one edit away from name
// (a letter missing, extra, wrong or two swapped). A Resolver cannot list its
// names, and must not (hidden fields), so the candidates are probed; a hidden
// field does not resolve and is never suggested.
func suggestName(name string, resolve Resolver) string {
	if len(name) == 0 || len(name) > 64 {
		return ""
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_"
	var found []string
	try := func(s string) {
		if s == "" || s == name || slices.Contains(found, s) {
			return
		}
		if _, ok := resolve(s); ok {
			found = append(found, s)
		}
	}
	for i := range len(name) {
		try(name[:i] + name[i+1:])
		if i+1 < len(name) {
			try(name[:i] + name[i+1:i+2] + name[i:i+1] + name[i+2:])
		}
		for _, r := range alphabet {
			try(name[:i] + string(r) + name[i+1:])
		}
	}
	for i := range len(name) + 1 {
		for _, r := range alphabet {
			try(name[:i] + string(r) + name[i:])
		}
	}
	if len(found) == 0 {
		return ""
	}
	slices.Sort(found)
	return found[0]
}

// Package filter is the list-filter language of the REST API
// (GET /api/{app}/{entity}?filter=...): Parse turns a filter into an AST, and
// Compile turns the AST into a parameterised SQL WHERE condition for SQLite or
// PostgreSQL. Values only ever travel as bound arguments; the SQL text is made
// of the caller's column expressions, placeholders and fixed keywords.
//
// Grammar (keywords are case-insensitive):
//
//	filter     := or
//	or         := and ("or" and)*
//	and        := unary ("and" unary)*
//	unary      := "not" unary | "(" or ")" | predicate
//	predicate  := field op value
//	            | field "in" "(" value ("," value)* ")"
//	            | field "like" string      -- % and _ wildcards; \ escapes
//	            | field "under" string     -- a code and every code below it
//	            | field "is" "null" | field "is" "not" "null"
//	op         := "=" | "!=" | "<" | "<=" | ">" | ">="
//	value      := string | number | "true" | "false"
//	string     := '...' ('' is a quote) | "..." (\" is a quote, \\ a backslash)
//	number     := -?digits(.digits)?       -- kept as text, never a float
//	field      := [a-z_][a-z0-9_]*
//
// Example:
//
//	year = 2026 and agency under '101' and (amount >= '1000.00' or status in ('draft', 'submitted')) and not purpose like '%会议%'
//
// The user documentation is docs/filter.md.
//
// The package knows fields only through metamodel.Field and the caller's
// Resolver and Binder: it imports no database driver, no gorm and no HTTP
// package, so the record store decides quoting, argument encoding and
// permissions (hidden fields simply do not resolve).
package filter

import (
	"fmt"

	"github.com/growth-gov/growth/metamodel"
)

// Limits on one filter. They bound the work a single request can cause (parse
// recursion, SQL size, bound arguments) well below what either database
// accepts: SQLite allows 32766 bound arguments, PostgreSQL 65535.
const (
	// MaxLength is the longest filter source, in bytes.
	MaxLength = 4096
	// MaxDepth is how deeply parentheses and "not" may nest.
	MaxDepth = 32
	// MaxPredicates is the most conditions (comparisons, in, like, under, is
	// null) one filter may hold.
	MaxPredicates = 100
	// MaxInValues is the most values one "in" list may hold, and the largest
	// code subtree "under" expands into an IN list.
	MaxInValues = 1000
	// MaxArgs is the most arguments one compiled filter may bind. It exists
	// because MaxPredicates×MaxInValues would exceed both databases' limits.
	MaxArgs = 10000
)

// Error is a problem with a filter: a syntax error from Parse, or from Compile
// an unknown field, an operator the field does not support or a value that is
// not valid for the field. Offset is the byte offset in the source of the
// token at fault, so that a client can point at it.
type Error struct {
	Offset  int
	Message string
}

// Error formats the problem as "at 14: expected a value after \"=\"".
func (e *Error) Error() string { return fmt.Sprintf("at %d: %s", e.Offset, e.Message) }

func errorf(offset int, format string, args ...any) *Error {
	return &Error{Offset: offset, Message: fmt.Sprintf(format, args...)}
}

// SystemKind is the type of a platform column that has no metamodel.Field (id,
// version, state, created_by, created_at, updated_at).
type SystemKind int

// System column kinds.
const (
	// SystemInt holds an int64 (id, version); values are whole numbers.
	SystemInt SystemKind = iota + 1
	// SystemText holds a string (state, created_by).
	SystemText
	// SystemTime holds an instant (created_at, updated_at); values are
	// written in RFC 3339 and bound as a UTC time.Time.
	SystemTime
)

// Column is what a filter may name.
type Column struct {
	// SQL is the column expression to emit, already quoted by the caller
	// (for example `"amount"` or `t."amount"`). It is written into the SQL
	// as is, so it must never come from user input.
	SQL string
	// Field is the field behind the column, nil for system columns.
	Field *metamodel.Field
	// Kind is the type of a system column (Field == nil).
	Kind SystemKind
}

// Resolver resolves a name in the filter to a column; ok is false if the name
// is unknown or not allowed (a field hidden from the user). Besides once per
// predicate, Compile probes it with near spellings of an unknown name to offer
// a suggestion, so it must be cheap and free of side effects.
type Resolver func(name string) (col Column, ok bool)

// Binder is how a database dialect takes arguments.
type Binder interface {
	// Placeholder is the placeholder of the n-th argument of the whole
	// statement, counting from 1: "?" for SQLite, "$n" for PostgreSQL.
	Placeholder(n int) string
	// Arg turns a canonical value (as the field type's Parse returns it:
	// string, int64, decimal.Decimal, time.Time, bool) into a database
	// argument, e.g. money decimal → int64 fen. f is nil for system columns,
	// whose values are int64, string or time.Time.
	Arg(f *metamodel.Field, v any) any
}

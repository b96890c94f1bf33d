package metamodel

import (
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// FieldType is what a field type does: check its settings at load, say how its
// values are stored, turn input into a canonical value, check and render it. A
// new field type is one new file that registers itself.
//
// Canonical values: string (string, text, enum, code), int64 (int, ref),
// decimal.Decimal (decimal, money), time.Time (date, datetime), bool.
type FieldType interface {
	// Name is the type's name in definitions.
	Name() string
	// Setup checks f's type-specific settings and stores what it parsed in
	// f.Settings; problems are reported at their key's position.
	Setup(f *Field, ps *Problems)
	// Column says how values are stored.
	Column(f *Field) Column
	// Parse turns input (JSON-decoded: string, json.Number, bool, float64; or a
	// form or CSV string) into the canonical value. nil input is never passed.
	Parse(f *Field, in any) (any, error)
	// Validate checks a canonical value against the field's settings.
	Validate(f *Field, v any) error
	// JSON renders a canonical value for the API (money as "1234.56").
	JSON(f *Field, v any) any
	// Zero is the value an empty field has in expressions; its Go type is the
	// field's type in expressions.
	Zero(f *Field) any
}

// ColumnKind is a storage class; the engine maps it to each dialect's DDL.
type ColumnKind int

// Storage classes.
const (
	ColumnText ColumnKind = iota + 1
	ColumnInt
	ColumnBool
	// ColumnScaled holds a decimal as an integer count of 10^-Scale units (money
	// in fen), so that no database ever does float arithmetic on an amount.
	ColumnScaled
	ColumnDate
	ColumnTimestamp
)

// Column describes a field's storage.
type Column struct {
	Kind  ColumnKind
	Scale int // ColumnScaled: digits after the point
	Size  int // ColumnText: maximum length in characters, 0 = unbounded
}

var (
	fieldTypesMu sync.RWMutex
	fieldTypes   = map[string]FieldType{}
)

// RegisterFieldType adds a field type; each field type file calls it from init.
func RegisterFieldType(t FieldType) {
	fieldTypesMu.Lock()
	defer fieldTypesMu.Unlock()
	if _, dup := fieldTypes[t.Name()]; dup {
		panic("metamodel: field type registered twice: " + t.Name())
	}
	fieldTypes[t.Name()] = t
}

// LookupFieldType returns the field type called name, or nil.
func LookupFieldType(name string) FieldType {
	fieldTypesMu.RLock()
	defer fieldTypesMu.RUnlock()
	return fieldTypes[name]
}

// FieldTypeNames lists the registered field types, sorted.
func FieldTypeNames() []string {
	fieldTypesMu.RLock()
	defer fieldTypesMu.RUnlock()
	names := make([]string, 0, len(fieldTypes))
	for n := range fieldTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// InputError is a problem with one value a user gave; Code is stable for
// clients (errcode), Message is for people (zh-CN), MessageEn the same in
// English.
type InputError struct {
	Code      errcode.Code
	Message   string
	MessageEn string
	// Sentinel, when set, is the error errors.Is finds in it (ErrUnknownCode…).
	Sentinel error
}

func (e *InputError) Error() string { return e.Message }

// Unwrap makes errors.Is(err, e.Sentinel) true.
func (e *InputError) Unwrap() error { return e.Sentinel }

// Text is the message in both languages.
func (e *InputError) Text() errcode.Text { return errcode.Text{Zh: e.Message, En: e.MessageEn} }

// inputErr is an InputError of code, its message built from format and args
// (errcode.Code.Format).
func inputErr(code errcode.Code, format string, args ...any) error {
	t := code.Format(format, args...)
	return &InputError{Code: code, Message: t.Zh, MessageEn: t.En}
}

// AsInputError extracts the InputError in err, or wraps err's text as one.
func AsInputError(err error) *InputError {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie
	}
	return &InputError{Code: errcode.Invalid, Message: err.Error()}
}

// Settings keys every field may use; the checker refuses type-specific keys on
// a type that does not take them.
var commonKeys = map[string]bool{"type": true, "label": true, "label_en": true, "help": true, "required": true, "unique": true, "readonly": true, "default": true}

// OnlyKeys reports the keys of f that its type does not take: Setup calls
// it with the type's own keys (the common ones, label to default, are
// always allowed).
func OnlyKeys(f *Field, ps *Problems, allowed ...string) {
	ok := map[string]bool{}
	for _, k := range allowed {
		ok[k] = true
	}
	for k, pos := range f.At {
		// At also holds positions inside values (values.0); the key itself is enough.
		if strings.Contains(k, ".") {
			continue
		}
		if !commonKeys[k] && !ok[k] {
			ps.Addf(pos, "field %s: key %q does not apply to type %s", f.where(), k, f.Type)
		}
	}
}

// Optional behaviours. FieldType above is all a field type must do. The
// layers above ask a field type more through the small interfaces below; a
// type that implements none of them is answered by its storage column
// (the fallbacks here and in field_present.go), so a new field type is one
// file however many of them it implements. Nothing outside the field type
// files names a field type.

// Trait is something a field's values are, beyond how they are stored, that
// the layers above ask about (f.Is) instead of naming field types.
type Trait uint

// Traits.
const (
	// Textual values are free text, where "" is a value and "contains"
	// finds values (string, text).
	Textual Trait = 1 << iota
	// LongText is text of any length: a form row of its own, a wide
	// column, not a list column by default (text).
	LongText
	// Searchable fields are where a list's search box looks (string, text,
	// code).
	Searchable
	// Money is an amount in yuan: lists total it, forms spell it in words,
	// ledgers move it (money).
	Money
	// Identifier values are numbers that name something, not quantities:
	// never summed, compared in tiers or right-aligned (ref, file).
	Identifier
	// RecordRef values are ids of records of the entity the field's Target
	// names; 0 is none (ref).
	RecordRef
	// CodeRef values are codes of the code set the field's Set names
	// (code).
	CodeRef
	// Choice values are one of the field's Values (enum).
	Choice
	// Attachment values are ids of files the platform stores (file).
	Attachment
)

// A JSONAppender is a field type that can also write a value's JSON form
// as bytes: exactly what encoding/json writes for JSON(f, v), appended to
// dst. It may decline (false) for a value it does not write itself; the
// record API's answers then encode JSON(f, v).
type JSONAppender interface {
	AppendJSON(dst []byte, f *Field, v any) ([]byte, bool)
}

// A Traiter is a field type that says what its values are. Without it, a
// text column is Textual and Searchable, and nothing else.
type Traiter interface {
	Traits(f *Field) Trait
}

// Is reports whether f's values have every trait of t.
func (f *Field) Is(t Trait) bool { return traitsOf(f)&t == t }

func traitsOf(f *Field) Trait {
	switch k := f.Kind.(type) {
	case nil:
		return 0
	case Traiter:
		return k.Traits(f)
	}
	if f.Kind.Column(f).Kind == ColumnText {
		return Textual | Searchable
	}
	return 0
}

// A Deriver is a field type whose values the platform computes instead of
// anyone writing them: computed (from the record's fields) and rollup
// (from other records). Result is the field describing the values stored:
// their type and settings, nil until the field is resolved.
type Deriver interface {
	Result(f *Field) *Field
}

// Computed reports whether the platform computes f's value (a computed or
// rollup field): no user, import, default, workflow action or schedule
// sets it, and it is never required.
func (f *Field) Computed() bool {
	_, ok := f.Kind.(Deriver)
	return ok
}

// ValueField is the field describing the values f stores: the result of a
// computed or rollup field, f itself otherwise.
func (f *Field) ValueField() *Field {
	if d, ok := f.Kind.(Deriver); ok {
		if r := d.Result(f); r != nil {
			return r
		}
	}
	return f
}

// ResultType is the name of the type f's values have: the result type of a
// computed or rollup field, the field's own type otherwise.
func ResultType(f *Field) string { return f.ValueField().Type }

// IsNumber reports whether f holds a quantity (money, decimal, int, or a
// computed or rollup field giving one): summed, compared, right-aligned.
func IsNumber(f *Field) bool {
	if f.Kind == nil || f.Is(Identifier) {
		return false
	}
	k := f.Kind.Column(f).Kind
	return k == ColumnScaled || k == ColumnInt
}

// A Resolver is a field type whose settings name other parts of the
// project (an entity, a code set). Resolve finds them once every entity is
// known, right after Setup, and reports names that do not exist.
type Resolver interface {
	Resolve(f *Field, p *Project, ps *Problems)
}

// A RecordChecker is a field type whose values are checked against the
// rest of the record they are written in (a code against the record's
// fiscal year). values are the record's canonical values; Validate has
// passed.
type RecordChecker interface {
	CheckInRecord(f *Field, v any, values map[string]any) error
}

// CheckInRecord checks v against the record's other values, for field
// types that do (RecordChecker).
func CheckInRecord(f *Field, v any, values map[string]any) error {
	if c, ok := f.Kind.(RecordChecker); ok {
		return c.CheckInRecord(f, v, values)
	}
	return nil
}

// A Labeler is a field type whose values have names shown beside or
// instead of them: an enum value's label, a code's name. Label is v's name
// in English when en (else Chinese), and whether it has one.
type Labeler interface {
	Label(f *Field, v string, en bool) (string, bool)
}

// HasLabels reports whether f's values have names (Labeler).
func HasLabels(f *Field) bool {
	_, ok := f.ValueField().Kind.(Labeler)
	return ok
}

// ValueLabel is the name of canonical value v of f, and whether it has one.
func ValueLabel(f *Field, v any, en bool) (string, bool) {
	vf := f.ValueField()
	l, ok := vf.Kind.(Labeler)
	s, isText := v.(string)
	if !ok || !isText {
		return "", false
	}
	return l.Label(vf, s, en)
}

// ParseLiteral turns a value written in a definition (YAML gives int,
// float64, string, bool) or given by an expression (int, decimal.Decimal,
// time.Time …) into f's canonical value. A whole number for a decimal
// field is read as its text, so that range checks apply to it; a float is
// read as the shortest decimal that prints it.
func ParseLiteral(f *Field, in any) (any, error) {
	switch v := in.(type) {
	case int:
		in = int64(v)
	case float64:
		in = decimal.NewFromFloat(v).String()
	}
	if n, ok := in.(int64); ok && f.Kind.Column(f).Kind == ColumnScaled {
		in = formatInt(n)
	}
	return f.Kind.Parse(f, in)
}

// DefaultValue is f's default as a canonical value: nil when it has none,
// or when the platform computes the field; an error when the default is not
// a valid value (the checker reports it).
func DefaultValue(f *Field) (any, error) {
	if f.Default == nil || f.Kind == nil || f.Computed() {
		return nil, nil
	}
	v, err := ParseLiteral(f, f.Default)
	if err == nil {
		err = f.Kind.Validate(f, v)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// IsShortText reports whether f holds a line of free text (a string
// field): what names a record, what a number is stamped into.
func IsShortText(f *Field) bool { return f.Is(Textual) && !f.Is(LongText) }

// wholeNumber reports whether f is written as a whole number (an int
// field): a fiscal year, a count.
func wholeNumber(f *Field) bool {
	return !f.Computed() && IsNumber(f) && f.Kind.Column(f).Kind == ColumnInt
}

// An exprCompiler is a field type with an expression over its record
// (computed): compile compiles it against env, the entity's environment,
// once every field of the project is set up.
type exprCompiler interface {
	compile(f *Field, env map[string]any, ps *Problems)
}

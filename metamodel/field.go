package metamodel

import (
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/growth-gov/growth/metamodel/errcode"
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

// onlyKeys reports keys of f that its type does not take.
func onlyKeys(f *Field, ps *Problems, allowed ...string) {
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

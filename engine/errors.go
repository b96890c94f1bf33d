package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors; the HTTP layer maps each to one status in one place.
var (
	// ErrNotFound: no such record, or not one the actor may see.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a stale version, a duplicate, or a state that does not allow the action.
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the actor may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnknown: the app or entity named does not exist.
	ErrUnknown = errors.New("unknown app or entity")
)

// FieldError is one problem with one field: a stable code and a message for people.
type FieldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// MessageEn is the message in English, when the definition gives one
	// (a rule's message_en); clients asking in English are shown it.
	MessageEn string `json:"message_en,omitempty"`
}

// Text is the message in English when english is set and there is one,
// else the message.
func (fe FieldError) Text(english bool) string {
	if english && fe.MessageEn != "" {
		return fe.MessageEn
	}
	return fe.Message
}

// ValidationError lists every problem with a record's values by field; "_record"
// holds problems that belong to no single field.
type ValidationError struct {
	// Malformed marks input that is not a record at all (unknown fields, not an
	// object): the client's mistake rather than the user's.
	Malformed bool
	Fields    map[string][]FieldError
}

// RecordField is the key of problems that belong to the whole record.
const RecordField = "_record"

func (e *ValidationError) add(field, code, format string, args ...any) {
	if e.Fields == nil {
		e.Fields = map[string][]FieldError{}
	}
	e.Fields[field] = append(e.Fields[field], FieldError{Code: code, Message: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) addError(field string, fe FieldError) {
	if e.Fields == nil {
		e.Fields = map[string][]FieldError{}
	}
	e.Fields[field] = append(e.Fields[field], fe)
}

func (e *ValidationError) empty() bool { return len(e.Fields) == 0 }

func (e *ValidationError) Error() string {
	var names []string
	for n := range e.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		for _, fe := range e.Fields[n] {
			parts = append(parts, n+": "+fe.Message)
		}
	}
	return "validation: " + strings.Join(parts, "; ")
}

// IsValidation reports whether err is a *ValidationError.
func IsValidation(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}

// ConflictError says what conflicted, for the user.
type ConflictError struct {
	Code    string // stale, duplicate, state, insufficient_balance
	Message string
	Fields  map[string][]FieldError
}

func (e *ConflictError) Error() string { return e.Message }

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// ForbiddenError says why the actor may not act.
type ForbiddenError struct{ Message string }

func (e *ForbiddenError) Error() string { return e.Message }

// Unwrap makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// ErrUnauthorized: no valid credentials.
var ErrUnauthorized = errors.New("unauthorized")

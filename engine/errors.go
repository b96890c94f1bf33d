package engine

import (
	"errors"
	"sort"
	"strings"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Errors carry a stable code from errcode, the one list of codes, and a
// message for people in Chinese and, where there is one, English. Messages
// are built from the code, a Chinese format and its arguments
// (errcode.Code.Format); the English comes from errcode's catalogue.
// errors.Is(err, errcode.X) asks whether err carries code X; IsValidation,
// IsConflict, IsForbidden, IsNotFound and IsUnauthorized ask for a kind;
// CodeOf is the code a client is answered with.

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
	Code    errcode.Code `json:"code"`
	Message string       `json:"message"`
	// MessageEn is the message in English, when there is one (errcode's
	// catalogue, or a rule's message_en); clients asking in English are
	// shown it.
	MessageEn string `json:"message_en,omitempty"`
}

// fieldError is a FieldError of code with its text.
func fieldError(code errcode.Code, t errcode.Text) FieldError {
	return FieldError{Code: code, Message: t.Zh, MessageEn: t.En}
}

// text is the message in both languages.
func (fe FieldError) text() errcode.Text { return errcode.Text{Zh: fe.Message, En: fe.MessageEn} }

// entityLabel is an entity's title in both languages, for messages.
func entityLabel(e *metamodel.Entity) errcode.Text { return errcode.Label(e.Label(), e.TitleEn) }

// fieldLabel is a field's label in both languages, for messages.
func fieldLabel(f *metamodel.Field) errcode.Text { return errcode.Label(f.DisplayLabel(), f.LabelEn) }

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

// Add records a problem of code with field, its message built from format
// and args (errcode.Code.Format).
func (e *ValidationError) Add(field string, code errcode.Code, format string, args ...any) {
	e.addError(field, fieldError(code, code.Format(format, args...)))
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

// Is makes errors.Is(err, errcode.X) true when X is the error's code
// (validation or malformed) or the code of any of its fields.
func (e *ValidationError) Is(target error) bool {
	code, ok := target.(errcode.Code)
	if !ok {
		return false
	}
	if code == e.code() {
		return true
	}
	for _, list := range e.Fields {
		for _, fe := range list {
			if fe.Code == code {
				return true
			}
		}
	}
	return false
}

func (e *ValidationError) code() errcode.Code {
	if e.Malformed {
		return errcode.Malformed
	}
	return errcode.Validation
}

// addInput records the problem of an input error (metamodel.InputError)
// with field.
func (e *ValidationError) addInput(field string, err error) {
	ie := metamodel.AsInputError(err)
	e.addError(field, fieldError(ie.Code, ie.Text()))
}

// Invalid is a ValidationError (422 validation) of one problem of code with
// field, its message built from format and args (errcode.Code.Format).
func Invalid(field string, code errcode.Code, format string, args ...any) *ValidationError {
	return InvalidText(field, code, code.Format(format, args...))
}

// InvalidText is Invalid with a message already made.
func InvalidText(field string, code errcode.Code, t errcode.Text) *ValidationError {
	verr := &ValidationError{}
	verr.addError(field, fieldError(code, t))
	return verr
}

// Malformed is Invalid for input that is not what the API takes (400
// malformed), rather than values the user should correct.
func Malformed(field string, code errcode.Code, format string, args ...any) *ValidationError {
	verr := Invalid(field, code, format, args...)
	verr.Malformed = true
	return verr
}

// IsValidation reports whether err is a *ValidationError.
func IsValidation(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}

// ConflictError says what conflicted, for the user: the state of the data
// refuses a well-formed request (HTTP 409 with Code).
type ConflictError struct {
	Code      errcode.Code // stale, duplicate, state, insufficient_balance…
	Message   string
	MessageEn string
	Fields    map[string][]FieldError
}

// conflict is a ConflictError of code, its message built from format and
// args (errcode.Code.Format).
func conflict(code errcode.Code, format string, args ...any) *ConflictError {
	t := code.Format(format, args...)
	return &ConflictError{Code: code, Message: t.Zh, MessageEn: t.En}
}

func (e *ConflictError) Error() string { return e.Message }

// Text is the message in English when english is set and there is one.
func (e *ConflictError) Text(english bool) string {
	return errcode.Text{Zh: e.Message, En: e.MessageEn}.In(english)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Is makes errors.Is(err, errcode.X) true for the conflict's code.
func (e *ConflictError) Is(target error) bool { return target == e.Code }

// IsConflict reports whether err is a conflict (ErrConflict, or a
// *ConflictError of any code).
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// ForbiddenError says why the actor may not act.
type ForbiddenError struct {
	Message   string
	MessageEn string
}

// Forbidden is a ForbiddenError, its message built from format and args.
func Forbidden(format string, args ...any) error {
	return ForbiddenText(errcode.Forbidden.Format(format, args...))
}

// ForbiddenText is a ForbiddenError with a message already made.
func ForbiddenText(t errcode.Text) error { return &ForbiddenError{Message: t.Zh, MessageEn: t.En} }

func (e *ForbiddenError) Error() string { return e.Message }

// Text is the message in English when english is set and there is one.
func (e *ForbiddenError) Text(english bool) string {
	return errcode.Text{Zh: e.Message, En: e.MessageEn}.In(english)
}

// Unwrap makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// Is makes errors.Is(err, errcode.Forbidden) true.
func (e *ForbiddenError) Is(target error) bool { return target == errcode.Forbidden }

// IsForbidden reports whether err says the actor may not act.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// ErrUnauthorized: no valid credentials.
var ErrUnauthorized = errors.New("unauthorized")

// IsUnauthorized reports whether err says the credentials do not hold.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsNotFound reports whether err says something does not exist (or is not
// one the actor may see): a record, a file, an app or entity.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnknown) }

// SentinelError is a case of a sentinel (ErrNotFound, ErrUnauthorized…)
// with a message for people in both languages. Its Error is the sentinel's
// text, a colon and the Chinese message, as fmt.Errorf("%w: …") would give.
type SentinelError struct {
	Sentinel error
	Text     errcode.Text
}

func (e *SentinelError) Error() string { return e.Sentinel.Error() + ": " + e.Text.Zh }

// Unwrap makes errors.Is(err, e.Sentinel) true.
func (e *SentinelError) Unwrap() error { return e.Sentinel }

// Is makes errors.Is(err, errcode.X) true for the code of its sentinel
// (not_found, unauthorized).
func (e *SentinelError) Is(target error) bool {
	code := CodeOf(e.Sentinel)
	return code != "" && target == code
}

// NotFound is ErrNotFound with what was not found, built from format and
// args (errcode.NotFound.Format).
func NotFound(format string, args ...any) error {
	return &SentinelError{Sentinel: ErrNotFound, Text: errcode.NotFound.Format(format, args...)}
}

// Unauthorized is ErrUnauthorized with why, built from format and args.
func Unauthorized(format string, args ...any) error {
	return &SentinelError{Sentinel: ErrUnauthorized, Text: errcode.Unauthorized.Format(format, args...)}
}

// CodeOf is the code error.code answers err with when err is one of the
// engine's errors, and "" when it is not (an internal error).
func CodeOf(err error) errcode.Code {
	var (
		ve  *ValidationError
		ce  *ConflictError
		ir  *ImportRejectedError
		ue  *UnavailableError
		tma *TooManyAttemptsError
		kr  *KeyReusedError
		bq  *BadQueryError
	)
	switch {
	case errors.As(err, &ue):
		return ue.Code
	case errors.As(err, &ir):
		return errcode.ImportRejected
	case errors.As(err, &ve):
		return ve.code()
	case errors.As(err, &kr):
		return errcode.IdempotencyKeyReused
	case errors.As(err, &bq):
		return errcode.Malformed
	case errors.As(err, &ce):
		return ce.Code
	case errors.Is(err, ErrConflict):
		return errcode.Conflict
	case errors.Is(err, ErrForbidden):
		return errcode.Forbidden
	case IsNotFound(err):
		return errcode.NotFound
	case errors.As(err, &tma):
		return tma.Code
	case errors.Is(err, ErrUnauthorized):
		return errcode.Unauthorized
	}
	return ""
}

// Package errcode is the one list of Growth's stable error codes, and the
// messages that go with them in Chinese and English.
//
// A code is what a client may act on: error.code of an API answer, or one of
// field_codes (docs/api.md#errors lists every one). Codes never change once
// published; a new situation gets a new code. The message of a code is for
// people: it is built from a Chinese format and its arguments (Format), and
// the same arguments in the English format the catalogue (english.go) gives
// that Chinese format, so that the API and the web UI show each user their
// language.
//
// It imports nothing of Growth, so that every layer (the field types of
// metamodel, the engine, engine/web, apps, ui) names codes from here.
package errcode

// Code is a stable error code. A Code is an error too, so that
// errors.Is(err, errcode.Stale) asks whether err carries that code: the
// engine's error types answer it (engine.ConflictError, ValidationError and
// the others).
type Code string

func (c Code) Error() string { return string(c) }

// The codes of error.code: what kind of refusal a whole answer is. Each has
// one HTTP status (engine/web). A refusal with a more specific code (a stale
// version, a closed period) carries that code; a client that knows only the
// status may treat every 409 as a conflict.
const (
	// Malformed (400): the request is not what the API takes: not JSON, an
	// unknown or system field, a bad filter, sort or parameter.
	Malformed Code = "malformed"
	// Unauthorized (401): no credentials, or credentials that do not hold.
	Unauthorized Code = "unauthorized"
	// Forbidden (403): the actor may not do this. Also a field code: an
	// import row the importer may not write.
	Forbidden Code = "forbidden"
	// NotFound (404): no such app, entity, record, report or path, or none the
	// actor may see.
	NotFound Code = "not_found"
	// MethodNotAllowed (405): the path does not take the method.
	MethodNotAllowed Code = "method_not_allowed"
	// Conflict (409): a conflict without a code of its own (an HTTP 409 from
	// below the engine).
	Conflict Code = "conflict"
	// TooLarge (413, 431): the body, or the request line and headers, are over
	// their limit. Also a field code: an upload over the largest file field.
	TooLarge Code = "too_large"
	// Validation (422): values break their fields' types, limits or rules;
	// field_codes say which.
	Validation Code = "validation"
	// ImportRejected (422): an import with bad rows; nothing was imported.
	ImportRejected Code = "import_rejected"
	// IdempotencyKeyReused (422): the same user sent another request under a
	// used Idempotency-Key. Also a field code, of the Idempotency-Key header.
	IdempotencyKeyReused Code = "idempotency_key_reused"
	// Locked (429): too many failed logins of this name; it is locked for a
	// while.
	Locked Code = "locked"
	// RateLimited (429): logins too fast, or too many failures from one
	// address.
	RateLimited Code = "rate_limited"
	// Canceled (499): the client went away before the answer.
	Canceled Code = "canceled"
	// Internal (500): an error the client cannot act on; the log has it.
	Internal Code = "internal"
	// DefinitionsChanged (503): the database was migrated to other
	// definitions than this server runs; writes are refused.
	DefinitionsChanged Code = "definitions_changed"
	// Database (503): the database does not answer.
	Database Code = "database"
	// SSOUnavailable (503): the single sign-on provider cannot be reached.
	SSOUnavailable Code = "sso_unavailable"
)

// The codes of 409 Conflict: the request was well formed and allowed, but
// the state of the data refuses it. Nothing was written.
const (
	// Stale: the record changed since the version the client read.
	Stale Code = "stale"
	// Duplicate: a unique value is taken (also a field code, on each field of
	// the unique key; in an import, a row repeating another).
	Duplicate Code = "duplicate"
	// State: the record's workflow state does not allow the change or the
	// event (also a field code of an import's event column).
	State Code = "state"
	// Blocked: a record pointing at this one blocks the event (also the field
	// code under _record).
	Blocked Code = "blocked"
	// Retry: on PostgreSQL the request crossed another one (a deadlock or a
	// serialization failure); send it again.
	Retry Code = "retry"
	// DuplicateApproval: the actor already approved this step of a quorum.
	DuplicateApproval Code = "duplicate_approval"
	// InsufficientBalance: a draw larger than what is available (also the
	// field code of the amount).
	InsufficientBalance Code = "insufficient_balance"
	// AccountNotOpen: the account drawn on or moved is not open (also a field
	// code).
	AccountNotOpen Code = "account_not_open"
	// LedgerState: the account's balances do not allow the movement (also a
	// field code).
	LedgerState Code = "ledger_state"
	// BalanceInUse: an account with reserved, used or frozen amounts cannot
	// be deleted.
	BalanceInUse Code = "balance_in_use"
	// AdjustmentApplied: an adjustment already in force cannot be changed or
	// deleted.
	AdjustmentApplied Code = "adjustment_applied"
	// IdempotencyInProgress: a retry whose first request is still being
	// handled; send it again for the first one's answer.
	IdempotencyInProgress Code = "idempotency_in_progress"
	// PeriodClosed: the accounting period of the voucher is closed.
	PeriodClosed Code = "period_closed"
	// VoucherUnbalanced: the voucher's debits and credits differ.
	VoucherUnbalanced Code = "voucher_unbalanced"
	// VoucherReversed: the voucher was already reversed.
	VoucherReversed Code = "voucher_reversed"
	// VoucherReversal: a reversing voucher cannot itself be reversed.
	VoucherReversal Code = "voucher_reversal"
	// Matched: a reconciliation item that matched needs no handling.
	Matched Code = "matched"
	// Resolved: the reconciliation difference or exchange exception was
	// already handled.
	Resolved Code = "resolved"
	// MessageTotal: an outbound message's total disagrees with its record.
	MessageTotal Code = "message_total"
	// RollupDepth: rollups went deeper than the limit (records may refer to
	// each other in a loop).
	RollupDepth Code = "rollup_depth"
	// ExportValue: a value of an export's column cannot be computed.
	ExportValue Code = "export_value"
	// ExportTotal: the export's check total cannot be computed or disagrees
	// with the record.
	ExportTotal Code = "export_total"
	// ExportEncoding: the export's encoding cannot write a character.
	ExportEncoding Code = "export_encoding"
	// ExportWidth: a value is wider than its fixed-width column.
	ExportWidth Code = "export_width"
)

// The codes of field_codes: what is wrong with one field (or with the whole
// record, under _record). A rule's problems carry the rule's name instead.
const (
	// Required: the field must have a value.
	Required Code = "required"
	// Type: the value is not of the field's type.
	Type Code = "type"
	// Scale: more decimals than the field takes.
	Scale Code = "scale"
	// Min: below the field's minimum.
	Min Code = "min"
	// Max: above the field's maximum.
	Max Code = "max"
	// Range: a number too large to store.
	Range Code = "range"
	// TooLong: more characters than the field takes.
	TooLong Code = "too_long"
	// MaxLength: a user's display name is empty or too long.
	MaxLength Code = "max_length"
	// Pattern: the text does not match the field's pattern, or a user name is
	// not a valid one.
	Pattern Code = "pattern"
	// Enum: not one of the field's values.
	Enum Code = "enum"
	// NulCharacter: the text holds a NUL character or invalid UTF-8.
	NulCharacter Code = "nul_character"
	// InvalidUTF8: an Idempotency-Key that is not UTF-8.
	InvalidUTF8 Code = "invalid_utf8"
	// ControlCharacter: an Idempotency-Key with a control character.
	ControlCharacter Code = "control_character"
	// OutOfRange: a date outside 0001-01-01 to 9999-12-31.
	OutOfRange Code = "out_of_range"
	// Invalid: a value the field's type refuses for another reason, or a
	// saved filter that does not parse.
	Invalid Code = "invalid"
	// UnknownCode: the code is not in the field's code set.
	UnknownCode Code = "unknown_code"
	// CodeNotLeaf: the field takes leaf codes only.
	CodeNotLeaf Code = "code_not_leaf"
	// CodeDisabled: the code is disabled.
	CodeDisabled Code = "code_disabled"
	// CodeNotValid: the code is not valid in the record's fiscal year.
	CodeNotValid Code = "code_not_valid"
	// RefNotFound: the record referred to does not exist.
	RefNotFound Code = "ref_not_found"
	// RefForbidden: the writer may not see the record referred to.
	RefForbidden Code = "ref_forbidden"
	// Readonly: the field is read-only, or hidden from the writer.
	Readonly Code = "readonly"
	// UnknownField: the entity has no such field.
	UnknownField Code = "unknown_field"
	// SystemField: a system field (id, version, state…) cannot be written.
	SystemField Code = "system_field"
	// Computed: a computed field could not be computed.
	Computed Code = "computed"
	// Set: a value a workflow event or a generated record sets could not be
	// set.
	Set Code = "set"
	// NotInput: the event does not take this field as input.
	NotInput Code = "not_input"
	// Guard: the event's guard refused it, or could not be evaluated.
	Guard Code = "guard"
	// Mismatch: a value disagrees with the account it draws on, or two
	// passwords differ.
	Mismatch Code = "mismatch"
	// AmountNotPositive: an amount that must be above zero is not.
	AmountNotPositive Code = "amount_not_positive"
	// TransferSameAccount: a transfer from an account to itself.
	TransferSameAccount Code = "transfer_same_account"
	// DrawWhen: a draw's condition could not be evaluated.
	DrawWhen Code = "draw_when"
	// Password: the password breaks the password policy.
	Password Code = "password"
	// UnknownRole: a role the definitions do not have.
	UnknownRole Code = "unknown_role"
	// UnknownOrg: an org that is not in the org code set.
	UnknownOrg Code = "unknown_org"
	// Scope: an import row for an org outside the importer's data scope.
	Scope Code = "scope"
	// File: the import file itself is unreadable or malformed.
	File Code = "file"
	// FileNotFound: no such uploaded file, or one the writer may not read.
	FileNotFound Code = "file_not_found"
	// FileTooLarge: the file is larger than the field takes.
	FileTooLarge Code = "file_too_large"
	// FileType: the file's type is not one the field takes.
	FileType Code = "file_type"
	// FileName: an upload without a file name.
	FileName Code = "name"
	// Empty: an empty upload.
	Empty Code = "empty"
	// ContentMismatch: the file's content is not what its name or declared
	// type says.
	ContentMismatch Code = "content_mismatch"
	// Quota: the user's uploads that no record holds yet are over the quota.
	Quota Code = "quota"
	// ChartUnknown: no such chart of accounts in the postings.
	ChartUnknown Code = "chart_unknown"
	// ChartRequired: the books have several charts; name one.
	ChartRequired Code = "chart_required"
	// AccountUnknown: the account is not in the chart.
	AccountUnknown Code = "account_unknown"
	// AccountMissing: a posting's account field is empty.
	AccountMissing Code = "account_missing"
	// PeriodInvalid: an accounting period not written YYYY-MM.
	PeriodInvalid Code = "period_invalid"
	// VoucherInvalid: a voucher number not written PERIOD#NUMBER.
	VoucherInvalid Code = "voucher_invalid"
	// DateInvalid: a date not written YYYY-MM-DD.
	DateInvalid Code = "date_invalid"
	// Posting: a posting rule of the books failed.
	Posting Code = "posting"
	// Generate: a record an event generates could not be made.
	Generate Code = "generate"
	// GenerateLimit: an event would generate more records than one event may.
	GenerateLimit Code = "generate_limit"
)

// Requests are the codes of error.code, Fields those of field_codes; a
// code may be both. docs/api.md lists each, and a test holds the two to it.
var (
	Requests = []Code{Malformed, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
		Stale, Duplicate, State, Blocked, Retry, DuplicateApproval, InsufficientBalance, AccountNotOpen,
		LedgerState, BalanceInUse, AdjustmentApplied, IdempotencyInProgress, PeriodClosed,
		VoucherUnbalanced, VoucherReversed, VoucherReversal, Matched, Resolved, MessageTotal,
		RollupDepth, ExportValue, ExportTotal, ExportEncoding, ExportWidth,
		TooLarge, Validation, ImportRejected, IdempotencyKeyReused, Locked, RateLimited, Canceled,
		Internal, DefinitionsChanged, Database, SSOUnavailable}
	Fields = []Code{Required, Type, Scale, Min, Max, Range, TooLong, MaxLength, Pattern, Enum,
		NulCharacter, InvalidUTF8, ControlCharacter, OutOfRange, Invalid, UnknownCode, CodeNotLeaf,
		CodeDisabled, CodeNotValid, RefNotFound, RefForbidden, Duplicate, Readonly, UnknownField,
		SystemField, Computed, Set, NotInput, Guard, Mismatch, AmountNotPositive,
		TransferSameAccount, DrawWhen, Password, UnknownRole, UnknownOrg, Scope, Forbidden, File,
		FileNotFound, FileTooLarge, FileType, FileName, Empty, TooLarge, ContentMismatch, Quota,
		ChartUnknown, ChartRequired, AccountUnknown, AccountMissing, PeriodInvalid, VoucherInvalid,
		DateInvalid, Posting, Generate, GenerateLimit, State, Blocked, InsufficientBalance,
		AccountNotOpen, LedgerState, IdempotencyKeyReused}
)

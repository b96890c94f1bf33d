package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Body is the one JSON shape of every error (docs/api.md#errors): fields maps
// a field to its messages, field_codes to their stable codes.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the error object of a Body.
type Detail struct {
	Code       errcode.Code              `json:"code"`
	Message    string                    `json:"message"`
	Fields     map[string][]string       `json:"fields,omitempty"`
	FieldCodes map[string][]errcode.Code `json:"field_codes,omitempty"`
	// Rows lists every bad row of a refused import.
	Rows []engine.ImportRowError `json:"rows,omitempty"`
}

// statuses is the HTTP status of every code of error.code (errcode.Requests).
var statuses = map[errcode.Code]int{
	errcode.Malformed:             http.StatusBadRequest,
	errcode.Unauthorized:          http.StatusUnauthorized,
	errcode.Forbidden:             http.StatusForbidden,
	errcode.NotFound:              http.StatusNotFound,
	errcode.MethodNotAllowed:      http.StatusMethodNotAllowed,
	errcode.Conflict:              http.StatusConflict,
	errcode.Stale:                 http.StatusConflict,
	errcode.Duplicate:             http.StatusConflict,
	errcode.State:                 http.StatusConflict,
	errcode.Blocked:               http.StatusConflict,
	errcode.Retry:                 http.StatusConflict,
	errcode.DuplicateApproval:     http.StatusConflict,
	errcode.InsufficientBalance:   http.StatusConflict,
	errcode.AccountNotOpen:        http.StatusConflict,
	errcode.LedgerState:           http.StatusConflict,
	errcode.BalanceInUse:          http.StatusConflict,
	errcode.AdjustmentApplied:     http.StatusConflict,
	errcode.IdempotencyInProgress: http.StatusConflict,
	errcode.PeriodClosed:          http.StatusConflict,
	errcode.VoucherUnbalanced:     http.StatusConflict,
	errcode.VoucherReversed:       http.StatusConflict,
	errcode.VoucherReversal:       http.StatusConflict,
	errcode.Matched:               http.StatusConflict,
	errcode.Resolved:              http.StatusConflict,
	errcode.MessageTotal:          http.StatusConflict,
	errcode.RollupDepth:           http.StatusConflict,
	errcode.ExportValue:           http.StatusConflict,
	errcode.ExportTotal:           http.StatusConflict,
	errcode.ExportEncoding:        http.StatusConflict,
	errcode.ExportWidth:           http.StatusConflict,
	errcode.TooLarge:              http.StatusRequestEntityTooLarge,
	errcode.Validation:            http.StatusUnprocessableEntity,
	errcode.ImportRejected:        http.StatusUnprocessableEntity,
	errcode.IdempotencyKeyReused:  http.StatusUnprocessableEntity,
	errcode.Locked:                http.StatusTooManyRequests,
	errcode.RateLimited:           http.StatusTooManyRequests,
	errcode.Canceled:              499,
	errcode.Internal:              http.StatusInternalServerError,
	errcode.DefinitionsChanged:    http.StatusServiceUnavailable,
	errcode.Database:              http.StatusServiceUnavailable,
	errcode.SSOUnavailable:        http.StatusServiceUnavailable,
}

// Status is the HTTP status of a code of error.code; 500 for a code that is
// not one.
func Status(code errcode.Code) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// byStatus is the code of an HTTP error fiber raises itself (a body over the
// limit, say).
var byStatus = map[int]errcode.Code{400: errcode.Malformed, 401: errcode.Unauthorized, 403: errcode.Forbidden, 404: errcode.NotFound,
	405: errcode.MethodNotAllowed, 409: errcode.Conflict, 413: errcode.TooLarge, 422: errcode.Validation, 431: errcode.TooLarge}

// Error is a refusal of the HTTP layer itself, not of the engine (a body
// that is not JSON, a path parameter that is not an id): a code, with its
// status, and a message in both languages.
type Error struct {
	Code errcode.Code
	Text errcode.Text
}

// NewError is an Error of code, its message built from format and args
// (errcode.Code.Format).
func NewError(code errcode.Code, format string, args ...any) *Error {
	return &Error{Code: code, Text: code.Format(format, args...)}
}

func (e *Error) Error() string { return e.Text.Zh }

// Is makes errors.Is(err, errcode.X) true for the error's code.
func (e *Error) Is(target error) bool { return target == e.Code }

// Errors is the one place that maps errors to HTTP, for the API and the web
// UI alike. A database or internal error is logged with its detail and
// answered with a generic message.
type Errors struct {
	// Log receives what the client is not told; slog.Default when nil.
	Log *slog.Logger
	// TooLarge, when set, says which limit a request over the body limit
	// went over (the API knows its upload limits); else a general message.
	TooLarge func(c *fiber.Ctx) errcode.Text
}

func (s *Errors) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Handle answers err as JSON in the client's language (PrefersEnglish): the
// error handler of the fiber app.
func (s *Errors) Handle(c *fiber.Ctx, err error) error {
	status, body := s.Describe(c, err, PrefersEnglish(c))
	return c.Status(status).JSON(body)
}

// Describe is the status and body err is answered with, its messages in
// English when english is set (where there is English), else in Chinese. It
// sets the headers that go with them (Retry-After, WWW-Authenticate).
func (s *Errors) Describe(c *fiber.Ctx, err error, english bool) (int, Body) {
	var pe *PanicError
	var we *Error
	var fbe *fiber.Error
	switch {
	case errors.As(err, &pe):
		s.log().Error("handler panicked", "request_id", RequestID(c), "method", c.Method(), "path", c.Path(), "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
		return http.StatusInternalServerError, Internal(english)
	case errors.As(err, &we):
		return Status(we.Code), Body{Detail{Code: we.Code, Message: we.Text.In(english)}}
	}
	if code := engine.CodeOf(err); code != "" {
		d := engineDetail(err, code, english)
		switch code {
		case errcode.DefinitionsChanged, errcode.Database, errcode.SSOUnavailable:
			c.Set(fiber.HeaderRetryAfter, "5")
		case errcode.Locked, errcode.RateLimited:
			var tma *engine.TooManyAttemptsError
			if errors.As(err, &tma) {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(tma.RetryAfter.Seconds()))))
			}
		case errcode.Unauthorized:
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="growth"`)
		}
		return Status(code), Body{d}
	}
	switch {
	case errors.As(err, &fbe) && fbe.Code == fiber.StatusNotFound && strings.HasPrefix(fbe.Message, "Cannot "):
		// The router found no route ("Cannot GET /x").
		return fbe.Code, Body{Detail{Code: errcode.NotFound, Message: errcode.NotFound.Format("没有这个接口：%s %s", c.Method(), c.Path()).In(english)}}
	case errors.As(err, &fbe) && fbe.Code == fiber.StatusMethodNotAllowed:
		return fbe.Code, Body{Detail{Code: errcode.MethodNotAllowed, Message: errcode.MethodNotAllowed.Format("%s 不接受 %s 请求", c.Path(), c.Method()).In(english)}}
	case errors.As(err, &fbe):
		code, ok := byStatus[fbe.Code]
		if !ok {
			code = errcode.Internal
		}
		msg := fbe.Message
		switch fbe.Code {
		case fiber.StatusRequestEntityTooLarge:
			t := errcode.TooLarge.Format("请求体过大（上限 1 MiB；文件请以 multipart 上传）")
			if s.TooLarge != nil {
				t = s.TooLarge(c)
			}
			msg = t.In(english)
		case fiber.StatusRequestHeaderFieldsTooLarge:
			msg = errcode.TooLarge.Format("请求行和请求头合计超过 %d KiB（最长的筛选条件编码后也不到一半，请检查其他参数、Cookie 和请求头）", readBufferSize(c)>>10).In(english)
		}
		return fbe.Code, Body{Detail{Code: code, Message: msg}}
	case errors.Is(err, context.Canceled):
		return Status(errcode.Canceled), Body{Detail{Code: errcode.Canceled, Message: errcode.Canceled.Format("请求已取消").In(english)}}
	}
	s.log().Error("request failed", "request_id", RequestID(c), "method", c.Method(), "path", c.Path(), "error", err.Error())
	return http.StatusInternalServerError, Internal(english)
}

// engineDetail is the error object of an engine error whose code is code.
func engineDetail(err error, code errcode.Code, english bool) Detail {
	var (
		ve *engine.ValidationError
		ce *engine.ConflictError
		bq *engine.BadQueryError
		ir *engine.ImportRejectedError
		se *engine.SentinelError
	)
	var texter interface{ Text(english bool) string }
	switch {
	case errors.As(err, &ir):
		return ImportRejected(ir, english)
	case errors.As(err, &ve):
		summary := errcode.Validation.Format("提交的数据未通过校验")
		if ve.Malformed {
			summary = errcode.Malformed.Format("提交的数据包含无法识别的字段")
		}
		d := Detail{Code: code, Message: summary.In(english)}
		d.Fields, d.FieldCodes = fieldsOf(ve.Fields, english)
		if msgs := d.Fields[engine.RecordField]; len(msgs) == 1 && len(d.Fields) == 1 {
			d.Message = msgs[0]
		}
		return d
	case code == errcode.IdempotencyKeyReused && errors.As(err, &texter):
		msg := texter.Text(english)
		return Detail{Code: code, Message: msg,
			Fields: map[string][]string{"Idempotency-Key": {msg}}, FieldCodes: map[string][]errcode.Code{"Idempotency-Key": {code}}}
	case errors.As(err, &bq):
		msg := bq.Text(english)
		return Detail{Code: code, Message: bq.Param + ": " + msg, Fields: map[string][]string{bq.Param: {msg}}}
	case errors.As(err, &ce):
		d := Detail{Code: code, Message: ce.Text(english)}
		if len(ce.Fields) > 0 {
			d.Fields, d.FieldCodes = fieldsOf(ce.Fields, english)
		}
		return d
	case code == errcode.NotFound:
		what := errcode.Text{Zh: trimKnown(err)}
		if errors.As(err, &se) {
			what = se.Text
		}
		return Detail{Code: code, Message: errcode.NotFound.Format("未找到：%s", what).In(english)}
	case code == errcode.Unauthorized:
		if errors.As(err, &se) {
			return Detail{Code: code, Message: se.Text.In(english)}
		}
		return Detail{Code: code, Message: trimKnown(err)}
	case errors.As(err, &texter):
		return Detail{Code: code, Message: texter.Text(english)}
	}
	return Detail{Code: code, Message: err.Error()}
}

// fieldsOf is the fields and field_codes of problems by field.
func fieldsOf(problems map[string][]engine.FieldError, english bool) (map[string][]string, map[string][]errcode.Code) {
	fields, codes := map[string][]string{}, map[string][]errcode.Code{}
	for name, list := range problems {
		for _, f := range list {
			fields[name] = append(fields[name], f.Text(english))
			codes[name] = append(codes[name], f.Code)
		}
	}
	return fields, codes
}

// Internal is the answer to every error the client cannot act on; the log
// has the detail under the request id the answer's X-Request-ID names.
func Internal(english bool) Body {
	return Body{Detail{Code: errcode.Internal, Message: errcode.Internal.Format("服务器内部错误，请稍后重试；问题已记录").In(english)}}
}

// trimKnown drops the sentinel prefix of a wrapped engine error.
func trimKnown(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{engine.ErrNotFound, engine.ErrUnknown, engine.ErrUnauthorized} {
		if errors.Is(err, sentinel) {
			prefix := sentinel.Error() + ": "
			if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
				return msg[len(prefix):]
			}
		}
	}
	return msg
}

// PrefersEnglish reports whether the client asks for English: ?lang=en, or
// an Accept-Language whose first choice is English. The API's messages are
// then in English wherever there is English; else in Chinese.
func PrefersEnglish(c *fiber.Ctx) bool {
	lang := c.Query("lang")
	if lang == "" {
		lang, _, _ = strings.Cut(c.Get(fiber.HeaderAcceptLanguage), ",")
		lang, _, _ = strings.Cut(lang, ";")
	}
	lang = strings.ToLower(strings.TrimSpace(lang))
	return lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_")
}

// ImportRejected is the body of a refused import: every bad row with its
// line and, by field, what is wrong, the messages in English when english
// is set (where there is English).
func ImportRejected(ir *engine.ImportRejectedError, english bool) Detail {
	rows := ir.Report.Errors
	if english {
		rows = make([]engine.ImportRowError, len(ir.Report.Errors))
		for i, row := range ir.Report.Errors {
			rows[i] = engine.ImportRowError{Line: row.Line, Fields: map[string][]engine.FieldError{}}
			for name, list := range row.Fields {
				for _, f := range list {
					f.Message = f.Text(true)
					rows[i].Fields[name] = append(rows[i].Fields[name], f)
				}
			}
		}
	}
	return Detail{Code: errcode.ImportRejected, Message: ir.Text(english), Rows: rows}
}

// readBufferSize is the app's cap on the request line and headers
// (fasthttp's default when the app sets none).
func readBufferSize(c *fiber.Ctx) int {
	if n := c.App().Config().ReadBufferSize; n > 0 {
		return n
	}
	return 4096
}

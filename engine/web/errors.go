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
)

// Body is the one JSON shape of every error (docs/api.md#errors): fields maps
// a field to its messages, field_codes to their stable codes.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the error object of a Body.
type Detail struct {
	Code       string              `json:"code"`
	Message    string              `json:"message"`
	Fields     map[string][]string `json:"fields,omitempty"`
	FieldCodes map[string][]string `json:"field_codes,omitempty"`
	// Rows lists every bad row of a refused import.
	Rows []engine.ImportRowError `json:"rows,omitempty"`
}

// Errors is the one place that maps errors to HTTP, for the API and the web
// UI alike. A database or internal error is logged with its detail and
// answered with a generic message.
type Errors struct {
	// Log receives what the client is not told; slog.Default when nil.
	Log *slog.Logger
	// TooLarge, when set, says which limit a request over the body limit
	// went over (the API knows its upload limits); else a general message.
	TooLarge func(c *fiber.Ctx) string
}

func (s *Errors) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Handle answers err as JSON: the error handler of the fiber app.
func (s *Errors) Handle(c *fiber.Ctx, err error) error {
	status, body := s.Describe(c, err)
	return c.Status(status).JSON(body)
}

// Describe is the status and body err is answered with. It sets the headers
// that go with them (Retry-After, WWW-Authenticate).
func (s *Errors) Describe(c *fiber.Ctx, err error) (int, Body) {
	var (
		ve  *engine.ValidationError
		ce  *engine.ConflictError
		fe  *engine.ForbiddenError
		bq  *engine.BadQueryError
		fbe *fiber.Error
		tma *engine.TooManyAttemptsError
		kr  *engine.KeyReusedError
	)
	var ir *engine.ImportRejectedError
	var ue *engine.UnavailableError
	var pe *PanicError
	switch {
	case errors.As(err, &pe):
		s.log().Error("handler panicked", "request_id", RequestID(c), "method", c.Method(), "path", c.Path(), "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
		return http.StatusInternalServerError, InternalError
	case errors.As(err, &ue):
		c.Set(fiber.HeaderRetryAfter, "5")
		return http.StatusServiceUnavailable, Body{Detail{Code: ue.Code, Message: ue.Message}}
	case errors.As(err, &ir):
		return http.StatusUnprocessableEntity, ImportRejected(ir)
	case errors.As(err, &ve):
		status, code, msg := http.StatusUnprocessableEntity, "validation", "提交的数据未通过校验"
		if ve.Malformed {
			status, code, msg = http.StatusBadRequest, "malformed", "提交的数据包含无法识别的字段"
		}
		d := Detail{Code: code, Message: msg, Fields: map[string][]string{}, FieldCodes: map[string][]string{}}
		english := PrefersEnglish(c)
		for name, list := range ve.Fields {
			for _, f := range list {
				d.Fields[name] = append(d.Fields[name], f.Text(english))
				d.FieldCodes[name] = append(d.FieldCodes[name], f.Code)
			}
		}
		if msgs := d.Fields[engine.RecordField]; len(msgs) == 1 && len(d.Fields) == 1 {
			d.Message = msgs[0]
		}
		return status, Body{d}
	case errors.As(err, &kr):
		return http.StatusUnprocessableEntity, Body{Detail{Code: "idempotency_key_reused", Message: kr.Message,
			Fields: map[string][]string{"Idempotency-Key": {kr.Message}}, FieldCodes: map[string][]string{"Idempotency-Key": {"idempotency_key_reused"}}}}
	case errors.As(err, &bq):
		return http.StatusBadRequest, Body{Detail{Code: "malformed", Message: bq.Error(), Fields: map[string][]string{bq.Param: {bq.Message}}}}
	case errors.As(err, &ce):
		code := "conflict"
		switch ce.Code {
		case "insufficient_balance", "idempotency_in_progress", "period_closed", "voucher_unbalanced", "voucher_reversed", "voucher_reversal":
			code = ce.Code
		}
		d := Detail{Code: code, Message: ce.Message}
		if len(ce.Fields) > 0 {
			d.Fields, d.FieldCodes = map[string][]string{}, map[string][]string{}
			for name, list := range ce.Fields {
				for _, f := range list {
					d.Fields[name] = append(d.Fields[name], f.Message)
					d.FieldCodes[name] = append(d.FieldCodes[name], f.Code)
				}
			}
		}
		return http.StatusConflict, Body{d}
	case errors.As(err, &fe):
		return http.StatusForbidden, Body{Detail{Code: "forbidden", Message: fe.Message}}
	case errors.Is(err, engine.ErrNotFound), errors.Is(err, engine.ErrUnknown):
		return http.StatusNotFound, Body{Detail{Code: "not_found", Message: "未找到：" + trimKnown(err)}}
	case errors.As(err, &tma):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(tma.RetryAfter.Seconds()))))
		return http.StatusTooManyRequests, Body{Detail{Code: tma.Code, Message: tma.Message}}
	case errors.Is(err, engine.ErrUnauthorized):
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="growth"`)
		return http.StatusUnauthorized, Body{Detail{Code: "unauthorized", Message: trimKnown(err)}}
	case errors.As(err, &fbe) && fbe.Code == fiber.StatusNotFound && strings.HasPrefix(fbe.Message, "Cannot "):
		// The router found no route ("Cannot GET /x").
		return fbe.Code, Body{Detail{Code: "not_found", Message: "没有这个接口：" + c.Method() + " " + c.Path()}}
	case errors.As(err, &fbe) && fbe.Code == fiber.StatusMethodNotAllowed:
		return fbe.Code, Body{Detail{Code: "method_not_allowed", Message: c.Path() + " 不接受 " + c.Method() + " 请求"}}
	case errors.As(err, &fbe):
		code := map[int]string{400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "validation", 431: "too_large"}[fbe.Code]
		if code == "" {
			code = "internal"
		}
		msg := fbe.Message
		switch fbe.Code {
		case fiber.StatusRequestEntityTooLarge:
			msg = "请求体过大（上限 1 MiB；文件请以 multipart 上传）"
			if s.TooLarge != nil {
				msg = s.TooLarge(c)
			}
		case fiber.StatusRequestHeaderFieldsTooLarge:
			msg = fmt.Sprintf("请求行和请求头合计超过 %d KiB（最长的筛选条件编码后也不到一半，请检查其他参数、Cookie 和请求头）", readBufferSize(c)>>10)
		}
		return fbe.Code, Body{Detail{Code: code, Message: msg}}
	case errors.Is(err, context.Canceled):
		return 499, Body{Detail{Code: "canceled", Message: "请求已取消"}}
	}
	s.log().Error("request failed", "request_id", RequestID(c), "method", c.Method(), "path", c.Path(), "error", err.Error())
	return http.StatusInternalServerError, InternalError
}

// InternalError is the answer to every error the client cannot act on; the
// log has the detail under the request id the answer's X-Request-ID names.
var InternalError = Body{Detail{Code: "internal", Message: "服务器内部错误，请稍后重试；问题已记录"}}

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
// an Accept-Language whose first choice is English. Rule messages with a
// message_en are then given in English.
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
// line and, by field, what is wrong.
func ImportRejected(ir *engine.ImportRejectedError) Body {
	return Body{Detail{Code: "import_rejected", Message: ir.Error(), Rows: ir.Report.Errors}}
}

// readBufferSize is the app's cap on the request line and headers
// (fasthttp's default when the app sets none).
func readBufferSize(c *fiber.Ctx) int {
	if n := c.App().Config().ReadBufferSize; n > 0 {
		return n
	}
	return 4096
}

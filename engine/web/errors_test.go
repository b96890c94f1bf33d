package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// TestEveryCodeHasAStatus: each code of error.code maps to one HTTP status
// of its class; only internal is a 500.
func TestEveryCodeHasAStatus(t *testing.T) {
	for _, code := range errcode.Requests {
		status := web.Status(code)
		switch {
		case code == errcode.Internal && status != 500:
			t.Errorf("%s: status %d", code, status)
		case code != errcode.Internal && (status < 400 || status >= 500) && status != 503:
			t.Errorf("%s: status %d, want a 4xx (or 503)", code, status)
		}
	}
}

// TestErrorsMapToHTTP: each kind of error answers its status, its code and
// its message in the language asked for, with the headers that go with it.
func TestErrorsMapToHTTP(t *testing.T) {
	conflict := &engine.ConflictError{Code: errcode.PeriodClosed, Message: "会计期间 2026-01 已经结账", MessageEn: "The accounting period 2026-01 is already closed"}
	scenarios := []struct {
		name    string
		err     error
		status  int
		code    errcode.Code
		zh, en  string
		headers map[string]string
	}{
		{"validation", engine.Invalid("amount", errcode.Required, "%s 为必填项", errcode.Label("金额", "Amount")), 422, errcode.Validation,
			"提交的数据未通过校验", "The data sent did not pass the checks", nil},
		{"malformed", engine.Malformed("version", errcode.Type, "version 应为正整数"), 400, errcode.Malformed,
			"提交的数据包含无法识别的字段", "The data sent holds fields that are not recognised", nil},
		{"a conflict with its own code", conflict, 409, errcode.PeriodClosed, conflict.Message, conflict.MessageEn, nil},
		{"a plain conflict", engine.ErrConflict, 409, errcode.Conflict, "conflict", "conflict", nil},
		{"forbidden", engine.Forbidden("您无权删除%s", errcode.Label("拨款", "Grant")), 403, errcode.Forbidden, "您无权删除拨款", "You may not delete Grant", nil},
		{"not found", engine.NotFound("用户 %s", "zhang"), 404, errcode.NotFound, "未找到：用户 zhang", "Not found: user zhang", nil},
		{"unauthorized", engine.Unauthorized("请先登录"), 401, errcode.Unauthorized, "请先登录", "Please log in",
			map[string]string{"WWW-Authenticate": `Bearer realm="growth"`}},
		{"too many attempts", &engine.TooManyAttemptsError{Code: errcode.Locked, Message: "锁定", MessageEn: "locked", RetryAfter: 90 * time.Second}, 429, errcode.Locked, "锁定", "locked",
			map[string]string{"Retry-After": "90"}},
		{"unavailable", &engine.UnavailableError{Code: errcode.Database, Message: "数据库无法访问", MessageEn: "The database cannot be reached"}, 503, errcode.Database,
			"数据库无法访问", "The database cannot be reached", map[string]string{"Retry-After": "5"}},
		{"the HTTP layer's own", web.NewError(errcode.Malformed, "请求体应为 JSON 对象"), 400, errcode.Malformed, "请求体应为 JSON 对象", "The request body should be a JSON object", nil},
		{"canceled", context.Canceled, 499, errcode.Canceled, "请求已取消", "The request was canceled", nil},
		{"anything else", errors.New("pq: relation does not exist"), 500, errcode.Internal,
			"服务器内部错误，请稍后重试；问题已记录", "Internal server error; please try again later (the problem has been logged)", nil},
	}
	for _, sc := range scenarios {
		app := fiber.New(fiber.Config{ErrorHandler: (&web.Errors{Log: enginetest.QuietLogger()}).Handle})
		app.Get("/", func(*fiber.Ctx) error { return sc.err })
		for _, lang := range []struct{ accept, want string }{{"", sc.zh}, {"en-US,en;q=0.9", sc.en}} {
			req := httptest.NewRequest("GET", "/", nil)
			if lang.accept != "" {
				req.Header.Set("Accept-Language", lang.accept)
			}
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			var body web.Body
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("%s: %v: %s", sc.name, err, raw)
			}
			if resp.StatusCode != sc.status || body.Error.Code != sc.code || body.Error.Message != lang.want {
				t.Errorf("%s (%q): %d %s %q, want %d %s %q", sc.name, lang.accept, resp.StatusCode, body.Error.Code, body.Error.Message, sc.status, sc.code, lang.want)
			}
			for k, v := range sc.headers {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %s: %q, want %q", sc.name, k, got, v)
				}
			}
		}
	}
}

// TestImportRowsInTheClientsLanguage: a refused import lists its rows with
// each message in the language asked for.
func TestImportRowsInTheClientsLanguage(t *testing.T) {
	verr := engine.Invalid("amount", errcode.Required, "%s 为必填项", errcode.Label("金额", "Amount"))
	ir := &engine.ImportRejectedError{Report: &engine.ImportReport{Errors: []engine.ImportRowError{{Line: 2, Fields: verr.Fields}}}}
	for _, sc := range []struct {
		english    bool
		message    string
		rowMessage string
	}{
		{false, "导入未执行：1 行有误，未导入任何记录", "金额 为必填项"},
		{true, "Nothing was imported; rows with problems: 1", "Amount is required"},
	} {
		d := web.ImportRejected(ir, sc.english)
		if d.Code != errcode.ImportRejected || d.Message != sc.message || d.Rows[0].Fields["amount"][0].Message != sc.rowMessage {
			t.Errorf("english %v: %+v", sc.english, d)
		}
	}
	if ir.Report.Errors[0].Fields["amount"][0].Message != "金额 为必填项" {
		t.Error("answering in English changed the report")
	}
}

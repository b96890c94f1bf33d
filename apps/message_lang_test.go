package apps_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var bilingualApp = map[string]string{"demo/app.yaml": `
app: demo
title: 测试
entities:
  grant:
    fields:
      amount:  {type: money, required: true}
      purpose: {type: string}
    rules:
      - assert: "amount <= 100 || purpose != ''"
        message: 一百元以上的拨款须写明用途
        message_en: A grant over 100 needs a purpose
        fields: [purpose]
`}

// TestRuleMessageInEnglish: a rule's message_en is what a client asking in
// English sees; others see the message.
func TestRuleMessageInEnglish(t *testing.T) {
	p := enginetest.Load(t, bilingualApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path    string
			headers map[string]string
			want    string
		}{
			{"/api/demo/grant", nil, "一百元以上的拨款须写明用途"},
			{"/api/demo/grant", map[string]string{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}, "一百元以上的拨款须写明用途"},
			{"/api/demo/grant", map[string]string{"Accept-Language": "en-US,en;q=0.9"}, "A grant over 100 needs a purpose"},
			{"/api/demo/grant?lang=en", nil, "A grant over 100 needs a purpose"},
		} {
			status, body, raw := apitest.Do(t, app, "POST", c.path, map[string]any{"amount": "500.00"}, c.headers)
			if status != 422 {
				t.Fatalf("%s %v: status %d %s", c.path, c.headers, status, raw)
			}
			got, _ := apitest.Get(body, "error.fields.purpose")
			if msgs, _ := got.([]any); len(msgs) != 1 || msgs[0] != c.want {
				t.Errorf("%s %v: purpose says %v, want %q", c.path, c.headers, got, c.want)
			}
			if c.want[0] != 'A' && strings.Contains(raw, "A grant") {
				t.Errorf("%s %v: the English message leaks into a Chinese answer: %s", c.path, c.headers, raw)
			}
		}
	})
}

var conflictApp = map[string]string{"demo/app.yaml": `
app: demo
title: 测试
entities:
  grant:
    title: 拨款
    title_en: Grant
    fields:
      code:   {type: string, label: 编号, label_en: Code, unique: true}
      amount: {type: money, label: 金额, label_en: Amount, required: true}
`}

// TestConflictCodesReachClients: a conflict that used to be answered as
// "conflict" carries its own code (stale, duplicate), with the same status
// (409), and every message of the answer is in English for a client asking
// in English — the field's English label too — and Chinese otherwise.
func TestConflictCodesReachClients(t *testing.T) {
	p := enginetest.Load(t, conflictApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		en := map[string]string{"Accept-Language": "en-GB,en;q=0.9"}
		for _, sc := range []apitest.Scenario{
			{Name: "create", Method: "POST", Path: "/api/demo/grant", Body: `{"code": "A1", "amount": "5.00"}`, Status: 201},
			{Name: "patch", Method: "PATCH", Path: "/api/demo/grant/1", Body: `{"version": 1, "amount": "6.00"}`, Status: 200},
			{Name: "stale", Method: "PATCH", Path: "/api/demo/grant/1", Body: `{"version": 1, "amount": "7.00"}`, Status: 409,
				Want: map[string]any{"error.code": "stale", "error.message": "拨款 已被他人修改（当前版本 2，您的版本 1），请刷新后重试"}},
			{Name: "stale in English", Method: "PATCH", Path: "/api/demo/grant/1?lang=en", Body: `{"version": 1, "amount": "7.00"}`, Status: 409,
				Want: map[string]any{"error.code": "stale", "error.message": "Grant was changed by someone else (now version 2, yours 1); reload and try again"}},
			{Name: "duplicate", Method: "POST", Path: "/api/demo/grant", Body: `{"code": "A1", "amount": "1.00"}`, Status: 409,
				Want: map[string]any{"error.code": "duplicate", "error.field_codes.code.0": "duplicate", "error.fields.code.0": "已存在相同的值"}},
			{Name: "duplicate in English", Method: "POST", Path: "/api/demo/grant", Body: `{"code": "A1", "amount": "1.00"}`, Headers: en, Status: 409,
				Want: map[string]any{"error.code": "duplicate", "error.message": "Grant already has a record with the same Code", "error.fields.code.0": "This value is taken"}},
			{Name: "required in English", Method: "POST", Path: "/api/demo/grant", Body: `{"code": "B1"}`, Headers: en, Status: 422,
				Want: map[string]any{"error.code": "validation", "error.message": "The data sent did not pass the checks", "error.fields.amount.0": "Amount is required"}},
			{Name: "required in Chinese", Method: "POST", Path: "/api/demo/grant", Body: `{"code": "B1"}`, Status: 422,
				Want: map[string]any{"error.fields.amount.0": "金额 为必填项"}},
			{Name: "not found in English", Method: "GET", Path: "/api/demo/grant/99?lang=en", Status: 404,
				Want: map[string]any{"error.code": "not_found", "error.message": "Not found: Grant #99"}},
			{Name: "no route in English", Method: "GET", Path: "/api/nothing/here/at/all/x?lang=en", Status: 404,
				Want: map[string]any{"error.code": "not_found"}},
			{Name: "not JSON in English", Method: "POST", Path: "/api/demo/grant?lang=en", Body: `{"code": `, Status: 400,
				Want: map[string]any{"error.code": "malformed"}},
		} {
			body := apitest.Run(t, app, sc)
			if sc.Headers == nil && !strings.Contains(sc.Path, "lang=en") {
				continue
			}
			if msg, _ := apitest.Get(body, "error.message"); msg != nil && regexp.MustCompile(`\p{Han}`).MatchString(msg.(string)) {
				t.Errorf("%s: a client asking in English is answered %q", sc.Name, msg)
			}
		}
	})
}

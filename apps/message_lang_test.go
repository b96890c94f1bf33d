package apps_test

import (
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

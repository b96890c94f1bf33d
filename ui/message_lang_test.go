package ui_test

import (
	"net/url"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestRuleMessageInEnglishUI: the form shows a rule's message_en to a user
// reading the pages in English, and its message in Chinese.
func TestRuleMessageInEnglishUI(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"demo/app.yaml": `
app: demo
title: 测试
entities:
  grant:
    title: 拨款
    fields:
      amount:  {type: money, label: 金额, required: true}
      purpose: {type: string, label: 用途}
    rules:
      - assert: "amount <= 100 || purpose != ''"
        message: 一百元以上的拨款须写明用途
        message_en: A grant over 100 needs a purpose
        fields: [purpose]
roles:
  clerk: {scope: all, can: {grant: [create, read]}}
`})
	s := startServer(t, engine.SQLite, p)
	s.addUser(t, "clerk", "", "demo.clerk")
	b := s.browser(t)
	b.login("clerk")
	b.get("/ui/demo/grant/new?lang=en")
	en := b.post("/ui/demo/grant/new", url.Values{"amount": {"500.00"}})
	en.want(t, "English", 422, "A grant over 100 needs a purpose")
	en.lacks(t, "English", "一百元以上的拨款须写明用途")
	b.get("/ui/demo/grant/new?lang=zh")
	zh := b.post("/ui/demo/grant/new", url.Values{"amount": {"500.00"}})
	zh.want(t, "Chinese", 422, "一百元以上的拨款须写明用途")
}

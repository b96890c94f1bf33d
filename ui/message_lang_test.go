package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestMessagesInEnglishUI: a user reading the pages in English sees a
// rule's message_en and the engine's own messages — a missing required
// field, a form saved over someone else's change — in English, with the
// definitions' English labels; a user reading in Chinese sees them in
// Chinese.
func TestMessagesInEnglishUI(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"demo/app.yaml": `
app: demo
title: 测试
entities:
  grant:
    title: 拨款
    title_en: Grant
    fields:
      amount:  {type: money, label: 金额, label_en: Amount, required: true}
      purpose: {type: string, label: 用途, label_en: Purpose}
    rules:
      - assert: "amount <= 100 || purpose != ''"
        message: 一百元以上的拨款须写明用途
        message_en: A grant over 100 needs a purpose
        fields: [purpose]
roles:
  clerk: {scope: all, can: {grant: [create, read, update]}}
`})
	s := startServer(t, engine.SQLite, p)
	s.addUser(t, "clerk", "", "demo.clerk")
	b := s.browser(t)
	b.login("clerk")
	for _, sc := range []struct {
		name    string
		form    url.Values
		en, zh  string
		notInEn string
	}{
		{"a rule's message_en", url.Values{"amount": {"500.00"}}, "A grant over 100 needs a purpose", "一百元以上的拨款须写明用途", "一百元以上的拨款须写明用途"},
		{"an engine message", url.Values{"purpose": {"校舍"}}, "Amount is required", "金额 为必填项", "为必填项"},
	} {
		b.get("/ui/demo/grant/new?lang=en")
		en := b.post("/ui/demo/grant/new", sc.form)
		en.want(t, sc.name+" in English", 422, sc.en)
		en.lacks(t, sc.name+" in English", sc.notInEn)
		b.get("/ui/demo/grant/new?lang=zh")
		b.post("/ui/demo/grant/new", sc.form).want(t, sc.name+" in Chinese", 422, sc.zh)
	}

	rec, err := s.rt.Create(t.Context(), engine.SystemActor, "demo", "grant", map[string]any{"amount": "5.00"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.rt.Update(t.Context(), engine.SystemActor, "demo", "grant", rec.ID, 1, map[string]any{"purpose": "改过"}); err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/ui/demo/grant/%d/edit", rec.ID)
	b.get(edit + "?lang=en")
	stale := b.post(edit, url.Values{"_version": {"1"}, "amount": {"6.00"}})
	stale.want(t, "stale form in English", http.StatusConflict, "Grant was changed by someone else (now version 2, yours 1); reload and try again")
	stale.lacks(t, "stale form in English", "已被他人修改")
}

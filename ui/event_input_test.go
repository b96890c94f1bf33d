package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// A step that decides a value shows an input beside its button; the value
// posted with the event is checked like an edit and written with it.
func TestEventInputs(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"q/app.yaml": `
app: q
title: 申请
entities:
  req:
    title: 申请
    fields:
      amount:  {type: money, label: 申请金额, required: true}
      granted: {type: money, label: 批准金额, readonly: true}
    rules:
      - {assert: "granted <= amount", message: 批准金额不能超过申请金额, fields: [granted]}
workflows:
  req:
    entity: req
    initial: draft
    states: [draft, approved]
    final: [approved]
    transitions:
      - {event: approve, label: 批准, from: [draft], to: approved, roles: [boss], input: [granted], guard: "granted > 0", guard_message: 请填写批准金额}
roles:
  boss: {scope: all, can: {req: [read, approve]}}
`})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		rec := enginetest.Must(s.rt.Create(context.Background(), engine.SystemActor, "q", "req", map[string]any{"amount": "1000.00"}))
		s.addUser(t, "boss", "", "q.boss")
		b := s.browser(t)
		b.login("boss")
		path := "/ui/q/req/" + strconv.FormatInt(rec.ID, 10)
		b.get(path).want(t, "record page", http.StatusOK, `name="input.granted"`, "批准金额")
		b.post(path+"/events/approve", url.Values{}).want(t, "approve without the amount", http.StatusUnprocessableEntity, "请填写批准金额")
		b.get(path)
		b.post(path+"/events/approve", url.Values{"input.granted": {"1,200.00"}}).want(t, "approve more than asked", http.StatusUnprocessableEntity, "批准金额不能超过申请金额", `value="1,200.00"`)
		b.get(path)
		b.post(path+"/events/approve", url.Values{"input.granted": {"800.00"}}).want(t, "approve", http.StatusSeeOther)
		got := enginetest.Must(s.rt.Get(context.Background(), engine.SystemActor, "q", "req", rec.ID))
		e, _ := s.rt.Entity("q", "req")
		if got.State != "approved" || engine.RecordJSON(e, got, nil)["granted"] != "800.00" {
			t.Fatalf("after approval: %s %v", got.State, got.Values["granted"])
		}
	})
}

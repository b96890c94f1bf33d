package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// dutiesDefs: a clerk enters a claim, an assessor fixes its amount with the
// assess event (an input field) and counts it (a set field), the board
// approves it with not_by: [editors].
var dutiesDefs = map[string]string{"dt/app.yaml": `
app: dt
entities:
  claim:
    fields:
      amount:  {type: money}
      checked: {type: int, default: 0}
workflows:
  claim:
    entity: claim
    initial: draft
    states: [draft, assessed, counted, approved]
    final: [approved]
    transitions:
      - {event: assess, label: 核定, from: draft, to: assessed, roles: [assessor], input: [amount]}
      - {event: count, label: 清点, from: assessed, to: counted, roles: [assessor], set: {checked: "checked + 1"}}
      - {event: approve, label: 批准, from: counted, to: approved, roles: [board], not_by: [editors]}
roles:
  clerk:    {scope: all, can: {claim: [create, read]}}
  assessor: {scope: all, can: {claim: [read, assess, count]}}
  board:    {scope: all, can: {claim: [read, approve]}}
`}

// TestNotByEditorsCountsEventInputs: whoever typed a value into the record
// with an event (input) is one of its editors; whoever only fired an event
// that sets a field by itself (set) is not.
func TestNotByEditorsCountsEventInputs(t *testing.T) {
	p := enginetest.Load(t, dutiesDefs)
	clerk := engine.Actor{User: "c1", Roles: []string{"clerk"}}
	assessorBoard := engine.Actor{User: "a1", Roles: []string{"assessor", "board"}}
	counterBoard := engine.Actor{User: "a2", Roles: []string{"assessor", "board"}}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, roleAccess{})
		ctx := context.Background()
		rec, err := rt.Create(ctx, clerk, "dt", "claim", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Fire(ctx, engine.FireRequest{Actor: assessorBoard, App: "dt", Entity: "claim", ID: rec.ID, Event: "assess", Input: map[string]any{"amount": "4900000.00"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Fire(ctx, engine.FireRequest{Actor: counterBoard, App: "dt", Entity: "claim", ID: rec.ID, Event: "count"}); err != nil {
			t.Fatal(err)
		}
		_, err = rt.Fire(ctx, engine.FireRequest{Actor: assessorBoard, App: "dt", Entity: "claim", ID: rec.ID, Event: "approve"})
		var fe *engine.ForbiddenError
		if !errors.As(err, &fe) || fe.Message != "不能审批自己修改过的记录" {
			t.Fatalf("the assessor who typed the amount approves: %v, want 不能审批自己修改过的记录", err)
		}
		res, err := rt.Fire(ctx, engine.FireRequest{Actor: counterBoard, App: "dt", Entity: "claim", ID: rec.ID, Event: "approve"})
		if err != nil || res.Record.State != "approved" {
			t.Fatalf("the user who only counted approves: %v, want approved", err)
		}
	})
}

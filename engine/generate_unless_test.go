package engine_test

import (
	"context"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// A generated record with unless is not raised again when its event fires a
// second time (a resubmitted payment keeps one warning per rule).
func TestGenerateUnless(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"g/app.yaml": `
app: g
title: 生成
entities:
  pay:
    fields:
      amount: {type: money, required: true}
  note:
    fields:
      pay:  {type: ref, entity: pay, required: true}
      rule: {type: string, required: true}
workflows:
  pay:
    entity: pay
    initial: draft
    states: [draft, submitted]
    transitions:
      - event: submit
        from: [draft]
        to: submitted
        generate:
          - entity: note
            when: "amount > 100"
            unless: "pay = $pay and rule = $rule"
            set: {pay: "parent.id", rule: "'large'"}
      - {event: reject, from: [submitted], to: draft}
`})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		a := enginetest.Must(rt.Create(ctx, clerk, "g", "pay", map[string]any{"amount": "500.00"}))
		b := enginetest.Must(rt.Create(ctx, clerk, "g", "pay", map[string]any{"amount": "900.00"}))
		for _, ev := range []string{"submit", "reject", "submit"} {
			enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "g", Entity: "pay", ID: a.ID, Event: ev}))
		}
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "g", Entity: "pay", ID: b.ID, Event: "submit"}))
		notes := enginetest.Must(rt.List(ctx, clerk, "g", "note", engine.ListQuery{Total: true}))
		if *notes.Total != 2 {
			t.Fatalf("%d notes, want one per payment (the resubmission raises none)", *notes.Total)
		}
	})
}

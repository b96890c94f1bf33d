package engine_test

import (
	"context"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

var freezeDefs = map[string]string{"fee/app.yaml": `
app: fee
entities:
  rate_card:
    fields:
      rate: {type: money, required: true}
  notice:
    fields:
      card:    {type: ref, entity: rate_card, required: true}
      qty:     {type: int, required: true}
      note:    string
      amount:  {type: computed, expr: "refs.card.rate * qty", freeze_on: [issue]}
      current: {type: computed, expr: "refs.card.rate * qty"}
workflows:
  notice:
    entity: notice
    states: [draft, issued, paid]
    initial: draft
    editable: [draft, issued]
    final: [paid]
    transitions:
      - {event: issue, from: draft, to: issued}
      - {event: remind, from: issued, to: issued}
      - {event: pay, from: issued, to: paid}
`}

// TestComputedFrozenAtEvent: a computed field with freeze_on follows its
// inputs until the event fires, is computed a last time then, and keeps that
// value on later edits and events; a field without it keeps following.
func TestComputedFrozenAtEvent(t *testing.T) {
	p := enginetest.Load(t, freezeDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		sys := engine.SystemActor
		card := enginetest.Must(rt.Create(ctx, sys, "fee", "rate_card", map[string]any{"rate": "45.50"}))
		setRate := func(rate string) {
			cur := enginetest.Must(rt.Get(ctx, sys, "fee", "rate_card", card.ID))
			enginetest.Must(rt.Update(ctx, sys, "fee", "rate_card", card.ID, cur.Version, map[string]any{"rate": rate}))
		}
		n := enginetest.Must(rt.Create(ctx, sys, "fee", "notice", map[string]any{"card": card.ID, "qty": 3}))
		check := func(step, amount, current string) {
			t.Helper()
			rec := enginetest.Must(rt.Get(ctx, sys, "fee", "notice", n.ID))
			if got := rec.Values["amount"].(decimal.Decimal).StringFixed(2); got != amount {
				t.Errorf("%s: amount %s, want %s", step, got, amount)
			}
			if got := rec.Values["current"].(decimal.Decimal).StringFixed(2); got != current {
				t.Errorf("%s: current %s, want %s", step, got, current)
			}
		}
		edit := func(note string) {
			cur := enginetest.Must(rt.Get(ctx, sys, "fee", "notice", n.ID))
			enginetest.Must(rt.Update(ctx, sys, "fee", "notice", n.ID, cur.Version, map[string]any{"note": note}))
		}
		fire := func(event string) {
			enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: sys, App: "fee", Entity: "notice", ID: n.ID, Event: event}))
		}
		check("created", "136.50", "136.50")
		setRate("50.00")
		edit("draft edit")
		check("edited in draft: not frozen yet", "150.00", "150.00")
		setRate("45.50")
		fire("issue")
		check("issued at 45.50", "136.50", "136.50")
		setRate("50.00")
		edit("issued edit")
		check("edited after issue", "136.50", "150.00")
		fire("remind")
		check("another event", "136.50", "150.00")
	})
}

package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// A retried workflow event with the same Idempotency-Key answers with the
// first request's record and changes nothing: one transition, one ledger opening.
func TestFireIdempotencyKey(t *testing.T) {
	p := enginetest.Load(t, reportDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		key := engine.Idempotency{Key: "release-budget-1"}
		rec := enginetest.Must(rt.Create(context.Background(), clerk, "rep", "budget", map[string]any{"year": "2026", "agency": "101001", "amount": "100.00"}))
		first, err := rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "rep", Entity: "budget", ID: rec.ID, Event: "release", Idempotency: key})
		if err != nil {
			t.Fatal(err)
		}
		again, err := rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "rep", Entity: "budget", ID: rec.ID, Event: "release", Idempotency: key})
		if err != nil {
			t.Fatalf("retry with the same key: %v", err)
		}
		if again.Record.State != "released" || again.Record.Version != first.Record.Version {
			t.Fatalf("retry changed the record: %+v vs %+v", again.Record, first.Record)
		}
		bal := enginetest.Must(rt.Balance(context.Background(), clerk, "rep", "budget", rec.ID))
		if bal.Amounts.Approved != 10000 {
			t.Fatalf("approved = %d fen, want 10000 (opened once)", bal.Amounts.Approved)
		}
		// The same key on another record is a conflict, not a replay.
		other := enginetest.Must(rt.Create(context.Background(), clerk, "rep", "budget", map[string]any{"year": "2026", "agency": "101001", "amount": "5.00"}))
		_, err = rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "rep", Entity: "budget", ID: other.ID, Event: "release", Idempotency: key})
		var reused *engine.KeyReusedError
		if !errors.As(err, &reused) {
			t.Fatalf("key reused on another record: err = %v", err)
		}
		if got := enginetest.Must(rt.Get(context.Background(), clerk, "rep", "budget", other.ID)); got.State != "draft" {
			t.Fatalf("refused retry fired anyway: %s", got.State)
		}
	})
}

package exchange_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
)

// A simulated party answers Growth's signed vouchers with signed replies:
// it accepts most and refuses those its rule catches; stopped halfway and
// started again, it loses no voucher and answers none twice.
func TestSimulatedPartyEndToEnd(t *testing.T) {
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		f := newFixture(t, d)
		b := openBroker(t, opts)
		run(t, f.rt, b)
		ctx := context.Background()
		const n, refused = 40, 5
		var ids []int64
		for i := range n {
			payee := "李四"
			if i%(n/refused) == 0 {
				payee = "X-无此账户"
			}
			rec := enginetest.Must(f.rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": fmt.Sprintf("SIM%03d", i), "payee": payee, "amount": "1.00"}))
			enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
			ids = append(ids, rec.ID)
		}
		sim := exchange.SimOptions{Party: "party_a", Key: f.partyA, Growth: enginetest.Must(f.store.Own(keys.SM2)).Public(),
			Accept: "done", Refuse: "returned", RefuseKey: "payee", RefuseWhen: regexp.MustCompile(`^X-`), Reason: "收款账号不存在", AckWait: 2 * time.Second}
		stats, stop, err := exchange.Simulate(ctx, b, sim)
		if err != nil {
			t.Fatal(err)
		}
		// Stop the party halfway, as a crash would, and start it again.
		eventually(t, "the party answers some vouchers", func() bool { return stats.Accepted.Load()+stats.Refused.Load() >= n/2 })
		stop()
		stats2, stop2, err := exchange.Simulate(ctx, b, sim)
		if err != nil {
			t.Fatal(err)
		}
		defer stop2()
		eventually(t, "every voucher is answered and applied", func() bool {
			var applied int
			_ = f.rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&applied)
			return applied == n
		})
		if got := stats.BadSignature.Load() + stats2.BadSignature.Load(); got != 0 {
			t.Errorf("%d vouchers failed Growth's signature", got)
		}
		states := map[string]int{}
		for _, id := range ids {
			rec := enginetest.Must(f.rt.Get(ctx, engine.SystemActor, "orders", "order", id))
			states[rec.State]++
			h := enginetest.Must(f.rt.History(ctx, engine.SystemActor, "orders", "order", id))
			if len(h.Items) != 3 {
				t.Errorf("order %d: %d history entries, want create, send and one answer", id, len(h.Items))
			}
			if rec.State == "done" && rec.Values["serial"] == nil {
				t.Errorf("order %d done without the party's serial", id)
			}
		}
		if states["done"] != n-refused || states["returned"] != refused {
			t.Errorf("states %v, want %d done and %d returned", states, n-refused, refused)
		}
		if ex := enginetest.Must(f.rt.ExchangeExceptions(ctx, true)); len(ex) != 0 {
			t.Errorf("exceptions: %+v", ex)
		}
	})
}

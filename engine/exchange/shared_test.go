package exchange_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Two servers of one installation — two runtimes on one database, each with
// its exchange runner, over one broker — share the inbound consumer: every
// receipt, each delivered twice under two broker ids so that both servers
// may get a copy at the same time, is applied exactly once.
func TestTwoServersShareInbound(t *testing.T) {
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		ctx := context.Background()
		dsn := enginetest.FreshDSN(t, d)
		defs := enginetest.LoadDir(t, "../testdata/exchange")
		store := keys.Store{Dir: t.TempDir()}
		if _, _, err := store.Generate(keys.SM2, false); err != nil {
			t.Fatal(err)
		}
		party := enginetest.Must(keys.Generate(keys.SM2))
		enginetest.Must(store.Import("party_a", party.Public().MarshalPEM()))
		var rts []*engine.Runtime
		for range 2 {
			db := enginetest.Must(engine.Open(ctx, dsn))
			t.Cleanup(func() { db.Close() })
			rt := enginetest.Must(engine.Start(ctx, db, defs, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
			rt.SetExchangeKeys(store)
			rts = append(rts, rt)
		}
		second := opts
		if opts.URL == "" {
			opts.Listen = freeAddr(t)
			second.StoreDir, second.URL = "", "nats://"+opts.Listen
		}
		b1 := openBroker(t, opts)
		b2 := openBroker(t, second)
		run(t, rts[0], b1)
		run(t, rts[1], b2)

		const n = 60
		var ids []int64
		for i := range n {
			rec := enginetest.Must(rts[i%2].Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": fmt.Sprintf("TS%03d", i), "payee": "李四", "amount": "1.00"}))
			enginetest.Must(rts[i%2].Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
			ids = append(ids, rec.ID)
		}
		eventually(t, "every voucher is sent", func() bool { return pending(t, rts[0]) == 0 })
		js := b1.JetStream()
		for i := range n {
			data := inbound(t, party, "party_a", "done", fmt.Sprintf("TS%03d", i), map[string]any{"serial": fmt.Sprintf("S%d", i)})
			for copy := range 2 {
				m := nats.NewMsg(b1.InSubject("party_a", "done"))
				m.Data = data
				enginetest.Must(js.PublishMsg(ctx, m, jetstream.WithMsgID(fmt.Sprintf("r%d-%d", i, copy))))
			}
		}
		eventually(t, "every receipt is applied", func() bool {
			var applied int
			_ = rts[1].DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&applied)
			return applied == n
		})
		// Let the second copies be handled too.
		eventually(t, "every copy is handled and acked", func() bool {
			s, err := b1.Stream(ctx)
			if err != nil {
				return false
			}
			c, err := s.Consumer(ctx, opts.Consumer)
			if err != nil {
				return false
			}
			info, err := c.Info(ctx)
			return err == nil && info.NumPending == 0 && info.NumAckPending == 0
		})
		for _, id := range ids {
			rec := enginetest.Must(rts[0].Get(ctx, engine.SystemActor, "orders", "order", id))
			if rec.State != "done" {
				t.Errorf("order %d: state %s, want done", id, rec.State)
			}
			h := enginetest.Must(rts[0].History(ctx, engine.SystemActor, "orders", "order", id))
			if len(h.Items) != 3 {
				t.Errorf("order %d: %d history entries, want create, send and one receipt", id, len(h.Items))
			}
			if c := enginetest.Must(rts[0].InboxCount(ctx, "orders", "order", id)); c != 1 {
				t.Errorf("order %d: %d receipts applied, want 1", id, c)
			}
		}
		if ex := enginetest.Must(rts[0].ExchangeExceptions(ctx, true)); len(ex) != 0 {
			t.Errorf("exceptions: %+v", ex)
		}
	})
}

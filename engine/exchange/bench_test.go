package exchange_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Exchange benchmarks, on each configured database and broker:
//
//	GROWTH_TEST_POSTGRES=… GROWTH_TEST_NATS=nats://127.0.0.1:4222 \
//	  go test -run '^$' -bench . -benchtime 2000x ./engine/exchange/
//
// BenchmarkVoucherEndToEnd fires send on b.N orders from 8 goroutines, each
// event writing an SM2-signed voucher to the outbox in its transaction, and
// stops the clock when the publisher has had every voucher acknowledged by
// JetStream and marked sent. BenchmarkReceiptsApplied publishes b.N signed
// receipts and stops the clock when the consumer has applied every one
// (signature verified, record found, event fired, inbox written, acked).

const benchWorkers = 8

func eachBench(b *testing.B, fn func(b *testing.B, d engine.Dialect, opts exchange.Options)) {
	for _, d := range enginetest.Dialects(b) {
		kinds := []string{"embedded"}
		if getenv(NATSEnv) != "" {
			kinds = append(kinds, "external")
		}
		for _, kind := range kinds {
			b.Run(string(d)+"/"+kind, func(b *testing.B) {
				suffix := randomHex(4)
				opts := exchange.Options{Prefix: "b" + suffix, Stream: "B_" + suffix, Consumer: "c" + suffix, Logger: enginetest.QuietLogger()}
				if kind == "embedded" {
					opts.StoreDir = b.TempDir()
				} else {
					opts.URL = getenv(NATSEnv)
					b.Cleanup(func() { deleteStream(opts) })
				}
				fn(b, d, opts)
			})
		}
	}
}

func benchOrders(b *testing.B, rt *engine.Runtime, n int) []int64 {
	ctx := context.Background()
	ids := make([]int64, n)
	for i := range ids {
		rec, err := rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": fmt.Sprintf("B%08d", i), "payee": "王五", "amount": "10.00"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = rec.ID
	}
	return ids
}

func parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}

func BenchmarkVoucherEndToEnd(b *testing.B) {
	eachBench(b, func(b *testing.B, d engine.Dialect, opts exchange.Options) {
		f := newFixture(b, d)
		ids := benchOrders(b, f.rt, b.N)
		br := openBroker(b, opts)
		enginetest.Must(br.Stream(context.Background()))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ResetTimer()
		start := time.Now()
		r := exchange.Run(ctx, f.rt, br, exchange.RunOptions{ScanInterval: 100 * time.Millisecond, NoConsume: true})
		parallel(len(ids), func(i int) {
			if _, err := f.rt.Fire(context.Background(), engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: ids[i], Event: "send"}); err != nil {
				b.Error(err)
			}
		})
		for pending(b, f.rt) > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		r.Wait()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "vouchers/s")
	})
}

func BenchmarkReceiptsApplied(b *testing.B) {
	eachBench(b, func(b *testing.B, d engine.Dialect, opts exchange.Options) {
		f := newFixture(b, d)
		ids := benchOrders(b, f.rt, b.N)
		parallel(len(ids), func(i int) {
			if _, err := f.rt.Fire(context.Background(), engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: ids[i], Event: "send"}); err != nil {
				b.Error(err)
			}
		})
		br := openBroker(b, opts)
		enginetest.Must(br.Stream(context.Background()))
		js := br.JetStream()
		for i := range ids {
			m := nats.NewMsg(br.InSubject("party_a", "done"))
			m.Data = inbound(b, f.partyA, "party_a", "done", fmt.Sprintf("B%08d", i), map[string]any{"serial": "S"})
			if _, err := js.PublishMsgAsync(m); err != nil {
				b.Fatal(err)
			}
		}
		<-js.PublishAsyncComplete()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ResetTimer()
		start := time.Now()
		r := exchange.Run(ctx, f.rt, br, exchange.RunOptions{})
		cons := consumerOf(b, br, opts)
		for {
			info, err := cons.Info(context.Background())
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		r.Wait()
		var n int
		if err := f.rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&n); err != nil || n != b.N {
			b.Fatalf("applied %d of %d receipts (%v)", n, b.N, err)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "receipts/s")
	})
}

func consumerOf(b *testing.B, br *exchange.Broker, opts exchange.Options) jetstream.Consumer {
	for range 200 {
		s, err := br.Stream(context.Background())
		if err == nil {
			if c, err := s.Consumer(context.Background(), opts.Consumer); err == nil {
				return c
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("the consumer did not appear")
	return nil
}

func getenv(k string) string { return os.Getenv(k) }

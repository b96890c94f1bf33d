package exchange_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSEnv names the variable holding the external NATS server tests use
// besides the embedded one, e.g. nats://127.0.0.1:4222. Under CI (CI=true)
// it is required: its absence fails the tests instead of skipping them.
const NATSEnv = "GROWTH_TEST_NATS"

// forEachBroker runs fn against an embedded JetStream in this process and,
// when GROWTH_TEST_NATS is set, against that server; each run has its own
// subjects and stream, removed at the end.
func forEachBroker(t *testing.T, fn func(t *testing.T, opts exchange.Options)) {
	kinds := []string{"embedded"}
	if url := os.Getenv(NATSEnv); url != "" {
		kinds = append(kinds, "external")
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set, but CI=true requires the tests against an external NATS server to run", NATSEnv)
	} else {
		t.Logf("external NATS tests skipped: set %s=nats://127.0.0.1:4222 to run them", NATSEnv)
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			suffix := randomHex(4)
			opts := exchange.Options{Prefix: "t" + suffix, Stream: "T_" + strings.ToUpper(suffix), Consumer: "c" + suffix, Logger: enginetest.QuietLogger()}
			if kind == "embedded" {
				opts.StoreDir = t.TempDir()
			} else {
				opts.URL = os.Getenv(NATSEnv)
				t.Cleanup(func() { deleteStream(opts) })
			}
			fn(t, opts)
		})
	}
}

func deleteStream(opts exchange.Options) {
	nc, err := nats.Connect(opts.URL)
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	_ = js.DeleteStream(context.Background(), opts.Stream)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// each runs fn for every database and broker.
func each(t *testing.T, fn func(t *testing.T, d engine.Dialect, opts exchange.Options)) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		forEachBroker(t, func(t *testing.T, opts exchange.Options) { fn(t, d, opts) })
	})
}

type fixture struct {
	rt     *engine.Runtime
	store  keys.Store
	partyA *keys.PrivateKey
}

func newFixture(t testing.TB, d engine.Dialect) *fixture {
	t.Helper()
	rt := enginetest.Start(t, d, enginetest.LoadDir(t, "../testdata/exchange"), engine.OpenAccess{})
	f := &fixture{rt: rt, store: keys.Store{Dir: t.TempDir()}}
	for _, k := range keys.Kinds {
		if _, _, err := f.store.Generate(k, false); err != nil {
			t.Fatal(err)
		}
	}
	f.partyA = enginetest.Must(keys.Generate(keys.SM2))
	enginetest.Must(f.store.Import("party_a", f.partyA.Public().MarshalPEM()))
	rt.SetExchangeKeys(f.store)
	return f
}

func (f *fixture) sendOrder(t *testing.T, no string) *engine.Record {
	t.Helper()
	ctx := context.Background()
	rec := enginetest.Must(f.rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": no, "payee": "李四", "amount": "88.00"}))
	return enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"})).Record
}

func openBroker(t testing.TB, opts exchange.Options) *exchange.Broker {
	t.Helper()
	b, err := exchange.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// run starts a runner until the test ends.
func run(t *testing.T, rt *engine.Runtime, b *exchange.Broker) *exchange.Runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := exchange.Run(ctx, rt, b, exchange.RunOptions{ScanInterval: 200 * time.Millisecond})
	t.Cleanup(func() { cancel(); r.Wait() })
	return r
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pending(t testing.TB, rt *engine.Runtime) int {
	return len(enginetest.Must(rt.PendingOutbox(context.Background(), 1000)))
}

// outMessages reads every message Growth published, as a party would.
func outMessages(t *testing.T, b *exchange.Broker) []*engine.Envelope {
	t.Helper()
	ctx := context.Background()
	s := enginetest.Must(b.Stream(ctx))
	info := enginetest.Must(s.Info(ctx, jetstream.WithSubjectFilter(b.OutSubject("*", "*"))))
	var out []*engine.Envelope
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil || !strings.Contains(m.Subject, ".out.") {
			continue
		}
		var env engine.Envelope
		if err := json.Unmarshal(m.Data, &env); err != nil {
			t.Fatal(err)
		}
		if m.Header.Get(jetstream.MsgIDHeader) != env.ID {
			t.Errorf("message %s published with Nats-Msg-Id %q", env.ID, m.Header.Get(jetstream.MsgIDHeader))
		}
		out = append(out, &env)
	}
	return out
}

func TestOutboxPublishedSigned(t *testing.T) {
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		f := newFixture(t, d)
		b := openBroker(t, opts)
		run(t, f.rt, b)
		rec := f.sendOrder(t, "ZF100")
		eventually(t, "the voucher is published and marked sent", func() bool { return pending(t, f.rt) == 0 })
		msgs := outMessages(t, b)
		if len(msgs) != 1 {
			t.Fatalf("published %d messages, want 1", len(msgs))
		}
		env := msgs[0]
		if env.Party != "party_a" || env.Type != "voucher" || env.Ref != "ZF100" {
			t.Errorf("envelope: %+v", env)
		}
		if !env.Verify(enginetest.Must(f.store.Own(keys.SM2)).Public()) {
			t.Error("the published voucher does not verify with our key")
		}
		sent := enginetest.Must(f.rt.OutboxFor(context.Background(), "orders", "order", rec.ID))
		if len(sent) != 1 || sent[0].Sent == nil || sent[0].ID != env.ID {
			t.Errorf("outbox after publishing: %+v", sent)
		}
		if err := b.Health(); err != nil {
			t.Errorf("health with the broker up: %v", err)
		}
	})
}

// A server that stops between the commit and the publish (crash, kill -9)
// left its messages in the outbox; the next start sends them, once — also
// the one it had published but not yet marked sent.
func TestRestartPublishesPendingOnce(t *testing.T) {
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		f := newFixture(t, d)
		b := openBroker(t, opts)
		for i := range 5 {
			f.sendOrder(t, "ZF20"+string(rune('0'+i)))
		}
		rows := enginetest.Must(f.rt.PendingOutbox(context.Background(), 100))
		if len(rows) != 5 {
			t.Fatalf("pending after commits without a publisher: %d", len(rows))
		}
		// The first was published before the crash, its row not yet marked.
		enginetest.Must(b.Stream(context.Background()))
		msg := nats.NewMsg(b.OutSubject(rows[0].Party, rows[0].Type))
		msg.Data = rows[0].Envelope
		enginetest.Must(b.JetStream().PublishMsg(context.Background(), msg, jetstream.WithMsgID(rows[0].ID)))

		run(t, f.rt, b)
		eventually(t, "the pending messages are sent after the restart", func() bool { return pending(t, f.rt) == 0 })
		msgs := outMessages(t, b)
		ids := map[string]int{}
		for _, m := range msgs {
			ids[m.ID]++
		}
		if len(msgs) != 5 || len(ids) != 5 {
			t.Errorf("the broker holds %d messages (%d distinct), want 5 each once", len(msgs), len(ids))
		}
	})
}

func inbound(t testing.TB, key *keys.PrivateKey, party, typ, ref string, body map[string]any) []byte {
	t.Helper()
	raw, _ := json.Marshal(body)
	env := &engine.Envelope{ID: engine.NewMessageID(), Party: party, Type: typ, Ref: ref, At: time.Now().UTC().Format(time.RFC3339), Body: raw}
	if err := env.Sign(key); err != nil {
		t.Fatal(err)
	}
	return enginetest.Must(json.Marshal(env))
}

func TestInboundOverBroker(t *testing.T) {
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		f := newFixture(t, d)
		b := openBroker(t, opts)
		run(t, f.rt, b)
		ctx := context.Background()
		rec := f.sendOrder(t, "ZF300")
		js := b.JetStream()
		publish := func(subject string, data []byte, msgID string) {
			m := nats.NewMsg(subject)
			m.Data = data
			var o []jetstream.PublishOpt
			if msgID != "" {
				o = append(o, jetstream.WithMsgID(msgID))
			}
			enginetest.Must(js.PublishMsg(ctx, m, o...))
		}
		done := inbound(t, f.partyA, "party_a", "done", "ZF300", map[string]any{"serial": "S-1"})
		subject := b.InSubject("party_a", "done")
		publish(subject, done, "d1")
		publish(subject, done, "d1") // the party retried: JetStream drops it
		publish(subject, done, "d2") // a second copy the broker cannot tell: our inbox does
		forger := enginetest.Must(keys.Generate(keys.SM2))
		publish(subject, inbound(t, forger, "party_a", "done", "ZF300", map[string]any{"serial": "S-666"}), "")
		publish(subject, inbound(t, f.partyA, "party_a", "done", "ZF999", map[string]any{"serial": "S-2"}), "")

		eventually(t, "every inbound message is handled and acked", func() bool {
			s, err := b.Stream(ctx)
			if err != nil {
				return false
			}
			c, err := s.Consumer(ctx, opts.Consumer)
			if err != nil {
				return false
			}
			info, err := c.Info(ctx)
			return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > 0
		})
		got := enginetest.Must(f.rt.Get(ctx, engine.SystemActor, "orders", "order", rec.ID))
		if got.State != "done" || got.Values["serial"] != "S-1" {
			t.Errorf("record after the receipts: state %s serial %v", got.State, got.Values["serial"])
		}
		h := enginetest.Must(f.rt.History(ctx, engine.SystemActor, "orders", "order", rec.ID))
		n := 0
		for _, e := range h.Items {
			if e.Event == "finish" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("finish applied %d times", n)
		}
		reasons := map[string]int{}
		for _, e := range enginetest.Must(f.rt.ExchangeExceptions(ctx, true)) {
			reasons[e.Reason]++
		}
		if reasons[engine.ReasonBadSignature] != 1 || reasons[engine.ReasonNoRecord] != 1 || len(reasons) != 2 {
			t.Errorf("exceptions by reason: %v", reasons)
		}
	})
}

// Two installations share one broker with their own subject prefixes: each
// has its own stream, and neither sees the other's messages.
func TestTwoInstallationsOneBroker(t *testing.T) {
	forEachBroker(t, func(t *testing.T, opts exchange.Options) {
		if opts.URL == "" {
			// An embedded server on a port both installations connect to.
			opts.Listen = freePort(t)
			openBroker(t, opts)
			opts = exchange.Options{URL: "nats://" + opts.Listen, Logger: opts.Logger}
		}
		city, province := opts, opts
		city.Prefix, city.Stream, city.Consumer = "city"+randomHex(2), "", ""
		province.Prefix, province.Stream, province.Consumer = "prov"+randomHex(2), "", ""
		t.Cleanup(func() {
			deleteStream(exchange.Options{URL: opts.URL, Stream: strings.ToUpper(city.Prefix) + "_EXCHANGE"})
		})
		t.Cleanup(func() {
			deleteStream(exchange.Options{URL: opts.URL, Stream: strings.ToUpper(province.Prefix) + "_EXCHANGE"})
		})
		fc, fp := newFixture(t, engine.SQLite), newFixture(t, engine.SQLite)
		bc, bp := openBroker(t, city), openBroker(t, province)
		run(t, fc.rt, bc)
		run(t, fp.rt, bp)
		fc.sendOrder(t, "C1")
		fp.sendOrder(t, "P1")
		fp.sendOrder(t, "P2")
		eventually(t, "both publish", func() bool { return pending(t, fc.rt) == 0 && pending(t, fp.rt) == 0 })
		if c, p := len(outMessages(t, bc)), len(outMessages(t, bp)); c != 1 || p != 2 {
			t.Errorf("messages: city %d, province %d; want 1 and 2, each in its own stream", c, p)
		}
		if bc.StreamName() == bp.StreamName() {
			t.Errorf("one stream %s for both", bc.StreamName())
		}
	})
	if _, err := exchange.Open(exchange.Options{StoreDir: t.TempDir(), Prefix: "a.b"}); err == nil {
		t.Error("a prefix with a dot was accepted")
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// A broker that is down does not stop the work: events commit, their
// messages wait, the health check says the exchange is degraded, and
// delivery resumes by itself when the broker is back.
func TestBrokerDownThenBack(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newFixture(t, d)
		addr := freePort(t)
		b := openBroker(t, exchange.Options{URL: "nats://" + addr, Logger: enginetest.QuietLogger()})
		r := run(t, f.rt, b)
		if err := r.Health(); err == nil {
			t.Fatal("healthy with no broker")
		}
		f.sendOrder(t, "ZF400")
		f.sendOrder(t, "ZF401")
		time.Sleep(500 * time.Millisecond)
		if n := pending(t, f.rt); n != 2 {
			t.Fatalf("pending with the broker down: %d, want 2", n)
		}
		if err := r.Health(); err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("health with the broker down: %v", err)
		}
		// The broker comes up.
		server := openBroker(t, exchange.Options{StoreDir: t.TempDir(), Listen: addr, Logger: enginetest.QuietLogger()})
		eventually(t, "the waiting messages are delivered once the broker is back", func() bool { return pending(t, f.rt) == 0 })
		eventually(t, "the health check recovers", func() bool { return r.Health() == nil })
		if msgs := outMessages(t, server); len(msgs) != 2 {
			t.Errorf("the broker holds %d messages, want 2", len(msgs))
		}
	})
}

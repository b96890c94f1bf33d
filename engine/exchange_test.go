package engine_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
)

// exchangeFixture is a runtime on the exchange test definitions with our keys
// and the parties' public keys in place; partyA and partyB sign as the
// parties would.
type exchangeFixture struct {
	rt             *engine.Runtime
	store          keys.Store
	partyA, partyB *keys.PrivateKey
}

func newExchangeFixture(t *testing.T, d engine.Dialect) *exchangeFixture {
	t.Helper()
	p := enginetest.LoadDir(t, "testdata/exchange")
	rt := enginetest.Start(t, d, p, engine.OpenAccess{})
	f := &exchangeFixture{rt: rt, store: keys.Store{Dir: t.TempDir()}}
	for _, k := range keys.Kinds {
		if _, _, err := f.store.Generate(k, false); err != nil {
			t.Fatal(err)
		}
	}
	f.partyA = enginetest.Must(keys.Generate(keys.SM2))
	f.partyB = enginetest.Must(keys.Generate(keys.Ed25519))
	enginetest.Must(f.store.Import("party_a", f.partyA.Public().MarshalPEM()))
	enginetest.Must(f.store.Import("party_b", f.partyB.Public().MarshalPEM()))
	rt.SetExchangeKeys(f.store)
	return f
}

func (f *exchangeFixture) order(t *testing.T, no string) *engine.Record {
	t.Helper()
	return enginetest.Must(f.rt.Create(context.Background(), engine.SystemActor, "orders", "order", map[string]any{"no": no, "payee": "张三", "amount": "1234.50"}))
}

func (f *exchangeFixture) get(t *testing.T, id int64) *engine.Record {
	t.Helper()
	return enginetest.Must(f.rt.Get(context.Background(), engine.SystemActor, "orders", "order", id))
}

// message is an inbound envelope signed by key.
func message(t *testing.T, key *keys.PrivateKey, party, typ, ref string, body map[string]any) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	env := &engine.Envelope{ID: engine.NewMessageID(), Party: party, Type: typ, Ref: ref, At: time.Now().UTC().Format(time.RFC3339), Body: b}
	if err := env.Sign(key); err != nil {
		t.Fatal(err)
	}
	return enginetest.Must(json.Marshal(env))
}

func TestExchangeOutboxWrittenWithEvent(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExchangeFixture(t, d)
		ctx := context.Background()
		rec := f.order(t, "ZF001")
		if pending := enginetest.Must(f.rt.PendingOutbox(ctx, 10)); len(pending) != 0 {
			t.Fatalf("a create wrote %d messages", len(pending))
		}
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
		select {
		case <-f.rt.ExchangeNotify():
		default:
			t.Error("the publisher was not told of the committed message")
		}
		pending := enginetest.Must(f.rt.PendingOutbox(ctx, 10))
		if len(pending) != 1 {
			t.Fatalf("pending messages after send: %d, want 1", len(pending))
		}
		m := pending[0]
		if m.Party != "party_a" || m.Type != "voucher" || m.Ref != "ZF001" || m.RecordID != rec.ID || m.Event != "send" || m.Sent != nil {
			t.Errorf("outbox row: %+v", m)
		}
		var env engine.Envelope
		if err := json.Unmarshal(m.Envelope, &env); err != nil {
			t.Fatal(err)
		}
		if env.ID != m.ID || env.Party != "party_a" || env.Type != "voucher" || env.Ref != "ZF001" || env.Alg != "sm2" {
			t.Errorf("envelope header: %+v", env)
		}
		var body map[string]any
		_ = json.Unmarshal(env.Body, &body)
		if body["amount"] != "1234.50" || body["payee"] != "张三" || body["no"] != "ZF001" || body["id"] != float64(rec.ID) {
			t.Errorf("body: %s", env.Body)
		}
		own := enginetest.Must(f.store.Own(keys.SM2))
		if !env.Verify(own.Public()) {
			t.Error("the voucher does not verify with our public key")
		}
		env.Body = []byte(strings.Replace(string(env.Body), "1234.50", "9234.50", 1))
		if env.Verify(own.Public()) {
			t.Error("an altered voucher verifies")
		}
		// Sent messages leave the pending list and stay on the record.
		if err := f.rt.MarkSent(ctx, []int64{m.Seq}); err != nil {
			t.Fatal(err)
		}
		if pending := enginetest.Must(f.rt.PendingOutbox(ctx, 10)); len(pending) != 0 {
			t.Errorf("still pending after sent: %d", len(pending))
		}
		all := enginetest.Must(f.rt.OutboxFor(ctx, "orders", "order", rec.ID))
		if len(all) != 1 || all[0].Sent == nil {
			t.Errorf("record's messages: %+v", all)
		}
	})
}

func TestExchangeRollbackSendsNothing(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExchangeFixture(t, d)
		ctx := context.Background()
		rec := f.order(t, "ZF002")
		// The event writes its message, then fails (a generated record is
		// refused): the message goes with the rest of the transaction.
		if _, err := f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send_and_fail"}); err == nil {
			t.Fatal("send_and_fail succeeded")
		}
		if got := f.get(t, rec.ID); got.State != "draft" {
			t.Errorf("state %s after a failed event", got.State)
		}
		if all := enginetest.Must(f.rt.OutboxFor(ctx, "orders", "order", rec.ID)); len(all) != 0 {
			t.Errorf("a rolled-back event left %d messages", len(all))
		}
		// Without keys nothing leaves unsigned: the event is refused.
		f.rt.SetExchangeKeys(keys.Store{Dir: t.TempDir()})
		_, err := f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"})
		if err == nil || !errors.Is(err, keys.ErrNoKey) {
			t.Fatalf("send without our key: %v", err)
		}
		if got := f.get(t, rec.ID); got.State != "draft" {
			t.Errorf("state %s after an unsigned send", got.State)
		}
		if all := enginetest.Must(f.rt.OutboxFor(ctx, "orders", "order", rec.ID)); len(all) != 0 {
			t.Errorf("an unsigned send left %d messages", len(all))
		}
	})
}

func TestExchangeInboundAppliedOnce(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExchangeFixture(t, d)
		ctx := context.Background()
		rec := f.order(t, "ZF003")
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
		raw := message(t, f.partyA, "party_a", "done", "ZF003", map[string]any{"serial": "B-778"})
		res := enginetest.Must(f.rt.ReceiveMessage(ctx, raw, ""))
		if res.Outcome != engine.InboundApplied || res.RecordID != rec.ID {
			t.Fatalf("first delivery: %+v", res)
		}
		got := f.get(t, rec.ID)
		if got.State != "done" || got.Values["serial"] != "B-778" {
			t.Errorf("after done: state %s serial %v", got.State, got.Values["serial"])
		}
		// Delivered again (the broker redelivers until acked): no second effect.
		for range 2 {
			res = enginetest.Must(f.rt.ReceiveMessage(ctx, raw, ""))
			if res.Outcome != engine.InboundDuplicate {
				t.Fatalf("redelivery: %+v", res)
			}
		}
		h := enginetest.Must(f.rt.History(ctx, engine.SystemActor, "orders", "order", rec.ID))
		finishes := 0
		for _, e := range h.Items {
			if e.Event == "finish" {
				finishes++
				if e.Actor != "exchange:party_a" {
					t.Errorf("finish by %s, want exchange:party_a", e.Actor)
				}
			}
		}
		if finishes != 1 {
			t.Errorf("finish applied %d times", finishes)
		}
		if n := enginetest.Must(f.rt.InboxCount(ctx, "orders", "order", rec.ID)); n != 1 {
			t.Errorf("inbox rows: %d", n)
		}
		// The record's messages: our signed voucher and the party's signed
		// receipt, each verifying with the key that should have signed it.
		msgs := enginetest.Must(f.rt.MessagesFor(ctx, "orders", "order", rec.ID))
		if len(msgs) != 2 || !msgs[0].Out || msgs[0].Type != "voucher" || msgs[1].Out || msgs[1].Type != "done" {
			t.Fatalf("record's messages: %+v", msgs)
		}
		if !msgs[0].Verified || msgs[0].Fingerprint != enginetest.Must(f.store.Own(keys.SM2)).Public().Fingerprint() || msgs[0].Sent != nil {
			t.Errorf("voucher: %+v", msgs[0])
		}
		if !msgs[1].Verified || msgs[1].Fingerprint != f.partyA.Public().Fingerprint() || msgs[1].Alg != "sm2" || msgs[1].Signature == "" {
			t.Errorf("receipt: %+v", msgs[1])
		}
		if ex := enginetest.Must(f.rt.ExchangeExceptions(ctx, true)); len(ex) != 0 {
			t.Errorf("exceptions: %+v", ex)
		}
		// A returned message carries its reason as the event's comment; a
		// party that refers by id (party_b, ed25519) finds the record by id.
		rec2 := f.order(t, "ZF004")
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec2.ID, Event: "send"}))
		res = enginetest.Must(f.rt.ReceiveMessage(ctx, message(t, f.partyA, "party_a", "returned", "ZF004", map[string]any{"reason": "收款账号不存在"}), ""))
		if res.Outcome != engine.InboundApplied {
			t.Fatalf("returned: %+v", res)
		}
		h = enginetest.Must(f.rt.History(ctx, engine.SystemActor, "orders", "order", rec2.ID))
		if last := h.Items[len(h.Items)-1]; last.Event != "give_back" || last.Comment != "收款账号不存在" {
			t.Errorf("last history entry: %+v", last)
		}
		rec3 := f.order(t, "ZF005")
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec3.ID, Event: "send"}))
		res = enginetest.Must(f.rt.ReceiveMessage(ctx, message(t, f.partyB, "party_b", "done_by_id", exchangeRef(rec3.ID), map[string]any{}), ""))
		if res.Outcome != engine.InboundApplied || f.get(t, rec3.ID).State != "done" {
			t.Errorf("by id: %+v", res)
		}
	})
}

func exchangeRef(id int64) string { return string(enginetest.Must(json.Marshal(id))) }

func TestExchangeInboundRefusedAndRecorded(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExchangeFixture(t, d)
		ctx := context.Background()
		rec := f.order(t, "ZF010")
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
		forger := enginetest.Must(keys.Generate(keys.SM2))

		altered := func() []byte {
			raw := message(t, f.partyA, "party_a", "done", "ZF010", map[string]any{"serial": "B-1"})
			return []byte(strings.Replace(string(raw), `"ZF010"`, `"ZF011"`, 1))
		}
		tamperedBody := func() []byte {
			var env engine.Envelope
			_ = json.Unmarshal(message(t, f.partyA, "party_a", "done", "ZF010", map[string]any{"serial": "B-1"}), &env)
			env.Body = []byte(`{"serial":"B-2"}`)
			return enginetest.Must(json.Marshal(env))
		}
		draft := f.order(t, "ZF012")
		cases := []struct {
			name, reason string
			raw          []byte
		}{
			{"forged: signed by another key", engine.ReasonBadSignature, message(t, forger, "party_a", "done", "ZF010", map[string]any{"serial": "B-1"})},
			{"signed by the other party", engine.ReasonBadSignature, message(t, f.partyB, "party_a", "done", "ZF010", map[string]any{"serial": "B-1"})},
			{"ref altered after signing", engine.ReasonBadSignature, altered()},
			{"body altered after signing", engine.ReasonBadSignature, tamperedBody()},
			{"unknown party", engine.ReasonUnknownParty, message(t, forger, "party_z", "done", "ZF010", map[string]any{})},
			{"unknown type", engine.ReasonUnknownType, message(t, f.partyA, "party_a", "voucher", "ZF010", map[string]any{})},
			{"no such record", engine.ReasonNoRecord, message(t, f.partyA, "party_a", "done", "ZF999", map[string]any{"serial": "B-1"})},
			{"record in the wrong state", engine.ReasonWrongState, message(t, f.partyA, "party_a", "done", "ZF012", map[string]any{"serial": "B-1"})},
			{"a value the field refuses", engine.ReasonRefused, message(t, f.partyA, "party_a", "done", "ZF010", map[string]any{"serial": map[string]any{"x": 1}})},
			{"not JSON", engine.ReasonMalformed, []byte("PAID ZF010")},
			{"unsigned", engine.ReasonMalformed, []byte(`{"id":"u1","party":"party_a","type":"done","ref":"ZF010","at":"2026-01-01T00:00:00Z","body":{}}`)},
		}
		for i, c := range cases {
			res, err := f.rt.ReceiveMessage(ctx, c.raw, "broker-"+exchangeRef(int64(i)))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if res.Outcome != engine.InboundException || res.Reason != c.reason || res.Message == "" {
				t.Errorf("%s: %+v, want exception %s", c.name, res, c.reason)
			}
			// Delivered again: recorded once.
			again := enginetest.Must(f.rt.ReceiveMessage(ctx, c.raw, "broker-"+exchangeRef(int64(i))))
			if again.Outcome != engine.InboundDuplicate {
				t.Errorf("%s redelivered: %+v", c.name, again)
			}
		}
		if got := f.get(t, rec.ID); got.State != "sent" || got.Values["serial"] != nil {
			t.Errorf("refused messages changed the record: state %s serial %v", got.State, got.Values["serial"])
		}
		if got := f.get(t, draft.ID); got.State != "draft" {
			t.Errorf("wrong-state message changed the draft: %s", got.State)
		}
		ex := enginetest.Must(f.rt.ExchangeExceptions(ctx, false))
		if len(ex) != len(cases) {
			t.Fatalf("exceptions recorded: %d, want %d", len(ex), len(cases))
		}
		for _, e := range ex {
			if e.Reason == "" || e.Message == "" || e.Envelope == "" || e.ReceivedAt.IsZero() {
				t.Errorf("exception without its reason or message: %+v", e)
			}
		}
		if n := enginetest.Must(f.rt.InboxCount(ctx, "orders", "order", rec.ID)); n != 0 {
			t.Errorf("refused messages in the inbox: %d", n)
		}

		// A user resolves an exception, with a comment, in the audit trail.
		first := ex[0]
		admin := engine.Actor{User: "alice", Roles: []string{engine.AdminRole}}
		var forbidden *engine.ForbiddenError
		if err := f.rt.ResolveException(ctx, engine.Actor{User: "bob", Roles: []string{"orders.clerk"}}, first.ID, "x"); !errors.As(err, &forbidden) {
			t.Errorf("a clerk resolved an exception: %v", err)
		}
		var verr *engine.ValidationError
		if err := f.rt.ResolveException(ctx, admin, first.ID, "  "); !errors.As(err, &verr) {
			t.Errorf("resolved without a comment: %v", err)
		}
		if err := f.rt.ResolveException(ctx, admin, first.ID, "已请对方重发"); err != nil {
			t.Fatal(err)
		}
		var conflict *engine.ConflictError
		if err := f.rt.ResolveException(ctx, admin, first.ID, "again"); !errors.As(err, &conflict) {
			t.Errorf("resolved twice: %v", err)
		}
		if err := f.rt.ResolveException(ctx, admin, 999999, "x"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("resolved a missing exception: %v", err)
		}
		open := enginetest.Must(f.rt.ExchangeExceptions(ctx, false))
		all := enginetest.Must(f.rt.ExchangeExceptions(ctx, true))
		if len(open) != len(cases)-1 || len(all) != len(cases) {
			t.Errorf("after resolving one: %d open of %d", len(open), len(all))
		}
		for _, e := range all {
			if e.ID == first.ID && (!e.Resolved || e.ResolvedBy != "alice" || e.Comment != "已请对方重发") {
				t.Errorf("resolved exception: %+v", e)
			}
		}
		var audited int
		_ = f.rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_audit WHERE entity = 'exchange_exceptions' AND action = 'resolve' AND actor = 'alice'`).Scan(&audited)
		if audited != 1 {
			t.Errorf("audit rows of the resolution: %d", audited)
		}
		if r := enginetest.Must(f.rt.DB.VerifyAudit(ctx)); !r.OK() {
			t.Errorf("audit verify: %v", r.Broken)
		}
	})
}

// A forged message that takes the id of a genuine one is refused, and does
// not make the genuine one look like a duplicate when it comes.
func TestExchangeForgeryCannotSquatAnID(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExchangeFixture(t, d)
		ctx := context.Background()
		rec := f.order(t, "ZF050")
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
		genuine := message(t, f.partyA, "party_a", "done", "ZF050", map[string]any{"serial": "REAL"})
		var env engine.Envelope
		enginetest.Must(0, json.Unmarshal(genuine, &env))
		forged := env
		forged.Body = []byte(`{"serial":"FAKE"}`)
		forged.Sig = ""
		enginetest.Must(0, forged.Sign(enginetest.Must(keys.Generate(keys.SM2))))
		if res := enginetest.Must(f.rt.ReceiveMessage(ctx, enginetest.Must(json.Marshal(forged)), "")); res.Outcome != engine.InboundException || res.MsgID != env.ID {
			t.Fatalf("forgery: %+v", res)
		}
		if res := enginetest.Must(f.rt.ReceiveMessage(ctx, genuine, "")); res.Outcome != engine.InboundApplied {
			t.Fatalf("the genuine message after a forgery with its id: %+v", res)
		}
		if got := f.get(t, rec.ID); got.Values["serial"] != "REAL" {
			t.Errorf("serial %v", got.Values["serial"])
		}
	})
}

// A message may carry lines and totals; a total that must equal the
// record's field and does not refuses the event, and nothing is sent.
func TestExchangeLinesAndTotals(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExchangeFixture(t, d)
		ctx := context.Background()
		item := func(order int64, name, amount string) {
			enginetest.Must(f.rt.Create(ctx, engine.SystemActor, "orders", "item", map[string]any{"order": order, "name": name, "amount": amount}))
		}
		ok := f.order(t, "ZF060") // amount 1234.50
		item(ok.ID, "甲", "1000.00")
		item(ok.ID, "乙", "234.50")
		item(ok.ID, "零", "0.00") // left out by the lines' where
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: ok.ID, Event: "send_batch"}))
		out := enginetest.Must(f.rt.OutboxFor(ctx, "orders", "order", ok.ID))
		if len(out) != 1 || out[0].Type != "batch_voucher" {
			t.Fatalf("outbox: %+v", out)
		}
		var env engine.Envelope
		enginetest.Must(0, json.Unmarshal(out[0].Envelope, &env))
		var body struct {
			No    string           `json:"no"`
			Items []map[string]any `json:"items"`
			Total string           `json:"total"`
			Count int              `json:"count"`
		}
		enginetest.Must(0, json.Unmarshal(env.Body, &body))
		if body.No != "ZF060" || len(body.Items) != 2 || body.Items[0]["name"] != "甲" || body.Items[1]["amount"] != "234.50" || body.Total != "1234.50" || body.Count != 2 {
			t.Errorf("body: %s", env.Body)
		}
		bad := f.order(t, "ZF061")
		item(bad.ID, "丙", "1000.00")
		_, err := f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: bad.ID, Event: "send_batch"})
		var conflict *engine.ConflictError
		if !errors.As(err, &conflict) || conflict.Code != "message_total" || !strings.Contains(conflict.Message, "1000") {
			t.Fatalf("lines that do not add up: %v", err)
		}
		if got := f.get(t, bad.ID); got.State != "draft" {
			t.Errorf("state %s after a refused send", got.State)
		}
		if out := enginetest.Must(f.rt.OutboxFor(ctx, "orders", "order", bad.ID)); len(out) != 0 {
			t.Errorf("a refused send left %d messages", len(out))
		}
	})
}

// A message may carry the file of an export of its entity, rendered in the
// event's transaction: the body's file decodes to exactly the bytes the
// export's download gives for the record; a file that cannot be made (its
// total does not agree) refuses the event, and nothing is sent.
func TestExchangeMessageCarriesExportFile(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newExchangeFixture(t, d)
		ctx := context.Background()
		item := func(order int64, name, amount string) {
			enginetest.Must(f.rt.Create(ctx, engine.SystemActor, "orders", "item", map[string]any{"order": order, "name": name, "amount": amount}))
		}
		ok := f.order(t, "ZF070") // amount 1234.50
		item(ok.ID, "甲", "1000.00")
		item(ok.ID, "乙", "234.50")
		enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: ok.ID, Event: "send_file"}))
		out := enginetest.Must(f.rt.OutboxFor(ctx, "orders", "order", ok.ID))
		if len(out) != 1 || out[0].Type != "file_voucher" {
			t.Fatalf("outbox: %+v", out)
		}
		var env engine.Envelope
		enginetest.Must(0, json.Unmarshal(out[0].Envelope, &env))
		var body struct {
			No     string `json:"no"`
			Amount string `json:"amount"`
			File   struct {
				Name      string `json:"name"`
				MediaType string `json:"media_type"`
				Encoding  string `json:"encoding"`
				Content   string `json:"content"`
			} `json:"file"`
		}
		enginetest.Must(0, json.Unmarshal(env.Body, &body))
		if body.No != "ZF070" || body.Amount != "1234.50" || body.File.Name != "transfer_ZF070.txt" || body.File.MediaType != "text/plain" || body.File.Encoding != "GBK" {
			t.Errorf("body: %s", env.Body)
		}
		got := enginetest.Must(base64.StdEncoding.DecodeString(body.File.Content))
		want := enginetest.Must(f.rt.Export(ctx, engine.SystemActor, "orders", "order", ok.ID, "transfer_file"))
		if !bytes.Equal(got, want.Data) || len(got) == 0 {
			t.Errorf("file in the message:\n%q\nthe export:\n%q", got, want.Data)
		}
		// 甲 in GBK is two bytes: the file is GBK, not UTF-8.
		if !bytes.Contains(got, []byte{0xbc, 0xd7}) {
			t.Errorf("file is not GBK: %q", got)
		}

		bad := f.order(t, "ZF071")
		item(bad.ID, "丙", "1000.00")
		_, err := f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: bad.ID, Event: "send_file"})
		var conflict *engine.ConflictError
		if !errors.As(err, &conflict) || conflict.Code != "export_total" || !strings.Contains(conflict.Message, "1000.00") {
			t.Fatalf("a file whose total does not agree: %v", err)
		}
		if got := f.get(t, bad.ID); got.State != "draft" {
			t.Errorf("state %s after a refused send", got.State)
		}
		if out := enginetest.Must(f.rt.OutboxFor(ctx, "orders", "order", bad.ID)); len(out) != 0 {
			t.Errorf("a refused send left %d messages", len(out))
		}
	})
}

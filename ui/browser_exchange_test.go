package ui_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
)

// TestBrowserExchange shows, in Chromium, a record's signed messages (our
// voucher and the party's receipt, both verified) and the exceptions page
// with a forged receipt; with GROWTH_SCREENSHOTS=1 it writes
// docs/screenshots/exchange-record.png and exchange-exceptions.png; and a
// reconciliation with one planted difference of each kind
// (exchange-reconciliation.png).
func TestBrowserExchange(t *testing.T) {
	browser := newChromium(t)
	ctx := context.Background()
	s := startServer(t, engine.SQLite, enginetest.LoadDir(t, "../engine/testdata/exchange"))
	store := enginetest.TestKeys(t)
	party := enginetest.Must(keys.Generate(keys.SM2))
	enginetest.Must(store.Import("party_a", party.Public().MarshalPEM()))
	s.rt.SetExchangeKeys(store)
	s.addUser(t, "admin", "", engine.AdminRole, "orders.clerk")

	rec := enginetest.Must(s.rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": "ZF2026000123", "payee": "成都某办公用品有限公司", "amount": "200000.00"}))
	enginetest.Must(s.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
	pending := enginetest.Must(s.rt.PendingOutbox(ctx, 10))
	enginetest.Must(0, s.rt.MarkSent(ctx, []int64{pending[0].Seq}))
	receipt := func(key *keys.PrivateKey, ref, serial string) []byte {
		body, _ := json.Marshal(map[string]any{"serial": serial})
		env := &engine.Envelope{ID: engine.NewMessageID(), Party: "party_a", Type: "done", Ref: ref, At: time.Now().UTC().Format(time.RFC3339), Body: body}
		enginetest.Must(0, env.Sign(key))
		return enginetest.Must(json.Marshal(env))
	}
	enginetest.Must(s.rt.ReceiveMessage(ctx, receipt(party, "ZF2026000123", "20260315000123"), ""))
	enginetest.Must(s.rt.ReceiveMessage(ctx, receipt(enginetest.Must(keys.Generate(keys.SM2)), "ZF2026000123", "FAKE"), ""))
	enginetest.Must(s.rt.ReceiveMessage(ctx, receipt(party, "ZF2026999999", "20260315000124"), ""))

	tctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(tctx); err != nil {
		t.Fatal(err)
	}
	b := tab{t: t, ctx: tctx, base: listen(t, s)}
	b.login("admin")
	b.open("/ui/orders/order/" + strconv.FormatInt(rec.ID, 10))
	b.do("messages", chromedp.WaitVisible(chromedp.CSS("#messages")), chromedp.ScrollIntoView(chromedp.CSS("#messages")))
	got := b.text("#messages")
	for _, want := range []string{"发往 甲方", "来自 甲方", "已发送", "已验签并处理", "SM2 签名"} {
		if !strings.Contains(got, want) {
			t.Errorf("messages lack %q: %s", want, got)
		}
	}
	if n := strings.Count(got, "签名有效"); n != 2 {
		t.Errorf("%d valid signatures shown, want 2: %s", n, got)
	}
	b.shot("exchange-record")

	b.open("/ui/admin/exchange")
	b.do("exceptions", chromedp.WaitVisible(chromedp.CSS("#exceptions")))
	got = b.text("#exceptions")
	for _, want := range []string{"签名无效", "找不到对应记录", "ZF2026999999"} {
		if !strings.Contains(got, want) {
			t.Errorf("exceptions lack %q: %s", want, got)
		}
	}
	b.shot("exchange-exceptions")

	// A reconciliation of the day with one planted difference of each kind:
	// the first voucher's amount differs, the second's date, the third is
	// missing at the party, the fourth matches, and the party lists a
	// payment we never sent.
	vouchers := []engine.OutboxMessage{pending[0]}
	for i, amount := range []string{"3500.00", "12800.50", "960.00"} {
		o := enginetest.Must(s.rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": "ZF202600012" + strconv.Itoa(4+i), "payee": "成都某办公用品有限公司", "amount": amount}))
		enginetest.Must(s.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: o.ID, Event: "send"}))
	}
	vouchers = append(vouchers, enginetest.Must(s.rt.PendingOutbox(ctx, 10))...)
	if len(vouchers) != 4 {
		t.Fatalf("%d vouchers, want 4", len(vouchers))
	}
	day := time.Now().Format(time.DateOnly)
	recon := enginetest.Must(s.rt.Reconcile(ctx, engine.SystemActor, engine.ReconcileOptions{Party: "party_a", Day: day, Statement: "party_a-" + day + ".csv"},
		[]engine.StatementLine{
			{Date: day, MsgID: vouchers[0].ID, Ref: vouchers[0].Ref, Amount: "20000.00", Status: "done"},
			{Date: time.Now().AddDate(0, 0, -1).Format(time.DateOnly), MsgID: vouchers[1].ID, Ref: vouchers[1].Ref, Amount: "3500.00", Status: "done"},
			{Date: day, MsgID: vouchers[3].ID, Ref: vouchers[3].Ref, Amount: "960.00", Status: "done"},
			{Date: day, MsgID: "bank-only-0001", Ref: "ZF2026000999", Amount: "88.00", Status: "done"},
		}))
	if recon.Differences != 4 {
		t.Fatalf("%d differences planted, want 4: %+v", recon.Differences, recon)
	}
	b.open("/ui/admin/exchange/reconciliations/" + strconv.FormatInt(recon.ID, 10))
	got = b.text("body")
	for _, want := range []string{"金额不符", "日期不符", "我方无此笔", "对方无此笔", "20000.00", "200000.00", vouchers[2].ID, "bank-only-0001", "ZF2026000999"} {
		if !strings.Contains(got, want) {
			t.Errorf("reconciliation page lacks %q: %s", want, got)
		}
	}
	b.shot("exchange-reconciliation")
}

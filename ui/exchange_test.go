package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
)

// A record's page shows its exchange messages: the voucher Growth signed,
// whether it has been sent, and the party's signed receipt, each signature
// checked again against the key that should have made it.
func TestRecordPageShowsSignedMessages(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		s := startServer(t, d, enginetest.LoadDir(t, "../engine/testdata/exchange"))
		store := enginetest.TestKeys(t)
		party := enginetest.Must(keys.Generate(keys.SM2))
		enginetest.Must(store.Import("party_a", party.Public().MarshalPEM()))
		s.rt.SetExchangeKeys(store)
		s.addUser(t, "clerk", "", "orders.clerk")
		rec := enginetest.Must(s.rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": "ZF900", "payee": "赵六", "amount": "5.00"}))
		enginetest.Must(s.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))

		b := s.browser(t)
		b.login("clerk")
		path := "/ui/orders/order/" + strconv.FormatInt(rec.ID, 10)
		p := b.get(path)
		p.want(t, "record page with a voucher waiting", 200, `id="messages"`, "交换报文", "voucher", "发往 甲方", "待发送", "签名有效", "SM2 签名")
		ours := enginetest.Must(store.Own(keys.SM2)).Public().Fingerprint()
		p.want(t, "our key's fingerprint", 200, "公钥指纹 "+ours[:16])

		pending := enginetest.Must(s.rt.PendingOutbox(ctx, 10))
		enginetest.Must(0, s.rt.MarkSent(ctx, []int64{pending[0].Seq}))
		body, _ := json.Marshal(map[string]any{"serial": "S-9"})
		env := &engine.Envelope{ID: engine.NewMessageID(), Party: "party_a", Type: "done", Ref: "ZF900", At: time.Now().UTC().Format(time.RFC3339), Body: body}
		enginetest.Must(0, env.Sign(party))
		raw := enginetest.Must(json.Marshal(env))
		if res := enginetest.Must(s.rt.ReceiveMessage(ctx, raw, "")); res.Outcome != engine.InboundApplied {
			t.Fatalf("receipt: %+v", res)
		}
		p = b.get(path)
		p.want(t, "record page with the receipt", 200, "已发送 ", "来自 甲方", "done", "已验签并处理", "公钥指纹 "+party.Public().Fingerprint()[:16])
		if n := strings.Count(p.body, "签名有效"); n != 2 {
			t.Errorf("%d valid signatures shown, want 2 (ours and the party's)", n)
		}
		p.lacks(t, "no private key material", "PRIVATE")
	})
}

// An administrator sees the exchange's exceptions and records how each was
// handled; a comment is required, and a clerk may not.
func TestExchangeExceptionsPage(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		s := startServer(t, d, enginetest.LoadDir(t, "../engine/testdata/exchange"))
		s.addUser(t, "root", "", engine.AdminRole)
		s.addUser(t, "clerk", "", "orders.clerk")
		forger := enginetest.Must(keys.Generate(keys.SM2))
		body, _ := json.Marshal(map[string]any{"serial": "S"})
		env := &engine.Envelope{ID: engine.NewMessageID(), Party: "party_a", Type: "done", Ref: "ZF1", At: time.Now().UTC().Format(time.RFC3339), Body: body}
		enginetest.Must(0, env.Sign(forger))
		enginetest.Must(s.rt.ReceiveMessage(ctx, enginetest.Must(json.Marshal(env)), ""))

		clerk := s.browser(t)
		clerk.login("clerk")
		if p := clerk.get("/ui/admin/exchange"); p.status != 403 {
			t.Errorf("a clerk got the exceptions page: %d", p.status)
		}
		b := s.browser(t)
		b.login("root")
		p := b.get("/ui/admin/exchange")
		p.want(t, "exceptions", 200, `id="nav-exchange"`, "交换异常", "甲方", "done", "ZF1", "未导入交换方公钥")
		p = b.post("/ui/admin/exchange/1/resolve", url.Values{"comment": {""}})
		p.want(t, "resolve without a comment", 422, "须填写处理意见")
		p = b.post("/ui/admin/exchange/1/resolve", url.Values{"comment": {"已导入对方公钥并请其重发"}})
		if p.status != 303 {
			t.Fatalf("resolve: %d %s", p.status, excerpt(p.body))
		}
		b.get("/ui/admin/exchange").want(t, "after resolving", 200, "没有待处理的交换异常")
		b.get("/ui/admin/exchange?all=1").want(t, "all", 200, "root 已处理", "已导入对方公钥并请其重发")
	})
}

// The reconciliation page lists the open differences of a reconciliation
// (linked from the exceptions page) and one reconciliation with every item;
// an administrator resolves a difference with a comment, a clerk may not.
func TestReconciliationPage(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		s := startServer(t, d, enginetest.LoadDir(t, "../engine/testdata/exchange"))
		s.rt.SetExchangeKeys(enginetest.TestKeys(t))
		s.addUser(t, "root", "", engine.AdminRole)
		s.addUser(t, "clerk", "", "orders.clerk")
		rec := enginetest.Must(s.rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": "ZF77", "payee": "赵六", "amount": "5.00"}))
		enginetest.Must(s.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
		msg := enginetest.Must(s.rt.PendingOutbox(ctx, 10))[0]
		day := time.Now().Format(time.DateOnly)
		r := enginetest.Must(s.rt.Reconcile(ctx, engine.SystemActor, engine.ReconcileOptions{Party: "party_a", Day: day, Statement: "party_a-" + day + ".csv"},
			[]engine.StatementLine{{Date: day, MsgID: msg.ID, Ref: msg.Ref, Amount: "50.00", Status: "done"}}))
		if r.Differences != 1 {
			t.Fatalf("%+v", r)
		}
		clerk := s.browser(t)
		clerk.login("clerk")
		if p := clerk.get("/ui/admin/exchange/reconciliations"); p.status != 403 {
			t.Errorf("a clerk got the reconciliation page: %d", p.status)
		}
		b := s.browser(t)
		b.login("root")
		b.get("/ui/admin/exchange").want(t, "link from the exceptions page", 200, `href="/ui/admin/exchange/reconciliations"`)
		p := b.get("/ui/admin/exchange/reconciliations")
		p.want(t, "open differences", 200, "未处理的对账差异", "金额不符", "甲方", "ZF77", "5.00", "50.00")
		b.get("/ui/admin/exchange/reconciliations/"+strconv.FormatInt(r.ID, 10)).want(t, "one reconciliation", 200, "对账 #", "金额不符", msg.ID)
		item := strconv.FormatInt(r.Items[0].ID, 10)
		b.post("/ui/admin/exchange/reconciliations/items/"+item+"/resolve", url.Values{"comment": {""}}).want(t, "no comment", 422, "处理对账差异须填写处理意见")
		if p := b.post("/ui/admin/exchange/reconciliations/items/"+item+"/resolve", url.Values{"comment": {"银行更正金额"}}); p.status != 303 {
			t.Fatalf("resolve: %d %s", p.status, excerpt(p.body))
		}
		b.get("/ui/admin/exchange/reconciliations").want(t, "after resolving", 200, "没有未处理的对账差异")
		b.get("/ui/admin/exchange/reconciliations/"+strconv.FormatInt(r.ID, 10)).want(t, "resolution shown", 200, "root 已处理", "银行更正金额")
	})
}

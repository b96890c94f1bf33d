package ui_test

import (
	"context"
	"encoding/json"
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
		enginetest.Must(s.rt.Fire(ctx, engine.SystemActor, "orders", "order", rec.ID, "send", ""))

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

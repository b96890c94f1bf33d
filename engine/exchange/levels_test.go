package exchange_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
)

// Two Growth installations of two fiscal levels share one broker, each with
// its own subject prefix: the city sends its province a signed monthly
// summary (an outbound message of its send event, to a party declared as a
// peer), the province verifies the city's signature and fills in the report
// task the summary names; a summary signed with another key is refused.
func TestFiscalLevelsOverOneBroker(t *testing.T) {
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		ctx := context.Background()
		suffix := randomHex(4)
		city, prov := opts, opts
		city.Prefix, city.Stream, city.Consumer = "city"+suffix, "CITY_"+strings.ToUpper(suffix), "c"
		prov.Prefix, prov.Stream, prov.Consumer = "prov"+suffix, "PROV_"+strings.ToUpper(suffix), "c"
		if opts.URL == "" {
			// One embedded broker (the province's), which the city reaches
			// over a loopback port.
			prov.Listen = freeAddr(t)
			city.StoreDir, city.URL = "", "nats://"+prov.Listen
		} else {
			t.Cleanup(func() { deleteStream(city); deleteStream(prov) })
		}

		cityDefs := enginetest.LoadDir(t, "../testdata/levels/city")
		cityDefs.Exchange("province").Peer.Prefix = prov.Prefix
		cityRT := enginetest.Start(t, d, cityDefs, engine.OpenAccess{})
		cityKeys := keys.Store{Dir: t.TempDir()}
		cityKey, _, err := cityKeys.Generate(keys.SM2, false)
		if err != nil {
			t.Fatal(err)
		}
		cityRT.SetExchangeKeys(cityKeys)

		provRT := enginetest.Start(t, d, enginetest.LoadDir(t, "../testdata/levels/province"), engine.OpenAccess{})
		provKeys := keys.Store{Dir: t.TempDir()}
		if _, _, err := provKeys.Generate(keys.SM2, false); err != nil {
			t.Fatal(err)
		}
		enginetest.Must(provKeys.Import("city_a", cityKey.Public().MarshalPEM()))
		provRT.SetExchangeKeys(provKeys)

		provB := openBroker(t, prov) // first: it is the embedded server
		cityB := openBroker(t, city)
		run(t, provRT, provB)
		run(t, cityRT, cityB)

		months := []string{"2026-01", "2026-02", "2026-03"}
		for _, m := range months {
			enginetest.Must(provRT.Create(ctx, engine.SystemActor, "collect", "task", map[string]any{"no": "510100-" + m, "city": "甲市", "month": m}))
		}
		for i, m := range months {
			gp, edu := fmt.Sprintf("%d.10", 1000+i), fmt.Sprintf("%d.20", 2000+i)
			rec := enginetest.Must(cityRT.Create(ctx, engine.SystemActor, "execution", "summary", map[string]any{
				"no": "510100-" + m, "month": m, "general_public": gp, "education": edu, "total": fmt.Sprintf("%d.30", 3000+2*i)}))
			enginetest.Must(cityRT.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "execution", Entity: "summary", ID: rec.ID, Event: "send"}))
		}
		eventually(t, "the province has every summary", func() bool {
			var n int
			_ = provRT.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&n)
			return n == len(months)
		})
		list := enginetest.Must(provRT.List(ctx, engine.SystemActor, "collect", "task", engine.ListQuery{}))
		for _, rec := range list.Items {
			if rec.State != "received" {
				t.Errorf("task %v: state %s, want received", rec.Values["no"], rec.State)
			}
			i := 0
			for j, m := range months {
				if rec.Values["month"] == m {
					i = j
				}
			}
			got, want := fmt.Sprint(rec.Values["total"]), fmt.Sprintf("%d.30", 3000+2*i)
			g, ok := new(big.Rat).SetString(got)
			w, _ := new(big.Rat).SetString(want)
			if !ok || g.Cmp(w) != 0 {
				t.Errorf("task %v: total %s, want %s", rec.Values["no"], got, want)
			}
		}
		if ex := enginetest.Must(provRT.ExchangeExceptions(ctx, true)); len(ex) != 0 {
			t.Errorf("province exceptions: %+v", ex)
		}
		// The city's page shows the summary sent; what the province holds is
		// the city's signed envelope.
		var env string
		_ = provRT.DB.Read.QueryRow(`SELECT envelope FROM growth_exchange_inbox WHERE ref = '510100-2026-03'`).Scan(&env)
		if !strings.Contains(env, `"party":"city_a"`) || !strings.Contains(env, `"alg":"sm2"`) {
			t.Errorf("stored envelope: %s", env)
		}

		// A summary signed by anyone but the city is refused and recorded.
		forger := enginetest.Must(keys.Generate(keys.SM2))
		forged := &engine.Envelope{ID: engine.NewMessageID(), Party: "city_a", Type: "monthly_summary", Ref: "510100-2026-04", At: time.Now().UTC().Format(time.RFC3339), Body: []byte(`{"total":"1.00"}`)}
		enginetest.Must(0, forged.Sign(forger))
		enginetest.Must(provRT.Create(ctx, engine.SystemActor, "collect", "task", map[string]any{"no": "510100-2026-04", "city": "甲市", "month": "2026-04"}))
		enginetest.Must(provB.JetStream().Publish(ctx, provB.InSubject("city_a", "monthly_summary"), enginetest.Must(json.Marshal(forged))))
		eventually(t, "the forged summary is refused", func() bool {
			ex, _ := provRT.ExchangeExceptions(ctx, false)
			return len(ex) == 1 && ex[0].Reason == engine.ReasonBadSignature
		})
	})
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

package exchange_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
)

// The simulated party writes its daily statement; reconciling it with our
// vouchers and the receipts applied finds everything matched. The same
// statement with one planted difference of each kind reports each of them,
// and a difference is resolved only by a user with a comment, in the audit
// trail.
func TestReconcileStatement(t *testing.T) {
	each(t, func(t *testing.T, d engine.Dialect, opts exchange.Options) {
		f := newFixture(t, d)
		b := openBroker(t, opts)
		run(t, f.rt, b)
		ctx := context.Background()
		dir := t.TempDir()
		sim := exchange.SimOptions{Party: "party_a", Key: f.partyA, Growth: enginetest.Must(f.store.Own(keys.SM2)).Public(),
			Accept: "done", Refuse: "returned", RefuseKey: "payee", RefuseWhen: regexp.MustCompile(`^X-`), Reason: "收款账号不存在",
			StatementDir: dir, AccountKey: "payee", AckWait: 2 * time.Second}
		_, stop, err := exchange.Simulate(ctx, b, sim)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		const n = 6
		for i := range n {
			payee := "李四"
			if i == 0 {
				payee = "X-无此账户"
			}
			rec := enginetest.Must(f.rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": fmt.Sprintf("R%03d", i), "payee": payee, "amount": fmt.Sprintf("%d.50", i+1)}))
			enginetest.Must(f.rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
		}
		eventually(t, "every voucher is answered and applied", func() bool {
			var applied int
			_ = f.rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&applied)
			return applied == n
		})
		day := time.Now().Format(time.DateOnly)
		path := exchange.StatementFile(dir, "party_a", day)
		raw := enginetest.Must(os.ReadFile(path))
		lines := enginetest.Must(engine.ParseStatement(strings.NewReader(string(raw))))
		if len(lines) != n {
			t.Fatalf("statement has %d lines, want %d:\n%s", len(lines), n, raw)
		}
		statuses := map[string]int{}
		for _, l := range lines {
			statuses[l.Status]++
		}
		if statuses["done"] != n-1 || statuses["returned"] != 1 {
			t.Errorf("statement statuses %v, want %d done and 1 returned", statuses, n-1)
		}

		clean := enginetest.Must(f.rt.Reconcile(ctx, engine.SystemActor, engine.ReconcileOptions{Party: "party_a", Day: day, Statement: path}, lines))
		if clean.Differences != 0 || clean.Matched != n {
			t.Errorf("clean statement: %d matched, %d differences %+v; want %d matched, none differing", clean.Matched, clean.Differences, clean.Items, n)
		}

		// Plant one difference of each kind.
		planted := slices.Clone(lines)
		planted[1].Amount = "999.99"                                         // amount differs
		planted[2].Date = time.Now().AddDate(0, 0, -1).Format(time.DateOnly) // date differs
		missing := planted[3].MsgID
		planted = slices.Delete(planted, 3, 4)                                                                                  // missing at the party
		planted = append(planted, engine.StatementLine{Date: day, MsgID: "not-ours", Ref: "X", Amount: "5.00", Status: "done"}) // missing at us
		diff := enginetest.Must(f.rt.Reconcile(ctx, engine.SystemActor, engine.ReconcileOptions{Party: "party_a", Day: day, Statement: "planted.csv"}, planted))
		kinds := map[string][]string{}
		for _, it := range diff.Items {
			kinds[it.Kind] = append(kinds[it.Kind], it.MsgID)
		}
		want := map[string][]string{
			engine.ReconAmountDiffers:  {lines[1].MsgID},
			engine.ReconDateDiffers:    {lines[2].MsgID},
			engine.ReconMissingAtParty: {missing},
			engine.ReconMissingAtUs:    {"not-ours"},
		}
		for k, ids := range want {
			if !slices.Equal(kinds[k], ids) {
				t.Errorf("%s: %v, want %v", k, kinds[k], ids)
			}
		}
		if diff.Differences != 4 || diff.Matched != n-3 {
			t.Errorf("planted: %d matched, %d differences; want %d and 4", diff.Matched, diff.Differences, n-3)
		}
		for _, it := range diff.Items {
			if it.Kind == engine.ReconAmountDiffers && (it.OurAmount != "2.50" || it.TheirAmount != "999.99") {
				t.Errorf("amount difference shows ours %q, theirs %q; want 2.50 and 999.99", it.OurAmount, it.TheirAmount)
			}
		}

		// The inbox holds the 4 open differences; resolving needs a comment
		// and an administrator, and is in the audit trail.
		open := enginetest.Must(f.rt.OpenReconDifferences(ctx))
		if len(open) != 4 {
			t.Fatalf("%d open differences, want 4", len(open))
		}
		if err := f.rt.ResolveReconItem(ctx, engine.SystemActor, open[0].ID, "  "); err == nil {
			t.Error("a difference was resolved without a comment")
		}
		clerk := engine.Actor{User: "clerk", Roles: []string{"viewer"}}
		if err := f.rt.ResolveReconItem(ctx, clerk, open[0].ID, "ok"); err == nil {
			t.Error("a non-administrator resolved a difference")
		}
		admin := engine.Actor{User: "alice", Roles: []string{engine.AdminRole}}
		if err := f.rt.ResolveReconItem(ctx, admin, open[0].ID, "银行更正对账单"); err != nil {
			t.Fatal(err)
		}
		if err := f.rt.ResolveReconItem(ctx, admin, open[0].ID, "again"); err == nil {
			t.Error("a difference was resolved twice")
		}
		if left := enginetest.Must(f.rt.OpenReconDifferences(ctx)); len(left) != 3 {
			t.Errorf("%d open differences after resolving one, want 3", len(left))
		}
		var audited int
		_ = f.rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_audit WHERE entity = 'reconciliation_items' AND action = 'resolve' AND actor = 'alice'`).Scan(&audited)
		if audited != 1 {
			t.Errorf("%d audit entries of the resolution, want 1", audited)
		}
	})
}

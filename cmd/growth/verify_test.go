package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// growth audit verify and growth ledger verify exit 0 on an intact database
// and 1, naming what is wrong, after someone edits it by hand.
func TestVerifyCommandsDetectHandEdits(t *testing.T) {
	dir := enginetest.WriteDefinitions(t, map[string]string{"fund/app.yaml": `
app: fund
title: 资金
entities:
  grant:
    fields:
      amount: {type: money, required: true}
    balance: amount
  spend:
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: grant, amount: amount, consume_on: [create]}
`})
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "verify.db")
	ctx := context.Background()
	db := enginetest.Must(engine.Open(ctx, dsn))
	defer db.Close()
	rt := enginetest.Must(engine.Start(ctx, db, enginetest.LoadDir(t, dir), engine.StartOptions{Logger: enginetest.QuietLogger()}))
	enginetest.Must(rt.Create(ctx, engine.SystemActor, "fund", "grant", map[string]any{"amount": "100.00"}))
	enginetest.Must(rt.Create(ctx, engine.SystemActor, "fund", "spend", map[string]any{"grant": "1", "amount": "30.00"}))

	scenarios := []struct {
		name   string
		run    func([]string) int
		tamper string
		want   string
		broken string
	}{
		{"audit", runAudit, `UPDATE growth_audit SET actor = 'mallory' WHERE chain = 'fund.spend#01'`, "ok: 2 audit rows in 2 chains verify", "was edited"},
		{"ledger", runLedger, `UPDATE growth_balances SET consumed = 0`, "ok: 1 accounts agree with their 3 ledger rows", "DIFFERENCES"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, out := run(t, sc.run, "verify", "--db", dsn, "--definitions", dir)
			if code != 0 || !strings.Contains(out, sc.want) {
				t.Fatalf("intact: exit %d, output:\n%s", code, out)
			}
			if _, err := db.Write.ExecContext(ctx, sc.tamper); err != nil {
				t.Fatal(err)
			}
			code, out = run(t, sc.run, "verify", "--db", dsn, "--definitions", dir)
			if code != 1 || !strings.Contains(out, sc.broken) {
				t.Fatalf("after a hand edit: exit %d, output:\n%s", code, out)
			}
		})
	}
}

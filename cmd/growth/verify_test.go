package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
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
	rt := enginetest.Must(engine.Start(ctx, db, enginetest.LoadDir(t, dir), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
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

// growth audit anchor signs the chain heads into a file; growth audit verify
// --anchors then names a record edited by hand and a change cut off the end
// of its chain with the head set back, which nothing in the database shows.
// With an Ed25519 key in a --keys folder, and with an SM2 key in the data
// folder's keys, the one folder growth keys shows.
func TestAuditAnchorAndVerify(t *testing.T) {
	t.Run("ed25519", func(t *testing.T) { auditAnchorAndVerify(t, "ed25519", true) })
	t.Run("sm2", func(t *testing.T) { auditAnchorAndVerify(t, "sm2", false) })
}

func auditAnchorAndVerify(t *testing.T, kind string, keysFlag bool) {
	t.Setenv("GROWTH_KEYS", "")
	t.Setenv("GROWTH_DATA", "")
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
	tmp := t.TempDir()
	dsn := "sqlite:" + filepath.Join(tmp, "verify.db")
	keyDir, anchors := filepath.Join(tmp, "keys"), filepath.Join(tmp, "anchors")
	ctx := context.Background()
	db := enginetest.Must(engine.Open(ctx, dsn))
	defer db.Close()
	rt := enginetest.Must(engine.Start(ctx, db, enginetest.LoadDir(t, dir), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
	enginetest.Must(rt.Create(ctx, engine.SystemActor, "fund", "grant", map[string]any{"amount": "100.00"}))
	enginetest.Must(rt.Create(ctx, engine.SystemActor, "fund", "spend", map[string]any{"grant": "1", "amount": "30.00"}))
	exec := func(sql string) {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	verify := []string{"verify", "--db", dsn, "--definitions", dir, "--anchors", anchors}
	anchor := []string{"anchor", "--dir", anchors, "--db", dsn, "--key-kind", kind}
	if keysFlag {
		keyDir = filepath.Join(tmp, "elsewhere")
		verify = append(verify, "--keys", keyDir)
		anchor = append(anchor, "--keys", keyDir)
	}

	code, out := run(t, runAudit, anchor...)
	if code != 0 || !strings.Contains(out, "made the platform's "+kind+" key in "+keyDir) || !strings.Contains(out, "anchored 2 chains, signed with "+kind+" key") {
		t.Fatalf("anchor: exit %d, output:\n%s", code, out)
	}
	// The anchor names the key by kind and fingerprint, and the key is the
	// one growth keys shows (the exchange's key of that kind).
	own := enginetest.Must(keys.Store{Dir: keyDir}.Own(keys.Kind(kind)))
	files, _ := filepath.Glob(filepath.Join(anchors, "anchor-*.json"))
	if len(files) != 1 {
		t.Fatalf("anchor files: %v", files)
	}
	if data := string(enginetest.Must(os.ReadFile(files[0]))); !strings.Contains(data, `"key_kind": "`+kind+`"`) || !strings.Contains(data, `"key_fingerprint": "`+own.Public().Fingerprint()+`"`) {
		t.Fatalf("anchor file:\n%s", data)
	}
	show := []string{"show", "--db", dsn}
	if keysFlag {
		show = append(show, "--keys", keyDir)
	}
	if code, out := run(t, runKeys, show...); code != 0 || !strings.Contains(out, own.Public().Fingerprint()) {
		t.Fatalf("keys show: exit %d, output:\n%s", code, out)
	}
	// An auditor with only the public key checks the anchors too.
	pubFile := filepath.Join(tmp, "platform.pub")
	if err := os.WriteFile(pubFile, own.Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := run(t, runAudit, "verify", "--db", dsn, "--definitions", dir, "--anchors", anchors, "--public-key", pubFile, "--keys", filepath.Join(tmp, "none")); code != 0 || !strings.Contains(out, "ok: every chain extends the 1 anchors") {
		t.Fatalf("verify with the public key: exit %d, output:\n%s", code, out)
	}
	code, out = run(t, runAudit, verify...)
	if code != 0 || !strings.Contains(out, "ok: 2 records match their audit trail") || !strings.Contains(out, "ok: every chain extends the 1 anchors") {
		t.Fatalf("intact: exit %d, output:\n%s", code, out)
	}

	exec(`UPDATE fund_spend SET amount = 100 WHERE id = 1`)
	code, out = run(t, runAudit, verify...)
	if code != 1 || !strings.Contains(out, "RECORDS DIFFER: 1 of 2 records do not match their audit trail") ||
		!strings.Contains(out, `fund.spend #1 (table fund_spend) differs from its audit trail (last written by create, audit row 2): amount is "1.00", the audit trail says "30.00"`) {
		t.Fatalf("record edited: exit %d, output:\n%s", code, out)
	}

	// The spend undone everywhere: record, audit row, head, ledger rows and balance.
	exec(`DELETE FROM fund_spend`)
	exec(`DELETE FROM growth_audit WHERE chain = 'fund.spend#01'`)
	exec(`UPDATE growth_audit_heads SET chain_seq = 0, hash = '` + strings.Repeat("0", 64) + `' WHERE chain = 'fund.spend#01'`)
	exec(`DELETE FROM growth_ledger WHERE source_entity = 'spend'`)
	exec(`UPDATE growth_balances SET consumed = 0`)
	code, out = run(t, runAudit, "verify", "--db", dsn, "--definitions", dir)
	if code != 0 {
		t.Fatalf("without anchors the cut cannot show: exit %d, output:\n%s", code, out)
	}
	code, out = run(t, runAudit, verify...)
	if code != 1 || !strings.Contains(out, "ANCHORS BROKEN: 1 problem(s) in 1 anchors") || !strings.Contains(out, "but the chain now ends at sequence 0: rows were cut off the end") {
		t.Fatalf("chain cut: exit %d, output:\n%s", code, out)
	}
	t.Log(out)
}

// serve --anchor-dir writes an anchor when it starts (then every
// --anchor-every) that verify --anchors accepts.
func TestServeWritesAnchors(t *testing.T) {
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	db := enginetest.Must(engine.Open(ctx, "sqlite:"+filepath.Join(tmp, "serve.db")))
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	signer := enginetest.Must(keys.Generate(keys.SM2))
	dir := filepath.Join(tmp, "anchors")
	done := make(chan struct{})
	go func() { defer close(done); serveAnchors(ctx, db, dir, time.Hour, signer, enginetest.QuietLogger()) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if files, _ := filepath.Glob(filepath.Join(dir, "anchor-*.json")); len(files) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no anchor written at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	rep := enginetest.Must(db.VerifyAnchors(context.Background(), dir, signer.Public()))
	if !rep.OK() || rep.Anchors != 1 {
		t.Fatalf("anchor from serve: %+v", rep)
	}
}

package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
)

// growth reconcile exits 0 on a statement that matches our vouchers and 1 on
// one with a planted difference of each kind, printing each; a difference
// is resolved with a comment.
func TestReconcileCommand(t *testing.T) {
	defs := "../../engine/testdata/exchange"
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		dsn := enginetest.FreshDSN(t, d)
		ctx := context.Background()
		dbh := enginetest.Must(engine.Open(ctx, dsn))
		rt := enginetest.Must(engine.Start(ctx, dbh, enginetest.LoadDir(t, defs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		store := keys.Store{Dir: t.TempDir()}
		if _, _, err := store.Generate(keys.SM2, false); err != nil {
			t.Fatal(err)
		}
		party := enginetest.Must(keys.Generate(keys.SM2))
		enginetest.Must(store.Import("party_a", party.Public().MarshalPEM()))
		rt.SetExchangeKeys(store)
		for i, amount := range []string{"10.00", "20.00", "30.00", "40.00"} {
			rec := enginetest.Must(rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": "C" + string(rune('0'+i)), "payee": "李四", "amount": amount}))
			enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
		}
		day := time.Now().Format(time.DateOnly)
		// The party's statement, as growth banksim writes it.
		var rows [][]string
		for _, m := range enginetest.Must(rt.PendingOutbox(ctx, 100)) {
			var env struct {
				Body map[string]any `json:"body"`
			}
			_ = json.Unmarshal(m.Envelope, &env)
			rows = append(rows, []string{day, m.ID, m.Ref, env.Body["amount"].(string), "李四", "done", "S" + m.Ref})
		}
		dbh.Close()
		if len(rows) != 4 {
			t.Fatalf("%d vouchers in the outbox, want 4", len(rows))
		}
		write := func(rows [][]string) string {
			path := filepath.Join(t.TempDir(), "party_a-"+day+".csv")
			f := enginetest.Must(os.Create(path))
			w := csv.NewWriter(f)
			_ = w.Write(engine.StatementHeader)
			_ = w.WriteAll(rows)
			f.Close()
			return path
		}
		common := []string{"--db", dsn, "--definitions", defs}
		out, code := captureStdout(t, func() int {
			return runReconcile(append([]string{"party_a", "--date", day, "--statement", write(rows)}, common...))
		})
		if code != 0 || !strings.Contains(out, "4 matched, 0 differences") {
			t.Fatalf("clean statement: exit %d\n%s", code, out)
		}
		planted := [][]string{
			rows[0],
			{day, rows[1][1], rows[1][2], "21.00", "李四", "done", "S2"},          // amount differs
			{"2000-01-01", rows[2][1], rows[2][2], "30.00", "李四", "done", "S3"}, // date differs
			// rows[3] missing at the party
			{day, "unknown-msg", "99", "5.00", "王五", "done", "S9"}, // missing at us
		}
		out, code = captureStdout(t, func() int {
			return runReconcile(append([]string{"party_a", "--date", day, "--statement", write(planted)}, common...))
		})
		if code != 1 {
			t.Fatalf("planted differences: exit %d, want 1\n%s", code, out)
		}
		for _, want := range []string{"1 matched, 4 differences", "amount_differs", "date_differs", "missing_at_party", "missing_at_us", "unknown-msg", rows[3][1]} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		out, _ = captureStdout(t, func() int { return runReconcile(append([]string{"differences"}, common...)) })
		if n := strings.Count(out, "\n") - 1; n != 4 {
			t.Errorf("%d open differences listed, want 4:\n%s", n, out)
		}
		id := strings.Fields(strings.Split(out, "\n")[1])[0]
		if _, code := captureStdout(t, func() int { return runReconcile(append([]string{"resolve", id}, common...)) }); code == 0 {
			t.Error("resolved without a comment")
		}
		out, code = captureStdout(t, func() int {
			return runReconcile(append([]string{"resolve", id, "--comment", "银行已更正"}, common...))
		})
		if code != 0 || !strings.Contains(out, "resolved by cli:") {
			t.Fatalf("resolve: %d\n%s", code, out)
		}
		out, _ = captureStdout(t, func() int { return runReconcile(append([]string{"differences"}, common...)) })
		if n := strings.Count(out, "\n") - 1; n != 3 {
			t.Errorf("%d open differences after resolving one, want 3:\n%s", n, out)
		}
		// A malformed statement is refused with its line.
		bad := filepath.Join(t.TempDir(), "bad.csv")
		_ = os.WriteFile(bad, []byte(strings.Join(engine.StatementHeader, ",")+"\n2026-01-01,m,1,12,x,done,s\n2026-13-01,m2,1,12,x,done,s\n"), 0o644)
		if _, code := captureStdout(t, func() int {
			return runReconcile(append([]string{"party_a", "--date", day, "--statement", bad}, common...))
		}); code != 2 {
			t.Errorf("malformed statement: exit %d, want 2", code)
		}
	})
}

// serve --reconcile-statements reconciles each party's statement of the day
// before once it is there, and that day only once, even when several servers
// (two runtimes on one database) look.
func TestReconcileDaily(t *testing.T) {
	defs := "../../engine/testdata/exchange"
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		dsn := enginetest.FreshDSN(t, d)
		ctx := context.Background()
		var rts []*engine.Runtime
		for range 2 {
			dbh := enginetest.Must(engine.Open(ctx, dsn))
			t.Cleanup(func() { dbh.Close() })
			rts = append(rts, enginetest.Must(engine.Start(ctx, dbh, enginetest.LoadDir(t, defs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})))
		}
		dir := t.TempDir()
		now := time.Now()
		log := enginetest.QuietLogger()
		if made := reconcileDue(ctx, rts[0], dir, now, log); len(made) != 0 {
			t.Fatalf("reconciled without a statement: %+v", made)
		}
		yesterday := now.AddDate(0, 0, -1).Format(time.DateOnly)
		stmt := strings.Join(engine.StatementHeader, ",") + "\n" + yesterday + ",not-ours,7,3.00,王五,done,S1\n"
		if err := os.WriteFile(filepath.Join(dir, "party_a-"+yesterday+".csv"), []byte(stmt), 0o644); err != nil {
			t.Fatal(err)
		}
		made := reconcileDue(ctx, rts[0], dir, now, log)
		if len(made) != 1 || made[0].Differences != 1 || made[0].Items[0].Kind != engine.ReconMissingAtUs || made[0].RunBy != "schedule" {
			t.Fatalf("first look: %+v", made)
		}
		for _, rt := range rts {
			if again := reconcileDue(ctx, rt, dir, now, log); len(again) != 0 {
				t.Errorf("the day was reconciled again: %+v", again)
			}
		}
		if open := enginetest.Must(rts[1].OpenReconDifferences(ctx)); len(open) != 1 {
			t.Errorf("%d open differences, want 1", len(open))
		}
	})
}

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
)

// TestExchangeKillNine runs the exchange as real processes: growth serve
// with the shipped definitions and its embedded broker on a loopback port,
// and growth banksim playing the agent bank as a second process. (a) serve
// is killed (GROWTH_TEST_CRASH_AFTER_COMMIT: exit 137 with the vouchers
// committed and none published) and started again; (b) banksim is killed
// with SIGKILL mid stream and started again. Every voucher reaches the bank
// exactly once (each message id once in the bank's statement) and every
// payment is paid once (all paid, one receipt each, the indicator consumed
// once per payment). go test -short skips it.
func TestExchangeKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the kill -9 test builds the binary and starts growth serve and growth banksim processes")
	}
	bin := filepath.Join(t.TempDir(), "growth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		const n = 150
		ctx := context.Background()
		dsn := enginetest.FreshDSN(t, d)
		data := t.TempDir()
		defs := "../../definitions"
		// Keys: ours under DATA/keys, the bank's in its own folder; each
		// imports the other's public key.
		ours := keys.Store{Dir: filepath.Join(data, "keys")}
		ourKey, _, err := ours.Generate(keys.SM2, false)
		if err != nil {
			t.Fatal(err)
		}
		bankData := t.TempDir()
		bankStore := keys.Store{Dir: filepath.Join(bankData, "keys")}
		bankKey, _, err := bankStore.Generate(keys.SM2, false)
		if err != nil {
			t.Fatal(err)
		}
		enginetest.Must(ours.Import("agent_bank", bankKey.Public().MarshalPEM()))
		enginetest.Must(bankStore.Import("growth", ourKey.Public().MarshalPEM()))

		// n payments sent: n vouchers committed in the outbox.
		dbh := enginetest.Must(engine.Open(ctx, dsn))
		rt := enginetest.Must(engine.Start(ctx, dbh, enginetest.LoadDir(t, defs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		rt.SetExchangeKeys(ours)
		indID := sendPayments(t, rt, n)
		dbh.Close()

		brokerAddr := freeAddr(t)
		statements := t.TempDir()
		var serve, bank *server
		startServe := func(env ...string) *server {
			s := &server{addr: freeAddr(t), log: &lockedBuffer{}, done: make(chan struct{})}
			s.cmd = exec.Command(bin, "serve", "--db", dsn, "--definitions", defs, "--addr", s.addr, "--data", data, "--exchange-listen", brokerAddr)
			s.cmd.Env = append(os.Environ(), env...)
			s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
			if err := s.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { _ = s.cmd.Wait(); close(s.done) }()
			return s
		}
		startBank := func() *server {
			s := &server{log: &lockedBuffer{}, done: make(chan struct{})}
			s.cmd = exec.Command(bin, "banksim", "agent_bank", "--accept", "paid", "--exchange", "nats://"+brokerAddr, "--data", bankData, "--statements", statements)
			s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
			if err := s.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { _ = s.cmd.Wait(); close(s.done) }()
			return s
		}
		stop := func(s *server) {
			if s == nil {
				return
			}
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(20 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.done
			}
		}
		t.Cleanup(func() { stop(bank); stop(serve) })

		// (a) serve dies between commit and publish.
		serve = startServe("GROWTH_TEST_CRASH_AFTER_COMMIT=1")
		select {
		case <-serve.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not crash before publishing:\n%s", serve.log)
		}
		if code := serve.cmd.ProcessState.ExitCode(); code != 137 {
			t.Fatalf("serve exited %d, want 137 (the test hook):\n%s", code, serve.log)
		}
		serve = startServe()
		bank = startBank()

		// (b) the bank is killed with SIGKILL mid stream, then started again.
		lines := func() []string {
			var ids []string
			files, _ := filepath.Glob(filepath.Join(statements, "agent_bank-*.csv"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					continue
				}
				recs, _ := csv.NewReader(strings.NewReader(string(b))).ReadAll()
				for _, r := range recs {
					if len(r) > 1 && r[1] != "msg_id" {
						ids = append(ids, r[1])
					}
				}
			}
			return ids
		}
		waitFor(t, "the bank to answer some vouchers", 30*time.Second, func() bool { return len(lines()) > 0 }, bank, serve)
		_ = bank.cmd.Process.Kill() // SIGKILL
		<-bank.done
		mid := len(lines())
		t.Logf("bank killed after %d of %d vouchers", mid, n)
		bank = startBank()
		waitFor(t, "every voucher answered", 45*time.Second, func() bool { return len(lines()) >= n }, bank, serve)
		// The bank has answered; growth serve applies the replies at its own
		// pace (slow on a loaded machine): wait until every reply is in.
		watch := enginetest.Must(engine.Open(ctx, dsn))
		waitFor(t, "every reply applied", 60*time.Second, func() bool {
			var in int
			_ = watch.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&in)
			return in >= n
		}, bank, serve)
		watch.Close()
		// Let a redelivery, if any, show before counting.
		time.Sleep(2 * time.Second)
		stop(bank)
		bank = nil
		stop(serve)
		serve = nil

		seen := map[string]int{}
		for _, id := range lines() {
			seen[id]++
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("the bank answered voucher %s %d times", id, c)
			}
		}
		if len(seen) != n {
			t.Errorf("the bank answered %d distinct vouchers, want %d", len(seen), n)
		}
		dbh = enginetest.Must(engine.Open(ctx, dsn))
		defer dbh.Close()
		rt = enginetest.Must(engine.Start(ctx, dbh, enginetest.LoadDir(t, defs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		var outbox, unsent, inbox int
		_ = dbh.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_outbox`).Scan(&outbox)
		_ = dbh.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_outbox WHERE sent_at IS NULL`).Scan(&unsent)
		_ = dbh.Read.QueryRow(`SELECT COUNT(*) FROM growth_exchange_inbox`).Scan(&inbox)
		if outbox != n || unsent != 0 || inbox != n {
			t.Errorf("outbox %d (%d unsent), inbox %d; want %d, 0, %d", outbox, unsent, inbox, n, n)
		}
		bal := enginetest.Must(rt.Balance(ctx, engine.SystemActor, "indicator", "indicator", indID))
		if got, want := bal.Amounts.Consumed, int64(n)*1000_00; got != want {
			t.Errorf("indicator consumed %s, want %s", engine.FormatFen(got), engine.FormatFen(want))
		}
		var paid int
		for page := 1; ; page++ {
			res := enginetest.Must(rt.List(ctx, engine.SystemActor, "payment", "payment", engine.ListQuery{Page: page, PageSize: 100}))
			for _, r := range res.Items {
				if r.State == "paid" {
					paid++
				}
			}
			if !res.HasMore {
				break
			}
		}
		if paid != n {
			t.Errorf("%d payments paid, want %d", paid, n)
		}
		if ex := enginetest.Must(rt.ExchangeExceptions(ctx, true)); len(ex) != 0 {
			t.Errorf("exceptions: %+v", ex)
		}
		if r, err := dbh.VerifyLedger(ctx); err != nil || !r.OK() {
			t.Errorf("ledger verify: %v %v", err, r)
		}
	})
}

// waitFor polls cond until it holds, failing with the processes' logs.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool, procs ...*server) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			var logs []string
			for _, p := range procs {
				logs = append(logs, p.log.String())
			}
			t.Fatalf("waited %s for %s:\n%s", within, what, strings.Join(logs, "\n----\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sendPayments releases an indicator and sends n payments of 1,000.00
// against it through the shipped workflow; it returns the indicator's id.
func sendPayments(t *testing.T, rt *engine.Runtime, n int) int64 {
	t.Helper()
	ctx := context.Background()
	as := func(user, role, org string) engine.Actor {
		return engine.Actor{User: user, Roles: []string{role}, Org: org}
	}
	fire := func(actor engine.Actor, app, entity string, id int64, event string) {
		t.Helper()
		if _, err := rt.Fire(ctx, engine.FireRequest{Actor: actor, App: app, Entity: entity, ID: id, Event: event}); err != nil {
			t.Fatalf("%s %s #%d: %v", event, entity, id, err)
		}
	}
	ind := enginetest.Must(rt.Create(ctx, as("c1", "indicator.division_clerk", "104"), "indicator", "indicator", map[string]any{
		"year": 2026, "division": "510000000", "doc_no": "川财教〔2026〕20号", "budget_level": "2",
		"agency": "104001", "func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201",
		"fund_nature": "11", "fund_source": "1", "amount": "100000000.00"}))
	fire(as("c1", "indicator.division_clerk", "104"), "indicator", "indicator", ind.ID, "submit")
	fire(as("r1", "indicator.division_reviewer", "104"), "indicator", "indicator", ind.ID, "review")
	fire(as("b1", "indicator.budget_office", ""), "indicator", "indicator", ind.ID, "check")
	fire(as("b2", "indicator.budget_office", ""), "indicator", "indicator", ind.ID, "release")
	clerk, reviewer, treasury := as("a1", "payment.agency_clerk", "104001"), as("a2", "payment.agency_reviewer", "104001"), as("t1", "payment.treasury", "")
	for i := range n {
		p := enginetest.Must(rt.Create(ctx, clerk, "payment", "payment", map[string]any{"year": 2026, "division": "510000000", "indicator": ind.ID, "agency": "104001",
			"func_class": "2050201", "gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11",
			"payer_name": "四川省教育厅", "payer_account": "510101000000001", "payer_bank": "102651000011",
			"payee_name": "收款单位", "payee_account": fmt.Sprintf("44022001%011d", i), "payee_bank": "102651000029",
			"settlement_method": "1", "payment_method": "001002", "purpose": "办公用品", "amount": "1000.00"}))
		for _, step := range []struct {
			actor engine.Actor
			event string
		}{{clerk, "submit"}, {reviewer, "agency_review"}, {treasury, "sign"}, {treasury, "send"}} {
			fire(step.actor, "payment", "payment", p.ID, step.event)
		}
	}
	return ind.ID
}

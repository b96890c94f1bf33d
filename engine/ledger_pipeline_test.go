package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/jackc/pgx/v5/pgconn"
)

// hotDefs: payments that draw on one grant, and splits that draw on two.
var hotDefs = map[string]string{"hot/app.yaml": `
app: hot
title: 热点
entities:
  grant:
    title: 额度
    fields:
      amount: {type: money, required: true}
    balance: amount
  pay:
    title: 支付
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: grant, amount: amount, consume_on: [create]}
  split:
    title: 分摊
    fields:
      first:  {type: ref, entity: grant, required: true}
      second: {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: first, amount: amount, consume_on: [create]}
      - {on: second, amount: amount, consume_on: [create]}
`}

var hotClerk = engine.Actor{User: "clerk", Roles: []string{"clerk"}}

// startHot starts the hot app on PostgreSQL at dsn (FreshDSN's, with
// settings added, or empty for a fresh one).
func startHot(t *testing.T, dsn string) *engine.Runtime {
	t.Helper()
	postgresOnly(t)
	if dsn == "" {
		dsn = enginetest.FreshDSN(t, engine.Postgres)
	}
	db := enginetest.Connect(t, dsn)
	rt, err := engine.Start(context.Background(), db, enginetest.Load(t, hotDefs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func hotCreate(rt *engine.Runtime, entity string, values map[string]any) (*engine.Record, error) {
	return rt.Create(context.Background(), hotClerk, "hot", entity, values)
}

func hotGrant(t *testing.T, rt *engine.Runtime, amount string) int64 {
	t.Helper()
	g, err := hotCreate(rt, "grant", map[string]any{"amount": amount})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func hotAvailable(rt *engine.Runtime, id int64) (engine.Amounts, error) {
	b, err := rt.Balance(context.Background(), hotClerk, "hot", "grant", id)
	if err != nil {
		return engine.Amounts{}, err
	}
	return b.Amounts, nil
}

func hotCount(t *testing.T, rt *engine.Runtime, entity string) int64 {
	t.Helper()
	list, err := rt.List(context.Background(), hotClerk, "hot", entity, engine.ListQuery{Total: true})
	if err != nil {
		t.Fatal(err)
	}
	return *list.Total
}

// TestPipedDrawsRefusedLeaveNothing races draws on PostgreSQL, where a
// create's balance updates go with its COMMIT in one round trip: a refused
// draw's COMMIT must never run. 60 payments of 1.00 against room for 30,
// and 40 splits drawing 1.00 on each of two grants, the second with room for
// 10: exactly the room is drawn, every other request is refused as
// insufficient and leaves no record, no ledger row and no movement on the
// first grant, no balance is seen below zero while they run, and the ledger
// and the audit trail verify.
func TestPipedDrawsRefusedLeaveNothing(t *testing.T) {
	rt := startHot(t, "")
	f := &fundApp{t: t, rt: rt}
	a, first, second := hotGrant(t, rt, "30.00"), hotGrant(t, rt, "100.00"), hotGrant(t, rt, "10.00")
	commits, stmts, restore := engine.CountPipedCommits()
	defer restore()

	stop := make(chan struct{})
	var watched sync.WaitGroup
	var belowZero atomic.Int64
	watched.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, id := range []int64{a, first, second} {
				if am, err := hotAvailable(rt, id); err == nil && am.Available() < 0 {
					belowZero.Add(1)
				}
			}
		}
	})
	ok, refused := concurrently(t, 100, func(i int) error {
		if i%5 < 3 {
			_, err := hotCreate(rt, "pay", map[string]any{"grant": a, "amount": "1.00"})
			return err
		}
		_, err := hotCreate(rt, "split", map[string]any{"first": first, "second": second, "amount": "1.00"})
		return err
	})
	close(stop)
	watched.Wait()
	if ok != 40 || refused != 60 {
		t.Errorf("%d drawn and %d refused; want 40 and 60", ok, refused)
	}
	if n := belowZero.Load(); n > 0 {
		t.Errorf("a balance was seen below zero %d times", n)
	}
	if c, s := commits.Load(), stmts.Load(); c != 100 || s != 140 {
		t.Errorf("%d commits sent %d statements with them; want 100 and 140 (every create's balance updates piped)", c, s)
	}
	if got, want := f.balanceOf("grant", a), "30.00/0.00/30.00/0.00/0.00"; got != want {
		t.Errorf("payments' grant: %s, want %s", got, want)
	}
	if got, want := f.balanceOf("grant", first), "100.00/0.00/10.00/0.00/90.00"; got != want {
		t.Errorf("splits' first grant: %s, want %s (a split refused on its second draw must not move its first)", got, want)
	}
	if got, want := f.balanceOf("grant", second), "10.00/0.00/10.00/0.00/0.00"; got != want {
		t.Errorf("splits' second grant: %s, want %s", got, want)
	}
	if n := hotCount(t, rt, "pay"); n != 30 {
		t.Errorf("%d payments stored, want 30 (a refused one must leave nothing)", n)
	}
	if n := hotCount(t, rt, "split"); n != 10 {
		t.Errorf("%d splits stored, want 10", n)
	}
	for _, id := range []int64{a, first, second} {
		page, err := rt.Ledger(context.Background(), hotClerk, "hot", "grant", id, engine.LedgerQuery{PageSize: 200})
		if err != nil {
			t.Fatal(err)
		}
		var drawn int
		for _, e := range page.Items {
			if e.Kind == engine.KindConsume {
				drawn++
			}
		}
		if want := map[int64]int{a: 30, first: 10, second: 10}[id]; drawn != want {
			t.Errorf("grant #%d: %d consume rows, want %d", id, drawn, want)
		}
	}
	f.verify()
}

// balanceOf is fundApp.balance for any app's runtime (the hot app).
func (f *fundApp) balanceOf(entity string, id int64) string {
	f.t.Helper()
	b, err := f.rt.Balance(context.Background(), hotClerk, "hot", entity, id)
	if err != nil {
		f.t.Fatalf("balance of %s #%d: %v", entity, id, err)
	}
	a := b.Amounts
	return strings.Join([]string{engine.FormatFen(a.Approved), engine.FormatFen(a.Reserved), engine.FormatFen(a.Consumed), engine.FormatFen(a.Frozen), engine.FormatFen(a.Available())}, "/")
}

// TestPipedCommitLeavesConnectionClean runs drawn and refused payments on a
// pool of one connection: after each, the connection is outside any
// transaction (the piped COMMIT is not followed by another COMMIT or
// ROLLBACK from database/sql), and the piped statement was prepared once
// on it, a refusal notwithstanding.
func TestPipedCommitLeavesConnectionClean(t *testing.T) {
	rt := startHot(t, "")
	rt.DB.Write.SetMaxOpenConns(1)
	ctx := context.Background()
	g := hotGrant(t, rt, "2.00")
	for i, want := range []bool{true, true, false, false} {
		_, err := hotCreate(rt, "pay", map[string]any{"grant": g, "amount": "1.00"})
		if drawn := err == nil; drawn != want || (!drawn && conflictCode(err) != "insufficient_balance") {
			t.Fatalf("payment %d: %v, want drawn %v", i, err, want)
		}
		conn, err := rt.DB.Write.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var status byte
		if err := conn.Raw(func(dc any) error {
			c, ok := engine.PgxConnOf(dc)
			if !ok {
				t.Fatalf("the pool's connection is a %T", dc)
			}
			status = c.PgConn().TxStatus()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var own bool
		var prepared int
		if err := conn.QueryRowContext(ctx, "SELECT pg_current_xact_id_if_assigned() IS NULL, (SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'growth_piped_%')").Scan(&own, &prepared); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if status != 'I' || !own {
			t.Errorf("after payment %d the connection is in a transaction (status %c, no transaction id %v)", i, status, own)
		}
		if prepared != 1 {
			t.Errorf("after payment %d the connection holds %d piped statements, want 1", i, prepared)
		}
	}
}

// TestPipedDrawErrorsAsBefore: a piped balance update that fails for a
// reason of the database's, not the balance's, is reported as the update
// sent alone is: a lock timeout as "ledger update: …" with its SQLSTATE,
// not as a refusal nor as a failed commit; a deadlock as a conflict to
// retry. The request leaves nothing behind and the pool serves the next.
func TestPipedDrawErrorsAsBefore(t *testing.T) {
	postgresOnly(t)
	base := enginetest.FreshDSN(t, engine.Postgres)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", "-c lock_timeout=300ms")
	u.RawQuery = q.Encode()
	rt := startHot(t, u.String())
	ctx := context.Background()
	g := hotGrant(t, rt, "100.00")
	for range 20 { // every audit chain of hot.pay has its head row
		if _, err := hotCreate(rt, "pay", map[string]any{"grant": g, "amount": "1.00"}); err != nil {
			t.Fatal(err)
		}
	}
	holder := enginetest.Connect(t, base)
	lockBalance := func() (commit func()) {
		tx, err := holder.Write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM growth_balances WHERE account_app = 'hot' AND account_entity = 'grant' AND account_id = $1 FOR UPDATE", g); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback() }
	}

	release := lockBalance()
	_, err = hotCreate(rt, "pay", map[string]any{"grant": g, "amount": "1.00"})
	release()
	pgErr, isPg := errors.AsType[*pgconn.PgError](err)
	if !isPg || pgErr.Code != "55P03" || !strings.HasPrefix(err.Error(), "ledger update: ") {
		t.Errorf("a payment meeting the lock timeout: %v, want ledger update: … (SQLSTATE 55P03)", err)
	}
	if n := hotCount(t, rt, "pay"); n != 20 {
		t.Errorf("%d payments stored, want 20", n)
	}
	if _, err := hotCreate(rt, "pay", map[string]any{"grant": g, "amount": "1.00"}); err != nil {
		t.Fatalf("the payment after: %v", err)
	}

	// A deadlock: the holder locks the balance row, the payment (holding
	// its audit head) waits for it in its piped update, the holder then
	// waits for the payment's audit head. PostgreSQL fails the payment, the
	// one that waited longer (the holder's own deadlock check is later).
	// This runtime has no lock timeout.
	rt = startHot(t, base)
	tx, err := holder.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL deadlock_timeout = '20s'"); err != nil {
		t.Skipf("cannot set deadlock_timeout (%v)", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM growth_balances WHERE account_app = 'hot' AND account_entity = 'grant' AND account_id = $1 FOR UPDATE", g); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := hotCreate(rt, "pay", map[string]any{"grant": g, "amount": "1.00"})
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := holder.Write.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH u AS (UPDATE growth_balances%'").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the payment never waited for the balance row")
		}
	}
	_, _ = tx.ExecContext(ctx, "SELECT 1 FROM growth_audit_heads WHERE chain LIKE 'hot.pay#%' FOR UPDATE")
	err = <-done
	if conflictCode(err) != "retry" {
		t.Errorf("a payment in a deadlock: %v, want the conflict to retry", err)
	}
	_ = tx.Rollback()
	if n := hotCount(t, rt, "pay"); n != 21 {
		t.Errorf("%d payments stored, want 21", n)
	}
	if _, err := hotCreate(rt, "pay", map[string]any{"grant": g, "amount": "1.00"}); err != nil {
		t.Fatalf("the payment after: %v", err)
	}
}

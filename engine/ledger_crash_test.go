package engine_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// crashChildEnv names the database a child test process crashes on.
const crashChildEnv = "GROWTH_LEDGER_CRASH_DB"

// exitOn kills the process in the middle of a change's transaction, after
// the ledger has written its rows: a real crash between reserve and consume.
type exitOn struct{ action string }

func (e exitOn) Apply(ec engine.EffectContext, ch *engine.Change) error {
	if ch.Action == e.action {
		os.Exit(3)
	}
	return nil
}

// TestLedgerRealCrash runs pay in a child process that dies inside the
// transaction, then reopens the database as a restarted server would: the
// spend is still reserved, nothing is half-applied, the ledger verifies.
func TestLedgerRealCrash(t *testing.T) {
	ctx := context.Background()
	if path := os.Getenv(crashChildEnv); path != "" {
		db, err := engine.Open(ctx, "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		rt, err := engine.Start(ctx, db, enginetest.Load(t, ledgerDefs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		rt.AddEffect(exitOn{action: "pay"})
		_, err = rt.Fire(ctx, engine.FireRequest{Actor: fundClerk, App: "fund", Entity: "spend", ID: 1, Event: "pay"})
		t.Fatalf("the child was to die inside pay, but it returned: %v", err)
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	db, err := engine.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := engine.Start(ctx, db, enginetest.Load(t, ledgerDefs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	f := &fundApp{t: t, rt: rt}
	g := f.grant("10000.00")
	s := f.mustCreate("spend", spendOn(g, 0, "1000.00"))
	if s.ID != 1 {
		t.Fatalf("spend #%d, want #1", s.ID)
	}
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerRealCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("child: %v, want exit status 3; output:\n%s", err, out)
	}

	db, err = engine.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rt, err = engine.Start(ctx, db, enginetest.Load(t, ledgerDefs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	f = &fundApp{t: t, rt: rt}
	rec, err := rt.Get(ctx, fundClerk, "fund", "spend", 1)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != "draft" {
		t.Errorf("after the crash the spend is %s, want draft", rec.State)
	}
	if got, want := f.balance("grant", g), "10,000.00/1,000.00/0.00/0.00/9,000.00"; got != want {
		t.Errorf("after the crash: %s, want %s", got, want)
	}
	f.verify()
	// The restarted server completes the step the crash interrupted.
	f.mustFire("spend", 1, "pay")
	if got, want := f.balance("grant", g), "10,000.00/0.00/1,000.00/0.00/9,000.00"; got != want {
		t.Errorf("after paying again: %s, want %s", got, want)
	}
	f.verify()
}

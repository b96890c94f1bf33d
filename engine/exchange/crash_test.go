package exchange_test

import (
	"context"
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
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
)

// The crash tests run a server as a child process (this test binary, in the
// role TestCrashChild), kill it with SIGKILL at a chosen point, and start
// again in this process on the same database file and broker store.
const crashEnv = "GROWTH_TEST_CRASH_CHILD"

// TestCrashChild is the child: it fires send on 20 orders and publishes with
// a hook that, after the broker acknowledged the first batch, announces the
// point and waits to be killed before marking anything sent.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("the child process of TestKillBetweenPublishAndMark")
	}
	ctx := context.Background()
	db := enginetest.Must(engine.Open(ctx, "sqlite:"+filepath.Join(dir, "growth.db")))
	rt := enginetest.Must(engine.Start(ctx, db, enginetest.LoadDir(t, "../testdata/exchange"), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
	rt.SetExchangeKeys(keys.Store{Dir: filepath.Join(dir, "keys")})
	for i := range 20 {
		rec := enginetest.Must(rt.Create(ctx, engine.SystemActor, "orders", "order", map[string]any{"no": fmt.Sprintf("K%03d", i), "payee": "张三", "amount": "1.00"}))
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "orders", Entity: "order", ID: rec.ID, Event: "send"}))
	}
	b, err := exchange.Open(exchange.Options{StoreDir: filepath.Join(dir, "jetstream"), Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	exchange.SetAfterPublish(func() {
		fmt.Println("PUBLISHED")
		time.Sleep(time.Hour) // killed here
	})
	_, _ = exchange.Run(ctx, rt, b, exchange.RunOptions{NoConsume: true, Batch: 8}).PublishPending(ctx)
	t.Fatal("the child was not killed")
}

// TestKillBetweenPublishAndMark: a server killed (SIGKILL) after the broker
// took its first vouchers and before it marked them sent; restarted, it
// sends every voucher, and the broker holds each exactly once.
func TestKillBetweenPublishAndMark(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip()
	}
	dir := t.TempDir()
	for _, k := range keys.Kinds {
		if _, _, err := (keys.Store{Dir: filepath.Join(dir, "keys")}).Generate(k, false); err != nil {
			t.Fatal(err)
		}
	}
	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	child.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	published := make(chan bool, 1)
	go func() {
		buf := make([]byte, 4096)
		var seen []byte
		for {
			n, err := out.Read(buf)
			seen = append(seen, buf[:n]...)
			if strings.Contains(string(seen), "PUBLISHED") {
				published <- true
				return
			}
			if err != nil {
				published <- false
				return
			}
		}
	}()
	select {
	case ok := <-published:
		if !ok {
			t.Fatal("the child ended before publishing")
		}
	case <-time.After(60 * time.Second):
		_ = child.Process.Kill()
		t.Fatal("the child did not publish within 60s")
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	// Restart: the same database and broker store.
	ctx := context.Background()
	db := enginetest.Must(engine.Open(ctx, "sqlite:"+filepath.Join(dir, "growth.db")))
	t.Cleanup(func() { db.Close() })
	rt := enginetest.Must(engine.Start(ctx, db, enginetest.LoadDir(t, "../testdata/exchange"), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
	rt.SetExchangeKeys(keys.Store{Dir: filepath.Join(dir, "keys")})
	if n := pending(t, rt); n != 20 {
		t.Fatalf("pending after the kill: %d, want all 20 (none was marked)", n)
	}
	b := openBroker(t, exchange.Options{StoreDir: filepath.Join(dir, "jetstream"), Logger: enginetest.QuietLogger()})
	before := len(outMessages(t, b))
	if before != 8 {
		t.Errorf("the broker holds %d vouchers from before the kill, want the first batch of 8", before)
	}
	run(t, rt, b)
	eventually(t, "every voucher is sent after the restart", func() bool { return pending(t, rt) == 0 })
	ids := map[string]int{}
	for _, m := range outMessages(t, b) {
		ids[m.ID]++
	}
	if len(ids) != 20 {
		t.Errorf("distinct vouchers at the broker: %d, want 20", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("voucher %s held %d times", id, n)
		}
	}
}

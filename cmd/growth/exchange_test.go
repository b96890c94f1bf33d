package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

func TestExchangeExceptionsCommand(t *testing.T) {
	defs := "../../engine/testdata/exchange"
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	ctx := context.Background()
	dbh := enginetest.Must(engine.Open(ctx, db))
	rt := enginetest.Must(engine.Start(ctx, dbh, enginetest.LoadDir(t, defs), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
	res := enginetest.Must(rt.ReceiveMessage(ctx, []byte("not a message"), "m-1"))
	if res.Outcome != engine.InboundException {
		t.Fatalf("%+v", res)
	}
	dbh.Close()

	common := []string{"--db", db, "--definitions", defs}
	out, code := captureStdout(t, func() int { return runExchange(append([]string{"exceptions"}, common...)) })
	if code != 0 || !strings.Contains(out, "malformed") || !strings.Contains(out, "报文不是 JSON 信封") {
		t.Fatalf("exceptions: %d\n%s", code, out)
	}
	if _, code := captureStdout(t, func() int { return runExchange(append([]string{"resolve", "1"}, common...)) }); code == 0 {
		t.Error("resolved without a comment")
	}
	out, code = captureStdout(t, func() int {
		return runExchange(append([]string{"resolve", "1", "--comment", "对方已重发"}, common...))
	})
	if code != 0 || !strings.Contains(out, "exception 1 resolved by cli:") {
		t.Fatalf("resolve: %d\n%s", code, out)
	}
	out, _ = captureStdout(t, func() int { return runExchange(append([]string{"exceptions"}, common...)) })
	if strings.Contains(out, "malformed") {
		t.Errorf("a resolved exception is still listed:\n%s", out)
	}
	out, _ = captureStdout(t, func() int { return runExchange(append([]string{"exceptions", "--all"}, common...)) })
	if !strings.Contains(out, "对方已重发") {
		t.Errorf("--all does not show the resolution:\n%s", out)
	}
}

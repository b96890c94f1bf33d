package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// growth seed, then the books: the trial balance of the seeded data balances,
// verify passes; a closed period cannot be closed again; a reversing voucher
// goes into the next period; a hand-edited voucher line makes verify exit 1
// naming the voucher.
func TestBooksCommands(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "books.db")
	defs := filepath.Join("..", "..", "definitions")
	if code, out := run(t, runSeed, "--db", dsn, "--definitions", defs); code != 0 {
		t.Fatalf("seed: exit %d\n%s", code, out)
	}
	period := engine.Today(time.Now()).Format("2006-01")
	next := engine.Today(time.Now()).AddDate(0, 1, 1-engine.Today(time.Now()).Day())
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"trial-balance", "--period", period}, 0, "balanced: debits equal credits"},
		{[]string{"verify"}, 0, "ok: 38 vouchers balance"},
		{[]string{"ledger", "--account", "9101", "--year", period[:4]}, 0, "总账 9101 已下达预算指标（备查）"},
		{[]string{"detail", "--account", "9101", "--to", period, "--dim", "agency=101001"}, 0, period + "#0001"},
		{[]string{"close", period}, 0, "period " + period + " closed"},
		{[]string{"close", period}, 1, ""},
		{[]string{"reverse", period + "#0001", "--date", next.Format(time.DateOnly)}, 0, "voucher " + next.Format("2006-01") + "#0001 reverses " + period + "#0001"},
		{[]string{"trial-balance", "--period", next.Format("2006-01")}, 0, "balanced: debits equal credits"},
		{[]string{"verify"}, 0, "ok: 39 vouchers balance"},
	}
	for _, s := range steps {
		code, out := run(t, runBooks, append(s.args, "--db", dsn, "--definitions", defs)...)
		if code != s.code || !strings.Contains(out, s.want) {
			t.Fatalf("growth books %s: exit %d, want %d with %q; output:\n%s", strings.Join(s.args, " "), code, s.code, s.want, out)
		}
	}
	ctx := context.Background()
	db := enginetest.Must(engine.Open(ctx, dsn))
	defer db.Close()
	if _, err := db.Write.ExecContext(ctx, `UPDATE growth_voucher_lines SET debit = debit + 1 WHERE line_no = 1 AND voucher_id = (SELECT id FROM growth_vouchers WHERE seq = 2 AND period = '`+period+`')`); err != nil {
		t.Fatal(err)
	}
	code, out := run(t, runBooks, "verify", "--db", dsn, "--definitions", defs)
	if code != 1 || !strings.Contains(out, "the first: voucher "+period+"#0002 does not balance") {
		t.Fatalf("after a hand edit: exit %d, output:\n%s", code, out)
	}
}

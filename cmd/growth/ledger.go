package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func init() {
	register(command{name: "ledger", summary: "ledger verify: recompute every balance from the ledger rows and report differences", run: runLedger})
}

func runLedger(args []string) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(os.Stderr, "usage: growth ledger verify [--db …]")
		return 2
	}
	fs := flag.NewFlagSet("ledger verify", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("ledger verify", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fail("ledger verify", err)
	}
	report, err := db.VerifyLedger(ctx)
	if err != nil {
		return fail("ledger verify", err)
	}
	for _, o := range report.Overdrawn {
		fmt.Println("note: overdrawn (allowed by a warn or none control): " + o)
	}
	if !report.OK() {
		fmt.Printf("DIFFERENCES: %d problem(s) in %d accounts (%d ledger rows read)\n", len(report.Problems), report.Accounts, report.Rows)
		for _, p := range report.Problems {
			fmt.Println("  " + p)
		}
		return 1
	}
	fmt.Printf("ok: %d accounts agree with their %d ledger rows\n", report.Accounts, report.Rows)
	return 0
}

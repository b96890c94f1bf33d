package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func init() {
	register(command{name: "audit", summary: "audit verify: prove the audit trail's hash chains are intact", run: runAudit})
}

func runAudit(args []string) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(os.Stderr, "usage: growth audit verify [--db …]")
		return 2
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("audit verify", err)
	}
	defer db.Close()
	report, err := db.VerifyAudit(ctx)
	if err != nil {
		return fail("audit verify", err)
	}
	if !report.OK() {
		fmt.Printf("BROKEN: %d of %d chains fail verification (%d rows read)\n", len(report.Broken), report.Chains, report.Rows)
		for _, b := range report.Broken {
			fmt.Println("  " + b)
		}
		return 1
	}
	fmt.Printf("ok: %d audit rows in %d chains verify\n", report.Rows, report.Chains)
	return 0
}

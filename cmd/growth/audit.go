package main

import (
	"context"
	"fmt"

	"github.com/growth-gov/growth/engine"
)

func init() {
	register(command{name: "audit", summary: "audit verify: prove the audit trail's hash chains are intact", run: runAudit})
}

// runAudit runs "growth audit verify".
var runAudit = verifyCommand("audit", verifyAudit)

func verifyAudit(ctx context.Context, db *engine.DB) (bool, error) {
	report, err := db.VerifyAudit(ctx)
	if err != nil {
		return false, err
	}
	if !report.OK() {
		fmt.Printf("BROKEN: %d of %d chains fail verification (%d rows read)\n", len(report.Broken), report.Chains, report.Rows)
		for _, b := range report.Broken {
			fmt.Println("  " + b)
		}
		return false, nil
	}
	fmt.Printf("ok: %d audit rows in %d chains verify\n", report.Rows, report.Chains)
	return true, nil
}

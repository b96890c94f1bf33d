package main

import (
	"context"
	"fmt"

	"github.com/growth-gov/growth/engine"
)

func init() {
	register(command{name: "ledger", summary: "ledger verify: recompute every balance from the ledger rows, check each row against its hash, its audit row and its source record", run: runLedger})
}

// runLedger runs "growth ledger verify".
var runLedger = verifyCommand("ledger", nil, verifyLedger)

func verifyLedger(ctx context.Context, rt *engine.Runtime) (bool, error) {
	report, err := rt.VerifyLedger(ctx)
	if err != nil {
		return false, err
	}
	return printLedger(report), nil
}

// printLedger prints a ledger report and says whether it is clean.
func printLedger(report *engine.LedgerReport) bool {
	for _, o := range report.Overdrawn {
		fmt.Println("note: overdrawn (allowed by a warn or none control): " + o)
	}
	if !report.OK() {
		fmt.Printf("DIFFERENCES: %d problem(s) in %d accounts (%d ledger rows read)\n", len(report.Problems), report.Accounts, report.Rows)
		for _, p := range report.Problems {
			fmt.Println("  " + p)
		}
		return false
	}
	fmt.Printf("ok: %d accounts agree with their %d ledger rows\n", report.Accounts, report.Rows)
	return true
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/anchorkeys"
)

func init() {
	register(command{name: "audit", summary: "audit verify: prove the audit trail, the records and the ledger agree; audit anchor: sign the chain heads into a file", run: runAudit})
}

// runAudit runs "growth audit verify" and "growth audit anchor".
func runAudit(args []string) int {
	if len(args) > 0 && args[0] == "anchor" {
		return runAuditAnchor(args[1:])
	}
	var anchors, keyDir string
	return verifyCommand("audit", func(fs *flag.FlagSet) {
		fs.StringVar(&anchors, "anchors", "", "folder of anchor files (growth audit anchor --dir): prove every chain still passes through each anchored head")
		registerKeysFlag(fs, &keyDir)
	}, func(ctx context.Context, rt *engine.Runtime) (bool, error) {
		return verifyAudit(ctx, rt, anchors, keyDir)
	})(args)
}

// registerKeysFlag adds --keys: the folder of the platform's anchorkeys.
func registerKeysFlag(fs *flag.FlagSet, dir *string) {
	fs.StringVar(dir, "keys", "", "folder of the platform's keys (env GROWTH_KEYS; default data/keys)")
}

func keysDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("GROWTH_KEYS"); env != "" {
		return env
	}
	return "data/keys"
}

func verifyAudit(ctx context.Context, rt *engine.Runtime, anchors, keyDir string) (bool, error) {
	report, err := rt.VerifyProof(ctx)
	if err != nil {
		return false, err
	}
	a := report.Audit
	ok := true
	if !a.OK() {
		ok = false
		fmt.Printf("BROKEN: %d of %d chains fail verification (%d rows read)\n", len(a.Broken), a.Chains, a.Rows)
		for _, b := range a.Broken {
			fmt.Println("  " + b)
		}
	} else {
		fmt.Printf("ok: %d audit rows in %d chains verify\n", a.Rows, a.Chains)
	}
	if len(report.Problems) > 0 {
		ok = false
		fmt.Printf("RECORDS DIFFER: %d of %d records do not match their audit trail\n", len(report.Problems), report.Records)
		for _, p := range report.Problems {
			fmt.Println("  " + p)
		}
	} else {
		fmt.Printf("ok: %d records match their audit trail\n", report.Records)
	}
	if report.Legacy > 0 {
		fmt.Printf("note: %d records were last written before the wider proof: checked field by field against their audit trail, without an after-image\n", report.Legacy)
	}
	if !printLedger(report.Ledger) {
		ok = false
	}
	if anchors != "" {
		signer, err := anchorkeys.Load(keysDir(keyDir), anchorkeys.Platform)
		if err != nil {
			return false, fmt.Errorf("the platform key checks the anchors: %w", err)
		}
		ar, err := rt.DB.VerifyAnchors(ctx, anchors, signer.Public())
		if err != nil {
			return false, err
		}
		if !ar.OK() {
			ok = false
			fmt.Printf("ANCHORS BROKEN: %d problem(s) in %d anchors\n", len(ar.Problems), ar.Anchors)
			for _, p := range ar.Problems {
				fmt.Println("  " + p)
			}
		} else {
			fmt.Printf("ok: every chain extends the %d anchors in %s\n", ar.Anchors, anchors)
		}
	}
	return ok, nil
}

// runAuditAnchor runs "growth audit anchor --dir DIR".
func runAuditAnchor(args []string) int {
	fs := flag.NewFlagSet("audit anchor", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	dir := fs.String("dir", "", "folder to write the anchor file to; keep it outside the database's reach (required)")
	var keyDir string
	registerKeysFlag(fs, &keyDir)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: growth audit anchor --dir DIR [--db …] [--keys DIR]")
		return 2
	}
	ctx := context.Background()
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("audit anchor", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fail("audit anchor", err)
	}
	signer, created, err := anchorkeys.LoadOrCreate(keysDir(keyDir), anchorkeys.Platform)
	if err != nil {
		return fail("audit anchor", err)
	}
	if created {
		_, pub := anchorkeys.Paths(keysDir(keyDir), anchorkeys.Platform)
		fmt.Printf("created the platform key %s (public key %s); keep a copy of the public key with the anchors\n", signer.Public().ID(), pub)
	}
	path, a, err := db.WriteAnchor(ctx, *dir, signer, time.Now())
	if err != nil {
		return fail("audit anchor", err)
	}
	fmt.Printf("anchored %d chains, signed with %s key %s: %s\n", len(a.Heads), a.KeyKind, a.KeyID, path)
	return 0
}

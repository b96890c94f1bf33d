package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/keys"
)

func init() {
	register(command{name: "audit", summary: "audit verify: prove the audit trail, the records and the ledger agree; audit anchor: sign the chain heads into a file", run: runAudit})
}

// runAudit runs "growth audit verify" and "growth audit anchor".
func runAudit(args []string) int {
	if len(args) > 0 && args[0] == "anchor" {
		return runAuditAnchor(args[1:])
	}
	var anchors, keyDir, data, pubFile string
	var flags *flag.FlagSet
	return verifyCommand("audit", func(fs *flag.FlagSet) {
		flags = fs
		fs.StringVar(&anchors, "anchors", "", "folder of anchor files (growth audit anchor --dir): prove every chain still passes through each anchored head")
		fs.StringVar(&pubFile, "public-key", "", "the platform's public key (PEM, as growth keys show prints it) that signed the anchors; default the platform's own keys in the key folder")
		registerKeysFlag(fs, &keyDir)
		fs.StringVar(&data, "data", "", "data folder (env GROWTH_DATA; default the SQLite file's folder, else data)")
	}, func(ctx context.Context, rt *engine.Runtime) (bool, error) {
		var trusted []*keys.PublicKey
		if anchors != "" {
			var err error
			if trusted, err = anchorKeys(pubFile, keyStore(keyDir, dataDir(data, (&dbFlags{db: flags.Lookup("db").Value.String()}).dsn()))); err != nil {
				return false, err
			}
		}
		return verifyAudit(ctx, rt, anchors, trusted)
	})(args)
}

// anchorKeys are the public keys anchors are checked against: the one in
// pubFile when given, else the public halves of the platform's own keys.
func anchorKeys(pubFile string, store keys.Store) ([]*keys.PublicKey, error) {
	if pubFile != "" {
		data, err := os.ReadFile(pubFile)
		if err != nil {
			return nil, err
		}
		pub, err := keys.ParsePublicPEM(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pubFile, err)
		}
		return []*keys.PublicKey{pub}, nil
	}
	var trusted []*keys.PublicKey
	for _, kind := range keys.Kinds {
		k, err := store.Own(kind)
		if errors.Is(err, keys.ErrNoKey) {
			continue
		}
		if err != nil {
			return nil, err
		}
		trusted = append(trusted, k.Public())
	}
	if len(trusted) == 0 {
		return nil, fmt.Errorf("the anchors are checked with the platform's public key: none in %s; give it with --public-key FILE", store.Dir)
	}
	return trusted, nil
}

func verifyAudit(ctx context.Context, rt *engine.Runtime, anchors string, trusted []*keys.PublicKey) (bool, error) {
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
		ar, err := rt.DB.VerifyAnchors(ctx, anchors, trusted...)
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
	data := fs.String("data", "", "data folder (env GROWTH_DATA; default the SQLite file's folder, else data)")
	kindName := fs.String("key-kind", "ed25519", "kind of the platform key that signs: ed25519 or sm2")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: growth audit anchor --dir DIR [--db …] [--keys DIR] [--key-kind ed25519|sm2]")
		return 2
	}
	kind, err := keys.ParseKind(*kindName)
	if err != nil {
		return fail("audit anchor", err)
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
	store := keyStore(keyDir, dataDir(*data, dbf.dsn()))
	signer, exists, err := store.Generate(kind, false)
	if err != nil {
		return fail("audit anchor", err)
	}
	if !exists {
		fmt.Printf("made the platform's %s key in %s (fingerprint %s); keep a copy of its public key (growth keys show) with the anchors\n", kind, store.Dir, signer.Public().Fingerprint())
	}
	path, a, err := db.WriteAnchor(ctx, *dir, signer, time.Now())
	if err != nil {
		return fail("audit anchor", err)
	}
	fmt.Printf("anchored %d chains, signed with %s key %s: %s\n", len(a.Heads), a.KeyKind, a.KeyFingerprint, path)
	return 0
}

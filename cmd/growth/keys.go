package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/growth-gov/growth/engine/keys"
)

func init() {
	register(command{name: "keys", summary: "the exchange's signing keys and the parties' public keys: gen, show, import", run: runKeys})
}

const keysUsage = `usage:
  growth keys gen [--kind ed25519|sm2] [--replace]   make our signing key of that kind (default ed25519)
  growth keys show                                   our public keys, with fingerprints
  growth keys show PARTY                             a party's public key, with its fingerprint
  growth keys import PARTY FILE                      store a party's public key or certificate (PEM; - reads stdin)

Keys live in one folder, for the exchange and for audit anchors: --keys,
else GROWTH_KEYS, else DATA/keys; own/KIND.pem (ours, private, mode 0600)
and parties/NAME.pem. DATA is --data, else GROWTH_DATA, else the SQLite
file's folder (data). Private keys are never printed: give the parties the output
of growth keys show, and compare fingerprints with them by another channel.`

func runKeys(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, keysUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") || len(args) > 0 && args[0] == "-" {
		pos, args = append(pos, args[0]), args[1:]
	}
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), keysUsage) }
	var dbf dbFlags
	dbf.register(fs)
	data := fs.String("data", "", "data folder (env GROWTH_DATA; default the SQLite file's folder)")
	var keyDir string
	registerKeysFlag(fs, &keyDir)
	kindName := fs.String("kind", "ed25519", "key kind: ed25519 or sm2")
	replace := fs.Bool("replace", false, "gen: replace an existing key (the parties must then import the new public key)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pos = append(pos, fs.Args()...)
	store := keyStore(keyDir, dataDir(*data, dbf.dsn()))
	switch sub {
	case "gen":
		kind, err := keys.ParseKind(*kindName)
		if err != nil {
			return fail("keys gen", err)
		}
		k, exists, err := store.Generate(kind, *replace)
		if err != nil {
			return fail("keys gen", err)
		}
		if exists {
			fmt.Printf("our %s key exists already (growth keys gen --kind %s --replace makes a new one)\n", kind, kind)
		} else {
			fmt.Printf("made our %s key in %s\n", kind, store.Dir)
		}
		printPublic(os.Stdout, "ours ("+string(kind)+")", k.Public())
		return 0
	case "show":
		if len(pos) == 0 {
			n := 0
			for _, kind := range keys.Kinds {
				k, err := store.Own(kind)
				if errors.Is(err, keys.ErrNoKey) {
					continue
				}
				if err != nil {
					return fail("keys show", err)
				}
				printPublic(os.Stdout, "ours ("+string(kind)+")", k.Public())
				n++
			}
			if n == 0 {
				return fail("keys show", fmt.Errorf("no key of ours in %s: run growth keys gen", store.Dir))
			}
			return 0
		}
		p, err := store.Party(pos[0])
		if err != nil {
			return fail("keys show", err)
		}
		printPublic(os.Stdout, pos[0], p)
		return 0
	case "import":
		if len(pos) != 2 {
			fmt.Fprintln(os.Stderr, keysUsage)
			return 2
		}
		var in []byte
		var err error
		if pos[1] == "-" {
			in, err = io.ReadAll(os.Stdin)
		} else {
			in, err = os.ReadFile(pos[1])
		}
		if err != nil {
			return fail("keys import", err)
		}
		p, err := store.Import(pos[0], in)
		if err != nil {
			return fail("keys import", fmt.Errorf("%s: %w", pos[1], err))
		}
		fmt.Printf("imported the %s key of %s\n", p.Kind(), pos[0])
		printPublic(os.Stdout, pos[0], p)
		return 0
	}
	fmt.Fprintln(os.Stderr, keysUsage)
	return 2
}

func printPublic(w io.Writer, who string, p *keys.PublicKey) {
	fmt.Fprintf(w, "%s: %s, fingerprint (SHA-256) %s\n", who, p.Kind(), p.Fingerprint())
	if p.Subject != "" {
		fmt.Fprintf(w, "certificate subject: %s\n", p.Subject)
	}
	w.Write(p.MarshalPEM())
}

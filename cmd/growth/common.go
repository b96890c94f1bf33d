package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/keys"
	"github.com/growth-gov/growth/metamodel"
)

// DefaultDB is the embedded database used when neither --db nor GROWTH_DB is set.
const DefaultDB = "sqlite:data/growth.db"

// dbFlags are the flags every command that touches a database takes.
type dbFlags struct {
	db          string
	definitions string
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.db, "db", "", "database: sqlite:PATH or postgres://… (env GROWTH_DB; default "+DefaultDB+")")
	fs.StringVar(&f.definitions, "definitions", "", "definitions folder (env GROWTH_DEFINITIONS; default definitions)")
}

func (f *dbFlags) dsn() string {
	if f.db != "" {
		return f.db
	}
	if env := os.Getenv("GROWTH_DB"); env != "" {
		return env
	}
	return DefaultDB
}

// dataDir is the folder of the files that live next to the database: the
// exchange's keys and the embedded broker's store. given (--data), else
// GROWTH_DATA, else the SQLite file's folder, else data.
func dataDir(given, dsn string) string {
	if given != "" {
		return given
	}
	if env := os.Getenv("GROWTH_DATA"); env != "" {
		return env
	}
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok && path != ":memory:" && path != "" {
		return filepath.Dir(path)
	}
	return "data"
}

// keyStore is the one folder of the platform's keys, used by the exchange
// (signing messages, the parties' public keys) and by audit anchors:
// given (--keys), else GROWTH_KEYS, else DATA/keys.
func keyStore(given, data string) keys.Store {
	if given != "" {
		return keys.Store{Dir: given}
	}
	if env := os.Getenv("GROWTH_KEYS"); env != "" {
		return keys.Store{Dir: env}
	}
	return keys.Store{Dir: filepath.Join(data, "keys")}
}

// registerKeysFlag adds --keys, the folder of the platform's keys.
func registerKeysFlag(fs *flag.FlagSet, dir *string) {
	fs.StringVar(dir, "keys", "", "folder of the platform's keys, for the exchange and audit anchors (env GROWTH_KEYS; default DATA/keys, DATA being --data, GROWTH_DATA or the SQLite file's folder)")
}

// loadProject loads and checks the definitions as growth check does
// (engine.LoadDefinitions): every command that loads them refuses what check
// refuses, and says every problem.
func loadProject(dir string) (*metamodel.Project, error) {
	if err := definitionsExist(dir); err != nil {
		return nil, err
	}
	p, err := engine.LoadDefinitions(definitionsDir(dir))
	var de *metamodel.DefinitionError
	if errors.As(err, &de) {
		return nil, fmt.Errorf("the definitions in %s have %d problem(s):\n%s", definitionsDir(dir), len(de.Problems), de.Error())
	}
	var qe *engine.QuorumBypassError
	if errors.As(err, &qe) {
		return nil, fmt.Errorf("the definitions in %s have %d way(s) round an approval tier:\n%s", definitionsDir(dir), len(qe.Findings), qe.Error())
	}
	return p, err
}

// roleAccess is the access of the definitions' roles, which every command
// that starts a runtime gives it; the platform's own actors (imports, seeds,
// scheduled rules) act as the system, which it lets do everything.
func roleAccess(p *metamodel.Project) (engine.Access, error) {
	return engine.NewRoleAccess(p)
}

// openDB opens the database named by the flags.
func openDB(ctx context.Context, f *dbFlags) (*engine.DB, error) {
	return engine.Open(ctx, f.dsn())
}

// newLogger logs JSON when stderr is not a terminal (services, CI), text otherwise.
func newLogger(w io.Writer) *slog.Logger {
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func fail(cmd string, err error) int {
	fmt.Fprintf(os.Stderr, "growth %s: %v\n", cmd, err)
	return 1
}

// definitionsExist explains a definitions folder that is not there: the
// default is relative to where growth runs, so outside the project's folder
// it must be named.
func definitionsExist(dir string) error {
	path := definitionsDir(dir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no definitions folder at %s: run growth in the folder that holds definitions/, or name it with --definitions DIR (or the environment variable GROWTH_DEFINITIONS)", path)
	}
	return nil
}

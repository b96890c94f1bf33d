package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/growth-gov/growth/engine"
)

// verifyCommand is a "growth NOUN verify" command: it opens the database named
// by --db with the definitions of --definitions, and runs verify, which
// prints its report and says whether all is well. flags, when set, adds the
// command's own flags.
func verifyCommand(noun string, flags func(fs *flag.FlagSet), verify func(ctx context.Context, rt *engine.Runtime) (ok bool, err error)) func(args []string) int {
	name := noun + " verify"
	return func(args []string) int {
		if len(args) == 0 || args[0] != "verify" {
			fmt.Fprintf(os.Stderr, "usage: growth %s [--db …] [--definitions DIR]\n", name)
			return 2
		}
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		var dbf dbFlags
		dbf.register(fs)
		if flags != nil {
			flags(fs)
		}
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		ctx := context.Background()
		rt, done, err := openRuntime(ctx, &dbf)
		if err != nil {
			return fail(name, err)
		}
		defer done()
		ok, err := verify(ctx, rt)
		if err != nil {
			return fail(name, err)
		}
		if !ok {
			return 1
		}
		return 0
	}
}

// openRuntime opens the database and the definitions for reading and
// verifying: the platform's tables are migrated (a database the platform
// never started on has empty ones), the entity tables are taken as they are.
func openRuntime(ctx context.Context, dbf *dbFlags) (*engine.Runtime, func(), error) {
	p, err := loadProject(dbf.definitions)
	if err != nil {
		return nil, nil, err
	}
	access, err := roleAccess(p)
	if err != nil {
		return nil, nil, err
	}
	db, err := openDB(ctx, dbf)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	rt, err := engine.NewRuntime(db, p, access, newLogger(os.Stderr))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return rt, func() { db.Close() }, nil
}

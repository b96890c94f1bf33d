package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/growth-gov/growth/engine"
)

// verifyCommand is a "growth NOUN verify" command: it opens the database named
// by --db and runs verify, which prints its report and says whether all is well.
func verifyCommand(noun string, verify func(ctx context.Context, db *engine.DB) (ok bool, err error)) func(args []string) int {
	name := noun + " verify"
	return func(args []string) int {
		if len(args) == 0 || args[0] != "verify" {
			fmt.Fprintf(os.Stderr, "usage: growth %s [--db …]\n", name)
			return 2
		}
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		var dbf dbFlags
		dbf.register(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		ctx := context.Background()
		db, err := openDB(ctx, &dbf)
		if err != nil {
			return fail(name, err)
		}
		defer db.Close()
		// A database the platform never started on has empty platform tables.
		if err := db.Migrate(ctx); err != nil {
			return fail(name, err)
		}
		ok, err := verify(ctx, db)
		if err != nil {
			return fail(name, err)
		}
		if !ok {
			return 1
		}
		return 0
	}
}

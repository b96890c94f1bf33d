package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/growth-gov/growth/engine"
)

func init() {
	register(command{name: "seed", summary: "import every definitions/<app>/seed/*.csv|xlsx file not imported yet", run: runSeed})
}

func runSeed(args []string) int {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rt, closeDB, err := startRuntime(ctx, &dbf)
	if err != nil {
		return fail("seed", err)
	}
	defer closeDB()
	files, err := rt.SeedFiles()
	if err != nil {
		return fail("seed", err)
	}
	if len(files) == 0 {
		fmt.Println("no seed files under", rt.Project.Dir)
		return 0
	}
	imported := 0
	for _, f := range files {
		name := f.App + "/seed/" + f.Name
		bar := newProgress(os.Stderr, name)
		res, err := rt.Seed(ctx, engine.SystemActor, f, bar.update)
		bar.done()
		switch {
		case err != nil:
			if code := printImport(os.Stdout, f.App, f.Entity, resReport(res), err); code != 0 {
				return code
			}
		case res.Skipped && res.Changed:
			fmt.Printf("skip %s: imported before, and changed since — not imported again (its records exist already)\n", name)
		case res.Skipped:
			fmt.Printf("skip %s: imported before\n", name)
		default:
			imported++
			fmt.Printf("ok: %s → %d records of %s.%s\n", name, res.Report.Imported, f.App, f.Entity)
		}
	}
	fmt.Printf("seeded %d file(s), %d skipped\n", imported, len(files)-imported)
	return 0
}

func resReport(res *engine.SeedResult) *engine.ImportReport {
	if res == nil {
		return nil
	}
	return res.Report
}

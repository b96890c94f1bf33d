package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/growth-gov/growth/engine"
)

func init() {
	register(command{name: "run-rules", summary: "run the scheduled rules once (--app A, --rule R) and print what they did", run: runRules})
}

// runRules runs the schedules once, as growth serve does on their intervals:
// for cron, a manual catch-up, or trying a new rule. It exits 1 when a record
// could not be created, so that a scheduler notices.
func runRules(args []string) int {
	fs := flag.NewFlagSet("run-rules", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	app := fs.String("app", "", "only the scheduled rules of this app")
	rule := fs.String("rule", "", "only the scheduled rule of this name")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: growth run-rules [--app A] [--rule R] [--db …] [--definitions DIR]")
		fmt.Fprintln(fs.Output(), "Runs the schedules: of the definitions once and prints, per rule, the records examined, matched, created, skipped and failed.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var patterns []string
	switch {
	case *app != "" && *rule != "":
		patterns = []string{*app + "." + *rule}
	case *app != "":
		patterns = []string{*app + ".*"}
	case *rule != "":
		patterns = []string{"*." + *rule}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := loadProject(dbf.definitions)
	if err != nil {
		return fail("run-rules", err)
	}
	access, err := roleAccess(p)
	if err != nil {
		return fail("run-rules", err)
	}
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("run-rules", err)
	}
	defer db.Close()
	// The report below says what each run did; the log adds warnings only.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := engine.Start(ctx, db, p, engine.StartOptions{Access: access, Logger: log})
	if err != nil {
		return fail("run-rules", err)
	}
	if list, _ := rt.Schedules(); len(list) == 0 {
		fmt.Println("no scheduled rules are defined")
		return 0
	}
	rep, err := rt.RunSchedules(ctx, patterns...)
	if rep != nil {
		printScheduleReport(rep)
	}
	if err != nil {
		return fail("run-rules", err)
	}
	if !rep.OK() {
		return 1
	}
	return 0
}

// printScheduleReport writes one line per rule, then its failures.
func printScheduleReport(rep *engine.ScheduleReport) {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "rule\ttitle\texamined\tmatched\tcreated\tskipped\tupdated\tfired\tresolved\tfailed\ttime")
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Schedule, r.Title, r.Examined, r.Matched, r.Created, r.Skipped, r.Updated, r.Fired, r.Resolved, r.Failed, r.Duration.Round(time.Millisecond))
	}
	w.Flush()
	for _, r := range rep.Runs {
		if r.Error != "" {
			fmt.Printf("%s stopped: %s\n", r.Schedule, r.Error)
		}
		for _, f := range r.Failures {
			fmt.Printf("%s: record #%d: %s\n", r.Schedule, f.RecordID, f.Reason)
		}
		if more := r.Failed - len(r.Failures); more > 0 {
			fmt.Printf("%s: %d more failures (see the log)\n", r.Schedule, more)
		}
	}
}

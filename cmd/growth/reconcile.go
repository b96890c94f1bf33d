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
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/growth-gov/growth/engine"
)

func init() {
	register(command{name: "reconcile", summary: "compare a party's daily statement (对账单) with our messages; exit 1 on any difference", run: runReconcile})
}

const reconcileUsage = `usage:
  growth reconcile PARTY --date YYYY-MM-DD --statement FILE [--amount-key KEY]
  growth reconcile differences               open differences of every reconciliation
  growth reconcile resolve ID --comment TEXT record that difference ID was handled, in the audit trail

Compares the party's statement of a day (CSV: date,msg_id,ref,amount,account,
status,serial; growth banksim --statements writes it) with the messages Growth
sent the party and the receipts it applied: matched, missing_at_party,
missing_at_us, amount_differs, date_differs. The result is stored and shown
in the web UI (对账); the command prints the differences and exits 1 when
there is any, 0 when everything matched, 2 when it could not reconcile
(a malformed statement, an unknown party). Nothing is corrected: a difference
is resolved by a user with a comment.
Common flags: --db (env GROWTH_DB), --definitions (env GROWTH_DEFINITIONS).`

func runReconcile(args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, reconcileUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	var id int64
	if sub == "resolve" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return fail("reconcile resolve", fmt.Errorf("difference id %q: want a number", args[0]))
		}
		id, args = n, args[1:]
	}
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), reconcileUsage) }
	var dbf dbFlags
	dbf.register(fs)
	day := fs.String("date", "", "the statement's day, YYYY-MM-DD")
	statement := fs.String("statement", "", "the party's statement file (CSV)")
	amountKey := fs.String("amount-key", "amount", "body key of the amount in our messages")
	comment := fs.String("comment", "", "resolve: how the difference was handled")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	switch sub {
	case "differences", "resolve":
		rt, closeRT, err := startRuntime(ctx, &dbf)
		if err != nil {
			return fail("reconcile", err)
		}
		defer closeRT()
		if sub == "resolve" {
			if id == 0 {
				return fail("reconcile resolve", errors.New("which difference? growth reconcile resolve ID --comment TEXT"))
			}
			actor := cliActor()
			actor.Roles = append(actor.Roles, engine.AdminRole)
			if err := rt.ResolveReconItem(ctx, actor, id, *comment); err != nil {
				return fail("reconcile resolve", err)
			}
			fmt.Printf("difference %d resolved by %s\n", id, actor.User)
			return 0
		}
		open, err := rt.OpenReconDifferences(ctx)
		if err != nil {
			return fail("reconcile differences", err)
		}
		printReconItems(os.Stdout, open)
		return 0
	}
	if *day == "" || *statement == "" {
		return failReconcile(errors.New("--date and --statement are required"))
	}
	f, err := os.Open(*statement)
	if err != nil {
		return failReconcile(err)
	}
	lines, err := engine.ParseStatement(f)
	f.Close()
	if err != nil {
		return failReconcile(fmt.Errorf("%s: %w", *statement, err))
	}
	rt, closeRT, err := startRuntime(ctx, &dbf)
	if err != nil {
		return failReconcile(err)
	}
	defer closeRT()
	rec, err := rt.Reconcile(ctx, cliActor(), engine.ReconcileOptions{Party: sub, Day: *day, Statement: *statement, AmountKey: *amountKey}, lines)
	if err != nil {
		return failReconcile(err)
	}
	return reportReconciliation(os.Stdout, rec)
}

// failReconcile reports an error: exit 2, unlike a difference's 1.
func failReconcile(err error) int {
	fail("reconcile", err)
	return 2
}

// reportReconciliation prints a reconciliation's differences and says
// whether any: 1 if so, else 0.
func reportReconciliation(w io.Writer, rec *engine.Reconciliation) int {
	fmt.Fprintf(w, "reconciliation %d: %s %s: %d matched, %d differences\n", rec.ID, rec.Party, rec.Day, rec.Matched, rec.Differences)
	var diffs []engine.ReconItem
	for _, it := range rec.Items {
		if it.Kind != engine.ReconMatched {
			diffs = append(diffs, it)
		}
	}
	if len(diffs) == 0 {
		return 0
	}
	printReconItems(w, diffs)
	return 1
}

func printReconItems(w io.Writer, items []engine.ReconItem) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPARTY\tDAY\tKIND\tMSG\tREF\tOUR AMOUNT\tTHEIR AMOUNT\tOUR DATE\tTHEIR DATE\tSTATUS")
	for _, it := range items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Party, it.Day, it.Kind, it.MsgID, it.Ref, it.OurAmount, it.TheirAmount, it.OurDate, it.TheirDate, it.Status)
	}
	tw.Flush()
}

// reconcileDaily reconciles, every check, each party's statement of the day
// before that is in dir and not yet reconciled by the schedule.
func reconcileDaily(ctx context.Context, rt *engine.Runtime, dir string, every time.Duration, log *slog.Logger) {
	for {
		reconcileDue(ctx, rt, dir, time.Now(), log)
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// reconcileDue reconciles each party's statement of the day before now,
// DIR/PARTY-YYYY-MM-DD.csv, if it is there and the schedule has not yet
// reconciled that day; it returns the reconciliations made.
func reconcileDue(ctx context.Context, rt *engine.Runtime, dir string, now time.Time, log *slog.Logger) []*engine.Reconciliation {
	day := now.AddDate(0, 0, -1).Format(time.DateOnly)
	var made []*engine.Reconciliation
	for _, x := range rt.Project.Exchanges() {
		path := filepath.Join(dir, x.Name+"-"+day+".csv")
		f, err := os.Open(path)
		if err != nil {
			continue // not there (yet)
		}
		lines, err := engine.ParseStatement(f)
		f.Close()
		if err != nil {
			log.Error("reconcile: statement refused", "party", x.Name, "file", path, "err", err)
			continue
		}
		rec, err := rt.Reconcile(ctx, engine.ScheduleActor, engine.ReconcileOptions{Party: x.Name, Day: day, Statement: path, Scheduled: true}, lines)
		if errors.Is(err, engine.ErrReconciled) {
			continue
		}
		if err != nil {
			log.Error("reconcile: failed", "party", x.Name, "day", day, "err", err)
			continue
		}
		made = append(made, rec)
		if rec.Differences > 0 {
			log.Warn("reconcile: differences to resolve", "party", x.Name, "day", day, "reconciliation", rec.ID, "differences", rec.Differences, "matched", rec.Matched)
		} else {
			log.Info("reconcile: statement matches", "party", x.Name, "day", day, "reconciliation", rec.ID, "matched", rec.Matched)
		}
	}
	return made
}

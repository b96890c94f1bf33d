package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

func init() {
	register(command{name: "exchange", summary: "the exchange's refused messages: exceptions, resolve", run: runExchange})
}

const exchangeUsage = `usage:
  growth exchange exceptions [--all]        refused inbound messages, newest first (unresolved only unless --all)
  growth exchange resolve ID --comment TEXT record that exception ID was handled, with a comment, in the audit trail

An exception is an inbound message that was refused (bad signature, unknown
party or record, wrong state …) and recorded with its reason; nothing of it was
applied (docs/exchange.md). Resolving it applies nothing either: it records who
handled it, when and how.
Common flags: --db (env GROWTH_DB), --definitions (env GROWTH_DEFINITIONS).`

func runExchange(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, exchangeUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	var id int64
	if sub == "resolve" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return fail("exchange resolve", fmt.Errorf("exception id %q: want a number", args[0]))
		}
		id, args = n, args[1:]
	}
	fs := flag.NewFlagSet("exchange "+sub, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), exchangeUsage) }
	var dbf dbFlags
	dbf.register(fs)
	all := fs.Bool("all", false, "exceptions: resolved ones too")
	comment := fs.String("comment", "", "resolve: how the exception was handled")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	rt, closeRT, err := startRuntime(ctx, &dbf)
	if err != nil {
		return fail("exchange", err)
	}
	defer closeRT()
	switch sub {
	case "exceptions":
		list, err := rt.ExchangeExceptions(ctx, *all)
		if err != nil {
			return fail("exchange exceptions", err)
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tRECEIVED\tPARTY\tTYPE\tREF\tREASON\tMESSAGE\tRESOLVED")
		for _, e := range list {
			resolved := ""
			if e.Resolved {
				resolved = e.ResolvedBy + ": " + e.Comment
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.ReceivedAt.Format("2006-01-02 15:04:05"), e.Party, e.Type, e.Ref, e.Reason, e.Message, resolved)
		}
		w.Flush()
		return 0
	case "resolve":
		if id == 0 {
			return fail("exchange resolve", errors.New("which exception? growth exchange resolve ID --comment TEXT"))
		}
		actor := cliActor()
		actor.Roles = append(actor.Roles, "admin")
		if err := rt.ResolveException(ctx, actor, id, *comment); err != nil {
			return fail("exchange resolve", err)
		}
		fmt.Printf("exception %d resolved by %s\n", id, actor.User)
		return 0
	}
	fmt.Fprintln(os.Stderr, exchangeUsage)
	return 2
}

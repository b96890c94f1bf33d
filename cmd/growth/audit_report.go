package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/review"
	"github.com/shopspring/decimal"
)

func init() {
	register(command{name: "audit-report", summary: "who-can-do-what matrix and segregation-of-duties findings for every app (--format md|html)", run: runAuditReport})
}

func runAuditReport(args []string) int {
	fs := flag.NewFlagSet("audit-report", flag.ContinueOnError)
	format := fs.String("format", "md", "md or html")
	definitions := fs.String("definitions", "", "definitions folder (env GROWTH_DEFINITIONS; default definitions); or give it as the argument")
	large := fs.String("large-amount", review.DefaultLargeAmount.String(), "amount above which an approval should need a quorum")
	failOn := fs.String("fail-on", "", "exit 1 when there is a finding of this severity or worse: high, medium or low (for CI)")
	users := fs.String("users", "", "database (sqlite:PATH or postgres://…, like --db of other commands) whose users to check for toxic combinations of roles")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: growth audit-report [DIR] [--format md|html] [--large-amount N] [--fail-on high|medium|low] [--users DB] > report.md")
		fmt.Fprintln(fs.Output(), "Reviews every app: findings with file:line, who may do what, each workflow with its diagram.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) > 1 {
		fs.Usage()
		return 2
	}
	dir := *definitions
	if len(pos) == 1 {
		dir = pos[0]
	}
	limit, err := decimal.NewFromString(*large)
	if err != nil || !limit.IsPositive() {
		fmt.Fprintf(os.Stderr, "growth audit-report: --large-amount must be a positive amount, got %q\n", *large)
		return 2
	}
	rank := map[string]int{"": -1, "high": 0, "medium": 1, "low": 2}
	threshold, ok := rank[*failOn]
	if !ok {
		fmt.Fprintf(os.Stderr, "growth audit-report: --fail-on is high, medium or low, got %q\n", *failOn)
		return 2
	}
	p, problems, err := loadForReview(dir)
	if err != nil {
		return fail("audit-report", err)
	}
	report := review.NewReport(p, problems, review.Options{LargeAmount: limit})
	if *users != "" {
		list, err := realUsers(p, *users)
		if err != nil {
			return fail("audit-report", err)
		}
		report.WithUsers(list)
	}
	switch *format {
	case "md", "markdown":
		fmt.Print(report.Markdown())
	case "html":
		fmt.Print(report.HTML())
	default:
		fmt.Fprintf(os.Stderr, "growth audit-report: --format is md or html, got %q\n", *format)
		return 2
	}
	for _, f := range report.Findings {
		if rank[string(f.Severity)] <= threshold {
			return 1
		}
	}
	return 0
}

// realUsers reads the enabled users of the database at dsn.
func realUsers(p *metamodel.Project, dsn string) ([]review.User, error) {
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	list, err := engine.NewUsers(db, p).List(ctx)
	if err != nil {
		return nil, err
	}
	out := []review.User{}
	for _, u := range list {
		if u.Enabled {
			out = append(out, review.User{Name: u.Name, DisplayName: u.DisplayName, Org: u.Org, Roles: u.Roles})
		}
	}
	return out, nil
}

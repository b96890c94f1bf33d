package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

func init() {
	register(command{name: "books", summary: "books verify | close PERIOD | reverse VOUCHER | trial-balance | ledger | detail | vouchers: the accounting books", run: runBooks})
}

const booksUsage = `usage: growth books SUBCOMMAND [flags]

  verify                                recompute every balance from the vouchers; exit 1 naming the first difference
  close PERIOD                          close a period (2026-01): nothing posts into it afterwards
  reverse VOUCHER [--date YYYY-MM-DD]   post a reversing voucher of VOUCHER (2026-01#0001) in an open period (default: today)
  trial-balance --period P              trial balance (试算平衡表) of a period
  ledger --account A --year Y           general ledger (总账) of an account for a year
  detail --account A --from P --to P [--dim name=value …]
                                        detail ledger (明细账) of an account, optionally of one dimension value
  vouchers [--period P]                 list vouchers with their lines

Every subcommand takes --db; the reports also take --definitions and --chart.`

func runBooks(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, booksUsage)
		return 2
	}
	if args[0] == "verify" {
		return verifyCommand("books", nil, func(ctx context.Context, rt *engine.Runtime) (bool, error) {
			return verifyBooks(ctx, rt.DB)
		})(args)
	}
	sub := args[0]
	fs := flag.NewFlagSet("books "+sub, flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	chart := fs.String("chart", "", "chart of accounts (code set); default: the one the postings use")
	period := fs.String("period", "", "accounting period YYYY-MM")
	account := fs.String("account", "", "account code")
	year := fs.String("year", "", "year YYYY (default: this year)")
	from := fs.String("from", "", "first period YYYY-MM (default: January of --to's year)")
	to := fs.String("to", "", "last period YYYY-MM (default: this month)")
	date := fs.String("date", "", "date of the reversing voucher YYYY-MM-DD (default: today)")
	actor := fs.String("actor", "cli", "who does this, as recorded on the period or voucher")
	var dims multiFlag
	fs.Var(&dims, "dim", "dimension filter name=value (repeatable)")
	// The positional argument (PERIOD, VOUCHER) may come before the flags.
	rest := args[1:]
	var positional string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		positional, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if positional == "" && fs.NArg() > 0 {
		positional = fs.Arg(0)
	}
	ctx := context.Background()
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("books "+sub, err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fail("books "+sub, err)
	}
	now := engine.Today(time.Now())
	cs := func() (*metamodel.CodeSet, error) {
		p, err := loadProject(dbf.definitions)
		if err != nil {
			return nil, err
		}
		return engine.ChartOf(p, *chart)
	}
	out := os.Stdout
	switch sub {
	case "close":
		if positional == "" {
			fmt.Fprintln(os.Stderr, "usage: growth books close PERIOD (e.g. 2026-01)")
			return 2
		}
		if err := db.ClosePeriod(ctx, positional, *actor); err != nil {
			return fail("books close", err)
		}
		fmt.Fprintf(out, "period %s closed: nothing posts into it any more; correct with growth books reverse\n", positional)
	case "reverse":
		if positional == "" {
			fmt.Fprintln(os.Stderr, "usage: growth books reverse VOUCHER (e.g. 2026-01#0001) [--date YYYY-MM-DD]")
			return 2
		}
		on := now
		if *date != "" {
			if on, err = time.Parse(time.DateOnly, *date); err != nil {
				return fail("books reverse", fmt.Errorf("--date %q: want YYYY-MM-DD", *date))
			}
		}
		v, err := db.ReverseVoucher(ctx, positional, on, *actor)
		if err != nil {
			return fail("books reverse", err)
		}
		fmt.Fprintf(out, "voucher %s reverses %s\n", v.Number, positional)
		printVoucher(out, v)
	case "trial-balance":
		if *period == "" {
			*period = now.Format("2006-01")
		}
		c, err := cs()
		if err != nil {
			return fail("books trial-balance", err)
		}
		tb, err := db.TrialBalance(ctx, c, *period)
		if err != nil {
			return fail("books trial-balance", err)
		}
		printTrialBalance(out, c, tb)
		if !tb.Balanced {
			fmt.Fprintln(out, "NOT BALANCED: debits and credits differ")
			return 1
		}
	case "ledger":
		if *year == "" {
			*year = now.Format("2006")
		}
		c, err := cs()
		if err != nil {
			return fail("books ledger", err)
		}
		gl, err := db.GeneralLedger(ctx, c, *account, *year)
		if err != nil {
			return fail("books ledger", err)
		}
		fmt.Fprintf(out, "总账 %s %s（%s）%s 年\n", gl.Account, gl.Name, gl.Direction, gl.Year)
		w := tabwriter.NewWriter(out, 0, 2, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "期间\t借方\t贷方\t本年累计借方\t本年累计贷方\t方向\t余额\t")
		fmt.Fprintf(w, "年初\t\t\t\t\t%s\t%s\t\n", gl.Opening.Side, engine.FormatFen(gl.Opening.Amount))
		for _, r := range gl.Rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Period, engine.FormatFen(r.Debit), engine.FormatFen(r.Credit), engine.FormatFen(r.YearDebit), engine.FormatFen(r.YearCredit), r.Balance.Side, engine.FormatFen(r.Balance.Amount))
		}
		fmt.Fprintf(w, "期末\t\t\t\t\t%s\t%s\t\n", gl.Closing.Side, engine.FormatFen(gl.Closing.Amount))
		w.Flush()
	case "detail":
		if *to == "" {
			*to = now.Format("2006-01")
		}
		if *from == "" && len(*to) >= 4 {
			*from = (*to)[:4] + "-01"
		}
		filter, err := dims.parse()
		if err != nil {
			return fail("books detail", err)
		}
		c, err := cs()
		if err != nil {
			return fail("books detail", err)
		}
		dl, err := db.DetailLedger(ctx, c, *account, *from, *to, filter)
		if err != nil {
			return fail("books detail", err)
		}
		fmt.Fprintf(out, "明细账 %s %s（%s）%s 至 %s %s\n", dl.Account, dl.Name, dl.Direction, dl.From, dl.To, formatDims(dl.Dims))
		w := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "日期\t凭证号\t摘要\t科目\t借方\t贷方\t方向\t余额\t辅助核算")
		fmt.Fprintf(w, "\t\t期初余额\t\t\t\t%s\t%s\t\n", dl.Opening.Side, engine.FormatFen(dl.Opening.Amount))
		for _, e := range dl.Entries {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Date, e.Voucher, e.Summary, e.Account, engine.FormatFen(e.Debit), engine.FormatFen(e.Credit), e.Balance.Side, engine.FormatFen(e.Balance.Amount), formatDims(e.Dims))
		}
		fmt.Fprintf(w, "\t\t本期合计\t\t%s\t%s\t%s\t%s\t\n", engine.FormatFen(dl.Debit), engine.FormatFen(dl.Credit), dl.Closing.Side, engine.FormatFen(dl.Closing.Amount))
		w.Flush()
	case "vouchers":
		vs, err := db.Vouchers(ctx, engine.VoucherFilter{Period: *period})
		if err != nil {
			return fail("books vouchers", err)
		}
		for _, v := range vs {
			printVoucher(out, v)
		}
		fmt.Fprintf(out, "%d voucher(s)\n", len(vs))
	default:
		fmt.Fprintf(os.Stderr, "growth books: unknown subcommand %q\n\n%s\n", sub, booksUsage)
		return 2
	}
	return 0
}

func verifyBooks(ctx context.Context, db *engine.DB) (bool, error) {
	r, err := db.VerifyBooks(ctx)
	if err != nil {
		return false, err
	}
	if !r.OK() {
		fmt.Printf("DIFFERENCES: %d problem(s) in %d vouchers (%d lines read); the first: %s\n", len(r.Problems), r.Vouchers, r.Lines, r.Problems[0])
		for _, p := range r.Problems {
			fmt.Println("  " + p)
		}
		return false, nil
	}
	fmt.Printf("ok: %d vouchers balance, and the balances of %d accounts agree with their %d lines\n", r.Vouchers, r.Accounts, r.Lines)
	return true, nil
}

func printTrialBalance(out io.Writer, cs *metamodel.CodeSet, tb *engine.TrialBalance) {
	fmt.Fprintf(out, "试算平衡表 %s %s\n", cs.Label(), tb.Period)
	w := tabwriter.NewWriter(out, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "科目\t名称\t方向\t期初借方\t期初贷方\t本期借方\t本期贷方\t期末借方\t期末贷方\t")
	row := func(r engine.TrialBalanceRow) {
		f := engine.FormatFen
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Account, r.Name, r.Direction, f(r.OpeningDebit), f(r.OpeningCredit), f(r.Debit), f(r.Credit), f(r.ClosingDebit), f(r.ClosingCredit))
	}
	for _, r := range tb.Rows {
		row(r)
	}
	row(tb.Total)
	w.Flush()
	if tb.Balanced {
		fmt.Fprintln(out, "balanced: debits equal credits")
	}
}

func printVoucher(out io.Writer, v *engine.Voucher) {
	rev := ""
	if v.Reverses != 0 {
		rev = fmt.Sprintf(" (reverses voucher id %d)", v.Reverses)
	}
	fmt.Fprintf(out, "记账凭证 %s  %s  %s  source %s.%s/%d %s by %s%s\n", v.Number, v.Date, v.Summary, v.SourceApp, v.SourceEntity, v.SourceID, v.Event, v.Actor, rev)
	w := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	for _, l := range v.Lines {
		fmt.Fprintf(w, "  %d\t%s\t借 %s\t贷 %s\t%s\t%s\n", l.No, l.Account, engine.FormatFen(l.Debit), engine.FormatFen(l.Credit), formatDims(l.Dims), l.Summary)
	}
	w.Flush()
}

func formatDims(d map[string]string) string {
	if len(d) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(d) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// multiFlag collects a repeatable name=value flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (m multiFlag) parse() (map[string]string, error) {
	out := map[string]string{}
	for _, v := range m {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--dim %q: want name=value", v)
		}
		out[name] = value
	}
	return out, nil
}

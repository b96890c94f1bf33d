package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// The reports of the books: trial balance (试算平衡表), general ledger (总账)
// and detail ledger (明细账), each with opening balance, movements and
// closing balance; and verify, which recomputes every balance from the
// voucher lines.

// Chart resolves the chart of accounts called name; with no name, the one
// chart the postings use.
func (rt *Runtime) Chart(name string) (*metamodel.CodeSet, error) { return ChartOf(rt.Project, name) }

// ChartOf resolves the chart of accounts called name in project p; with no
// name, the one chart the postings use.
func ChartOf(project *metamodel.Project, name string) (*metamodel.CodeSet, error) {
	var used []string
	for _, p := range project.Postings() {
		if !slices.Contains(used, p.Chart) {
			used = append(used, p.Chart)
		}
	}
	if name == "" {
		switch len(used) {
		case 0:
			return nil, Invalid("chart", errcode.ChartUnknown, "定义中没有记账规则（postings），没有科目表")
		case 1:
			name = used[0]
		default:
			return nil, Invalid("chart", errcode.ChartRequired, "请指定科目表（chart）：%s", strings.Join(used, "、"))
		}
	}
	if !slices.Contains(used, name) {
		return nil, Invalid("chart", errcode.ChartUnknown, "科目表 %q 不是记账规则使用的科目表（%s）", name, strings.Join(used, "、"))
	}
	return project.CodeSet(name), nil
}

// BookBalance is a balance as the books show it: its side (借, 贷, or 平 when
// zero) and amount in fen.
type BookBalance struct {
	Side   string `json:"side"`
	Amount int64  `json:"amount"`
}

// balanceOf shows debit minus credit on the account's side.
func balanceOf(direction string, debit, credit int64) BookBalance {
	net := debit - credit
	switch {
	case net == 0:
		return BookBalance{Side: "平"}
	case net > 0:
		return BookBalance{Side: metamodel.DebitDirection, Amount: net}
	default:
		return BookBalance{Side: metamodel.CreditDirection, Amount: -net}
	}
}

// TrialBalanceRow is one account of the trial balance: opening, movements and
// closing, each balance in its debit or credit column.
type TrialBalanceRow struct {
	Account       string `json:"account"`
	Name          string `json:"name"`
	Direction     string `json:"direction"`
	Level         int    `json:"level"`
	OpeningDebit  int64  `json:"opening_debit"`
	OpeningCredit int64  `json:"opening_credit"`
	Debit         int64  `json:"debit"`
	Credit        int64  `json:"credit"`
	ClosingDebit  int64  `json:"closing_debit"`
	ClosingCredit int64  `json:"closing_credit"`
}

// TrialBalance is the trial balance of one period: every account with a
// balance or movement, parents before their sub-accounts, and the totals of
// the top-level accounts, whose debits equal their credits when the books
// balance.
type TrialBalance struct {
	Chart    string            `json:"chart"`
	Period   string            `json:"period"`
	Rows     []TrialBalanceRow `json:"rows"`
	Total    TrialBalanceRow   `json:"total"`
	Balanced bool              `json:"balanced"`
}

type sums struct{ openD, openC, d, c int64 }

// accountSums reads the stored balances of chart up to period: opening (before
// from) and movements (from … to), by account.
func (db *DB) accountSums(ctx context.Context, chart, from, to string) (map[string]*sums, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT account, period, debit, credit FROM growth_book_balances WHERE chart = `+db.Placeholder(1)+` AND period <= `+db.Placeholder(2), chart, to)
	if err != nil {
		return nil, fmt.Errorf("books: balances: %w", err)
	}
	defer rows.Close()
	out := map[string]*sums{}
	for rows.Next() {
		var account, period string
		var d, c int64
		if err := rows.Scan(&account, &period, &d, &c); err != nil {
			return nil, err
		}
		s := out[account]
		if s == nil {
			s = &sums{}
			out[account] = s
		}
		if period < from {
			s.openD, s.openC = s.openD+d, s.openC+c
		} else {
			s.d, s.c = s.d+d, s.c+c
		}
	}
	return out, rows.Err()
}

// TrialBalance computes the trial balance of chart cs for period.
func (db *DB) TrialBalance(ctx context.Context, cs *metamodel.CodeSet, period string) (*TrialBalance, error) {
	if err := CheckPeriod(period); err != nil {
		return nil, err
	}
	leaf, err := db.accountSums(ctx, cs.Name, period, period)
	if err != nil {
		return nil, err
	}
	// Roll each account's sums up to its parents.
	all := map[string]*sums{}
	for account, s := range leaf {
		codes := []string{account}
		if n := cs.Lookup(account); n != nil {
			for p := n.Parent; p != nil; p = p.Parent {
				codes = append(codes, p.Code.Code)
			}
		}
		for _, c := range codes {
			t := all[c]
			if t == nil {
				t = &sums{}
				all[c] = t
			}
			t.openD, t.openC, t.d, t.c = t.openD+s.openD, t.openC+s.openC, t.d+s.d, t.c+s.c
		}
	}
	tb := &TrialBalance{Chart: cs.Name, Period: period, Rows: []TrialBalanceRow{}}
	row := func(code string, s *sums) TrialBalanceRow {
		r := TrialBalanceRow{Account: code, Debit: s.d, Credit: s.c, Level: 1}
		if n := cs.Lookup(code); n != nil {
			r.Name, r.Direction, r.Level = n.Name, n.Attrs[metamodel.DirectionAttr], n.Level
		}
		split := func(net int64) (int64, int64) {
			if net >= 0 {
				return net, 0
			}
			return 0, -net
		}
		r.OpeningDebit, r.OpeningCredit = split(s.openD - s.openC)
		r.ClosingDebit, r.ClosingCredit = split(s.openD + s.d - s.openC - s.c)
		return r
	}
	seen := map[string]bool{}
	cs.Walk(func(n *metamodel.CodeNode) {
		if s := all[n.Code.Code]; s != nil {
			seen[n.Code.Code] = true
			tb.Rows = append(tb.Rows, row(n.Code.Code, s))
		}
	})
	// Accounts no longer in the chart still show, at the end.
	var orphans []string
	for code := range all {
		if !seen[code] {
			orphans = append(orphans, code)
		}
	}
	sort.Strings(orphans)
	for _, code := range orphans {
		tb.Rows = append(tb.Rows, row(code, all[code]))
	}
	tb.Total = TrialBalanceRow{Name: "合计"}
	for _, r := range tb.Rows {
		if n := cs.Lookup(r.Account); n != nil && n.Parent != nil {
			continue // counted in its top-level account
		}
		t := &tb.Total
		t.OpeningDebit, t.OpeningCredit = t.OpeningDebit+r.OpeningDebit, t.OpeningCredit+r.OpeningCredit
		t.Debit, t.Credit = t.Debit+r.Debit, t.Credit+r.Credit
		t.ClosingDebit, t.ClosingCredit = t.ClosingDebit+r.ClosingDebit, t.ClosingCredit+r.ClosingCredit
	}
	t := tb.Total
	tb.Balanced = t.OpeningDebit == t.OpeningCredit && t.Debit == t.Credit && t.ClosingDebit == t.ClosingCredit
	return tb, nil
}

// subtree is account and its sub-accounts in cs (account alone when cs does
// not know it).
func subtree(cs *metamodel.CodeSet, account string) map[string]bool {
	out := map[string]bool{account: true}
	for _, c := range cs.Subtree(account) {
		out[c] = true
	}
	return out
}

// LedgerRow is one period of the general ledger.
type LedgerRow struct {
	Period     string      `json:"period"`
	Debit      int64       `json:"debit"`
	Credit     int64       `json:"credit"`
	YearDebit  int64       `json:"year_debit"`
	YearCredit int64       `json:"year_credit"`
	Balance    BookBalance `json:"balance"`
}

// GeneralLedger is the general ledger (总账) of one account (with its
// sub-accounts) for a year: the opening balance, each month's debits and
// credits with the balance after it, and the closing balance.
type GeneralLedger struct {
	Chart     string      `json:"chart"`
	Account   string      `json:"account"`
	Name      string      `json:"name"`
	Direction string      `json:"direction"`
	Year      string      `json:"year"`
	Opening   BookBalance `json:"opening"`
	Rows      []LedgerRow `json:"rows"`
	Closing   BookBalance `json:"closing"`
}

func accountOf(cs *metamodel.CodeSet, account string) (*metamodel.CodeNode, error) {
	n := cs.Lookup(account)
	if n == nil {
		return nil, Invalid("account", errcode.AccountUnknown, "科目 %q 不在科目表 %s 中", account, errcode.Label(cs.Label(), cs.TitleEn))
	}
	return n, nil
}

// GeneralLedger computes the general ledger of account for year (YYYY).
func (db *DB) GeneralLedger(ctx context.Context, cs *metamodel.CodeSet, account, year string) (*GeneralLedger, error) {
	n, err := accountOf(cs, account)
	if err != nil {
		return nil, err
	}
	if err := CheckPeriod(year + "-01"); err != nil {
		return nil, err
	}
	accounts := subtree(cs, account)
	rows, err := db.Read.QueryContext(ctx, `SELECT account, period, debit, credit FROM growth_book_balances WHERE chart = `+db.Placeholder(1)+` AND period <= `+db.Placeholder(2)+` ORDER BY period`, cs.Name, year+"-12")
	if err != nil {
		return nil, fmt.Errorf("books: balances: %w", err)
	}
	defer rows.Close()
	dir := n.Attrs[metamodel.DirectionAttr]
	gl := &GeneralLedger{Chart: cs.Name, Account: account, Name: n.Name, Direction: dir, Year: year, Rows: []LedgerRow{}}
	var openD, openC int64
	byPeriod := map[string]*LedgerRow{}
	var periods []string
	for rows.Next() {
		var acct, period string
		var d, c int64
		if err := rows.Scan(&acct, &period, &d, &c); err != nil {
			return nil, err
		}
		if !accounts[acct] {
			continue
		}
		if period < year+"-01" {
			openD, openC = openD+d, openC+c
			continue
		}
		r := byPeriod[period]
		if r == nil {
			r = &LedgerRow{Period: period}
			byPeriod[period] = r
			periods = append(periods, period)
		}
		r.Debit, r.Credit = r.Debit+d, r.Credit+c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	gl.Opening = balanceOf(dir, openD, openC)
	sort.Strings(periods)
	d, c := openD, openC
	var yd, yc int64
	for _, p := range periods {
		r := byPeriod[p]
		yd, yc = yd+r.Debit, yc+r.Credit
		d, c = d+r.Debit, c+r.Credit
		r.YearDebit, r.YearCredit = yd, yc
		r.Balance = balanceOf(dir, d, c)
		gl.Rows = append(gl.Rows, *r)
	}
	gl.Closing = balanceOf(dir, d, c)
	return gl, nil
}

// DetailEntry is one voucher line of the detail ledger, with the balance after it.
type DetailEntry struct {
	Date    string            `json:"date"`
	Voucher string            `json:"voucher"`
	Summary string            `json:"summary"`
	Account string            `json:"account"`
	Debit   int64             `json:"debit"`
	Credit  int64             `json:"credit"`
	Balance BookBalance       `json:"balance"`
	Dims    map[string]string `json:"dims,omitempty"`
	Source  string            `json:"source"`
}

// DetailLedger is the detail ledger (明细账) of one account (with its
// sub-accounts) over periods from … to, limited to the lines whose dimensions
// match Dims: opening balance, each line, closing balance.
type DetailLedger struct {
	Chart     string            `json:"chart"`
	Account   string            `json:"account"`
	Name      string            `json:"name"`
	Direction string            `json:"direction"`
	From      string            `json:"from"`
	To        string            `json:"to"`
	Dims      map[string]string `json:"dims,omitempty"`
	Opening   BookBalance       `json:"opening"`
	Entries   []DetailEntry     `json:"entries"`
	Debit     int64             `json:"debit"`
	Credit    int64             `json:"credit"`
	Closing   BookBalance       `json:"closing"`
}

// DetailLedger computes the detail ledger of account from … to (periods).
func (db *DB) DetailLedger(ctx context.Context, cs *metamodel.CodeSet, account, from, to string, dims map[string]string) (*DetailLedger, error) {
	n, err := accountOf(cs, account)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{from, to} {
		if err := CheckPeriod(p); err != nil {
			return nil, err
		}
	}
	accounts := subtree(cs, account)
	dir := n.Attrs[metamodel.DirectionAttr]
	dl := &DetailLedger{Chart: cs.Name, Account: account, Name: n.Name, Direction: dir, From: from, To: to, Dims: dims, Entries: []DetailEntry{}}
	ph := db.Placeholder
	rows, err := db.Read.QueryContext(ctx, `SELECT v.period, v.seq, v.voucher_date, v.summary, v.source_app, v.source_entity, v.source_id, l.account, l.debit, l.credit, l.dims, l.summary
		FROM growth_voucher_lines l JOIN growth_vouchers v ON v.id = l.voucher_id
		WHERE v.chart = `+ph(1)+` AND v.period <= `+ph(2)+` ORDER BY v.period, v.seq, l.line_no`, cs.Name, to)
	if err != nil {
		return nil, fmt.Errorf("books: detail ledger: %w", err)
	}
	defer rows.Close()
	var openD, openC, d, c int64
	for rows.Next() {
		var e DetailEntry
		var period, app, entity, dimText, lineSummary string
		var seq, id int64
		if err := rows.Scan(&period, &seq, &e.Date, &e.Summary, &app, &entity, &id, &e.Account, &e.Debit, &e.Credit, &dimText, &lineSummary); err != nil {
			return nil, err
		}
		if !accounts[e.Account] {
			continue
		}
		if len(dims) > 0 || dimText != "{}" {
			if err := jsonUnmarshalString(dimText, &e.Dims); err != nil {
				return nil, err
			}
		}
		if !dimsMatch(e.Dims, dims) {
			continue
		}
		if period < from {
			openD, openC = openD+e.Debit, openC+e.Credit
			continue
		}
		if lineSummary != "" {
			e.Summary = lineSummary
		}
		d, c = d+e.Debit, c+e.Credit
		e.Voucher = VoucherNumber(period, seq)
		e.Source = fmt.Sprintf("%s.%s/%d", app, entity, id)
		e.Balance = balanceOf(dir, openD+d, openC+c)
		dl.Entries = append(dl.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	dl.Opening = balanceOf(dir, openD, openC)
	dl.Debit, dl.Credit = d, c
	dl.Closing = balanceOf(dir, openD+d, openC+c)
	return dl, nil
}

func dimsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// BooksReport is what VerifyBooks found.
type BooksReport struct {
	Vouchers int
	Lines    int
	Accounts int
	// Problems are the differences, the first one first.
	Problems []string
}

// OK reports whether the books agree with their vouchers.
func (r *BooksReport) OK() bool { return len(r.Problems) == 0 }

// VerifyBooks checks that every voucher balances and has lines, that voucher
// numbers run without gaps in each period, and recomputes every stored
// balance from the voucher lines.
func (db *DB) VerifyBooks(ctx context.Context) (*BooksReport, error) {
	r := &BooksReport{}
	rows, err := db.Read.QueryContext(ctx, `SELECT v.id, v.chart, v.period, v.seq, l.line_no, l.account, l.debit, l.credit
		FROM growth_vouchers v LEFT JOIN growth_voucher_lines l ON l.voucher_id = v.id ORDER BY v.id, l.line_no`)
	if err != nil {
		return nil, fmt.Errorf("books verify: %w", err)
	}
	type key struct{ chart, account, period string }
	recomputed := map[key]*[2]int64{}
	type voucherSum struct {
		number        string
		lines         int
		debit, credit int64
	}
	var order []int64
	vouchers := map[int64]*voucherSum{}
	seqs := map[string][]int64{}
	for rows.Next() {
		var id, seq int64
		var chart, period string
		var lineNo *int64
		var account *string
		var d, c *int64
		if err := rows.Scan(&id, &chart, &period, &seq, &lineNo, &account, &d, &c); err != nil {
			rows.Close()
			return nil, err
		}
		v := vouchers[id]
		if v == nil {
			v = &voucherSum{number: VoucherNumber(period, seq)}
			vouchers[id] = v
			order = append(order, id)
			seqs[period] = append(seqs[period], seq)
		}
		if lineNo == nil {
			continue
		}
		v.lines++
		r.Lines++
		v.debit, v.credit = v.debit+*d, v.credit+*c
		k := key{chart, *account, period}
		if recomputed[k] == nil {
			recomputed[k] = &[2]int64{}
		}
		recomputed[k][0] += *d
		recomputed[k][1] += *c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	r.Vouchers = len(order)
	for _, id := range order {
		v := vouchers[id]
		switch {
		case v.lines == 0:
			r.Problems = append(r.Problems, fmt.Sprintf("voucher %s has no lines", v.number))
		case v.debit != v.credit:
			r.Problems = append(r.Problems, fmt.Sprintf("voucher %s does not balance: debits %s, credits %s", v.number, FormatFen(v.debit), FormatFen(v.credit)))
		}
	}
	// Numbers run 1 … last in every period.
	periods, err := db.Periods(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range periods {
		got := seqs[p.Period]
		slices.Sort(got)
		missing := false
		for i, s := range got {
			if s != int64(i+1) {
				r.Problems = append(r.Problems, fmt.Sprintf("period %s: voucher %s is missing", p.Period, VoucherNumber(p.Period, int64(i+1))))
				missing = true
				break
			}
		}
		if !missing && int64(len(got)) != p.Vouchers {
			r.Problems = append(r.Problems, fmt.Sprintf("period %s: %d voucher(s) numbered, %d stored", p.Period, p.Vouchers, len(got)))
		}
	}
	// Stored balances against the lines.
	brows, err := db.Read.QueryContext(ctx, `SELECT chart, account, period, debit, credit FROM growth_book_balances`)
	if err != nil {
		return nil, fmt.Errorf("books verify: %w", err)
	}
	stored := map[key][2]int64{}
	for brows.Next() {
		var k key
		var d, c int64
		if err := brows.Scan(&k.chart, &k.account, &k.period, &d, &c); err != nil {
			brows.Close()
			return nil, err
		}
		stored[k] = [2]int64{d, c}
	}
	brows.Close()
	if err := brows.Err(); err != nil {
		return nil, err
	}
	var keys []key
	for k := range stored {
		keys = append(keys, k)
	}
	for k := range recomputed {
		if _, ok := stored[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.chart != b.chart {
			return a.chart < b.chart
		}
		if a.account != b.account {
			return a.account < b.account
		}
		return a.period < b.period
	})
	accounts := map[string]bool{}
	for _, k := range keys {
		accounts[k.chart+"/"+k.account] = true
		var want [2]int64
		if p := recomputed[k]; p != nil {
			want = *p
		}
		if got := stored[k]; got != want {
			r.Problems = append(r.Problems, fmt.Sprintf("account %s (%s) in %s: stored debit %s credit %s, the vouchers give debit %s credit %s",
				k.account, k.chart, k.period, FormatFen(got[0]), FormatFen(got[1]), FormatFen(want[0]), FormatFen(want[1])))
		}
	}
	r.Accounts = len(accounts)
	return r, nil
}

package ui

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// The books pages (账务): the trial balance of a period with the list of
// periods, the general ledger of an account and its detail ledger, read from
// the same engine functions as GET /api/books/… and as plain links, so that
// every figure leads to the lines behind it. Like the API, only
// administrators see them unless access is open.

const booksPath = "/ui/books"

// mustBooks refuses anyone but an administrator, as the books API does.
func (u *UI) mustBooks(r *request) error {
	if _, open := u.rt.Access.(engine.OpenAccess); open {
		return nil
	}
	if !isAdmin(r.actor) {
		return &engine.ForbiddenError{Message: r.lang.T("books.forbidden")}
	}
	return nil
}

type booksView struct {
	Kind     string // trial, ledger, detail
	Chart    string
	Period   string
	Periods  []booksPeriod
	Rows     []booksRow
	Total    booksRow
	Balanced bool
	// ledger and detail
	Account, Name, Direction string
	Year, From, To           string
	Dims                     string
	Opening, Closing         string
	Ledger                   []booksLedgerRow
	Entries                  []booksEntry
	Debit, Credit            string
}

type booksPeriod struct {
	Period, URL string
	Vouchers    int64
	Closed      bool
	Current     bool
}

type booksRow struct {
	Account, Name, Direction, URL, DetailURL string
	Level                                    int
	OpeningDebit, OpeningCredit              string
	Debit, Credit                            string
	ClosingDebit, ClosingCredit              string
}

type booksLedgerRow struct {
	Period, URL, Debit, Credit, YearDebit, YearCredit, Balance string
}

type booksEntry struct {
	Date, Voucher, Summary, Account, Debit, Credit, Balance, Dims, Source string
}

func fen(n int64) string { return engine.FormatFen(n) }

func bookBalance(b engine.BookBalance) string {
	if b.Amount == 0 {
		return b.Side
	}
	return b.Side + " " + fen(b.Amount)
}

func ledgerURL(account, year string) string {
	return booksPath + "/ledger?" + url.Values{"account": {account}, "year": {year}}.Encode()
}

func detailURL(account, from, to string) string {
	return booksPath + "/detail?" + url.Values{"account": {account}, "from": {from}, "to": {to}}.Encode()
}

func (u *UI) booksTrialBalance(r *request) error {
	if err := u.mustBooks(r); err != nil {
		return err
	}
	ctx := r.c.UserContext()
	cs, err := u.rt.Chart(r.c.Query("chart"))
	if err != nil {
		return err
	}
	period := r.c.Query("period", engine.Today(time.Now()).Format("2006-01"))
	tb, err := u.rt.DB.TrialBalance(ctx, cs, period)
	if err != nil {
		return booksError(err)
	}
	periods, err := u.rt.DB.Periods(ctx)
	if err != nil {
		return err
	}
	v := &booksView{Kind: "trial", Chart: cs.Label(), Period: period, Balanced: tb.Balanced}
	for _, p := range periods {
		v.Periods = append(v.Periods, booksPeriod{Period: p.Period, URL: booksPath + "?period=" + p.Period, Vouchers: p.Vouchers, Closed: p.Closed, Current: p.Period == period})
	}
	row := func(t engine.TrialBalanceRow) booksRow {
		b := booksRow{Account: t.Account, Name: t.Name, Direction: t.Direction, Level: t.Level,
			OpeningDebit: fen(t.OpeningDebit), OpeningCredit: fen(t.OpeningCredit), Debit: fen(t.Debit), Credit: fen(t.Credit),
			ClosingDebit: fen(t.ClosingDebit), ClosingCredit: fen(t.ClosingCredit)}
		if t.Account != "" {
			b.URL, b.DetailURL = ledgerURL(t.Account, period[:4]), detailURL(t.Account, period, period)
		}
		return b
	}
	for _, t := range tb.Rows {
		v.Rows = append(v.Rows, row(t))
	}
	v.Total = row(tb.Total)
	title := r.lang.T("books.trial")
	p := u.newPage(r, title, v)
	p.Crumbs = []crumb{{Label: title}}
	return u.render(r, 200, "books", p)
}

func (u *UI) booksLedger(r *request) error {
	if err := u.mustBooks(r); err != nil {
		return err
	}
	cs, err := u.rt.Chart(r.c.Query("chart"))
	if err != nil {
		return err
	}
	year := r.c.Query("year", engine.Today(time.Now()).Format("2006"))
	gl, err := u.rt.DB.GeneralLedger(r.c.UserContext(), cs, r.c.Query("account"), year)
	if err != nil {
		return booksError(err)
	}
	v := &booksView{Kind: "ledger", Chart: cs.Label(), Account: gl.Account, Name: gl.Name, Direction: gl.Direction, Year: year,
		Opening: bookBalance(gl.Opening), Closing: bookBalance(gl.Closing)}
	for _, row := range gl.Rows {
		v.Ledger = append(v.Ledger, booksLedgerRow{Period: row.Period, URL: detailURL(gl.Account, row.Period, row.Period),
			Debit: fen(row.Debit), Credit: fen(row.Credit), YearDebit: fen(row.YearDebit), YearCredit: fen(row.YearCredit), Balance: bookBalance(row.Balance)})
	}
	title := r.lang.T("books.ledger", gl.Account+" "+gl.Name, year)
	p := u.newPage(r, title, v)
	p.Crumbs = []crumb{{Label: r.lang.T("books.trial"), URL: booksPath}, {Label: title}}
	return u.render(r, 200, "books", p)
}

func (u *UI) booksDetail(r *request) error {
	if err := u.mustBooks(r); err != nil {
		return err
	}
	cs, err := u.rt.Chart(r.c.Query("chart"))
	if err != nil {
		return err
	}
	to := r.c.Query("to", engine.Today(time.Now()).Format("2006-01"))
	from := r.c.Query("from")
	if from == "" && len(to) >= 4 {
		from = to[:4] + "-01"
	}
	dims := map[string]string{}
	r.c.Context().QueryArgs().VisitAll(func(k, val []byte) {
		if name, ok := strings.CutPrefix(string(k), "dim."); ok {
			dims[name] = string(val)
		}
	})
	dl, err := u.rt.DB.DetailLedger(r.c.UserContext(), cs, r.c.Query("account"), from, to, dims)
	if err != nil {
		return booksError(err)
	}
	v := &booksView{Kind: "detail", Chart: cs.Label(), Account: dl.Account, Name: dl.Name, Direction: dl.Direction, From: from, To: to,
		Dims: dimsText(dims), Opening: bookBalance(dl.Opening), Closing: bookBalance(dl.Closing), Debit: fen(dl.Debit), Credit: fen(dl.Credit)}
	for _, e := range dl.Entries {
		v.Entries = append(v.Entries, booksEntry{Date: e.Date, Voucher: e.Voucher, Summary: e.Summary, Account: e.Account,
			Debit: fen(e.Debit), Credit: fen(e.Credit), Balance: bookBalance(e.Balance), Dims: dimsText(e.Dims), Source: "/ui/" + strings.Replace(e.Source, ".", "/", 1)})
	}
	title := r.lang.T("books.detail", dl.Account+" "+dl.Name, from, to)
	p := u.newPage(r, title, v)
	p.Crumbs = []crumb{{Label: r.lang.T("books.trial"), URL: booksPath}, {Label: r.lang.T("books.ledger", dl.Account+" "+dl.Name, to[:4]), URL: ledgerURL(dl.Account, to[:4])}, {Label: title}}
	return u.render(r, 200, "books", p)
}

// booksError shows what is wrong with a request's period or account on the
// error page, as the API's message says it.
func booksError(err error) error {
	var ve *engine.ValidationError
	if errors.As(err, &ve) {
		var zh, en []string
		for _, list := range ve.Fields {
			for _, fe := range list {
				zh, en = append(zh, fe.Message), append(en, fe.Text(true))
			}
		}
		sort.Strings(zh)
		sort.Strings(en)
		return &web.Error{Code: errcode.Validation, Text: errcode.Text{Zh: strings.Join(zh, "；"), En: strings.Join(en, "; ")}}
	}
	return err
}

func dimsText(d map[string]string) string {
	var parts []string
	for _, k := range sortedStrings(d) {
		parts = append(parts, fmt.Sprintf("%s=%s", k, d[k]))
	}
	return strings.Join(parts, " ")
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

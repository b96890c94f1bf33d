package ui

import (
	"strconv"

	"github.com/growth-gov/growth/engine"
)

// Reconciliation (对账): the stored comparisons of the parties' statements
// with our messages (engine.Runtime.Reconcile), the open differences as an
// inbox, and one reconciliation with every item. An administrator resolves a
// difference with a comment (audited; nothing is corrected by it).

const reconPath = exceptionsPath + "/reconciliations"

type reconListView struct {
	Open            []reconItemRow
	Reconciliations []reconRow
	Error           string
}

type reconRow struct {
	ID                           int64
	Party, Day, Statement, RunAt string
	RunBy                        string
	Matched, Differences         int
}

type reconItemRow struct {
	engine.ReconItem
	KindLabel string
}

type reconView struct {
	Rec   reconRow
	Items []reconItemRow
	Error string
}

func (u *UI) partyTitle(name string) string {
	if x := u.rt.Project.Exchange(name); x != nil && x.Title != "" {
		return x.Title
	}
	return name
}

func (u *UI) reconRow(rec engine.Reconciliation) reconRow {
	return reconRow{ID: rec.ID, Party: u.partyTitle(rec.Party), Day: rec.Day, Statement: rec.Statement, RunAt: rec.RunAt.In(u.opts.Location).Format("2006-01-02 15:04:05"),
		RunBy: rec.RunBy, Matched: rec.Matched, Differences: rec.Differences}
}

func (u *UI) reconItems(r *request, items []engine.ReconItem) []reconItemRow {
	out := make([]reconItemRow, len(items))
	for i, it := range items {
		it.Party = u.partyTitle(it.Party)
		out[i] = reconItemRow{ReconItem: it, KindLabel: r.lang.T("recon.kind." + it.Kind)}
	}
	return out
}

func (u *UI) reconList(r *request) error { return u.renderReconList(r, 200, "") }

func (u *UI) renderReconList(r *request, status int, problem string) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	ctx := r.c.UserContext()
	open, err := u.rt.OpenReconDifferences(ctx)
	if err != nil {
		return err
	}
	recs, err := u.rt.Reconciliations(ctx, 50)
	if err != nil {
		return err
	}
	view := &reconListView{Open: u.reconItems(r, open), Error: problem}
	for _, rec := range recs {
		view.Reconciliations = append(view.Reconciliations, u.reconRow(rec))
	}
	p := u.newPage(r, r.lang.T("recon.title"), view)
	p.Crumbs = []crumb{{Label: r.lang.T("exchange.title"), URL: exceptionsPath}, {Label: r.lang.T("recon.title")}}
	return u.render(r, status, "reconcile", p)
}

func (u *UI) reconDetail(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.c.Params("id"), 10, 64)
	if err != nil {
		return engine.ErrNotFound
	}
	rec, err := u.rt.Reconciliation(r.c.UserContext(), id)
	if err != nil {
		return err
	}
	view := &reconView{Rec: u.reconRow(*rec), Items: u.reconItems(r, rec.Items)}
	title := r.lang.T("recon.one", rec.ID)
	p := u.newPage(r, title, view)
	p.Crumbs = []crumb{{Label: r.lang.T("exchange.title"), URL: exceptionsPath}, {Label: r.lang.T("recon.title"), URL: reconPath}, {Label: title}}
	return u.render(r, 200, "reconciliation", p)
}

func (u *UI) resolveReconItem(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.c.Params("id"), 10, 64)
	if err != nil {
		return engine.ErrNotFound
	}
	if err := u.rt.ResolveReconItem(r.c.UserContext(), r.actor, id, r.c.FormValue("comment")); err != nil {
		var ve *engine.ValidationError
		if asValidation(err, &ve) {
			return u.renderReconList(r, 422, r.lang.T("recon.comment.required"))
		}
		return err
	}
	return u.redirect(r, reconPath, r.lang.T("recon.resolved", id))
}

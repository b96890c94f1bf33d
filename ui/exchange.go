package ui

import (
	"strconv"

	"github.com/growth-gov/growth/engine"
)

// Exchange exceptions (交换异常): inbound messages the exchange refused —
// bad signature, unknown party or record, wrong state — listed for an
// administrator, who records how each was handled with a comment
// (engine.Runtime.ResolveException: audited, applies nothing).

const exceptionsPath = "/ui/admin/exchange"

type exceptionsView struct {
	All        bool
	Exceptions []exceptionRow
	Error      string
}

type exceptionRow struct {
	ID                            int64
	Received, Party, Type, Ref    string
	Reason, Message               string
	Resolved                      bool
	ResolvedBy, Comment, Resolver string
}

func (u *UI) exceptionList(r *request) error {
	return u.renderExceptions(r, 200, "")
}

func (u *UI) renderExceptions(r *request, status int, problem string) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	all := r.c.Query("all") == "1"
	list, err := u.rt.ExchangeExceptions(r.c.UserContext(), all)
	if err != nil {
		return err
	}
	view := &exceptionsView{All: all, Error: problem}
	for _, e := range list {
		party := e.Party
		if x := u.rt.Project.Exchange(e.Party); x != nil && x.Title != "" {
			party = x.Title
		}
		view.Exceptions = append(view.Exceptions, exceptionRow{ID: e.ID, Received: e.ReceivedAt.In(u.opts.Location).Format("2006-01-02 15:04:05"),
			Party: party, Type: e.Type, Ref: e.Ref, Reason: r.lang.T("exchange.reason." + e.Reason), Message: e.Message,
			Resolved: e.Resolved, ResolvedBy: e.ResolvedBy, Comment: e.Comment})
	}
	p := u.newPage(r, r.lang.T("exchange.title"), view)
	p.Crumbs = []crumb{{Label: r.lang.T("exchange.title")}}
	return u.render(r, status, "exceptions", p)
}

func (u *UI) resolveException(r *request) error {
	if err := u.mustAdmin(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.c.Params("id"), 10, 64)
	if err != nil {
		return engine.ErrNotFound
	}
	if err := u.rt.ResolveException(r.c.UserContext(), r.actor, id, r.c.FormValue("comment")); err != nil {
		var ve *engine.ValidationError
		if asValidation(err, &ve) {
			return u.renderExceptions(r, 422, r.lang.T("exchange.comment.required"))
		}
		return err
	}
	return u.redirect(r, exceptionsPath, r.lang.T("exchange.resolved", id))
}

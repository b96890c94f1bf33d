package ui

import (
	"net/url"
	"strconv"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// A form's children: (entity, ref, columns) are listed on the record page
// of the parent — the lines of a batch on the batch's page — each linked,
// with the totals of money columns, and an add link to a new child with its
// ref set where the user may create one. They are read through rt.List as
// the user, so the data scope and hidden fields apply as on the child's own
// list.

type childList struct {
	Title   string
	ID      string
	Columns []childColumn
	Rows    []childRow
	Totals  []string
	Count   int
	More    bool
	Shown   int
	AddURL  string
	ListURL string
}

type childColumn struct {
	Label   string
	Numeric bool
}

type childRow struct {
	URL, Name string
	Cells     []childCell
}

type childCell struct {
	Text    string
	Numeric bool
}

// childTotalLimit is the most children whose amounts are added up on a
// parent's page; childShown the most listed.
const (
	childTotalLimit = 5000
	childShown      = engine.MaxPageSize
)

func (u *UI) childLists(r *request, e *metamodel.Entity, rec *engine.Record) ([]childList, error) {
	form := formOf(e)
	if form == nil {
		return nil, nil
	}
	ctx := r.c.UserContext()
	var out []childList
	for _, c := range form.Children {
		ce := c.Target
		if ce == nil || !u.rt.Access.Can(r.actor, ce, "read") {
			continue
		}
		l := r.lang
		cl := childList{Title: c.Title, ID: "children-" + ce.Name, ListURL: listURL(ce)}
		if cl.Title == "" || l == English {
			cl.Title = l.EntityTitle(ce)
		}
		var cols []*metamodel.Field
		for _, name := range c.Columns {
			if f := ce.Field(name); f != nil && !u.rt.Access.Hidden(r.actor, ce, name) {
				cols = append(cols, f)
				cl.Columns = append(cl.Columns, childColumn{Label: l.FieldLabel(f), Numeric: isNumeric(f)})
			}
		}
		sums := make([]decimal.Decimal, len(cols))
		cond := &filter.Compare{Field: c.Ref, Op: filter.Eq, Value: filter.Value{Kind: filter.Number, Text: strconv.FormatInt(rec.ID, 10)}}
		for page := 1; cl.Count < childTotalLimit; page++ {
			res, err := u.rt.List(ctx, r.actor, ce.App.Name, ce.Name, engine.ListQuery{Filter: cond.String(), Sort: "id", Page: page, PageSize: engine.MaxPageSize})
			if err != nil {
				return nil, err
			}
			for _, item := range res.Items {
				cl.Count++
				if len(cl.Rows) < childShown {
					row := childRow{URL: recordURL(ce, item.ID), Name: u.recordName(r, ce, item)}
					for _, f := range cols {
						v := item.Values[f.Name]
						text := display(l, f, v, u.opts.Location)
						if f.Set != nil && v != nil {
							if n := f.Set.Lookup(v.(string)); n != nil {
								text = v.(string) + " " + n.Name
							}
						}
						row.Cells = append(row.Cells, childCell{Text: text, Numeric: isNumeric(f)})
					}
					cl.Rows = append(cl.Rows, row)
				}
				for i, f := range cols {
					if d, ok := item.Values[f.Name].(decimal.Decimal); ok && isMoney(f) {
						sums[i] = sums[i].Add(d)
					}
				}
			}
			if !res.HasMore {
				break
			}
			if cl.Count >= childTotalLimit {
				cl.More = true
			}
		}
		cl.Shown = len(cl.Rows)
		for i, f := range cols {
			if isMoney(f) {
				cl.Totals = append(cl.Totals, GroupDigits(sums[i], 2))
			} else {
				cl.Totals = append(cl.Totals, "")
			}
		}
		if u.rt.Access.Can(r.actor, ce, "create") {
			q := url.Values{}
			q.Set(c.Ref, strconv.FormatInt(rec.ID, 10))
			cl.AddURL = listURL(ce) + "/new?" + q.Encode()
		}
		out = append(out, cl)
	}
	return out, nil
}

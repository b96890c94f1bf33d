package ui

import (
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// The print view of a record (forms: print:) is a page laid out like a
// paper voucher: its title, the record's name and state, the fields by
// section as label–value cells, the amount in figures and in Chinese
// capitals (大写), and signature boxes. The screen shows a print button;
// the print style sheet drops the header, the buttons and the colours, so
// the browser's *print* (or *save as PDF*) gives the voucher alone, and
// print.pdf is the same voucher as a PDF made on the server (print_pdf.go).
// Fields the reader may not see are not printed.

type printView struct {
	Title, Name, State string
	BackURL, PDFURL    string
	Sections           []printSection
	AmountLabel        string
	Amount, Words      string
	Signatures         []string
	Printed            string
}

type printSection struct {
	Title string
	Rows  [][]printCell
}

type printCell struct {
	Label, Value string
	Numeric      bool
}

func (u *UI) printRecord(r *request) error {
	e, v, err := u.printView(r)
	if err != nil {
		return err
	}
	p := u.newPage(r, v.Title+" "+v.Name, v)
	p.Crumbs = []crumb{{Label: r.lang.AppTitle(e.App)}, {Label: r.lang.EntityTitle(e), URL: listURL(e)}, {Label: v.Name, URL: v.BackURL}, {Label: r.lang.T("record.print")}}
	return u.render(r, 200, "print", p)
}

// printView lays out the record of the request for printing, as the reader
// may see it; a record whose form declares no print layout has none.
func (u *UI) printView(r *request) (*metamodel.Entity, *printView, error) {
	e, rec, err := u.loadRecord(r)
	if err != nil {
		return nil, nil, err
	}
	form := formOf(e)
	if form == nil || form.Print == nil {
		return nil, nil, engine.ErrNotFound
	}
	pr := form.Print
	l := r.lang
	ctx := r.c.UserContext()
	v := &printView{Title: pr.Title, Name: u.recordName(r, e, rec), BackURL: recordURL(e, rec.ID), Signatures: pr.Signatures}
	v.PDFURL = v.BackURL + "/print.pdf"
	if v.Title == "" || l == English {
		v.Title = l.EntityTitle(e)
	}
	if e.Workflow != nil {
		v.State = StateLabel(e.Workflow, rec.State)
	}
	cell := func(f *metamodel.Field) printCell {
		val := rec.Values[f.Name]
		c := printCell{Label: l.FieldLabel(f), Value: display(l, f, val, u.opts.Location), Numeric: isNumeric(f)}
		switch {
		case val == nil:
			c.Value = ""
		case f.Set != nil:
			if n := f.Set.Lookup(val.(string)); n != nil {
				c.Value = val.(string) + " " + n.Name
			}
		case f.Is(metamodel.RecordRef):
			_, c.Value = u.refLink(ctx, r, f, val.(int64))
		}
		return c
	}
	if len(pr.Sections) > 0 {
		for _, s := range pr.Sections {
			ps := printSection{Title: s.Title}
			for _, row := range s.Rows {
				var cells []printCell
				for _, name := range row {
					if f := e.Field(name); f != nil && !u.rt.Access.Hidden(r.actor, e, name) {
						cells = append(cells, cell(f))
					}
				}
				if len(cells) > 0 {
					ps.Rows = append(ps.Rows, cells)
				}
			}
			v.Sections = append(v.Sections, ps)
		}
	} else {
		for _, s := range u.layout(l, r.actor, e) {
			ps := printSection{Title: s.Title}
			for _, row := range s.Rows {
				var cells []printCell
				for _, ff := range row {
					cells = append(cells, cell(ff.field))
				}
				ps.Rows = append(ps.Rows, cells)
			}
			v.Sections = append(v.Sections, ps)
		}
	}
	if f := e.Field(pr.Amount); f != nil && !u.rt.Access.Hidden(r.actor, e, f.Name) {
		v.AmountLabel = l.FieldLabel(f)
		if d, ok := rec.Values[f.Name].(decimal.Decimal); ok {
			v.Amount, v.Words = "¥"+GroupDigits(d, 2), AmountInWords(d)
		}
	}
	v.Printed = l.T("print.printed", time.Now().In(u.opts.Location).Format("2006-01-02 15:04"), u.person(ctx, r.actor.User).Name)
	return e, v, nil
}

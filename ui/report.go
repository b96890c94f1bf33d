package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// Report pages show a report of the definitions (reports:) as a table: its
// declared filters as inputs like a list's, one row per group with the names
// of codes, enum values and states, the measures, and the totals row. They
// run the report through rt.Report as the user (data scope, hidden fields),
// or, under /public/, through rt.PublicReport for anyone, which allows only
// the filters that are both declared and grouped by. The figures are the
// API's: measures are read from web.ReportJSON, the text the API answers
// with, and only given thousands separators here; the CSV export writes
// that text as it is.

// reportView is a report page.
type reportView struct {
	Title      string
	Public     bool
	PublicURL  string // the public page of a public report, on its internal page
	ExportXLSX string
	ExportCSV  string
	ResetURL   string
	Filters    []filterInput
	FilterOpen bool
	Error      string
	Columns    []reportColumn
	Rows       []reportRow
	Totals     []reportCell
	Groups     int
	Chart      template.HTML
}

type reportColumn struct {
	Label   string
	Numeric bool
}

// reportRow is one row of the table; a subtotal row carries its level.
type reportRow struct {
	Cells    []reportCell
	Subtotal bool
	Level    int
}

type reportCell struct {
	Text    string
	Code    string // a code group's code, shown before its name
	URL     string
	Numeric bool
	Blank   bool
}

// reportRef is a report and the entity it summarises.
type reportRef struct {
	app    *metamodel.App
	report *metamodel.Report
	entity *metamodel.Entity
}

// findReport looks up the report of the request's path.
func (u *UI) findReport(r *request) (reportRef, error) {
	a := u.rt.Project.App(r.c.Params("app"))
	if a != nil {
		for _, rep := range a.Reports {
			if rep.Name == r.c.Params("report") {
				return reportRef{app: a, report: rep, entity: a.Entity(rep.Entity)}, nil
			}
		}
	}
	if r.public {
		// Like the engine: a report that is not public does not exist here.
		return reportRef{}, engine.NotFound("公开报表 %s/%s", r.c.Params("app"), r.c.Params("report"))
	}
	return reportRef{}, engine.NotFound("报表 %s/%s", r.c.Params("app"), r.c.Params("report"))
}

// mayReadReport reports whether actor may run rep: read on its entity and
// every field it groups by or aggregates visible. The engine checks the same
// when the report runs; this only decides which links the portal shows.
func (u *UI) mayReadReport(actor engine.Actor, ref reportRef) bool {
	e := ref.entity
	if e == nil || !u.rt.Access.Can(actor, e, "read") {
		return false
	}
	for _, g := range ref.report.GroupBy {
		if !u.rt.MayReadPath(actor, e, g) {
			return false
		}
	}
	for _, m := range ref.report.Measures {
		if m.Field != "" && !u.rt.MayReadPath(actor, e, m.Field) {
			return false
		}
	}
	return true
}

func reportURL(ref reportRef) string { return "/ui/reports/" + ref.app.Name + "/" + ref.report.Name }

func publicReportURL(ref reportRef) string {
	return "/public/reports/" + ref.app.Name + "/" + ref.report.Name
}

// pageURL is the report's page for r: the public page or the internal one.
func (ref reportRef) pageURL(r *request) string {
	if r.public {
		return publicReportURL(ref)
	}
	return reportURL(ref)
}

// reportFilterNames are the report's filter fields r may use: the declared
// ones the actor may see; on the public page only those also grouped by.
func (u *UI) reportFilterNames(r *request, ref reportRef) []string {
	var out []string
	for _, name := range ref.report.Filters {
		if r.public && !slices.Contains(ref.report.GroupBy, name) {
			continue
		}
		if !r.public && !u.rt.MayReadPath(r.actor, ref.entity, name) {
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// reportFilters builds the report's filter inputs and the condition they
// express, as a list page does.
func (u *UI) reportFilters(r *request, ref reportRef) ([]filterInput, filter.Node, bool) {
	l := r.lang
	q := func(key string) string { return r.c.Query(key) }
	var inputs []filterInput
	var terms []filter.Node
	ok := true
	for _, name := range u.reportFilterNames(r, ref) {
		if name == "state" {
			if w := ref.entity.Workflow; w != nil {
				in := stateFilter(l, w, q("f.state"))
				if in.Value != "" {
					terms = append(terms, &filter.Compare{Field: "state", Op: filter.Eq, Value: text(in.Value)})
				}
				inputs = append(inputs, in)
			}
			continue
		}
		f := pathField(ref.entity, name)
		if f == nil {
			continue
		}
		in, node := fieldFilter(l, f, q, u.opts.Location)
		if r.public && in.Kind == "code" {
			in.Plain = true // the code picker's search needs a login
		}
		if in.Error != "" {
			ok = false
		}
		if node != nil {
			terms = append(terms, node)
		}
		inputs = append(inputs, in)
	}
	if !r.public && len(ref.report.Tags) > 0 {
		var tags []*metamodel.Tag
		for _, name := range ref.report.Tags {
			if t := u.rt.Project.Tag(name); t != nil {
				tags = append(tags, t)
			}
		}
		in, node := tagFilter(l, tags, q("tag"))
		inputs = append(inputs, in)
		if node != nil {
			terms = append(terms, node)
		}
	}
	switch len(terms) {
	case 0:
		return inputs, nil, ok
	case 1:
		return inputs, terms[0], ok
	}
	return inputs, &filter.And{Terms: terms}, ok
}

// runReport runs the report of the request with its filters: as the user,
// or as the public on a public page.
func (u *UI) runReport(r *request, ref reportRef, cond filter.Node) (*engine.ReportResult, error) {
	where := ""
	if cond != nil {
		where = cond.String()
	}
	if r.public {
		return u.rt.PublicReport(r.c.UserContext(), ref.app.Name, ref.report.Name, where)
	}
	return u.rt.Report(r.c.UserContext(), r.actor, ref.app.Name, ref.report.Name, where)
}

// reportTitle is the report's title, or its name.
func reportTitle(rep *metamodel.Report) string {
	if rep.Title != "" {
		return rep.Title
	}
	return rep.Name
}

func (u *UI) report(r *request) error {
	ref, err := u.findReport(r)
	if err != nil {
		return err
	}
	if r.public && !ref.report.Public {
		return engine.NotFound("公开报表 %s/%s", ref.app.Name, ref.report.Name)
	}
	inputs, cond, ok := u.reportFilters(r, ref)
	query := currentQuery(r)
	base := ref.pageURL(r)
	view := &reportView{Title: reportTitle(ref.report), Public: r.public, Filters: inputs, ResetURL: base,
		ExportXLSX: base + "/export.xlsx?" + query.Encode(), ExportCSV: base + "/export.csv?" + query.Encode()}
	if ref.report.Public && !r.public {
		view.PublicURL = publicReportURL(ref)
	}
	for _, in := range inputs {
		if in.Value != "" || in.From != "" || in.To != "" {
			view.FilterOpen = true
		}
	}
	if !ok {
		view.Error = r.lang.T("error.filter", firstFilterError(inputs))
		view.ExportXLSX, view.ExportCSV = "", ""
		return u.render(r, 400, "report", u.reportPage(r, ref, view))
	}
	res, err := u.runReport(r, ref, cond)
	if err != nil {
		return err
	}
	table := u.reportTable(r, res)
	view.Columns, view.Rows, view.Totals, view.Groups = table.columns, table.rows, table.totals, len(res.Rows)
	view.Chart = u.reportChart(r, res, table)
	return u.render(r, 200, "report", u.reportPage(r, ref, view))
}

func (u *UI) reportPage(r *request, ref reportRef, view *reportView) *page {
	p := u.newPage(r, view.Title, view)
	p.Crumbs = []crumb{{Label: r.lang.AppTitle(ref.app)}, {Label: view.Title, URL: ref.pageURL(r)}}
	return p
}

// reportTable is a report as the page shows it.
type reportTable struct {
	columns []reportColumn
	rows    []reportRow
	totals  []reportCell
}

// reportTable lays res out: group columns then measures; money with
// thousands separators and two decimals, expression measures with their
// scale, groups by their labels.
func (u *UI) reportTable(r *request, res *engine.ReportResult) reportTable {
	var t reportTable
	for _, col := range res.Columns {
		t.columns = append(t.columns, reportColumn{Label: u.columnLabel(r.lang, res, col), Numeric: !col.Group})
	}
	out := web.ReportJSON(res)
	jsonRows, _ := out["rows"].([]fiber.Map)
	for i, row := range res.Rows {
		t.rows = append(t.rows, reportRow{Cells: u.reportCells(r, res, row, jsonRows[i], false), Subtotal: row.Subtotal, Level: row.Level})
	}
	totals, _ := out["totals"].(fiber.Map)
	t.totals = u.reportCells(r, res, res.Totals, totals, len(res.Report.GroupBy) > 0)
	return t
}

// columnLabel is a column's heading in l: a group's field label, the state,
// or the measure's label.
func (u *UI) columnLabel(l Lang, res *engine.ReportResult, col engine.ReportColumn) string {
	if col.Group {
		if strings.Contains(col.Name, ".") {
			return col.Label
		}
		if f := col.Field; f != nil {
			return l.FieldLabel(f)
		}
		return l.T("list.state")
	}
	if col.Measure != nil && col.Measure.Label != "" {
		return col.Measure.Label
	}
	return col.Name
}

// reportCells is one row of the table; the totals row says so in its first
// group column.
func (u *UI) reportCells(r *request, res *engine.ReportResult, row engine.ReportRow, text fiber.Map, totals bool) []reportCell {
	var cells []reportCell
	drill := ""
	if !r.public {
		// Every figure links to the records behind it: the entity's list
		// with the filter that selects them.
		drill = listURL(res.Entity) + "?filter=" + url.QueryEscape(res.DrillFilter(row, !totals))
	}
	labelled := false
	for i, col := range res.Columns {
		if col.Group {
			if totals {
				c := reportCell{}
				if i == 0 {
					c.Text = r.lang.T("report.total")
				}
				cells = append(cells, c)
				continue
			}
			if _, set := row.Values[col.Name]; row.Subtotal && !set {
				c := reportCell{}
				if !labelled {
					c.Text, labelled = r.lang.T("report.subtotal"), true
				}
				cells = append(cells, c)
				continue
			}
			cells = append(cells, u.groupCell(r, res, col, row))
			continue
		}
		c := reportCell{Text: groupedText(text[col.Name]), Numeric: true, Blank: text[col.Name] == nil}
		if drill != "" && !c.Blank {
			c.URL = drill
		}
		cells = append(cells, c)
	}
	return cells
}

// groupCell shows a group key: a code with its name, an enum value or a
// state by its label, a reference linked to its record; an empty key says so.
func (u *UI) groupCell(r *request, res *engine.ReportResult, col engine.ReportColumn, row engine.ReportRow) reportCell {
	name := col.Name
	v := row.Values[name]
	if v == nil {
		return reportCell{Text: r.lang.T("report.blank"), Blank: true}
	}
	f := col.Field
	if f == nil { // the workflow state
		s, _ := v.(string)
		return reportCell{Text: StateLabel(col.Entity.Workflow, s)}
	}
	switch {
	case f.Is(metamodel.CodeRef):
		return reportCell{Code: fmt.Sprint(v), Text: row.Labels[name]}
	case f.Is(metamodel.RecordRef):
		if id, ok := v.(int64); ok && !r.public && f.Target != nil {
			text := "#" + strconv.FormatInt(id, 10)
			if name := row.Labels[name]; name != "" {
				text += " " + name
			}
			return reportCell{Text: text, URL: recordURL(f.Target, id)}
		}
	}
	return reportCell{Text: display(r.lang, f, v, u.opts.Location)}
}

// groupedText gives a measure's exact text thousands separators, keeping
// its digits: "1234567.80" → "1,234,567.80"; an empty measure (a rate that
// divided by zero) is a dash.
func groupedText(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		d, err := decimal.NewFromString(x)
		if err != nil {
			return x
		}
		scale := int32(0)
		if _, frac, ok := strings.Cut(x, "."); ok {
			scale = int32(len(frac))
		}
		return GroupDigits(d, scale)
	case int64:
		return GroupDigits(decimal.NewFromInt(x), 0)
	case int:
		return GroupDigits(decimal.NewFromInt(int64(x)), 0)
	case time.Time:
		return x.Format(time.DateOnly)
	}
	return fmt.Sprint(v)
}

// stateFilter is the workflow state's select on a list or report.
func stateFilter(l Lang, w *metamodel.Workflow, value string) filterInput {
	in := filterInput{Name: "f.state", Label: l.T("list.state"), Kind: "select", Value: value, Lang: l}
	in.Options = append(in.Options, option{Value: "", Label: l.T("list.any")})
	for _, s := range w.States {
		in.Options = append(in.Options, option{Value: s, Label: StateLabel(w, s), Selected: s == value})
	}
	if !slices.Contains(w.States, value) {
		in.Value = ""
	}
	return in
}

// appReports are the reports of a that actor may read, for the portal.
func (u *UI) appReports(actor engine.Actor, a *metamodel.App) []reportRef {
	var out []reportRef
	for _, rep := range a.Reports {
		ref := reportRef{app: a, report: rep, entity: a.Entity(rep.Entity)}
		if u.mayReadReport(actor, ref) {
			out = append(out, ref)
		}
	}
	return out
}

// pathField is the field a report names, directly or along refs; for a path
// a copy named by the whole path, so that its filter input and condition use
// the path.
func pathField(e *metamodel.Entity, name string) *metamodel.Field {
	_, _, f, err := metamodel.ResolvePath(e, name)
	if err != nil || f == nil {
		return nil
	}
	if strings.Contains(name, ".") {
		c := *f
		c.Name = name
		return &c
	}
	return f
}

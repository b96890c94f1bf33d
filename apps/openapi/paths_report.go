package openapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// Reports: GET /api/reports/{app}/{report} for every report, and
// GET /api/public/reports/{app}/{report} for the public ones. Both answer the
// same shape: the columns, one row per group and the totals row.

// reportName is the component schema of a report's answer, reportRowName
// that of one of its rows. The ".Report" suffix keeps them apart from an
// entity of the same name, whose schemas are "{app}.{entity}[.Suffix]".
func reportName(a *metamodel.App, r *metamodel.Report) string {
	return a.Name + "." + r.Name + ".Report"
}

func reportRowName(a *metamodel.App, r *metamodel.Report) string {
	return reportName(a, r) + "Row"
}

// addReportPaths adds report r of app a, and its public path when it is
// public.
func (b *builder) addReportPaths(a *metamodel.App, r *metamodel.Report) error {
	schemas := b.doc.Components.Schemas
	e := a.Entity(r.Entity)
	schemas.Set(reportRowName(a, r), reportRowSchema(e, r))
	schemas.Set(reportName(a, r), reportSchema(a, r))

	title := r.Title
	if title == "" {
		title = r.Name
	}
	grouping := "It has one row, the totals."
	if len(r.GroupBy) > 0 {
		grouping = "One row per group of `" + strings.Join(r.GroupBy, "`, `") + "`, ordered by them, then the totals."
	}
	where := ""
	if r.Where != "" {
		where = " Only records that match `" + r.Where + "` are counted."
	}
	op := &operation{
		Tags:        []string{a.Name},
		Summary:     "Report: " + title,
		Description: "Runs the report over the " + r.Entity + " records the caller may see (needs read on " + r.Entity + "). " + grouping + where,
		OperationID: "report_" + a.Name + "_" + r.Name,
		Parameters:  []*parameter{reportFilter(r.Filters, "")},
		Responses:   responses("200", "The report.", ref(reportName(a, r)), "400", "401", "403", "404", "500"),
	}
	if err := b.add("/api/reports/"+a.Name+"/"+r.Name, &pathItem{Get: op}); err != nil {
		return err
	}
	if !r.Public {
		return nil
	}
	var filters []string
	for _, f := range r.Filters {
		if slices.Contains(r.GroupBy, f) {
			filters = append(filters, f)
		}
	}
	pub := &operation{
		Tags:        []string{a.Name},
		Summary:     "Public report: " + title,
		Description: "Needs no token: the report over every " + r.Entity + " record, whoever asks (public disclosure). " + grouping + where + " Answers may be cached for a minute.",
		OperationID: "public_report_" + a.Name + "_" + r.Name,
		Parameters:  []*parameter{reportFilter(filters, " A public report may be filtered only on fields that are both group_by and filters.")},
		Responses: orderedResponses("200", &response{
			Description: "The report.",
			Headers:     map[string]*header{"Cache-Control": {Description: "public, max-age=60", Schema: &schema{Type: "string"}}},
			Content:     jsonBody(ref(reportName(a, r))),
		}),
		Security: public(),
	}
	errorRefs(pub.Responses, "400", "404", "500")
	return b.add("/api/public/reports/"+a.Name+"/"+r.Name, &pathItem{Get: pub})
}

// addReportColumnSchema adds the shared schema of a report's column.
func addReportColumnSchema(schemas *ordered[*schema]) {
	schemas.Set("ReportColumn", &schema{
		Type:     "object",
		Required: []string{"name", "label", "kind"},
		Properties: orderedOf(
			"name", &schema{Type: "string", Description: "The key of the column in every row."},
			"label", &schema{Type: "string", Description: "The column's title (zh-CN); empty for a measure without a label."},
			"kind", &schema{Type: "string", Enum: []string{"group", "measure"}, Description: "group: a value the rows are grouped by; measure: a value computed per group."},
		),
	})
}

// reportFilter is the filter parameter of a report that may be filtered on
// fields.
func reportFilter(fields []string, note string) *parameter {
	d := "A filter expression (docs/filter.md)"
	if len(fields) > 0 {
		d += " on `" + strings.Join(fields, "`, `") + "`, e.g. `" + fields[0] + " = …`; any other field is refused (400)."
	} else {
		d += "; this report declares no filters, so any filter is refused (400)."
	}
	return &parameter{Name: "filter", In: "query", Description: d + note, Schema: &schema{Type: "string"}}
}

// reportSchema is the answer of report r.
func reportSchema(a *metamodel.App, r *metamodel.Report) *schema {
	var cols []string
	for _, g := range r.GroupBy {
		cols = append(cols, "`"+g+"` (group)")
	}
	for _, m := range r.Measures {
		cols = append(cols, "`"+m.Name+"`")
	}
	title := r.Title
	if title == "" {
		title = r.Name
	}
	return &schema{
		Type:        "object",
		Title:       title,
		Description: "The columns, in order: " + strings.Join(cols, ", ") + ". totals sums the sum, count and balance measures over every row (min and max: the least and greatest), computes the expressions from those, and has null groups.",
		Required:    []string{"report", "title", "columns", "rows", "totals"},
		Properties: orderedOf(
			"report", &schema{Type: "string", Enum: []string{r.Name}},
			"title", &schema{Type: "string"},
			"columns", &schema{Type: "array", Items: ref("ReportColumn"), Description: "The groups, then the measures."},
			"rows", &schema{Type: "array", Items: ref(reportRowName(a, r)), Description: "One row per group, ordered by the groups; empty when the report has no groups."},
			"totals", ref(reportRowName(a, r)),
		),
	}
}

// reportRowSchema is one row of report r over entity e: every column is
// present, a group that has no value and every group of the totals row
// being null.
func reportRowSchema(e *metamodel.Entity, r *metamodel.Report) *schema {
	props := newOrdered[*schema]()
	labels := newOrdered[*schema]()
	var required []string
	for _, g := range r.GroupBy {
		s, labelled := groupSchema(e, g)
		s.Nullable = true
		props.Set(g, s)
		if labelled {
			labels.Set(g, &schema{Type: "string"})
		}
		required = append(required, g)
	}
	for _, m := range r.Measures {
		s := measureSchema(e, m)
		if m.Label != "" {
			s.Title = m.Label
		}
		props.Set(m.Name, s)
		required = append(required, m.Name)
	}
	if len(labels.keys) > 0 {
		props.Set("_labels", &schema{Type: "object", Properties: labels,
			Description: "Display labels of the row's code, enum and state groups; left out when the row has none (always in the totals row)."})
	}
	return &schema{
		Type:        "object",
		Description: "Money and decimals are exact decimal strings; counts, and sums of int fields, are integers.",
		Properties:  props,
		Required:    required,
	}
}

// groupSchema describes the values of group g, as a record sends that field,
// and whether the row labels them.
func groupSchema(e *metamodel.Entity, g string) (*schema, bool) {
	if e == nil {
		return &schema{}, false
	}
	if f := e.Field(g); f != nil {
		s := typeSchema(f, everyField)
		s.Title = f.DisplayLabel()
		return s, metamodel.HasLabels(f)
	}
	if g == "state" && e.Workflow != nil {
		return &schema{Type: "string", Title: "状态", Enum: append([]string(nil), e.Workflow.States...)}, true
	}
	return &schema{}, false
}

// measureSchema describes the values of measure m: a count is an integer;
// money, decimals, balances and expressions are exact decimal strings with
// their scale; the sum, min or max of an int field is an integer.
func measureSchema(e *metamodel.Entity, m *metamodel.Measure) *schema {
	switch {
	case m.Agg == "count":
		return &schema{Type: "integer", Format: "int64", Description: "The number of records."}
	case m.Balance != "":
		s := decimalOfScale(2)
		s.Description = joinText(s.Description, "The sum of the records' "+m.Balance+" ledger amounts; 0.00 for a record whose account is not open.")
		return s
	case m.Expr != "":
		scale := m.Scale
		if scale <= 0 {
			scale = 2
		}
		s := decimalOfScale(scale)
		s.Nullable = true
		s.Description = joinText(s.Description, "`"+m.Expr+"`, computed from the row's other measures; null when it divides by zero.")
		return s
	}
	var f *metamodel.Field
	if e != nil {
		f = e.Field(m.Field)
	}
	what := fmt.Sprintf("The %s of `%s`", m.Agg, m.Field)
	if f == nil || f.Kind == nil {
		return &schema{Nullable: true, Description: what + "."}
	}
	var s *schema
	switch col := f.Kind.Column(f); col.Kind {
	case metamodel.ColumnScaled:
		s = decimalOfScale(col.Scale)
	case metamodel.ColumnInt:
		s = &schema{Type: "integer", Format: "int64"}
	case metamodel.ColumnText:
		s = &schema{Type: "string"}
	case metamodel.ColumnDate, metamodel.ColumnTimestamp:
		// The engine passes the min or max of a date through as the database
		// driver returns it: SQLite's stored text, PostgreSQL's timestamp.
		s = &schema{Type: "string", Description: "The value as the database returns it: 2026-03-01 on SQLite, 2026-03-01T00:00:00Z on PostgreSQL."}
	default:
		s = &schema{Description: fmt.Sprintf("A %s field: the value as the database returns it.", f.Type)}
	}
	s.Nullable = true
	s.Description = joinText(s.Description, what+"; null when no record of the group has a value.")
	return s
}

package ui

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/render"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// A report exports as the page shows it, with its filters: one row per
// group and the totals row last. A code group gives two columns, the code
// and its name; enums and states come by label. Measures are the API's
// exact text (web.ReportJSON): in CSV as that text ("1234567.80"), in Excel
// as numbers (see excelNumber), amounts formatted #,##0.00 and other
// decimals with their scale. Whoever may read a report may export it: the
// file holds exactly the figures of the page (the entity's export right
// guards record-by-record dumps, which a report is not).

// reportExportColumn is one column of an exported report.
type reportExportColumn struct {
	Label  string
	column engine.ReportColumn
	name   bool // a code group's name rather than its code
	level  bool // the row's level (reports with levels)
}

// reportExport runs the request's report for an export.
func (u *UI) reportExport(r *request) (reportRef, *engine.ReportResult, error) {
	ref, err := u.findReport(r)
	if err != nil {
		return ref, nil, err
	}
	if r.public && !ref.report.Public {
		return ref, nil, engine.NotFound("公开报表 %s/%s", ref.app.Name, ref.report.Name)
	}
	inputs, cond, ok := u.reportFilters(r, ref)
	if !ok {
		return ref, nil, &engine.BadQueryError{Param: "filter", Message: firstFilterError(inputs)}
	}
	res, err := u.runReport(r, ref, cond)
	return ref, res, err
}

func (u *UI) reportExportColumns(l Lang, res *engine.ReportResult) []reportExportColumn {
	var cols []reportExportColumn
	if len(res.Report.Levels) > 0 {
		// Which rows are subtotals, and of which level: 1 for the first key
		// (a 类), the deepest level for the rows themselves.
		cols = append(cols, reportExportColumn{Label: l.pick("层级", "Level"), level: true})
	}
	for _, col := range res.Columns {
		label := u.columnLabel(l, res, col)
		cols = append(cols, reportExportColumn{Label: label, column: col})
		if f := col.Field; col.Group && f != nil && f.Is(metamodel.CodeRef) {
			cols = append(cols, reportExportColumn{Label: label + l.pick("名称", " name"), column: col, name: true})
		}
	}
	return cols
}

// reportExportRows are the rows of the export as values: group keys as
// text, measures as the API's text, nil where empty. The totals row is last.
func (u *UI) reportExportRows(l Lang, res *engine.ReportResult, cols []reportExportColumn) [][]any {
	out := web.ReportJSON(res)
	jsonRows, _ := out["rows"].([]fiber.Map)
	totals, _ := out["totals"].(fiber.Map)
	var rows [][]any
	for i, row := range res.Rows {
		values := make([]any, len(cols))
		labelled := false
		for j, c := range cols {
			if c.level {
				values[j] = int64(row.Level)
				continue
			}
			if _, set := row.Values[c.column.Name]; c.column.Group && row.Subtotal && !set {
				if !labelled {
					values[j], labelled = l.T("report.subtotal"), true
				}
				continue
			}
			if c.column.Group {
				values[j] = u.groupText(l, res, c, row)
			} else {
				values[j] = jsonRows[i][c.column.Name]
			}
		}
		rows = append(rows, values)
	}
	values := make([]any, len(cols))
	for j, c := range cols {
		switch {
		case c.level && j == 0:
			values[j] = l.T("report.total")
		case c.level:
		case !c.column.Group:
			values[j] = totals[c.column.Name]
		case j == 0:
			values[j] = l.T("report.total")
		}
	}
	return append(rows, values)
}

// groupText is a group key in an export: a code as its code (its name in
// the next column), an enum value or a state by label, dates as dates.
func (u *UI) groupText(l Lang, res *engine.ReportResult, c reportExportColumn, row engine.ReportRow) any {
	v := row.Values[c.column.Name]
	if v == nil {
		return nil
	}
	f := c.column.Field
	if f == nil {
		s, _ := v.(string)
		return StateLabel(c.column.Entity.Workflow, s)
	}
	switch x := v.(type) {
	case decimal.Decimal:
		return x.StringFixed(scaleOf(f, x))
	case int64:
		if f.Is(metamodel.RecordRef) {
			return strconv.FormatInt(x, 10)
		}
		return x
	case string:
		if f.Is(metamodel.CodeRef) {
			if c.name {
				return row.Labels[c.column.Name]
			}
			return x
		}
	}
	return display(l, f, v, u.opts.Location)
}

// plainNumber is a number as the reports write it: -12.50, 3.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func exportText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format(time.DateOnly)
	}
	return fmt.Sprint(v)
}

func (u *UI) reportCSV(r *request) error {
	ref, res, err := u.reportExport(r)
	if err != nil {
		return err
	}
	cols := u.reportExportColumns(r.lang, res)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Label
	}
	buf, w := newCSV(header)
	for _, row := range u.reportExportRows(r.lang, res, cols) {
		line := make([]string, len(row))
		for i, v := range row {
			line[i] = exportText(v)
			if cols[i].column.Group || !plainNumber.MatchString(line[i]) {
				// Group keys and the totals row's label are text; a
				// measure that is a number is written as it is.
				line[i] = render.SafeCSVText(line[i])
			}
		}
		_ = w.Write(line)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	attachment(r.c, ref.app.Name+"-"+ref.report.Name, reportTitle(ref.report), "csv", u.opts.Location)
	r.c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	return r.c.Send(buf.Bytes())
}

func (u *UI) reportXLSX(r *request) error {
	ref, res, err := u.reportExport(r)
	if err != nil {
		return err
	}
	cols := u.reportExportColumns(r.lang, res)
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF6"}}})
	styles := map[string]int{}
	style := func(format string, total bool) int {
		key := format + strconv.FormatBool(total)
		if id, ok := styles[key]; ok {
			return id
		}
		s := &excelize.Style{}
		if format != "" {
			s.CustomNumFmt = &format
		}
		if total {
			s.Font = &excelize.Font{Bold: true}
		}
		id, _ := f.NewStyle(s)
		styles[key] = id
		return id
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: bold, Value: c.Label}
		width := 14.0
		if c.name || (c.column.Group && len(cols) < 8) {
			width = 24
		}
		_ = sw.SetColWidth(i+1, i+1, width)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	rows := u.reportExportRows(r.lang, res, cols)
	for i, row := range rows {
		total := i == len(rows)-1 || i < len(res.Rows) && res.Rows[i].Subtotal
		values := make([]any, len(row))
		for j, v := range row {
			c := cols[j]
			if n, ok := v.(int64); ok && c.column.Group {
				values[j] = excelize.Cell{StyleID: style("", total), Value: n}
				continue
			}
			if c.column.Group {
				values[j] = excelize.Cell{StyleID: style("", total), Value: exportText(v)}
				continue
			}
			values[j] = measureCell(v, total, style)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	attachment(r.c, ref.app.Name+"-"+ref.report.Name, reportTitle(ref.report), "xlsx", u.opts.Location)
	r.c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	return r.c.Send(buf.Bytes())
}

// measureCell is a measure as an Excel number: amounts #,##0.00, other
// decimals with as many places as the API's text, counts as integers.
func measureCell(v any, total bool, style func(string, bool) int) any {
	switch x := v.(type) {
	case nil:
		return excelize.Cell{StyleID: style("", total)}
	case string:
		d, err := decimal.NewFromString(x)
		if err != nil {
			return excelize.Cell{StyleID: style("", total), Value: x}
		}
		places := 0
		if _, frac, ok := strings.Cut(x, "."); ok {
			places = len(frac)
		}
		format := "#,##0"
		if places > 0 {
			format += "." + strings.Repeat("0", places)
		}
		return excelize.Cell{StyleID: style(format, total), Value: excelNumber(d)}
	case int64:
		return excelize.Cell{StyleID: style("", total), Value: x}
	}
	return excelize.Cell{StyleID: style("", total), Value: exportText(v)}
}

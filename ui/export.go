package ui

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/engine/render"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// Exports write the records of the current list filter, as the user sees
// them: they read through rt.List with the user as actor, so the data scope
// applies and hidden fields are left out, page by page in id order (keyset
// paging, so that records added meanwhile neither repeat nor shift pages). A
// result larger than the export limit is refused with a message to narrow
// the filter, never cut off silently. Amounts keep their exact decimals: in
// CSV as text ("1234567.89"), in Excel as numbers with two decimals shown.

// exportColumn is one column of an export; a code field has two: the code,
// and its name.
type exportColumn struct {
	Label  string
	field  *metamodel.Field
	name   bool   // the code's name rather than the code
	system string // id, state, created_by, created_at or updated_at
}

func (u *UI) exportColumns(r *request, e *metamodel.Entity) []exportColumn {
	cols := []exportColumn{{Label: "ID", system: "id"}}
	if e.Workflow != nil {
		cols = append(cols, exportColumn{Label: r.lang.T("list.state"), system: "state"})
	}
	for _, f := range e.Fields {
		if u.rt.Access.Hidden(r.actor, e, f.Name) {
			continue
		}
		label := r.lang.FieldLabel(f)
		cols = append(cols, exportColumn{Label: label, field: f})
		if f.Is(metamodel.CodeRef) {
			cols = append(cols, exportColumn{Label: label + r.lang.pick("名称", " name"), field: f, name: true})
		}
	}
	return append(cols, exportColumn{Label: r.lang.T("record.createdby"), system: "created_by"},
		exportColumn{Label: r.lang.T("record.createdat"), system: "created_at"}, exportColumn{Label: r.lang.T("record.updatedat"), system: "updated_at"})
}

// exportRecords calls fn with every record of the request's filter.
func (u *UI) exportRecords(r *request, e *metamodel.Entity, fn func(*engine.Record) error) error {
	if !u.rt.Access.Can(r.actor, e, "export") {
		return engine.Forbidden("您无权导出%s", entityText(e))
	}
	inputs, cond, ok := u.listCondition(r, e)
	if !ok {
		return &engine.BadQueryError{Param: "filter", Message: firstFilterError(inputs)}
	}
	ctx := r.c.UserContext()
	base := ""
	if cond != nil {
		base = cond.String()
	}
	search := strings.TrimSpace(r.c.Query("q"))
	count, err := u.rt.List(ctx, r.actor, e.App.Name, e.Name, engine.ListQuery{Filter: base, PageSize: 1, Total: true, Search: search})
	if err != nil {
		return err
	}
	if *count.Total > int64(u.opts.ExportLimit) {
		return &engine.BadQueryError{Param: "filter", Message: r.lang.T("error.export.toobig", *count.Total, u.opts.ExportLimit)}
	}
	// A sort chosen on the list is the export's order: pages in that order
	// (ties by id, so pages neither repeat nor skip while nothing changes).
	if sortKey := r.c.Query("sort"); sortKey != "" && validSort(sortKey, e, u.listFields(r.actor, e)) {
		for page := 1; (page-1)*engine.MaxPageSize <= u.opts.ExportLimit; page++ {
			res, err := u.rt.List(ctx, r.actor, e.App.Name, e.Name, engine.ListQuery{Filter: base, Search: search, Sort: sortKey, Page: page, PageSize: engine.MaxPageSize})
			if err != nil {
				return err
			}
			for _, rec := range res.Items {
				if err := fn(rec); err != nil {
					return err
				}
			}
			if !res.HasMore {
				return nil
			}
		}
	}
	var last int64
	for written := 0; written <= u.opts.ExportLimit; {
		after := &filter.Compare{Field: "id", Op: filter.Gt, Value: filter.Value{Kind: filter.Number, Text: strconv.FormatInt(last, 10)}}
		var page filter.Node = after
		if cond != nil {
			page = &filter.And{Terms: []filter.Node{cond, after}}
		}
		res, err := u.rt.List(ctx, r.actor, e.App.Name, e.Name, engine.ListQuery{Filter: page.String(), Search: search, Sort: "id", PageSize: engine.MaxPageSize})
		if err != nil {
			return err
		}
		for _, rec := range res.Items {
			if err := fn(rec); err != nil {
				return err
			}
			last = rec.ID
			written++
		}
		if !res.HasMore {
			return nil
		}
	}
	return nil
}

// cellText is a column's value as text: amounts plain ("1234567.89"), codes
// as codes (their names in the next column), enums and states by label.
func (u *UI) cellText(r *request, e *metamodel.Entity, col exportColumn, rec *engine.Record) string {
	switch {
	case col.system != "":
		switch col.system {
		case "id":
			return strconv.FormatInt(rec.ID, 10)
		case "state":
			return StateLabel(e.Workflow, rec.State)
		case "created_by":
			return rec.CreatedBy
		case "created_at":
			return rec.CreatedAt.In(u.opts.Location).Format("2006-01-02 15:04:05")
		}
		return rec.UpdatedAt.In(u.opts.Location).Format("2006-01-02 15:04:05")
	case col.name:
		return display(r.lang, col.field, rec.Values[col.field.Name], u.opts.Location)
	}
	f := col.field
	v := rec.Values[f.Name]
	switch x := v.(type) {
	case nil:
		return ""
	case decimal.Decimal:
		return x.StringFixed(scaleOf(f, x))
	case string:
		if f.Is(metamodel.CodeRef) {
			return x
		}
	}
	return display(r.lang, f, v, u.opts.Location)
}

func (u *UI) exportCSV(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	cols := u.exportColumns(r, e)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Label
	}
	buf, w := newCSV(header)
	err = u.exportRecords(r, e, func(rec *engine.Record) error {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = u.cellText(r, e, c, rec)
			if !numericCell(c, rec) {
				row[i] = render.SafeCSVText(row[i])
			}
		}
		return w.Write(row)
	})
	if err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	attachment(r.c, e.App.Name+"-"+e.Name, r.lang.EntityTitle(e), "csv", u.opts.Location)
	r.c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	return r.c.Send(buf.Bytes())
}

func (u *UI) exportXLSX(r *request) error {
	e, err := u.rt.Entity(r.c.Params("app"), r.c.Params("entity"))
	if err != nil {
		return err
	}
	cols := u.exportColumns(r, e)
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	moneyFormat := "#,##0.00"
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF6"}}})
	money, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFormat})
	dateFormat := "yyyy-mm-dd"
	date, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat})
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: bold, Value: c.Label}
		width := 14.0
		if c.field != nil && (c.field.Is(metamodel.LongText) || c.name) {
			width = 28
		}
		_ = sw.SetColWidth(i+1, i+1, width)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	row := 1
	err = u.exportRecords(r, e, func(rec *engine.Record) error {
		row++
		values := make([]any, len(cols))
		for i, c := range cols {
			values[i] = u.excelCell(r, e, c, rec, money, date)
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, values)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	attachment(r.c, e.App.Name+"-"+e.Name, r.lang.EntityTitle(e), "xlsx", u.opts.Location)
	r.c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	return r.c.Send(buf.Bytes())
}

// excelCell is a column's value as an Excel cell: amounts and integers as
// numbers, dates as dates, the rest as text.
func (u *UI) excelCell(r *request, e *metamodel.Entity, col exportColumn, rec *engine.Record, money, date int) any {
	if col.system == "id" {
		return rec.ID
	}
	if col.field == nil {
		return u.cellText(r, e, col, rec)
	}
	if col.name {
		return u.cellText(r, e, col, rec)
	}
	switch v := rec.Values[col.field.Name].(type) {
	case decimal.Decimal:
		style := 0
		if isMoney(col.field) {
			style = money
		}
		return excelize.Cell{StyleID: style, Value: excelNumber(v)}
	case int64:
		return v
	case time.Time:
		if isDate(col.field) && !col.field.Computed() {
			return excelize.Cell{StyleID: date, Value: v}
		}
	}
	return u.cellText(r, e, col, rec)
}

// excelNumber is an amount as the number an Excel cell holds. Excel stores
// numbers as binary doubles, and excelize writes the shortest decimal text
// that reads back as the same double; for a value of at most 15 significant
// digits that text is exactly the value (every amount the platform stores
// fits: decimals are capped at 15 digits). A longer value is written as text
// rather than rounded.
func excelNumber(d decimal.Decimal) any {
	digits := len(strings.TrimLeft(d.Coefficient().String(), "-0"))
	if digits > 15 {
		return d.String()
	}
	f, _ := d.Float64()
	return f
}

// attachment names the download: an ASCII name (app-entity, app-report)
// for old clients and the title for the others.
func attachment(c *fiber.Ctx, ascii, title, ext string, loc *time.Location) {
	stamp := time.Now().In(loc).Format("20060102-1504")
	ascii = fmt.Sprintf("%s-%s.%s", ascii, stamp, ext)
	utf := fmt.Sprintf("%s-%s.%s", title, stamp, ext)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(utf)))
}

// numericCell reports whether col of rec is written as a number (the id,
// an int, decimal or money value), which render.SafeCSVText leaves alone: -12.50
// is an amount, not a formula.
func numericCell(col exportColumn, rec *engine.Record) bool {
	if col.system == "id" {
		return true
	}
	if col.field == nil || col.name {
		return false
	}
	switch rec.Values[col.field.Name].(type) {
	case decimal.Decimal, int64:
		return true
	}
	return false
}

// newCSV starts a CSV file for Excel users: a UTF-8 byte order mark (so that
// Excel reads it as UTF-8), CRLF line ends, and the header row.
func newCSV(header []string) (*bytes.Buffer, *csv.Writer) {
	buf := &bytes.Buffer{}
	buf.WriteString("\ufeff")
	w := csv.NewWriter(buf)
	w.UseCRLF = true
	safe := make([]string, len(header))
	for i, h := range header {
		safe[i] = render.SafeCSVText(h)
	}
	_ = w.Write(safe)
	return buf, w
}

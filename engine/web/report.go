package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// ReportJSON renders a report result as the API answers it; the web UI reads
// measures from it too, so that a page, an export and the API show the same
// text.
func ReportJSON(res *engine.ReportResult) fiber.Map {
	cols := make([]fiber.Map, len(res.Columns))
	for i, col := range res.Columns {
		kind := "measure"
		if col.Group {
			kind = "group"
		}
		cols[i] = fiber.Map{"name": col.Name, "label": col.Label, "kind": kind}
		if len(col.Widths) > 0 {
			cols[i]["levels"] = col.Widths
		}
	}
	render := func(row engine.ReportRow) fiber.Map {
		out := fiber.Map{}
		for _, col := range res.Columns {
			v := row.Values[col.Name]
			switch {
			case col.Group:
				if v != nil {
					if f := col.Field; f != nil {
						v = f.Kind.JSON(f, v)
					}
				}
			case v != nil:
				f := measureField(res, col)
				if f != nil && (col.Measure.Agg == "min" || col.Measure.Agg == "max") {
					if _, isDec := v.(decimal.Decimal); !isDec {
						v = f.Kind.JSON(f, v)
						break
					}
				}
				if d, ok := v.(decimal.Decimal); ok {
					scale := int32(2)
					if col.Measure.Expr != "" && col.Measure.Scale > 0 {
						scale = int32(col.Measure.Scale)
					} else if f != nil && col.Measure.Agg != "" {
						scale = int32(f.Kind.Column(f).Scale)
					}
					v = d.StringFixed(scale)
				}
			}
			out[col.Name] = v
		}
		if len(row.Labels) > 0 {
			out["_labels"] = row.Labels
		}
		if row.Subtotal {
			out["_subtotal"] = row.Level
		}
		if len(row.Under) > 0 {
			out["_under"] = row.Under
		}
		return out
	}
	rows := make([]fiber.Map, len(res.Rows))
	for i, row := range res.Rows {
		rows[i] = render(row)
	}
	return fiber.Map{"report": res.Report.Name, "title": res.Report.Title, "columns": cols, "rows": rows, "totals": render(res.Totals)}
}

// measureField is the field a measure aggregates, reached along its path; nil
// for counts, balances, movements and expressions.
func measureField(res *engine.ReportResult, col engine.ReportColumn) *metamodel.Field {
	if col.Measure == nil || col.Measure.Field == "" {
		return nil
	}
	_, _, f, _ := metamodel.ResolvePath(res.Entity, col.Measure.Field)
	return f
}

package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/shopspring/decimal"
)

// DrillFilter is the list filter that selects the records behind a row of
// res: the report's where, the reader's filter, and the row's group keys (a
// code standing for a level as `under`, an empty key as `is null`). For the
// totals row (keys false) only the where and the filter. Its text parses in
// the filter language of lists, paths included.
func (res *ReportResult) DrillFilter(row ReportRow, keys bool) string {
	var terms []string
	for _, src := range []string{res.Report.Where, res.Filter} {
		if strings.TrimSpace(src) == "" {
			continue
		}
		if n, err := filter.Parse(src); err == nil {
			if _, or := n.(*filter.Or); or {
				terms = append(terms, "("+n.String()+")")
			} else {
				terms = append(terms, n.String())
			}
		}
	}
	if keys {
		for _, col := range res.Columns {
			if !col.Group {
				continue
			}
			v, set := row.Values[col.Name]
			if row.Subtotal && !set {
				continue // beyond the subtotal's keys
			}
			var n filter.Node
			switch {
			case v == nil:
				n = &filter.IsNull{Field: col.Name}
			case row.Under[col.Name]:
				n = &filter.Under{Field: col.Name, Code: filter.Value{Kind: filter.String, Text: fmt.Sprint(v)}}
			default:
				n = &filter.Compare{Field: col.Name, Op: filter.Eq, Value: drillValue(v)}
			}
			terms = append(terms, n.String())
		}
	}
	return strings.Join(terms, " and ")
}

func drillValue(v any) filter.Value {
	switch x := v.(type) {
	case int64:
		return filter.Value{Kind: filter.Number, Text: fmt.Sprint(x)}
	case decimal.Decimal:
		return filter.Value{Kind: filter.Number, Text: x.String()}
	case bool:
		return filter.Value{Kind: filter.Bool, Text: fmt.Sprint(x)}
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return filter.Value{Kind: filter.String, Text: x.Format(time.DateOnly)}
		}
		return filter.Value{Kind: filter.String, Text: x.Format(time.RFC3339Nano)}
	}
	return filter.Value{Kind: filter.String, Text: fmt.Sprint(v)}
}

package engine

import (
	"strconv"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// RecordParams supplies a filter's $name parameters from rec's fields (and id,
// state, created_by): "agency = $agency" finds the records of rec's agency.
// An empty field is its type's zero value, as in expressions.
func RecordParams(e *metamodel.Entity, rec *Record) filter.Params {
	return func(name string) (filter.Value, bool) {
		switch name {
		case "id":
			return filter.Value{Kind: filter.Number, Text: strconv.FormatInt(rec.ID, 10)}, true
		case "state":
			return filter.Value{Kind: filter.String, Text: rec.State}, true
		case "created_by":
			return filter.Value{Kind: filter.String, Text: rec.CreatedBy}, true
		}
		f := e.Field(name)
		if f == nil {
			return filter.Value{}, false
		}
		v := rec.Values[name]
		if v == nil {
			v = f.Kind.Zero(f)
		}
		return paramValue(v), true
	}
}

func paramValue(v any) filter.Value {
	switch x := v.(type) {
	case string:
		return filter.Value{Kind: filter.String, Text: x}
	case int64:
		return filter.Value{Kind: filter.Number, Text: strconv.FormatInt(x, 10)}
	case int:
		return filter.Value{Kind: filter.Number, Text: strconv.Itoa(x)}
	case decimal.Decimal:
		return filter.Value{Kind: filter.Number, Text: x.String()}
	case bool:
		return filter.Value{Kind: filter.Bool, Text: strconv.FormatBool(x)}
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return filter.Value{Kind: filter.String, Text: x.Format(time.DateOnly)}
		}
		return filter.Value{Kind: filter.String, Text: x.UTC().Format(time.RFC3339)}
	}
	return filter.Value{Kind: filter.String}
}

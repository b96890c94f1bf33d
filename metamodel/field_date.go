package metamodel

import (
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// dateType is a calendar date (no time of day, no zone), written 2006-01-02.
type dateType struct{}

func init() { RegisterFieldType(dateType{}) }

func (dateType) Name() string                 { return "date" }
func (dateType) Setup(f *Field, ps *Problems) { OnlyKeys(f, ps) }
func (dateType) Column(f *Field) Column       { return Column{Kind: ColumnDate} }

func (dateType) Parse(f *Field, in any) (any, error) {
	switch v := in.(type) {
	case time.Time:
		t := time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
		return t, checkYear(t)
	case string:
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
		if err != nil {
			return nil, inputErr(errcode.Type, "日期格式应为 YYYY-MM-DD，收到 %q", v)
		}
		return t, checkYear(t)
	}
	return nil, inputErr(errcode.Type, "日期格式应为 YYYY-MM-DD")
}

func (dateType) Validate(f *Field, v any) error { return checkYear(v.(time.Time)) }
func (dateType) JSON(f *Field, v any) any       { return v.(time.Time).Format(time.DateOnly) }
func (dateType) Zero(f *Field) any              { return time.Time{} }

// MinYear and MaxYear bound the dates and instants a field holds, the same on
// every database (PostgreSQL has no year 0; SQLite would store it as text).
const (
	MinYear = 1
	MaxYear = 9999
)

// checkYear refuses a date or instant outside years MinYear..MaxYear (UTC).
func checkYear(t time.Time) error {
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		return inputErr(errcode.OutOfRange, "日期须在 0001-01-01 至 9999-12-31 之间，收到 %s", t.UTC().Format(time.DateOnly))
	}
	return nil
}

// ListFilter is a range of dates; lists offer one on every date.
func (dateType) ListFilter(f *Field) Filter { return Filter{Kind: "daterange", Always: true} }

func (dateType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	return ValueSchema{Type: "string", Format: "date", Example: "2026-01-02"}
}

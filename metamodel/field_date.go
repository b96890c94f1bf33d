package metamodel

import (
	"strings"
	"time"
)

// dateType is a calendar date (no time of day, no zone), written 2006-01-02.
type dateType struct{}

func init() { RegisterFieldType(dateType{}) }

func (dateType) Name() string                 { return "date" }
func (dateType) Setup(f *Field, ps *Problems) { onlyKeys(f, ps) }
func (dateType) Column(f *Field) Column       { return Column{Kind: ColumnDate} }

func (dateType) Parse(f *Field, in any) (any, error) {
	switch v := in.(type) {
	case time.Time:
		return time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC), nil
	case string:
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
		if err != nil {
			return nil, inputErr("type", "日期格式应为 YYYY-MM-DD，收到 %q", v)
		}
		return t, nil
	}
	return nil, inputErr("type", "日期格式应为 YYYY-MM-DD")
}

func (dateType) Validate(f *Field, v any) error { return nil }
func (dateType) JSON(f *Field, v any) any       { return v.(time.Time).Format(time.DateOnly) }
func (dateType) Zero(f *Field) any              { return time.Time{} }

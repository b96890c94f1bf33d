package metamodel

import (
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// datetimeType is an instant, written in RFC 3339 and kept in UTC.
type datetimeType struct{}

func init() { RegisterFieldType(datetimeType{}) }

func (datetimeType) Name() string                 { return "datetime" }
func (datetimeType) Setup(f *Field, ps *Problems) { OnlyKeys(f, ps) }
func (datetimeType) Column(f *Field) Column       { return Column{Kind: ColumnTimestamp} }

func (datetimeType) Parse(f *Field, in any) (any, error) {
	switch v := in.(type) {
	case time.Time:
		return v.UTC(), checkYear(v)
	case string:
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			return nil, inputErr(errcode.Type, "时间格式应为 RFC 3339（如 2026-01-02T15:04:05+08:00），收到 %q", v)
		}
		return t.UTC(), checkYear(t)
	}
	return nil, inputErr(errcode.Type, "时间格式应为 RFC 3339")
}

func (datetimeType) Validate(f *Field, v any) error { return checkYear(v.(time.Time)) }
func (datetimeType) JSON(f *Field, v any) any       { return v.(time.Time).UTC().Format(time.RFC3339) }
func (datetimeType) Zero(f *Field) any              { return time.Time{} }

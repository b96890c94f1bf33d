package metamodel

import (
	"strings"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// boolType is yes or no.
type boolType struct{}

func init() { RegisterFieldType(boolType{}) }

func (boolType) Name() string                 { return "bool" }
func (boolType) Setup(f *Field, ps *Problems) { OnlyKeys(f, ps) }
func (boolType) Column(f *Field) Column       { return Column{Kind: ColumnBool} }

// Parse takes JSON booleans, and from forms and CSV files the usual spellings.
func (boolType) Parse(f *Field, in any) (any, error) {
	switch v := in.(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "yes", "on", "是":
			return true, nil
		case "false", "0", "no", "off", "否", "":
			return false, nil
		}
	}
	return nil, inputErr(errcode.Type, "应为 true 或 false")
}

func (boolType) Validate(f *Field, v any) error { return nil }
func (boolType) JSON(f *Field, v any) any       { return v }
func (boolType) Zero(f *Field) any              { return false }

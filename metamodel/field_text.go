package metamodel

import (
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// textType is long free text (remarks, purposes), stored without a length limit
// but capped at 64k characters so that one request cannot fill the disk.
type textType struct{}

const maxTextRunes = 65535

func init() { RegisterFieldType(textType{}) }

func (textType) Name() string                        { return "text" }
func (textType) Setup(f *Field, ps *Problems)        { OnlyKeys(f, ps) }
func (textType) Traits(f *Field) Trait               { return Textual | LongText | Searchable }
func (textType) Column(f *Field) Column              { return Column{Kind: ColumnText} }
func (textType) Parse(f *Field, in any) (any, error) { return parseText(in) }
func (textType) JSON(f *Field, v any) any            { return v }
func (textType) Zero(f *Field) any                   { return "" }

func (textType) Validate(f *Field, v any) error {
	if n := utf8.RuneCountInString(v.(string)); n > maxTextRunes {
		return inputErr(errcode.TooLong, "最多 %d 个字符，当前 %d 个", maxTextRunes, n)
	}
	return nil
}

// Schema gives the limit the column does not: texts are unbounded there.
func (textType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	limit := maxTextRunes
	return ValueSchema{Type: "string", MaxLength: &limit}
}

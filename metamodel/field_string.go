package metamodel

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// stringType is a short single-line text with an optional length limit and pattern.
type stringType struct{}

type stringSettings struct {
	pattern *regexp.Regexp
}

func init() { RegisterFieldType(stringType{}) }

func (stringType) Name() string { return "string" }

func (stringType) Setup(f *Field, ps *Problems) {
	OnlyKeys(f, ps, "max_length", "pattern")
	s := &stringSettings{}
	if f.MaxLength < 0 {
		ps.Addf(f.At["max_length"], "field %s: max_length must be positive", f.where())
	}
	if f.Pattern != "" {
		re, err := regexp.Compile(`^(?:` + f.Pattern + `)$`)
		if err != nil {
			ps.Addf(f.At["pattern"], "field %s: pattern does not compile: %v", f.where(), err)
		}
		s.pattern = re
	}
	f.Settings = s
}

func (stringType) Column(f *Field) Column {
	size := f.MaxLength
	if size == 0 {
		size = 255
	}
	return Column{Kind: ColumnText, Size: size}
}

func (stringType) Parse(f *Field, in any) (any, error) { return parseText(in) }

func (stringType) Validate(f *Field, v any) error {
	s := v.(string)
	limit := f.MaxLength
	if limit == 0 {
		limit = 255
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return inputErr(errcode.TooLong, "最多 %d 个字符，当前 %d 个", limit, n)
	}
	if st, _ := f.Settings.(*stringSettings); st != nil && st.pattern != nil && !st.pattern.MatchString(s) {
		return inputErr(errcode.Pattern, "格式不正确")
	}
	return nil
}

func (stringType) JSON(f *Field, v any) any { return v }
func (stringType) Zero(f *Field) any        { return "" }

// parseText accepts only strings: a number where text is due is a client mistake
// worth reporting, not coercing.
func parseText(in any) (any, error) {
	s, ok := in.(string)
	if !ok {
		return nil, inputErr(errcode.Type, "应为文本")
	}
	if !utf8.ValidString(s) {
		return nil, inputErr(errcode.Type, "不是有效的 UTF-8 文本")
	}
	if strings.IndexByte(s, 0) >= 0 {
		// PostgreSQL cannot store a NUL byte in text; refused on every database.
		return nil, inputErr(errcode.NulCharacter, "不能包含 NUL 字符（\\u0000）")
	}
	return s, nil
}

// FormInput is a one-line input with the field's length and pattern.
func (stringType) FormInput(f *Field) Input {
	return Input{Widget: "text", MaxLength: stringType{}.Column(f).Size, Pattern: f.Pattern}
}

// Schema gives the length and the pattern, anchored: the platform matches
// the whole value (it compiles ^(?:pattern)$), a JSON Schema pattern
// anywhere.
func (stringType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	size := stringType{}.Column(f).Size
	s := ValueSchema{Type: "string", MaxLength: &size}
	if f.Pattern != "" {
		s.Pattern = "^(?:" + f.Pattern + ")$"
	}
	return s
}

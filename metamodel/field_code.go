package metamodel

import "fmt"

// codeType holds a code of a code set. Whether the code exists, is enabled, is
// valid in the record's fiscal year and is a leaf is checked with the record
// (CheckInRecord), since the year is another field.
type codeType struct{}

func init() { RegisterFieldType(codeType{}) }

func (codeType) Name() string { return "code" }

func (codeType) Setup(f *Field, ps *Problems) {
	OnlyKeys(f, ps, "codeset", "leaf_only")
	if f.CodeSet == "" {
		ps.Addf(f.Pos, "field %s: a code field needs codeset", f.where())
	}
}

// Resolve finds the code set the field names.
func (codeType) Resolve(f *Field, p *Project, ps *Problems) {
	if f.CodeSet == "" {
		return
	}
	f.Set = p.CodeSet(f.CodeSet)
	if f.Set == nil {
		hint := suggest(f.CodeSet, codeSetNames(p))
		if hint == "" {
			hint = " (code sets are defined under codesets: in any app folder)"
		}
		ps.Addf(f.At["codeset"], "field %s: code set %q does not exist%s", f.where(), f.CodeSet, hint)
	}
}

func (codeType) Traits(f *Field) Trait               { return CodeRef | Searchable }
func (codeType) Column(f *Field) Column              { return Column{Kind: ColumnText, Size: 64} }
func (codeType) Parse(f *Field, in any) (any, error) { return parseText(in) }
func (codeType) Validate(f *Field, v any) error      { return nil }
func (codeType) JSON(f *Field, v any) any            { return v }
func (codeType) Zero(f *Field) any                   { return "" }

// CheckInRecord checks that the code is in the set, enabled, valid in the
// fiscal year the record's year_field holds (any year without one) and a
// leaf where the field takes leaf codes only. The error wraps ErrUnknownCode,
// ErrCodeDisabled, ErrCodeNotValid or ErrCodeNotLeaf.
func (codeType) CheckInRecord(f *Field, v any, values map[string]any) error {
	if f.Set == nil {
		return nil
	}
	year := 0
	if f.Owner != nil && f.Owner.YearField != "" {
		if y, ok := values[f.Owner.YearField].(int64); ok {
			year = int(y)
		}
	}
	return f.Set.CheckCode(v.(string), year, f.LeafOnly)
}

// Label is the code's name (code sets name their codes in Chinese).
func (codeType) Label(f *Field, v string, en bool) (string, bool) {
	if f.Set != nil {
		if n := f.Set.Lookup(v); n != nil {
			return n.Name, true
		}
	}
	return "", false
}

func (codeType) FormInput(f *Field) Input   { return Input{Widget: "code"} }
func (codeType) ListFilter(f *Field) Filter { return Filter{Kind: "code"} }

// ImportHint names the code set.
func (codeType) ImportHint(f *Field, en bool) string {
	cs := f.Set
	if cs == nil {
		return ""
	}
	title := cs.Title
	if en && cs.TitleEn != "" {
		title = cs.TitleEn
	}
	if title == "" {
		title = cs.Name
	}
	return fmt.Sprintf(pick(en, "代码集“%s”中的代码", "A code of the code set %s"), title)
}

// Schema names the code set and what a code must be.
func (codeType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	set := f.CodeSet
	if f.Set != nil {
		set = fmt.Sprintf("%s (`%s`)", f.Set.Label(), f.Set.Name)
	}
	desc := "A code of code set " + set + "; it must be enabled"
	if f.Owner != nil && f.Owner.YearField != "" {
		desc += " and valid in the record's " + f.Owner.YearField
	}
	if f.LeafOnly {
		desc += "; leaf codes only (leaf_only)"
	}
	size := codeType{}.Column(f).Size
	return ValueSchema{Type: "string", MaxLength: &size, Description: desc + ".", CodeSet: f.CodeSet}
}

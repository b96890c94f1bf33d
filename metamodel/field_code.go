package metamodel

// codeType holds a code of a code set. Whether the code exists, is enabled, is
// valid in the record's fiscal year and is a leaf is checked with the record
// (ValidateRecord), since the year is another field.
type codeType struct{}

func init() { RegisterFieldType(codeType{}) }

func (codeType) Name() string { return "code" }

func (codeType) Setup(f *Field, ps *Problems) {
	onlyKeys(f, ps, "codeset", "leaf_only")
	if f.CodeSet == "" {
		ps.Addf(f.Pos, "field %s: a code field needs codeset", f.where())
	}
}

func (codeType) Column(f *Field) Column              { return Column{Kind: ColumnText, Size: 64} }
func (codeType) Parse(f *Field, in any) (any, error) { return parseText(in) }
func (codeType) Validate(f *Field, v any) error      { return nil }
func (codeType) JSON(f *Field, v any) any            { return v }
func (codeType) Zero(f *Field) any                   { return "" }

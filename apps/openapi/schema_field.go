package openapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// fieldSchemaFunc describes the values of one field type, as the API sends and
// takes them, without the field's label, help or read-only flag (fieldSchema
// adds those for every type alike).
type fieldSchemaFunc func(f *metamodel.Field) *schema

// fieldSchemas holds one description per field type, by the type's name. A
// field type that has none here is still described, from its storage column
// (columnSchema); TestEveryFieldTypeHasASchema asks for an entry per type.
var fieldSchemas = map[string]fieldSchemaFunc{
	"string":   stringSchema,
	"text":     textSchema,
	"int":      intSchema,
	"decimal":  decimalSchema,
	"money":    decimalSchema,
	"date":     func(*metamodel.Field) *schema { return &schema{Type: "string", Format: "date", Example: "2026-01-02"} },
	"datetime": func(*metamodel.Field) *schema { return &schema{Type: "string", Format: "date-time"} },
	"bool":     func(*metamodel.Field) *schema { return &schema{Type: "boolean"} },
	"enum":     enumSchema,
	"code":     codeSchema,
	"ref":      refSchema,
}

// computed describes itself by its result type, through fieldSchemas, so it
// joins the map at init rather than in its literal.
func init() { fieldSchemas["computed"] = computedSchema }

// Limits the metamodel enforces without exporting them.
const (
	defaultStringLength = 255   // string fields without max_length
	maxTextLength       = 65535 // text fields, in characters
	codeLength          = 64    // code fields' column size
)

// fieldSchema describes field f of a record: its type's schema plus label,
// help, default and read-only flag. An optional field may be null.
func fieldSchema(f *metamodel.Field, shown func(*metamodel.Field) bool) *schema {
	s := typeSchema(f, f.Type)
	if f.Type == "computed" && !readsOnlyShown(f, shown) {
		// Its expression would name fields the caller may not see.
		s = computedSchemaWith(f, false)
	}
	if r := metamodel.RollupOf(f); f.Type == "rollup" && r != nil && r.Of != nil && !shown(r.Of) {
		// It would name a field of the records it aggregates that the caller may not see.
		s = typeSchema(r.Result, r.Result.Type)
		s.Description = joinText(s.Description, fmt.Sprintf("Kept by the platform: an aggregate (%s) over %s records whose `%s` is this record.", r.Agg, r.Child.QualifiedName(), r.Via.Name))
	}
	s.Title = f.Label
	s.Description = joinText(f.Help, s.Description)
	if f.Readonly || f.Type == "computed" {
		s.ReadOnly = true
	}
	if !f.Required {
		s.Nullable = true
	}
	if d, ok := defaultValue(f); ok {
		s.Default = d
	}
	return s
}

// typeSchema describes values of f as the field type called typeName.
func typeSchema(f *metamodel.Field, typeName string) *schema {
	if fn := fieldSchemas[typeName]; fn != nil {
		return fn(f)
	}
	return columnSchema(f)
}

// columnSchema describes a field type this package does not know from the
// column it is stored in, so that a new field type still gets a correct, if
// plain, schema.
func columnSchema(f *metamodel.Field) *schema {
	if f.Kind == nil {
		return &schema{Description: "Unknown field type " + f.Type + "."}
	}
	col := f.Kind.Column(f)
	switch col.Kind {
	case metamodel.ColumnInt:
		return &schema{Type: "integer", Format: "int64"}
	case metamodel.ColumnBool:
		return &schema{Type: "boolean"}
	case metamodel.ColumnScaled:
		return decimalOfScale(col.Scale)
	case metamodel.ColumnDate:
		return &schema{Type: "string", Format: "date"}
	case metamodel.ColumnTimestamp:
		return &schema{Type: "string", Format: "date-time"}
	}
	s := &schema{Type: "string"}
	if col.Size > 0 {
		s.MaxLength = ptr(col.Size)
	}
	return s
}

func stringSchema(f *metamodel.Field) *schema {
	size := f.MaxLength
	if size <= 0 {
		size = defaultStringLength
	}
	s := &schema{Type: "string", MaxLength: ptr(size)}
	if f.Pattern != "" {
		// The platform matches the whole value (it compiles ^(?:pattern)$);
		// a JSON Schema pattern matches anywhere, so anchor it the same way.
		s.Pattern = "^(?:" + f.Pattern + ")$"
	}
	return s
}

func textSchema(*metamodel.Field) *schema {
	return &schema{Type: "string", MaxLength: ptr(maxTextLength)}
}

func intSchema(f *metamodel.Field) *schema {
	s := &schema{Type: "integer", Format: "int64"}
	if n, err := strconv.ParseInt(f.Min, 10, 64); err == nil {
		s.Minimum = ptr(n)
	}
	if n, err := strconv.ParseInt(f.Max, 10, 64); err == nil {
		s.Maximum = ptr(n)
	}
	return s
}

// decimalSchema describes decimal and money fields: exact decimals travel as
// strings, since a JSON number passes through a binary float in most clients.
// Limits cannot be JSON Schema keywords on a string, so they go in the
// description.
func decimalSchema(f *metamodel.Field) *schema {
	scale := f.Scale
	if f.Kind != nil {
		scale = f.Kind.Column(f).Scale
	} else if f.Type == "money" {
		scale = 2
	}
	s := decimalOfScale(scale)
	var limits []string
	if f.Min != "" {
		limits = append(limits, "at least "+f.Min)
	}
	if f.Max != "" {
		limits = append(limits, "at most "+f.Max)
	}
	if len(limits) > 0 {
		s.Description += "; " + strings.Join(limits, ", ")
	}
	return s
}

// decimalOfScale is an exact decimal with up to scale digits after the point.
func decimalOfScale(scale int) *schema {
	s := &schema{Type: "string", Description: "exact decimal, sent as a string"}
	if scale <= 0 {
		s.Pattern = `^-?[0-9]+$`
		s.Example = "1234"
		return s
	}
	s.Pattern = fmt.Sprintf(`^-?[0-9]+(\.[0-9]{1,%d})?$`, scale)
	s.Example = "1234." + strings.Repeat("5678", (scale+3)/4)[:scale]
	return s
}

func enumSchema(f *metamodel.Field) *schema {
	s := &schema{Type: "string"}
	var labels []string
	for _, v := range f.Values {
		s.Enum = append(s.Enum, v.Value)
		label := v.Label
		if v.LabelEn != "" {
			label = joinNonEmpty(" / ", label, v.LabelEn)
		}
		if label != "" {
			labels = append(labels, fmt.Sprintf("`%s`: %s", v.Value, label))
		}
	}
	if len(labels) > 0 {
		s.Description = "Values: " + strings.Join(labels, "; ") + "."
	}
	return s
}

func codeSchema(f *metamodel.Field) *schema {
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
	return &schema{Type: "string", MaxLength: ptr(codeLength), Description: desc + ".", CodeSet: f.CodeSet}
}

func refSchema(f *metamodel.Field) *schema {
	s := &schema{Type: "integer", Format: "int64", Minimum: ptr(int64(1))}
	if t := f.Target; t != nil && t.App != nil {
		s.Description = fmt.Sprintf("The id of a %s record (`%s`, /api/%s/%s/{id}).", t.Label(), t.QualifiedName(), t.App.Name, t.Name)
		s.RefEntity = t.QualifiedName()
	} else {
		s.Description = fmt.Sprintf("The id of a %s record.", f.Entity)
	}
	return s
}

// computedSchema describes a computed field by its result type.
func computedSchema(f *metamodel.Field) *schema { return computedSchemaWith(f, true) }

// readsOnlyShown reports whether computed field f reads only shown fields.
func readsOnlyShown(f *metamodel.Field, shown func(*metamodel.Field) bool) bool {
	for _, name := range metamodel.FieldsRead(f) {
		if g := f.Owner.Field(name); g != nil && !shown(g) {
			return false
		}
	}
	return true
}

// computedSchemaWith describes a computed field, with its expression when
// withExpr.
func computedSchemaWith(f *metamodel.Field, withExpr bool) *schema {
	result := metamodel.ResultType(f)
	shadow := &metamodel.Field{Name: f.Name, Type: result, Scale: f.Scale, Owner: f.Owner, Kind: metamodel.LookupFieldType(result)}
	s := typeSchema(shadow, result)
	note := "Computed by the platform on every write"
	if f.Expr != "" && withExpr {
		note += ": `" + f.Expr + "`"
	}
	s.Description = joinText(s.Description, note+".")
	return s
}

// defaultValue renders f's default the way the API sends a value of f (money
// as "0.00", a date as "2026-01-02"), or reports that it has none it can render.
func defaultValue(f *metamodel.Field) (any, bool) {
	if f.Default == nil || f.Kind == nil || f.Type == "computed" {
		return nil, false
	}
	in := f.Default
	switch v := in.(type) {
	case int:
		in = int64(v)
	case float64:
		in = strconv.FormatFloat(v, 'f', -1, 64)
	}
	if n, ok := in.(int64); ok && (f.Type == "money" || f.Type == "decimal") {
		in = strconv.FormatInt(n, 10)
	}
	v, err := f.Kind.Parse(f, in)
	if err != nil || f.Kind.Validate(f, v) != nil {
		return nil, false
	}
	return f.Kind.JSON(f, v), true
}

// joinText joins non-empty paragraphs of a description.
func joinText(parts ...string) string { return joinNonEmpty("\n\n", parts...) }

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

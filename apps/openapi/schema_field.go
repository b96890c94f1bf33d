package openapi

import "github.com/growth-gov/growth/metamodel"

// maxTextLength is the most characters of a comment, as of a text field.
const maxTextLength = 65535

// fieldSchema describes field f of a record: its type's schema plus label,
// help, default and read-only flag. An optional field may be null.
func fieldSchema(f *metamodel.Field, shown func(*metamodel.Field) bool) *schema {
	s := typeSchema(f, shown)
	s.Title = f.Label
	s.Description = joinText(f.Help, s.Description)
	if f.Readonly || f.Computed() {
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

// typeSchema describes the values of f as its field type does
// (metamodel.SchemaOf: the type's own description, else its column's).
func typeSchema(f *metamodel.Field, shown func(*metamodel.Field) bool) *schema {
	return fromValueSchema(metamodel.SchemaOf(f, shown))
}

// everyField shows every field: a description for readers who see all.
func everyField(*metamodel.Field) bool { return true }

func fromValueSchema(v metamodel.ValueSchema) *schema {
	return &schema{Type: v.Type, Format: v.Format, Pattern: v.Pattern, MaxLength: v.MaxLength, Minimum: v.Minimum, Maximum: v.Maximum,
		Enum: v.Enum, Example: v.Example, Description: v.Description, CodeSet: v.CodeSet, RefEntity: v.RefEntity}
}

// decimalOfScale is an exact decimal with up to scale digits after the point.
func decimalOfScale(scale int) *schema { return fromValueSchema(metamodel.DecimalSchema(scale)) }

// defaultValue renders f's default the way the API sends a value of f (money
// as "0.00", a date as "2026-01-02"), or reports that it has none it can render.
func defaultValue(f *metamodel.Field) (any, bool) {
	v, err := metamodel.DefaultValue(f)
	if err != nil || v == nil {
		return nil, false
	}
	return f.Kind.JSON(f, v), true
}

// joinText joins non-empty paragraphs of a description.
func joinText(parts ...string) string { return metamodel.JoinNonEmpty("\n\n", parts...) }

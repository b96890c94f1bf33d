package metamodel

import (
	"fmt"
	"strings"
	"time"
)

// How the layers above present a field's values: the input a form gives
// it, how a list filters on it, the hint of its import column, the text its
// values read as, and how the API document describes them. A field type
// answers each through an optional interface; without one its storage
// column answers (the fallbacks below), so the web UI, the importer and the
// API document never name a field type.

// Input is the input a form gives a field.
type Input struct {
	// Widget is one of the web UI's inputs: text, textarea, int, decimal,
	// money, date, datetime, bool, select (one of the field's Values), code
	// (a code of its code set), ref (a record of its target entity), file
	// (an upload).
	Widget string
	// MaxLength is the most characters of a text input (0: no limit) and
	// Pattern what its whole value must match.
	MaxLength int
	Pattern   string
	// Min and Max are an int input's limits, as written in the definition.
	Min, Max string
	// Scale is the digits after the point of a decimal or money input.
	Scale int
}

// A FormInputter is a field type that chooses its form input.
type FormInputter interface {
	FormInput(f *Field) Input
}

// InputOf is the input a form gives f: its type's choice, else the input
// of its storage column (a textarea for LongText).
func InputOf(f *Field) Input {
	if in, ok := f.Kind.(FormInputter); ok {
		return in.FormInput(f)
	}
	col := f.Kind.Column(f)
	in := Input{Widget: byColumn[col.Kind].widget}
	switch {
	case col.Kind == ColumnScaled:
		in.Scale = col.Scale
	case col.Kind != ColumnText:
	case f.Is(LongText):
		in.Widget = "textarea"
	default:
		in.MaxLength = col.Size
	}
	return in
}

// byColumn is the form input and the list filter of each storage column,
// for field types that do not choose.
var byColumn = map[ColumnKind]struct{ widget, filter string }{
	ColumnText:      {"text", "text"},
	ColumnInt:       {"int", "number"},
	ColumnBool:      {"bool", "bool"},
	ColumnScaled:    {"decimal", "range"},
	ColumnDate:      {"date", "daterange"},
	ColumnTimestamp: {"datetime", "daterange"},
}

// Filter is how a list page filters on a field.
type Filter struct {
	// Kind is text (the value contains what is typed), number (equals),
	// range (amounts from–to), daterange (dates from–to), bool, select
	// (one of the field's Values), code (a code and the codes under it) or
	// ref (a record of the target entity).
	Kind string
	// Always: lists offer the filter even where the entity's filters: do
	// not name the field (amounts and dates, what finance users look for
	// first).
	Always bool
}

// A ListFilterer is a field type that chooses how lists filter on it.
type ListFilterer interface {
	ListFilter(f *Field) Filter
}

// FilterOf is how a list filters on f: its type's choice, else by its
// storage column.
func FilterOf(f *Field) Filter {
	if lf, ok := f.Kind.(ListFilterer); ok {
		return lf.ListFilter(f)
	}
	if by, ok := byColumn[f.Kind.Column(f).Kind]; ok {
		return Filter{Kind: by.filter}
	}
	return Filter{Kind: "text"}
}

// An ImportHinter is a field type that says how a cell of an import file
// writes its values, in English when en (else Chinese).
type ImportHinter interface {
	ImportHint(f *Field, en bool) string
}

// ImportHintOf says how a cell of f is written in an import file: its
// type's hint, else its storage column's ("" for text).
func ImportHintOf(f *Field, en bool) string {
	if h, ok := f.Kind.(ImportHinter); ok {
		return h.ImportHint(f, en)
	}
	return columnHint(f.Kind.Column(f), en)
}

// columnHint says how a cell of a column is written.
func columnHint(col Column, en bool) string {
	switch col.Kind {
	case ColumnInt:
		return pick(en, "整数", "A whole number")
	case ColumnScaled:
		return fmt.Sprintf(pick(en, "数字，最多 %d 位小数", "A number with at most %d decimals"), col.Scale)
	case ColumnDate:
		return pick(en, "日期，如 2026-03-31", "A date, e.g. 2026-03-31")
	case ColumnTimestamp:
		return pick(en, "日期时间，如 2026-03-31T09:30:00+08:00", "A date and time, e.g. 2026-03-31T09:30:00+08:00")
	case ColumnBool:
		return pick(en, "是/否（true/false、1/0）", "yes/no (true/false, 1/0)")
	}
	return ""
}

// pick is the English text when en, else the Chinese.
func pick(en bool, zh, english string) string {
	if en {
		return english
	}
	return zh
}

// A Displayer is a field type that writes its values for reading its own
// way (in English when en; instants in loc). Without one, the web UI writes
// a value by its Go type: amounts with thousands separators, dates as
// 2006-01-02, a value's label (Labeler) where it has one.
type Displayer interface {
	Display(f *Field, v any, en bool, loc *time.Location) string
}

// ValueSchema describes a field's values as the API sends and takes them,
// in JSON Schema's words (the API document adds the field's label, help,
// default and whether it may be null).
type ValueSchema struct {
	Type, Format, Pattern string
	MaxLength             *int
	Minimum, Maximum      *int64
	Enum                  []string
	Example               any
	Description           string
	// CodeSet names the code set of a code (x-growth-codeset); RefEntity
	// the entity, as app.entity, a ref points at (x-growth-ref).
	CodeSet, RefEntity string
}

// A SchemaDescriber is a field type that describes its values for the API
// document. shown says which fields the document's reader may see: a
// description must not name the others.
type SchemaDescriber interface {
	Schema(f *Field, shown func(*Field) bool) ValueSchema
}

// SchemaOf describes f's values for the API document: its type's
// description, else its storage column's.
func SchemaOf(f *Field, shown func(*Field) bool) ValueSchema {
	if f.Kind == nil {
		return ValueSchema{Description: "Unknown field type " + f.Type + "."}
	}
	if d, ok := f.Kind.(SchemaDescriber); ok {
		return d.Schema(f, shown)
	}
	return columnSchema(f.Kind.Column(f))
}

// columnSchema describes the values of a column: a field type that does
// not describe itself still gets a correct, if plain, description.
func columnSchema(col Column) ValueSchema {
	switch col.Kind {
	case ColumnInt:
		return ValueSchema{Type: "integer", Format: "int64"}
	case ColumnBool:
		return ValueSchema{Type: "boolean"}
	case ColumnScaled:
		return DecimalSchema(col.Scale)
	case ColumnDate:
		return ValueSchema{Type: "string", Format: "date"}
	case ColumnTimestamp:
		return ValueSchema{Type: "string", Format: "date-time"}
	}
	s := ValueSchema{Type: "string"}
	if col.Size > 0 {
		s.MaxLength = &col.Size
	}
	return s
}

// DecimalSchema is an exact decimal with up to scale digits after the
// point, sent as a string: a JSON number passes through a binary float in
// most clients.
func DecimalSchema(scale int) ValueSchema {
	s := ValueSchema{Type: "string", Description: "exact decimal, sent as a string"}
	if scale <= 0 {
		s.Pattern = `^-?[0-9]+$`
		s.Example = "1234"
		return s
	}
	s.Pattern = fmt.Sprintf(`^-?[0-9]+(\.[0-9]{1,%d})?$`, scale)
	s.Example = "1234." + strings.Repeat("5678", (scale+3)/4)[:scale]
	return s
}

// joinText joins the non-empty paragraphs of a description.
func joinText(parts ...string) string { return JoinNonEmpty("\n\n", parts...) }

// JoinNonEmpty joins the parts that are not blank, trimmed, with sep.
func JoinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

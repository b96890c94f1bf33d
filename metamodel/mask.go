package metamodel

import (
	"slices"
	"strings"
)

// Masks are the ways a public report can show personal data without
// identifying anyone (公示脱敏): a name keeps its first and last character, an
// ID number its first four and last four, an account or phone number its last
// four.
var Masks = []string{"name", "id", "account", "phone"}

// Mask returns value masked by kind.
func Mask(kind, value string) string {
	r := []rune(value)
	n := len(r)
	keep := func(head, tail int) string {
		if n <= head+tail {
			// Too short to show anything and still hide something.
			if n <= 1 {
				return strings.Repeat("*", n)
			}
			return string(r[:1]) + strings.Repeat("*", n-1)
		}
		return string(r[:head]) + strings.Repeat("*", n-head-tail) + string(r[n-tail:])
	}
	switch kind {
	case "name":
		if n == 2 {
			return string(r[:1]) + "*"
		}
		return keep(1, 1)
	case "id":
		return keep(4, 4)
	case "account", "phone":
		return keep(0, 4)
	}
	return value
}

// checkReportMasks: a mask names a group_by field of a public report and a
// known kind; a masked field cannot be a public filter, or a reader could
// look a person up by the very value the mask hides.
func checkReportMasks(r *Report, e *Entity, ps *Problems) {
	for field, kind := range r.Mask {
		pos := itemPos(r.At, "mask", field)
		switch {
		case !r.Public:
			ps.Addf(r.At["mask"], "report %s: mask applies to public reports (public: true)", r.Name)
			return
		case !slices.Contains(r.GroupBy, field):
			ps.Addf(pos, "report %s: mask: %s is not one of the report's group_by fields", r.Name, field)
		case !slices.Contains(Masks, kind):
			ps.Addf(pos, "report %s: mask: %s must be one of %s, got %q", r.Name, field, strings.Join(Masks, ", "), kind)
		case slices.Contains(r.Filters, field):
			ps.Addf(pos, "report %s: mask: %s is also a filter, which would let anyone look a person up by the value the mask hides", r.Name, field)
		case e.Field(field) != nil && e.Field(field).Kind != nil && e.Field(field).Kind.Column(e.Field(field)).Kind != ColumnText:
			ps.Addf(pos, "report %s: mask: %s is not a text field", r.Name, field)
		}
	}
}

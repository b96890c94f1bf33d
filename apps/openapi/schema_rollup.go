package openapi

import (
	"fmt"

	"github.com/growth-gov/growth/metamodel"
)

// A rollup describes itself by its result type, like computed; it is
// read-only (the metamodel marks rollup fields so, and fieldSchema says it).
func init() { fieldSchemas["rollup"] = rollupSchema }

// rollupSchema describes a rollup field: money as an exact decimal string,
// a count as an integer, and what it aggregates.
func rollupSchema(f *metamodel.Field) *schema {
	r := metamodel.RollupOf(f)
	if r == nil {
		return columnSchema(f)
	}
	s := typeSchema(r.Result, r.Result.Type)
	what := "the number of"
	if r.Of != nil {
		what = fmt.Sprintf("the %s of `%s` over", r.Agg, r.Of.Name)
	}
	note := fmt.Sprintf("Kept by the platform: %s the %s records whose `%s` is this record", what, r.Child.QualifiedName(), r.Via.Name)
	if r.Where != "" {
		note += " and that match `" + r.Where + "`"
	}
	s.Description = joinText(s.Description, note+".")
	return s
}

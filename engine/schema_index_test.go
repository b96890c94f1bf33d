package engine_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestNoIndexLeadingAnother: no table of the shipped definitions gets an
// index on (field) next to one on (field, id). SQLite ends every index with
// the rowid, which id is, so the two would hold the same entries in the same
// order; each insert would keep both (docs/performance.md, perf-sqlcreate).
// A filter on the org field still has its index: (org, id).
func TestNoIndexLeadingAnother(t *testing.T) {
	p := enginetest.LoadDir(t, "../definitions")
	checked := 0
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			spec := engine.Spec(e)
			keys := map[string]bool{}
			for _, ix := range spec.Indexes {
				if ix.PrefixLen == 0 && ix.Trigram == "" {
					keys[strings.Join(ix.Columns, ",")] = true
				}
			}
			for _, ix := range spec.Indexes {
				if len(ix.Columns) == 1 && !ix.Unique && ix.PrefixLen == 0 && keys[ix.Columns[0]+",id"] {
					t.Errorf("%s: index %s repeats (%s, id)", spec.Name, ix.Name, ix.Columns[0])
				}
			}
			if e.OrgField != "" && slices.Contains(e.Filters, e.OrgField) {
				checked++
				if !keys[e.OrgField+",id"] {
					t.Errorf("%s: its filter on %s has no (%s, id) index", spec.Name, e.OrgField, e.OrgField)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no shipped entity filters on its org field: the test checks nothing")
	}
}

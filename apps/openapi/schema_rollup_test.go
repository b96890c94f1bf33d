package openapi

import (
	"reflect"
	"strings"
	"testing"
)

// TestRollupProperties checks rollup fields are read-only, typed by what
// they aggregate (money as an exact decimal string, a count as an integer),
// described, and absent from the input schema.
func TestRollupProperties(t *testing.T) {
	_, doc := generate(t, loadProject(t, map[string]string{"roll/app.yaml": `
app: roll
entities:
  batch:
    title: 批次
    fields:
      amount:    money
      net_total: {type: rollup, label: 实发合计, entity: line, via: batch, field: net, agg: sum, where: "net > 0"}
      lines:     {type: rollup, entity: line, via: batch, agg: count}
  line:
    title: 明细
    fields:
      batch: {type: ref, entity: batch}
      net:   money
`}))
	props := at(t, doc, "components", "schemas", "roll.batch", "properties")
	scenarios := []struct {
		field string
		want  map[string]any
		desc  string
	}{
		{"net_total", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,2})?$`, "readOnly": true, "title": "实发合计"}, "the sum of `net` over the roll.line records whose `batch` is this record and that match `net > 0`"},
		{"lines", map[string]any{"type": "integer", "format": "int64", "readOnly": true}, "the number of the roll.line records whose `batch` is this record."},
	}
	for _, sc := range scenarios {
		t.Run(sc.field, func(t *testing.T) {
			prop := at(t, props, sc.field)
			for k, want := range sc.want {
				if got := prop[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
			if desc, _ := prop["description"].(string); !strings.Contains(desc, sc.desc) {
				t.Errorf("description %q does not say %q", desc, sc.desc)
			}
		})
	}
	input := at(t, doc, "components", "schemas", "roll.batch.Input", "properties")
	for _, name := range []string{"net_total", "lines"} {
		if _, ok := input[name]; ok {
			t.Errorf("the input schema takes the rollup %s", name)
		}
	}
}

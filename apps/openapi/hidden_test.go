package openapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestHiddenFromAnyRole: the document for a caller without a login names no
// field some role hides: not in the record, create or update schemas, not
// in the expression of a computed field nor in the description of a rollup
// that read one; the full document still describes them.
func TestHiddenFromAnyRole(t *testing.T) {
	p := loadProject(t, map[string]string{"roll/app.yaml": `
app: roll
entities:
  batch:
    title: 批次
    fields:
      secret_total: {type: rollup, entity: line, via: batch, field: secret_amount, agg: sum}
  line:
    title: 明细
    fields:
      batch:         {type: ref, entity: batch}
      secret_amount: money
      open_amount:   money
      total:         {type: computed, expr: "secret_amount + open_amount"}
roles:
  viewer:
    title: 查看
    scope: all
    can:
      batch: [read]
      line: [read]
    fields:
      line: {hidden: [secret_amount]}
`})
	data, err := DocumentHiding(p, "test", HiddenFromAnyRole(p))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "secret_amount") {
		t.Errorf("the anonymous document names secret_amount")
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"roll.line", "roll.line.Input", "roll.line.Patch"} {
		props := at(t, doc, "components", "schemas", name, "properties")
		if _, ok := props["open_amount"]; !ok {
			t.Errorf("%s lost a visible field", name)
		}
	}
	at(t, doc, "components", "schemas", "roll.line", "properties", "total")
	at(t, doc, "components", "schemas", "roll.batch", "properties", "secret_total")
	full, _ := generate(t, p)
	if !strings.Contains(string(full), "secret_amount") {
		t.Errorf("the full document does not describe secret_amount")
	}
}

package metamodel

import (
	"path/filepath"
	"testing"
)

// TestRefsUsed checks which ref fields the engine must load for an entity.
func TestRefsUsed(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid", "record_links"))
	if err != nil {
		t.Fatal(err)
	}
	a := p.App("payroll")
	scenarios := []struct {
		entity string
		want   string
	}{
		{"line", "[batch person]"},
		{"batch", "[]"},
		{"warning", "[]"}, // a block's when may not read refs
	}
	for _, sc := range scenarios {
		if got := fmtList(RefsUsed(a.Entity(sc.entity))); got != sc.want {
			t.Errorf("RefsUsed(%s) = %s, want %s", sc.entity, got, sc.want)
		}
	}
	dyn, err := loadText(t, `app: app1
entities:
  a:
    fields:
      x: int
  b:
    fields:
      one: {type: ref, entity: a}
      two: {type: ref, entity: a}
      three: {type: ref, entity: a}
    rules:
      - {assert: "refs['one'].x >= 0", message: constant index}
  c:
    fields:
      one: {type: ref, entity: a}
      two: {type: ref, entity: a}
    rules:
      - {assert: "let r = refs; r.one.x >= 0", message: refs as a value reads them all}
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmtList(RefsUsed(dyn.App("app1").Entity("b"))); got != "[one]" {
		t.Errorf("refs['one']: RefsUsed = %s, want [one]", got)
	}
	if got := fmtList(RefsUsed(dyn.App("app1").Entity("c"))); got != "[one two]" {
		t.Errorf("refs as a value: RefsUsed = %s, want [one two]", got)
	}
}

func fmtList(names []string) string {
	out := "["
	for i, n := range names {
		if i > 0 {
			out += " "
		}
		out += n
	}
	return out + "]"
}

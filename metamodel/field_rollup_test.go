package metamodel

import "testing"

// TestRollupResolves checks what a rollup stores: the value type of the
// field aggregated (with a decimal's scale), an int for count, through a
// computed field and through another rollup.
func TestRollupResolves(t *testing.T) {
	p, err := loadText(t, `app: app1
entities:
  plan:
    fields:
      total:    {type: rollup, entity: batch, via: plan, field: net_total, agg: sum}
      earliest: {type: rollup, entity: batch, via: plan, field: first_due, agg: min}
  batch:
    fields:
      plan:      {type: ref, entity: plan}
      net_total: {type: rollup, entity: line, via: batch, field: net, agg: sum}
      qty_total: {type: rollup, entity: line, via: batch, field: qty, agg: max}
      gross:     {type: rollup, entity: line, via: batch, field: gross, agg: sum}
      lines:     {type: rollup, entity: line, via: batch, agg: count, where: "net > 0"}
      first_due: {type: rollup, entity: line, via: batch, field: due, agg: min}
  line:
    fields:
      batch: {type: ref, entity: batch}
      net:   money
      qty:   {type: decimal, scale: 3}
      due:   date
      gross: {type: computed, returns: int, expr: "1"}
`)
	if err != nil {
		t.Fatal(err)
	}
	a := p.App("app1")
	scenarios := []struct {
		entity, field string
		result        string
		scale         int
		column        ColumnKind
	}{
		{"batch", "net_total", "money", 2, ColumnScaled},
		{"batch", "qty_total", "decimal", 3, ColumnScaled},
		{"batch", "gross", "int", 0, ColumnInt},
		{"batch", "lines", "int", 0, ColumnInt},
		{"batch", "first_due", "date", 0, ColumnDate},
		{"plan", "total", "money", 2, ColumnScaled},
		{"plan", "earliest", "date", 0, ColumnDate},
	}
	for _, sc := range scenarios {
		t.Run(sc.entity+"."+sc.field, func(t *testing.T) {
			f := a.Entity(sc.entity).Field(sc.field)
			r := RollupOf(f)
			if r == nil {
				t.Fatal("did not resolve")
			}
			col := f.Kind.Column(f)
			if r.Result.Type != sc.result || col.Kind != sc.column || col.Scale != sc.scale {
				t.Errorf("stores %s (column %d, scale %d), want %s (column %d, scale %d)", r.Result.Type, col.Kind, col.Scale, sc.result, sc.column, sc.scale)
			}
			if !f.Readonly {
				t.Error("a rollup field must be read-only")
			}
		})
	}
	if r := RollupOf(a.Entity("batch").Field("lines")); r.Where != "net > 0" || r.Of != nil || r.Child != a.Entity("line") || r.Via != a.Entity("line").Field("batch") {
		t.Errorf("count with where resolved as %+v", r)
	}
	if RollupOf(a.Entity("line").Field("net")) != nil {
		t.Error("a money field is not a rollup")
	}
}

package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// BenchmarkRollupCreateChild creates lines spread over 200 batches (so each
// batch holds b.N/200 lines): with rollups, each create also locks its batch,
// runs one aggregate of five columns over the batch's lines, writes the batch
// (computed field, rule, audit row "rollup") and rolls the batch up into its
// plan. The baseline creates the same lines without any rollup.
func BenchmarkRollupCreateChild(b *testing.B) {
	plain := map[string]string{"roll/app.yaml": `
app: roll
entities:
  batch:
    fields:
      limit_amount: money
  line:
    fields:
      batch: {type: ref, entity: batch, required: true}
      net:   {type: money, required: true}
      day:   date
`}
	for _, defs := range []struct {
		name  string
		files map[string]string
	}{{"rollups", rollupDefs}, {"baseline", plain}} {
		p := enginetest.Load(b, defs.files)
		for _, d := range enginetest.Dialects(b) {
			b.Run(defs.name+"/"+string(d), func(b *testing.B) {
				rt := enginetest.Start(b, d, p, engine.OpenAccess{})
				ctx := context.Background()
				var plan any
				if defs.name == "rollups" {
					plan = enginetest.Must(rt.Create(ctx, engine.SystemActor, "roll", "plan", map[string]any{"name": "p"})).ID
				}
				var batches []int64
				for i := 0; i < 200; i++ {
					in := map[string]any{"limit_amount": "100000000.00"}
					if plan != nil {
						in["plan"] = plan
					}
					batches = append(batches, enginetest.Must(rt.Create(ctx, engine.SystemActor, "roll", "batch", in)).ID)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					in := map[string]any{"batch": batches[i%len(batches)], "net": fmt.Sprintf("%d.%02d", 100+i%50, i%100), "day": "2026-03-01"}
					if _, err := rt.Create(ctx, engine.SystemActor, "roll", "line", in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// The CPU and allocations of turning one pipelined page of 20 rows into
// records: straight from the row (list_pipeline.go, rawRow.record) against
// through entityStore.scan's *any values (docs/performance.md, "PostgreSQL
// lists: less per row").
func BenchmarkListPipelineRecords(b *testing.B) {
	rt := enginetest.Start(b, engine.Postgres, enginetest.Load(b, testApp), engine.OpenAccess{})
	ctx := context.Background()
	for i := 0; i < 21; i++ {
		in := map[string]any{"year": 2026, "doc_no": fmt.Sprintf("A-%d", i), "agency": "101001", "amount": "123456.78", "note": "备注"}
		if _, err := rt.Create(ctx, engine.SystemActor, "demo", "grant", in); err != nil {
			b.Fatal(err)
		}
	}
	decode, err := engine.PipelinePageDecoder(rt, "demo", "grant", 20)
	if err != nil {
		b.Fatal(err)
	}
	for _, direct := range []bool{false, true} {
		name := "scan"
		if direct {
			name = "direct"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decode(direct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Benchmarks of the runtime without HTTP, on each configured database:
// go test -run '^$' -bench . ./engine/

func BenchmarkCreateRecord(b *testing.B) {
	p := enginetest.Load(b, testApp)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				in := validGrant()
				in["doc_no"] = fmt.Sprintf("B-%d", i)
				if _, err := rt.Create(ctx, clerk, "demo", "grant", in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGetRecord(b *testing.B) {
	p := enginetest.Load(b, testApp)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			rec := enginetest.Must(rt.Create(ctx, clerk, "demo", "grant", validGrant()))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rt.Get(ctx, clerk, "demo", "grant", rec.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkListFiltered(b *testing.B) {
	p := enginetest.Load(b, testApp)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			for i := 0; i < 2000; i++ {
				in := validGrant()
				in["doc_no"] = fmt.Sprintf("L-%d", i)
				in["year"] = json.Number(fmt.Sprint(2025 + i%2))
				enginetest.Must(rt.Create(ctx, clerk, "demo", "grant", in))
			}
			q := engine.ListQuery{Filter: "year = 2026 and agency under '101'", PageSize: 20, Page: 3}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := rt.List(ctx, clerk, "demo", "grant", q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

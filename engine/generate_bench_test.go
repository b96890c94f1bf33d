package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// BenchmarkGenerateLines fires a transition that generates one line per
// person of an agency of 1,000 people (from with a $agency filter): each
// line is validated (three rules, two of them reading refs), inserted,
// audited and rolled up once at the end, all in the transition's
// transaction. Reported per transition; divide by 1,000 for a line.
func BenchmarkGenerateLines(b *testing.B) {
	p := enginetest.Load(b, linkDefs)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			for i := 0; i < 1000; i++ {
				enginetest.Must(rt.Create(ctx, engine.SystemActor, "gen", "person", map[string]any{"name": fmt.Sprintf("人员%d", i), "agency": "A", "salary": "5000.00"}))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				batch := enginetest.Must(rt.Create(ctx, engine.SystemActor, "gen", "batch", map[string]any{"agency": "A"}))
				b.StartTimer()
				res, err := rt.Fire(ctx, engine.FireRequest{Actor: engine.SystemActor, App: "gen", Entity: "batch", ID: batch.ID, Event: "prepare"})
				if err != nil {
					b.Fatal(err)
				}
				if res.Record.Values["lines"] != int64(1000) {
					b.Fatalf("generated %v lines", res.Record.Values["lines"])
				}
			}
		})
	}
}

// BenchmarkAvailableEventsBlocked lists the events of a batch that three
// notes point at, one of them blocking: one indexed query for the block.
func BenchmarkAvailableEventsBlocked(b *testing.B) {
	p := enginetest.Load(b, linkDefs)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			batch := enginetest.Must(rt.Create(ctx, engine.SystemActor, "gen", "batch", map[string]any{"agency": "A"}))
			for _, level := range []string{"blue", "blue", "red"} {
				enginetest.Must(rt.Create(ctx, engine.SystemActor, "gen", "note", map[string]any{"batch": batch.ID, "level": level}))
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := rt.AvailableEvents(ctx, engine.SystemActor, "gen", "batch", batch.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

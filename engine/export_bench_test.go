package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Benchmarks of exports, scheduled rules and uploads, without HTTP:
// go test -run '^$' -bench 'Export|Schedule|Upload' ./engine/

// benchLines is the size of the batch exported and of the table a schedule
// looks at.
const benchLines = 2000

func BenchmarkExportBankFile(b *testing.B) {
	p := enginetest.Load(b, exportDefs)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			sys := engine.SystemActor
			batch := enginetest.Must(rt.Create(ctx, sys, "pay", "batch", map[string]any{"month": "2026-03", "agency": "101001", "net_total": fmt.Sprintf("%d.00", benchLines*1234)}))
			for i := range benchLines {
				enginetest.Must(rt.Create(ctx, sys, "pay", "line", map[string]any{"batch": batch.ID, "agency": "101001",
					"account_no": fmt.Sprintf("6222%012d", i), "name": "张三丰", "net": "1234.00", "id_number": "510104199001011234"}))
			}
			for _, name := range []string{"bank_csv", "bank_fixed"} {
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						out, err := rt.Export(ctx, sys, "pay", "batch", batch.ID, name)
						if err != nil || out.Lines != benchLines {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// BenchmarkRunSchedule runs a schedule over benchLines records that all
// match and all have their warning already: the cost of looking (where,
// when, set, unless) without creating.
func BenchmarkRunSchedule(b *testing.B) {
	p := enginetest.Load(b, scheduleDefs)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			old := engine.Today(time.Now()).AddDate(0, 0, -100).Format(time.DateOnly)
			for i := range benchLines {
				enginetest.Must(rt.Create(ctx, engine.SystemActor, "fund", "allocation", map[string]any{
					"project": fmt.Sprintf("p%d", i), "amount": "10.00", "paid_total": "0", "allocated_on": old}))
			}
			first := enginetest.Must(rt.RunSchedules(ctx, "fund.idle_funds"))
			if first.Runs[0].Created != benchLines {
				b.Fatalf("first run %+v", first.Runs[0])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rep, err := rt.RunSchedules(ctx, "fund.idle_funds")
				if err != nil || rep.Runs[0].Skipped != benchLines {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/benchLines, "µs/record")
		})
	}
}

func BenchmarkUploadFile(b *testing.B) {
	p := enginetest.Load(b, fileDefs)
	data := append([]byte("%PDF-1.4\n"), make([]byte, 1<<20)...)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := rt.UploadFile(ctx, engine.Actor{User: "alice"}, "scan.pdf", "application/pdf", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

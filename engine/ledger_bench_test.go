package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// The ledger benchmarks create spends that reserve on create — the record,
// its audit row, the match check, the ledger row and the conditional balance
// update in one transaction — from 8 goroutines per core, as concurrent
// clients would. Figures: docs/performance.md.
//
//	go test -run '^$' -bench 'Draw' -benchtime 3s ./engine/

func benchDraws(b *testing.B, accounts int) {
	// Grants open on create here, so that 1,000 of them are one import.
	defs := map[string]string{"fund/app.yaml": strings.Replace(ledgerDefs["fund/app.yaml"], "balance: {amount: amount, open_on: [release]}", "balance: {amount: amount}", 1)}
	p := enginetest.Load(b, defs)
	var csv strings.Builder
	csv.WriteString("agency,func_class,amount\n")
	for i := 0; i < accounts; i++ {
		csv.WriteString("101001,2050201,9000000000.00\n")
	}
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			report, err := rt.Import(ctx, fundClerk, "fund", "grant", strings.NewReader(csv.String()), engine.FormatCSV, nil)
			if err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					g := report.IDs[int(n.Add(1))%accounts]
					if _, err := rt.Create(ctx, fundClerk, "fund", "spend", spendOn(g, 0, "1.00")); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "draws/s")
			r, err := rt.VerifyLedger(ctx)
			if err != nil || !r.OK() {
				b.Fatalf("ledger verify after the benchmark: %v %v", err, r)
			}
		})
	}
}

// BenchmarkDrawHot: every draw on one account.
func BenchmarkDrawHot(b *testing.B) { benchDraws(b, 1) }

// BenchmarkDraw1000Accounts: draws spread over 1,000 accounts.
func BenchmarkDraw1000Accounts(b *testing.B) { benchDraws(b, 1000) }

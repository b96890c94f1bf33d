package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// BenchmarkVerifyProof: `growth audit verify` over 1,000 imported grants
// (each with an open balance) and 4,000 spends drawing on them, half of
// them paid — 5,000 records, 7,000 audit rows, 7,000 ledger rows —
// re-hashed against the chains. Figures: docs/performance.md.
//
//	go test -run '^$' -bench VerifyProof -benchtime 5x ./engine/
func BenchmarkVerifyProof(b *testing.B) {
	defs := map[string]string{"fund/app.yaml": strings.Replace(ledgerDefs["fund/app.yaml"], "balance: {amount: amount, open_on: [release]}", "balance: {amount: amount}", 1)}
	p := enginetest.Load(b, defs)
	var csv strings.Builder
	csv.WriteString("agency,func_class,amount\n")
	for i := 0; i < 1000; i++ {
		csv.WriteString("101001,2050201,9000000.00\n")
	}
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			report, err := rt.Import(ctx, fundClerk, "fund", "grant", strings.NewReader(csv.String()), engine.FormatCSV, nil)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 4000; i++ {
				s := enginetest.Must(rt.Create(ctx, fundClerk, "fund", "spend", spendOn(report.IDs[i%1000], 0, "1.00")))
				if i%2 == 0 {
					if _, err := rt.Fire(ctx, engine.FireRequest{Actor: fundClerk, App: "fund", Entity: "spend", ID: s.ID, Event: "pay"}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			var rep *engine.ProofReport
			for i := 0; i < b.N; i++ {
				if rep, err = rt.VerifyProof(ctx); err != nil || !rep.OK() {
					b.Fatalf("verify: %v %v", err, rep)
				}
			}
			b.ReportMetric(float64(rep.Records), "records")
			b.ReportMetric(float64(rep.Audit.Rows), "audit-rows")
			b.ReportMetric(float64(rep.Ledger.Rows), "ledger-rows")
		})
	}
}

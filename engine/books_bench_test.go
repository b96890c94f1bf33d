package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// BenchmarkBooksPost measures what posting a voucher adds to a workflow
// event: create a record and fire the event that posts a two-line voucher,
// against the same definitions without postings. Run it with
//
//	go test ./engine -run '^$' -bench BooksPost -benchtime 500x
func BenchmarkBooksPost(b *testing.B) {
	with := booksDefs["fund/app.yaml"]
	without := with[:strings.Index(with, "postings:")]
	for _, d := range enginetest.Dialects(b) {
		for _, v := range []struct{ name, defs string }{{"postings", with}, {"none", without}} {
			b.Run(fmt.Sprintf("%s/%s", d, v.name), func(b *testing.B) {
				rt := enginetest.Start(b, d, enginetest.Load(b, map[string]string{"fund/app.yaml": v.defs}), engine.OpenAccess{})
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					rec, err := rt.Create(ctx, bookkeeper, "fund", "spend", map[string]any{"agency": "A", "amount": "100.00", "source": "1001", "paid_on": "2026-03-05"})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := rt.Fire(ctx, engine.FireRequest{Actor: bookkeeper, App: "fund", Entity: "spend", ID: rec.ID, Event: "pay"}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

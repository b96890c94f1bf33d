package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Page benchmarks on SQLite, through the whole server (session lookup,
// access, rendering): what one page costs the server.
//
//	go test ./ui -run '^$' -bench . -benchtime 2s
func BenchmarkPages(b *testing.B) {
	p := enginetest.LoadDir(b, shippedDir)
	s := startServer(b, engine.SQLite, p)
	s.addUser(b, "clerk", "104", "indicator.division_clerk")
	ctx := context.Background()
	for i := range 1000 {
		in := map[string]any{"year": "2026", "division": "510000000", "budget_level": "2", "agency": "104001", "func_class": "2050201",
			"gov_econ": "50201", "dept_econ": "30201", "fund_nature": "11", "fund_source": "1", "amount": fmt.Sprintf("%d.%02d", 1000+i, i%100)}
		if _, err := s.rt.Create(ctx, engine.SystemActor, "indicator", "indicator", in); err != nil {
			b.Fatal(err)
		}
	}
	br := s.browser(b)
	br.login("clerk")
	for _, path := range []string{"/", "/ui/indicator/indicator", "/ui/indicator/indicator?size=100", "/ui/indicator/indicator/new",
		"/ui/indicator/indicator/500", "/ui/indicator/indicator/export.csv", "/ui/indicator/indicator/export.xlsx",
		"/ui/reports/indicator/ledger", "/ui/indicator/indicator/import"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if p := br.get(path); p.status != http.StatusOK {
					b.Fatalf("%s: %d", path, p.status)
				}
			}
		})
	}
}

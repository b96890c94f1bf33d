package engine_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// benchFuncClasses is a 3-2-2 functional classification of 8 类, 5 款 each and
// 5 项 under each 款: 8 + 40 + 200 codes.
func benchFuncClasses() (yaml string, leaves []string) {
	var b strings.Builder
	for l := 0; l < 8; l++ {
		lei := strconv.Itoa(201 + l)
		fmt.Fprintf(&b, "      - {code: \"%s\", name: 类%s}\n", lei, lei)
		for k := 1; k <= 5; k++ {
			kuan := fmt.Sprintf("%s%02d", lei, k)
			fmt.Fprintf(&b, "      - {code: \"%s\", name: 款%s, parent: \"%s\"}\n", kuan, kuan, lei)
			for x := 1; x <= 5; x++ {
				xiang := fmt.Sprintf("%s%02d", kuan, x)
				fmt.Fprintf(&b, "      - {code: \"%s\", name: 项%s, parent: \"%s\"}\n", xiang, xiang, kuan)
				leaves = append(leaves, xiang)
			}
		}
	}
	return b.String(), leaves
}

// BenchmarkReportFuncClassLevels runs a report over payments (default
// 1,000,000; GROWTH_BENCH_PAYMENTS to change) grouped by their indicator's
// functional class at 类/款/项 with subtotals: one GROUP BY over payments
// joined to 2,000 indicators, the subtotals added up in Go.
//
//	GROWTH_TEST_POSTGRES=… go test ./engine -run '^$' -bench ReportFuncClassLevels -benchtime 5x
func BenchmarkReportFuncClassLevels(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("GROWTH_BENCH_PAYMENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	codes, leaves := benchFuncClasses()
	p := enginetest.Load(b, map[string]string{"bq/app.yaml": `
app: bq
codesets:
  fc:
    title: 功能分类
    levels: [3, 2, 2]
    codes:
` + codes + `
entities:
  indicator:
    fields:
      func_class: {type: code, codeset: fc, required: true}
      amount:     {type: money, required: true}
  payment:
    fields:
      indicator: {type: ref, entity: indicator, required: true}
      year:      {type: int, required: true}
      amount:    {type: money, required: true}
reports:
  by_class:
    entity: payment
    group_by: [indicator.func_class]
    levels: {indicator.func_class: 3}
    filters: [year]
    measures:
      - {name: amount, agg: sum, field: amount}
      - {name: count, agg: count}
`})
	for _, d := range enginetest.Dialects(b) {
		b.Run(fmt.Sprintf("%s/%d", d, n), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, engine.OpenAccess{})
			ctx := context.Background()
			exec := func(q string) {
				if _, err := rt.DB.Write.ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			var vals []string
			for i := 0; i < 2000; i++ {
				vals = append(vals, fmt.Sprintf("(1, 'bench', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '', '%s', %d)", leaves[i%len(leaves)], 100000000+i))
			}
			exec("INSERT INTO bq_indicator (version, created_by, created_at, updated_at, def_version, func_class, amount) VALUES " + strings.Join(vals, ", "))
			series := fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT i FROM s", n)
			if d == engine.Postgres {
				series = fmt.Sprintf("SELECT generate_series(1, %d) AS i", n)
			}
			exec("INSERT INTO bq_payment (version, created_by, created_at, updated_at, def_version, indicator, year, amount) SELECT 1, 'bench', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '', 1 + i % 2000, 2026, 100 + ((i % 100000) * 7919) % 99999900 FROM (" + series + ") g")
			if d == engine.Postgres {
				exec("ANALYZE bq_payment")
				exec("ANALYZE bq_indicator")
			}
			b.ResetTimer()
			for b.Loop() {
				res, err := rt.Report(ctx, engine.SystemActor, "bq", "by_class", "year = 2026")
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Rows) != 8+40+200 || res.Totals.Values["count"].(int64) != int64(n) {
					b.Fatalf("%d rows, count %v", len(res.Rows), res.Totals.Values["count"])
				}
			}
		})
	}
}

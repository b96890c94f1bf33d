package engine_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"slices"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// indicatorFile is the shipped indicator seed without its _events column,
// repeated to at least rows rows: the file of docs/performance.md's import
// figures.
func indicatorFile(tb testing.TB, rows int) ([]byte, int) {
	tb.Helper()
	f, err := os.Open("../definitions/indicator/seed/indicators.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	events := slices.Index(records[0], engine.ImportEventsColumn)
	for i, r := range records {
		if events >= 0 {
			records[i] = slices.Delete(r, events, events+1)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(records[0])
	n := 0
	for n < rows {
		for _, r := range records[1:] {
			_ = w.Write(r)
			n++
		}
	}
	w.Flush()
	return buf.Bytes(), n
}

// BenchmarkImportIndicators imports 5,160 indicator rows per iteration into
// the shipped definitions: on SQLite, and on PostgreSQL by COPY and row by
// row.
//
//	GROWTH_TEST_POSTGRES=… go test -run '^$' -bench ImportIndicators -benchtime 5x ./engine/
func BenchmarkImportIndicators(b *testing.B) {
	p := enginetest.LoadDir(b, "../definitions")
	file, rows := indicatorFile(b, 5160)
	type variant struct {
		name    string
		dialect engine.Dialect
		copy    bool
	}
	variants := []variant{{"sqlite", engine.SQLite, false}}
	if slices.Contains(enginetest.Dialects(b), engine.Postgres) {
		variants = append(variants, variant{"postgres/copy", engine.Postgres, true}, variant{"postgres/rows", engine.Postgres, false})
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			defer engine.SetImportCopy(v.copy)()
			rt := enginetest.Start(b, v.dialect, p, engine.OpenAccess{})
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				report, err := rt.Import(ctx, engine.SystemActor, "indicator", "indicator", bytes.NewReader(file), engine.FormatCSV, nil)
				if err != nil {
					b.Fatalf("%v %v", err, rowProblems(report))
				}
				if report.Imported != rows {
					b.Fatalf("imported %d of %d", report.Imported, rows)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

package engine_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
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
	benchImport(b, p, nil, "indicator", "indicator", func(*engine.Runtime, int) ([]byte, int) { return file, rows })
}

// plainDefs is an entity without per-row effects: the four fields and one
// rule of the side-by-side benchmark against PocketBase (docs/performance.md),
// with a code check and the data scope's index.
var plainDefs = map[string]string{"bench/app.yaml": `
app: bench
codesets:
  agency:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
      - {code: "101002", name: 国库支付中心, parent: "101"}
entities:
  item:
    org_field: agency
    fields:
      year:       {type: int, label: 年度, required: true}
      agency:     {type: code, codeset: agency, label: 单位, required: true}
      func_class: {type: string, label: 功能分类, max_length: 20}
      amount:     {type: money, label: 金额, required: true}
    filters: [agency, year]
    rules:
      - assert: "amount > 0"
        message: 金额应大于零
        fields: [amount]
`}

// BenchmarkImportPlain imports 10,000 rows per iteration into an entity
// without per-row effects (plainDefs): every row decoded, code-checked and
// its rule run, then written with its audit row.
//
//	GROWTH_TEST_POSTGRES=… go test -run '^$' -bench ImportPlain -benchtime 5x ./engine/
func BenchmarkImportPlain(b *testing.B) {
	const rows = 10000
	var buf bytes.Buffer
	buf.WriteString("year,agency,func_class,amount\n")
	for i := range rows {
		fmt.Fprintf(&buf, "2026,10100%d,2050%03d,%d.%02d\n", 1+i%2, i%1000, 1+i%5000, i%100)
	}
	benchImport(b, enginetest.Load(b, plainDefs), nil, "bench", "item", func(*engine.Runtime, int) ([]byte, int) { return buf.Bytes(), rows })
}

// BenchmarkImportDraws imports 5,000 spends per iteration, each reserving
// its amount on create on one of 20 grants (ledgerDefs: a draw with a when
// and two matched fields).
//
//	GROWTH_TEST_POSTGRES=… go test -run '^$' -bench ImportDraws -benchtime 5x ./engine/
func BenchmarkImportDraws(b *testing.B) {
	const rows = 5000
	var grants []int64
	setup := func(b *testing.B, rt *engine.Runtime) {
		f := &fundApp{t: b, rt: rt}
		grants = grants[:0]
		for range 20 {
			grants = append(grants, f.grant("100000000.00"))
		}
	}
	benchImport(b, enginetest.Load(b, ledgerDefs), setup, "fund", "spend", func(_ *engine.Runtime, iter int) ([]byte, int) {
		var buf bytes.Buffer
		buf.WriteString("grant,agency,func_class,amount\n")
		for i := range rows {
			fmt.Fprintf(&buf, "%d,101001,2050201,%d.%02d\n", grants[(i+iter)%len(grants)], 1+i%90, i%100)
		}
		return buf.Bytes(), rows
	})
}

// BenchmarkImportRollups imports 5,000 lines per iteration into 50 batches
// of one plan (rollupDefs: five rollups of the batch, a rule on them, and
// the plan's rollup of its batches).
//
//	GROWTH_TEST_POSTGRES=… go test -run '^$' -bench ImportRollups -benchtime 5x ./engine/
func BenchmarkImportRollups(b *testing.B) {
	const rows = 5000
	var batches []int64
	setup := func(b *testing.B, rt *engine.Runtime) {
		ctx := context.Background()
		plan := enginetest.Must(rt.Create(ctx, engine.SystemActor, "roll", "plan", map[string]any{"name": "p"})).ID
		batches = batches[:0]
		for range 50 {
			batches = append(batches, enginetest.Must(rt.Create(ctx, engine.SystemActor, "roll", "batch", map[string]any{"plan": plan, "limit_amount": "100000000.00"})).ID)
		}
	}
	benchImport(b, enginetest.Load(b, rollupDefs), setup, "roll", "line", func(_ *engine.Runtime, iter int) ([]byte, int) {
		var buf bytes.Buffer
		buf.WriteString("batch,net,day\n")
		for i := range rows {
			fmt.Fprintf(&buf, "%d,%d.%02d,2026-03-%02d\n", batches[(i+iter)%len(batches)], 100+i%50, i%100, 1+i%28)
		}
		return buf.Bytes(), rows
	})
}

// benchImport imports the file of each iteration into app.entity: on
// SQLite, and on PostgreSQL with COPY allowed and row by row. It reports
// rows/s, the CPU time of this process per row (go-µs/row: reading,
// validating, preparing, hashing, the driver; GC included) and, for COPY,
// the CPU time of the PostgreSQL server process of the import's
// transaction per row (pg-µs/row, read from /proc, so only with the server
// on the same machine), and says by which method the records were written.
func benchImport(b *testing.B, p *metamodel.Project, setup func(*testing.B, *engine.Runtime), app, entity string, file func(rt *engine.Runtime, iter int) ([]byte, int)) {
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
			if setup != nil {
				setup(b, rt)
			}
			ctx := context.Background()
			total, method := 0, ""
			var pgTicks int64
			pgCPU := true
			defer engine.ObserveImportTx(func(tx *sql.Tx) func() {
				var pid int
				if err := tx.QueryRow("SELECT pg_backend_pid()").Scan(&pid); err != nil {
					b.Fatal(err)
				}
				before, ok := processTicks(pid)
				return func() {
					after, ok2 := processTicks(pid)
					pgTicks += after - before
					pgCPU = pgCPU && ok && ok2
				}
			})()
			goCPU := time.Duration(0)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				data, rows := file(rt, i)
				b.StartTimer()
				cpu0 := processCPU()
				report, err := rt.Import(ctx, engine.SystemActor, app, entity, bytes.NewReader(data), engine.FormatCSV, nil)
				goCPU += processCPU() - cpu0
				if err != nil {
					b.Fatalf("%v %v", err, rowProblems(report))
				}
				if report.Imported != rows {
					b.Fatalf("imported %d of %d", report.Imported, rows)
				}
				total += rows
				method = report.Method
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(goCPU.Microseconds())/float64(total), "go-µs/row")
			if pgTicks > 0 && pgCPU {
				// /proc counts in clock ticks of 10 ms.
				b.ReportMetric(float64(pgTicks)*10000/float64(total), "pg-µs/row")
			}
			b.Logf("written by %s", method)
		})
	}
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processTicks is the user and system CPU time of process pid so far, in
// clock ticks, as /proc/pid/stat says (false where there is no /proc or the
// process is not on this machine's).
func processTicks(pid int) (int64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: count from after it.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime, err1 == nil && err2 == nil
}

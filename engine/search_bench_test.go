package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// BenchmarkListSearch measures a search (ListQuery.Search) over 100,000
// payments on PostgreSQL, with the trigram indexes the platform creates
// when pg_trgm is installed and after dropping them (docs/performance.md):
// a selective search counted (200 matches), a number searched (a handful),
// and page 1 of a broad search (one payee in eight).
func BenchmarkListSearch(b *testing.B) {
	if os.Getenv(enginetest.PostgresEnv) == "" {
		b.Skip("PostgreSQL only")
	}
	admin, err := engine.Open(context.Background(), os.Getenv(enginetest.PostgresEnv))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Write.Exec(`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`); err != nil {
		b.Skipf("pg_trgm cannot be installed here: %v", err)
	}
	p := enginetest.Load(b, map[string]string{"s/app.yaml": searchApp})
	rt := enginetest.Start(b, engine.Postgres, p, engine.OpenAccess{})
	ctx := context.Background()
	const rows = 100000
	cities := []string{"成都", "绵阳", "德阳", "宜宾", "南充", "泸州", "乐山", "自贡"}
	trades := []string{"办公用品", "建筑工程", "印刷", "医药", "信息技术", "物业管理", "餐饮", "运输"}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tx, err := rt.DB.Write.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	cols := []string{"version", "created_by", "created_at", "updated_at", "def_version", "payee", "number", "amount"}
	for start := 0; start < rows; start += 500 {
		var vals []string
		var args []any
		for i := start; i < start+500; i++ {
			var ph []string
			for range cols {
				ph = append(ph, rt.DB.Placeholder(len(args)+len(ph)+1))
			}
			vals = append(vals, "("+strings.Join(ph, ", ")+")")
			args = append(args, 1, "u", at, at, rt.Project.Hash, fmt.Sprintf("%s某%s有限公司%d", cities[i%8], trades[(i/8)%8], i%997),
				fmt.Sprintf("ZF2026%015d", i), int64(i)*100)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO s_pay ("+strings.Join(cols, ", ")+") VALUES "+strings.Join(vals, ", "), args...); err != nil {
			_ = tx.Rollback()
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	analyze := func() {
		if _, err := rt.DB.Write.ExecContext(ctx, "ANALYZE s_pay"); err != nil {
			b.Fatal(err)
		}
	}
	analyze()
	cases := []struct {
		name string
		q    engine.ListQuery
	}{
		{"selective_counted", engine.ListQuery{Search: "有限公司996", Total: true}},
		{"number_counted", engine.ListQuery{Search: "000000012345", Total: true}},
		{"broad_page1", engine.ListQuery{Search: "办公用品"}},
		{"broad_counted", engine.ListQuery{Search: "办公用品", Total: true}},
	}
	run := func(prefix string) {
		for _, c := range cases {
			b.Run(prefix+"/"+c.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := rt.List(ctx, engine.SystemActor, "s", "pay", c.q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	run("trigram")
	for _, ix := range []string{"tg_s_pay_payee", "tg_s_pay_number"} {
		if _, err := rt.DB.Write.ExecContext(ctx, "DROP INDEX "+ix); err != nil {
			b.Fatal(err)
		}
	}
	analyze()
	run("plain")
}

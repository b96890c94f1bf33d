package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

// benchDefinition is the app both servers implement: one entity with a code
// field, money, one rule, filters on year and agency.
const benchDefinition = `
app: bench
title: 压测
codesets:
  bench_agency:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 本级, parent: "101"}
      - {code: "101002", name: 国库支付中心, parent: "101"}
      - {code: "102", name: 教育厅}
      - {code: "102001", name: 本级, parent: "102"}
      - {code: "102002", name: 教育考试院, parent: "102"}
      - {code: "103", name: 卫健委}
      - {code: "103001", name: 本级, parent: "103"}
entities:
  voucher:
    title: 凭证
    filters: [year, agency]
    fields:
      year:    {type: int, required: true}
      agency:  {type: code, codeset: bench_agency, leaf_only: true, required: true}
      amount:  {type: money, required: true}
      purpose: {type: string, max_length: 200}
    rules:
      - assert: "amount > 0"
        message: 金额必须大于零
        fields: [amount]
`

func startGrowth(ctx context.Context, dir, dbArg string) (*fiber.App, func(int) error, func()) {
	defs := filepath.Join(dir, "definitions", "bench")
	if err := os.MkdirAll(defs, 0o755); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(filepath.Join(defs, "app.yaml"), []byte(benchDefinition), 0o644); err != nil {
		fatal(err)
	}
	p, err := metamodel.Load(filepath.Dir(defs))
	if err != nil {
		fatal(err)
	}
	db, err := openBenchDB(ctx, dir, dbArg, "growth")
	if err != nil {
		fatal(err)
	}
	// Open access: the figures are of the record path, compared with the
	// hand-written baseline, which has no access control either.
	rt, err := engine.Start(ctx, db, p, engine.StartOptions{Access: engine.OpenAccess{}})
	if err != nil {
		fatal(err)
	}
	app, err := apps.New(rt, apps.Options{})
	if err != nil {
		fatal(err)
	}
	seed := func(n int) error { return seedRows(ctx, db, "bench_voucher", n, true) }
	return app, seed, func() { db.Close() }
}

// openBenchDB opens a fresh database: a new SQLite file, or a new schema on
// the PostgreSQL server named by dbArg.
func openBenchDB(ctx context.Context, dir, dbArg, name string) (*engine.DB, error) {
	if !strings.HasPrefix(dbArg, "postgres") {
		return engine.Open(ctx, tempDB(dir, name))
	}
	admin, err := engine.Open(ctx, dbArg)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	schema := fmt.Sprintf("bench_%s_%d", strings.ReplaceAll(name, "-", "_"), time.Now().UnixNano())
	if _, err := admin.Write.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, err
	}
	sep := "?"
	if strings.Contains(dbArg, "?") {
		sep = "&"
	}
	return engine.Open(ctx, dbArg+sep+"search_path="+schema)
}

// seedRows tops the table up to n rows with multi-row INSERTs, the same rows
// for both servers (withMeta adds Growth's system columns).
func seedRows(ctx context.Context, db *engine.DB, table string, n int, withMeta bool) error {
	var have int
	if err := db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&have); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(42, 43))
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	for have < n {
		batch := min(500, n-have)
		var b strings.Builder
		var args []any
		cols := "year, agency, amount, purpose"
		if withMeta {
			cols = "version, created_by, created_at, updated_at, def_version, " + cols
		}
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, cols)
		for i := 0; i < batch; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			vals := []any{2025 + rng.IntN(2), agencies[rng.IntN(len(agencies))], int64(100 + rng.IntN(10000000)), "批量导入"}
			if withMeta {
				vals = append([]any{1, "seed", now, now, "seed"}, vals...)
				if db.Dialect == engine.Postgres {
					vals[2], vals[3] = time.Now(), time.Now()
				}
			}
			b.WriteString("(")
			for j, v := range vals {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				b.WriteString(db.Placeholder(len(args)))
			}
			b.WriteString(")")
		}
		if _, err := db.Write.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		have += batch
	}
	_, err := db.Write.ExecContext(ctx, "ANALYZE")
	return err
}

package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

const backfillBefore = `
app: bf
title: 汇总补算
entities:
  batch:
    fields:
      name:  {type: string}
      limit: {type: money}
  line:
    fields:
      batch:  {type: ref, entity: batch, required: true}
      amount: {type: money, required: true}
`

// A rollup added to an entity with records is filled on the next start; a
// parent whose existing children break its new rule keeps starting.
func TestRollupAddedLaterIsFilled(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		db := enginetest.OpenDB(t, d)
		v1 := enginetest.Load(t, map[string]string{"bf/app.yaml": backfillBefore})
		rt := enginetest.Must(engine.Start(ctx, db, v1, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		small := enginetest.Must(rt.Create(ctx, clerk, "bf", "batch", map[string]any{"name": "a", "limit": "100.00"}))
		big := enginetest.Must(rt.Create(ctx, clerk, "bf", "batch", map[string]any{"name": "b", "limit": "1.00"}))
		for _, amt := range []string{"10.25", "20.50"} {
			enginetest.Must(rt.Create(ctx, clerk, "bf", "line", map[string]any{"batch": jsonID(small.ID), "amount": amt}))
			enginetest.Must(rt.Create(ctx, clerk, "bf", "line", map[string]any{"batch": jsonID(big.ID), "amount": amt}))
		}
		v2 := enginetest.Load(t, map[string]string{"bf/app.yaml": strings.Replace(backfillBefore,
			"      limit: {type: money}\n",
			"      limit: {type: money}\n      total: {type: rollup, entity: line, via: batch, field: amount, agg: sum}\n      lines: {type: rollup, entity: line, via: batch, agg: count}\n    rules:\n      - {assert: \"total <= limit\", message: 超过限额, fields: [total]}\n", 1)})
		rt = enginetest.Must(engine.Start(ctx, db, v2, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		got := enginetest.Must(rt.Get(ctx, clerk, "bf", "batch", small.ID))
		if got.Values["total"] == nil || !got.Values["total"].(decimal.Decimal).Equal(decimal.RequireFromString("30.75")) || got.Values["lines"] != int64(2) {
			t.Fatalf("filled rollups = %v, %v; want 30.75 and 2", got.Values["total"], got.Values["lines"])
		}
		// The over-limit batch could not be filled; it is left as it was.
		if b := enginetest.Must(rt.Get(ctx, clerk, "bf", "batch", big.ID)); b.Values["total"] != nil {
			t.Fatalf("over-limit batch filled anyway: %v", b.Values["total"])
		}
		if rep := enginetest.Must(rt.VerifyProof(ctx)); !rep.OK() {
			t.Fatalf("audit after filling: %v %v %v", rep.Audit.Broken, rep.Problems, rep.Ledger.Problems)
		}
	})
}

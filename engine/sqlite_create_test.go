package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

const sqliteCreateApp = `
app: sc
title: 测试
entities:
  item:
    title: 物品
    fields:
      name:   {type: string, max_length: 20, required: true}
      amount: {type: money, required: true}
    rules:
      - assert: "amount > 0"
        message: 金额应大于零
        fields: [amount]
  note:
    title: 备注
    fields:
      item: {type: ref, entity: item, required: true}
      text: {type: string, max_length: 20}
`

// TestSQLiteCreates: creates on SQLite, many at once, of an entity without
// references (checked before their turn on the write connection, and
// reading their audit head in their INSERT) and of one with a reference
// (checked in the transaction). A create its rule refuses never reaches
// the write connection; every other one commits with its audit row, in
// chains that verify, the first write to each chain creating its head.
func TestSQLiteCreates(t *testing.T) {
	ctx := context.Background()
	p := enginetest.Load(t, map[string]string{"sc/app.yaml": sqliteCreateApp})
	rt := enginetest.Start(t, engine.SQLite, p, engine.OpenAccess{})
	actor := engine.Actor{User: "u1"}
	before := rt.DB.GroupedWrites()
	const n = 60
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			amount := "12.50"
			if i%4 == 3 {
				amount = "-1.00"
			}
			rec, err := rt.Create(ctx, actor, "sc", "item", map[string]any{"name": "笔", "amount": amount})
			errs[i] = err
			if err == nil {
				ids[i] = rec.ID
			}
		}()
	}
	wg.Wait()
	var valid []int64
	for i, err := range errs {
		if i%4 == 3 {
			if _, ok := errors.AsType[*engine.ValidationError](err); !ok {
				t.Errorf("create %d with a negative amount: %v, want a validation error", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		valid = append(valid, ids[i])
	}
	if got := rt.DB.GroupedWrites() - before; got != int64(len(valid)) {
		t.Errorf("%d writes reached the write connection, want the %d valid creates", got, len(valid))
	}
	for _, id := range valid[:5] {
		if _, err := rt.Create(ctx, actor, "sc", "note", map[string]any{"item": id, "text": "x"}); err != nil {
			t.Fatalf("note: %v", err)
		}
	}
	if _, err := rt.Create(ctx, actor, "sc", "note", map[string]any{"item": int64(999999), "text": "x"}); err == nil {
		t.Error("a note of no item was created")
	}
	rep, err := rt.DB.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("audit does not verify: %v", rep.Broken)
	}
	if rep.Rows != len(valid)+5 {
		t.Errorf("%d audit rows, want %d", rep.Rows, len(valid)+5)
	}
}

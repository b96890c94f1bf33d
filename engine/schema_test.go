package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

const schemaV1 = `
app: shop
title: 测试
entities:
  item:
    title: 物品
    fields:
      name:  {type: string, max_length: 20, required: true}
      price: {type: money}
      note:  {type: string, max_length: 10}
`

func TestSchemaSync(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		db := enginetest.OpenDB(t, d)
		v1 := enginetest.Load(t, map[string]string{"shop/app.yaml": schemaV1})
		rt, err := engine.Start(ctx, db, v1, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		rec := enginetest.Must(rt.Create(ctx, clerk, "shop", "item", map[string]any{"name": "笔", "price": "3.50", "note": "蓝色"}))

		// Nothing changed: an empty plan.
		plan := enginetest.Must(db.PlanSchema(ctx, v1, false))
		if len(plan.Steps)+len(plan.Refused) != 0 {
			t.Fatalf("unchanged definitions planned %+v", plan.Steps)
		}

		// Additive: a new field, a wider string, a new entity apply on start.
		v2 := enginetest.Load(t, map[string]string{"shop/app.yaml": strings.NewReplacer(
			"name:  {type: string, max_length: 20", "name:  {type: string, max_length: 40",
			"      note:", "      stock: {type: int, default: 0}\n      note:",
		).Replace(schemaV1) + "  tag:\n    fields:\n      label: {type: string}\n"})
		plan = enginetest.Must(db.PlanSchema(ctx, v2, false))
		var descs []string
		for _, s := range plan.Steps {
			descs = append(descs, s.Description)
		}
		joined := strings.Join(descs, "\n")
		for _, want := range []string{"add column shop_item.stock", "widen column shop_item.name", "create table shop_tag"} {
			if !strings.Contains(joined, want) {
				t.Errorf("plan lacks %q:\n%s", want, joined)
			}
		}
		if len(plan.Refused) != 0 {
			t.Fatalf("additive change refused: %v", plan.Err())
		}
		rt, err = engine.Start(ctx, db, v2, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		got := enginetest.Must(rt.Get(ctx, clerk, "shop", "item", rec.ID))
		if got.Values["name"] != "笔" || got.Values["stock"] != nil {
			t.Fatalf("after additive sync: %+v", got.Values)
		}

		// Destructive: a removed field and a narrowed type are refused, naming them.
		v3 := enginetest.Load(t, map[string]string{"shop/app.yaml": strings.NewReplacer(
			"      note:  {type: string, max_length: 10}\n", "",
			"max_length: 20", "max_length: 40",
			"price: {type: money}", "price: {type: int}",
		).Replace(schemaV1)})
		_, err = engine.Start(ctx, db, v3, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
		if !errors.Is(err, engine.ErrDestructive) {
			t.Fatalf("destructive change: err = %v", err)
		}
		for _, want := range []string{"field note of entity shop.item was removed", "field price of entity shop.item changes type from decimal with 2 decimals to integer", "entity shop.tag was removed", "--allow-destructive"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message lacks %q:\n%v", want, err)
			}
		}
		// The refused start changed nothing.
		got = enginetest.Must(rt.Get(ctx, clerk, "shop", "item", rec.ID))
		if got.Values["note"] != "蓝色" {
			t.Fatalf("refused sync touched data: %+v", got.Values)
		}

		// Allowed: applied, and the old values are kept under archive names.
		rt, err = engine.Start(ctx, db, v3, engine.StartOptions{Access: engine.OpenAccess{}, AllowDestructive: true, Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		var archived string
		q := `SELECT ` + archivedColumn(t, db, "shop_item", "note__archived_") + ` FROM shop_item WHERE id = ` + db.Placeholder(1)
		if err := db.Read.QueryRowContext(ctx, q, rec.ID).Scan(&archived); err != nil || archived != "蓝色" {
			t.Fatalf("archived note = %q, %v", archived, err)
		}
		got = enginetest.Must(rt.Get(ctx, clerk, "shop", "item", rec.ID))
		if _, has := got.Values["note"]; has {
			t.Fatalf("removed field still read: %+v", got.Values)
		}
		if got.Values["name"] != "笔" {
			t.Fatalf("kept field lost: %+v", got.Values)
		}
	})
}

// archivedColumn finds the archive column whose name starts with prefix.
func archivedColumn(t *testing.T, db *engine.DB, table, prefix string) string {
	t.Helper()
	cols, err := db.Gorm.Migrator().ColumnTypes(table)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if strings.HasPrefix(c.Name(), prefix) {
			return `"` + c.Name() + `"`
		}
	}
	t.Fatalf("no column %s* in %s", prefix, table)
	return ""
}

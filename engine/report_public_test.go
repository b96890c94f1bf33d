package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

var publicDefs = map[string]string{"aid/app.yaml": `
app: aid
title: 救灾资金
entities:
  payout:
    title: 发放
    fields:
      village:   {type: string, required: true}
      year:      {type: int, required: true}
      person:    string
      id_number: string
      amount:    money
reports:
  by_village:
    title: 各村发放公示
    public: true
    entity: payout
    group_by: [village, year]
    filters: [year, id_number]
    measures:
      - {name: people, label: 人数, agg: count}
      - {name: total, label: 金额, agg: sum, field: amount}
  internal:
    title: 内部台账
    entity: payout
    group_by: [person]
    measures:
      - {name: total, agg: sum, field: amount}
`}

// denyAll is an Access that allows nothing: public reports must not need it.
type denyAll struct{ engine.OpenAccess }

func (denyAll) Can(engine.Actor, *metamodel.Entity, string) bool { return false }

func TestPublicReport(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, publicDefs), engine.OpenAccess{})
		ctx := context.Background()
		for _, p := range []struct{ village, year, person, idn, amount string }{
			{"东村", "2026", "张三", "510104199001011234", "1000.00"},
			{"东村", "2026", "李四", "51010419900202123X", "500.50"},
			{"西村", "2026", "王五", "510104199003031235", "800.00"},
			{"西村", "2025", "赵六", "510104199004041236", "300.00"},
		} {
			enginetest.Must(rt.Create(ctx, engine.SystemActor, "aid", "payout", map[string]any{"village": p.village, "year": p.year, "person": p.person, "id_number": p.idn, "amount": p.amount}))
		}
		rt.Access = denyAll{}
		res, err := rt.PublicReport(ctx, "aid", "by_village", "year = 2026")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 2 || res.Rows[0].Values["village"] != "东村" || res.Rows[0].Values["people"] != int64(2) ||
			!res.Rows[0].Values["total"].(decimal.Decimal).Equal(decimal.RequireFromString("1500.50")) ||
			!res.Totals.Values["total"].(decimal.Decimal).Equal(decimal.RequireFromString("2300.50")) {
			t.Fatalf("rows %+v totals %+v", res.Rows, res.Totals)
		}
		if _, ok := rt.Access.(denyAll); !ok {
			t.Fatal("the runtime's Access was replaced")
		}
		if _, err := rt.Report(ctx, engine.Actor{User: "someone"}, "aid", "by_village", ""); !errors.Is(err, engine.ErrForbidden) {
			t.Fatalf("the same report through Report: %v, want ErrForbidden", err)
		}
		refusals := []struct {
			name, report, filter string
			want                 func(error) bool
		}{
			{"a report that is not public", "internal", "", func(err error) bool { return errors.Is(err, engine.ErrNotFound) }},
			{"a report that does not exist", "nothing", "", func(err error) bool { return errors.Is(err, engine.ErrNotFound) }},
			{"a filter on a field the report does not show", "by_village", "id_number = '510104199001011234'", isBadQuery},
			{"a filter on a field that is not a filter", "by_village", "village = '东村'", isBadQuery},
			{"a malformed filter", "by_village", "year = ", isBadQuery},
		}
		for _, sc := range refusals {
			t.Run(sc.name, func(t *testing.T) {
				if _, err := rt.PublicReport(ctx, "aid", sc.report, sc.filter); !sc.want(err) {
					t.Fatalf("got %v", err)
				}
			})
		}
	})
}

func isBadQuery(err error) bool {
	var bq *engine.BadQueryError
	return errors.As(err, &bq)
}

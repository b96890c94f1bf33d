package engine_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

const searchApp = `
app: s
entities:
  pay:
    search: [payee, number]
    fields:
      payee:  {type: string}
      number: {type: string}
      note:   {type: string}
      amount: {type: money}
  plain:
    fields:
      name: {type: string}
`

// Search finds a substring of any search field, takes % and _ literally,
// ignores case on PostgreSQL, and leaves other fields alone; sums are exact.
func TestListSearchAndSums(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"s/app.yaml": searchApp})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		for _, r := range []map[string]any{
			{"payee": "成都某办公用品有限公司", "number": "ZF001", "note": "x", "amount": "0.10"},
			{"payee": "绵阳某建筑公司", "number": "ZF002", "note": "办公用品", "amount": "0.20"},
			{"payee": "100% 公司", "number": "ZF_03", "amount": "1000000.01"},
			{"payee": "100X 公司", "number": "ZFA03", "amount": "7.00"},
		} {
			enginetest.Must(rt.Create(ctx, engine.SystemActor, "s", "pay", r))
		}
		search := func(q string) []string {
			t.Helper()
			res, err := rt.List(ctx, engine.SystemActor, "s", "pay", engine.ListQuery{Search: q, Total: true, Sums: []string{"amount"}})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			var out []string
			for _, r := range res.Items {
				out = append(out, r.Values["number"].(string))
			}
			slices.Sort(out)
			if int(*res.Total) != len(out) {
				t.Errorf("search %q: total %d for %d items", q, *res.Total, len(out))
			}
			return out
		}
		for _, sc := range []struct {
			q    string
			want []string
		}{
			{"办公用品", []string{"ZF001"}}, // the note is not a search field
			{"ZF00", []string{"ZF001", "ZF002"}},
			{"100%", []string{"ZF_03"}},
			{"F_0", []string{"ZF_03"}},
			{"  ", []string{"ZF001", "ZF002", "ZFA03", "ZF_03"}},
		} {
			if got := search(sc.q); !slices.Equal(got, sc.want) {
				t.Errorf("search %q: %v, want %v", sc.q, got, sc.want)
			}
		}
		if d == engine.Postgres {
			if got := search("zf001"); !slices.Equal(got, []string{"ZF001"}) {
				t.Errorf("PostgreSQL search ignores case: %v", got)
			}
		}
		res, err := rt.List(ctx, engine.SystemActor, "s", "pay", engine.ListQuery{Search: "公司", PageSize: 1, Total: true, Sums: []string{"amount"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := decimal.RequireFromString("1000007.31"); !res.Sums["amount"].Equal(want) {
			t.Errorf("sum of the search: %s, want %s (of every match, not the page)", res.Sums["amount"], want)
		}
		var bq *engine.BadQueryError
		if _, err := rt.List(ctx, engine.SystemActor, "s", "plain", engine.ListQuery{Search: "x"}); !errors.As(err, &bq) || bq.Param != "q" {
			t.Errorf("search of an entity without search fields: %v", err)
		}
		if _, err := rt.List(ctx, engine.SystemActor, "s", "pay", engine.ListQuery{Total: true, Sums: []string{"payee"}}); !errors.As(err, &bq) {
			t.Errorf("sum of a text field: %v", err)
		}
	})
}

// On PostgreSQL with pg_trgm installed, every search field gets a trigram
// index, which a substring search uses.
func TestSearchTrigramIndex(t *testing.T) {
	if os.Getenv(enginetest.PostgresEnv) == "" {
		t.Skip("PostgreSQL only")
	}
	admin, err := engine.Open(context.Background(), os.Getenv(enginetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Write.Exec(`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`); err != nil {
		t.Skipf("pg_trgm cannot be installed here: %v", err)
	}
	p := enginetest.Load(t, map[string]string{"s/app.yaml": searchApp})
	rt := enginetest.Start(t, engine.Postgres, p, engine.OpenAccess{})
	var defs []string
	rows, err := rt.DB.Read.Query(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 's_pay' AND indexdef LIKE '%gin_trgm_ops%' ORDER BY indexname`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		defs = append(defs, s)
	}
	if len(defs) != 2 {
		t.Fatalf("trigram indexes of s_pay: %v, want one on payee and one on number", defs)
	}
	if _, err := rt.List(context.Background(), engine.SystemActor, "s", "pay", engine.ListQuery{Search: "公司"}); err != nil {
		t.Fatal(err)
	}
}

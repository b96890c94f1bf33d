package filter_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine/filter"
)

func TestParams(t *testing.T) {
	e := payment(t)
	params := func(name string) (filter.Value, bool) {
		switch name {
		case "year":
			return filter.Value{Kind: filter.Number, Text: "2026"}, true
		case "amount":
			return filter.Value{Kind: filter.Number, Text: "1234.50"}, true
		case "name":
			return filter.Value{Kind: filter.String, Text: "x' or 1=1 --"}, true
		case "paid":
			return filter.Value{Kind: filter.Bool, Text: "true"}, true
		}
		return filter.Value{}, false
	}
	scenarios := []struct {
		src, canonical, sql string
		args                []any
	}{
		{"year = $year and amount >= $amount", "year = $year and amount >= $amount", `"year" = ? AND "amount" >= ?`, []any{int64(2026), int64(123450)}},
		{"name = $name", "name = $name", `"name" = ?`, []any{"x' or 1=1 --"}},
		{"paid = $paid or year in (2025, $year)", "paid = $paid or year in (2025, $year)", `("paid" = ? OR "year" IN (?, ?))`, []any{true, int64(2025), int64(2026)}},
	}
	for _, sc := range scenarios {
		t.Run(sc.src, func(t *testing.T) {
			n, err := filter.Parse(sc.src)
			if err != nil {
				t.Fatal(err)
			}
			if n.String() != sc.canonical || !filter.HasParams(n) {
				t.Fatalf("canonical %q, has params %v", n.String(), filter.HasParams(n))
			}
			if _, _, err := filter.Compile(n, resolver(e), sqlite, 0); err == nil || !strings.Contains(err.Error(), "has no value") {
				t.Fatalf("compiling unbound parameters: err = %v", err)
			}
			bound, err := filter.Bind(n, params)
			if err != nil {
				t.Fatal(err)
			}
			if filter.HasParams(bound) || !filter.HasParams(n) {
				t.Fatal("Bind must replace every parameter and leave the original tree alone")
			}
			sql, args, err := filter.Compile(bound, resolver(e), sqlite, 0)
			if err != nil {
				t.Fatal(err)
			}
			if sql != sc.sql || fmt.Sprint(args) != fmt.Sprint(sc.args) {
				t.Fatalf("got %s %v, want %s %v", sql, args, sc.sql, sc.args)
			}
		})
	}
	for _, bad := range []struct{ src, want string }{
		{"year = $", `"$" starts a parameter`},
		{"year = $1", `"$" starts a parameter`},
		{"year = $nope", "$nope: no such field"},
	} {
		n, err := filter.Parse(bad.src)
		if err == nil {
			_, err = filter.Bind(n, params)
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want %q", bad.src, err, bad.want)
		}
	}
}

func TestPrefixCompiles(t *testing.T) {
	e := payment(t)
	n := &filter.And{Terms: []filter.Node{&filter.Prefix{Field: "agency", Code: "101"}, &filter.Compare{Field: "year", Op: filter.Eq, Value: filter.Value{Kind: filter.Number, Text: "2026"}}}}
	sql, args, err := filter.Compile(n, resolver(e), postgres, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sql != `substr("agency", 1, 3) = $2 AND "year" = $3` || fmt.Sprint(args) != "[101 2026]" {
		t.Fatalf("got %s %v", sql, args)
	}
	if _, _, err := filter.Compile(&filter.Prefix{Field: "year", Code: "20"}, resolver(e), sqlite, 0); err == nil {
		t.Fatal("a prefix on an int field compiled")
	}
}

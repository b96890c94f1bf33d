package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// percentType is a field type that exists only in this file: a share in
// percent with two decimals, typed 12.5 or 12.5%, shown as 12.50%, at most
// its max (100 by default). It is the core metamodel.FieldType plus two of
// the optional interfaces (metamodel.Displayer, metamodel.ImportHinter);
// its form input, list filter and API description come from its storage
// column. TestFieldTypeInOneFile shows it working from the definition to
// the engine, the forms, the list, the import and the API document: adding
// a field type is adding a file.
type percentType struct{}

// percentSettings are a percent field's parsed settings.
type percentSettings struct{ max decimal.Decimal }

func init() { metamodel.RegisterFieldType(percentType{}) }

func (percentType) Name() string { return "percent" }

func (percentType) Setup(f *metamodel.Field, ps *metamodel.Problems) {
	metamodel.OnlyKeys(f, ps, "max")
	s := &percentSettings{max: decimal.NewFromInt(100)}
	if f.Max != "" {
		d, err := decimal.NewFromString(f.Max)
		if err != nil {
			ps.Addf(f.At["max"], "field %s: max must be a number, got %q", f.Name, f.Max)
		} else {
			s.max = d
		}
	}
	f.Settings = s
}

func (percentType) Column(*metamodel.Field) metamodel.Column {
	return metamodel.Column{Kind: metamodel.ColumnScaled, Scale: 2}
}

func (percentType) Parse(f *metamodel.Field, in any) (any, error) {
	text, ok := in.(string)
	if n, isNumber := in.(json.Number); isNumber {
		text, ok = string(n), true
	}
	d, err := decimal.NewFromString(strings.TrimSuffix(strings.TrimSpace(text), "%"))
	if !ok || err != nil {
		return nil, &metamodel.InputError{Code: "type", Message: "应为百分数，如 12.5%"}
	}
	if !d.Equal(d.Round(2)) {
		return nil, &metamodel.InputError{Code: "scale", Message: "最多 2 位小数"}
	}
	return d, nil
}

func (percentType) Validate(f *metamodel.Field, v any) error {
	d, max := v.(decimal.Decimal), f.Settings.(*percentSettings).max
	if d.IsNegative() || d.GreaterThan(max) {
		return &metamodel.InputError{Code: "range", Message: fmt.Sprintf("应在 0%% 至 %s%% 之间", max)}
	}
	return nil
}

func (percentType) JSON(f *metamodel.Field, v any) any { return v.(decimal.Decimal).StringFixed(2) }
func (percentType) Zero(*metamodel.Field) any          { return decimal.Zero }

func (percentType) Display(f *metamodel.Field, v any, en bool, loc *time.Location) string {
	return v.(decimal.Decimal).StringFixed(2) + "%"
}

func (percentType) ImportHint(f *metamodel.Field, en bool) string {
	if en {
		return "A percentage, e.g. 12.5%"
	}
	return "百分数，如 12.5%"
}

var percentDefs = map[string]string{"rates/app.yaml": `
app: rates
title: 费率
entities:
  fee:
    title: 收费
    fields:
      name: {type: string, label: 名称, required: true}
      rate: {type: percent, label: 费率, max: "50", required: true}
    filters: [rate]
roles:
  clerk:
    title: 经办
    scope: all
    can:
      fee: [create, read, update, export]
`}

// TestFieldTypeInOneFile loads a definition using the percent type, whose
// settings are checked at load; creates and reads records through the
// engine, with the type's limits; fills in the form the type's storage
// column gives it; lists and filters by it; imports it from a CSV file with
// its own hint; and finds it described in the API document.
func TestFieldTypeInOneFile(t *testing.T) {
	bad := map[string]string{"rates/app.yaml": strings.Replace(percentDefs["rates/app.yaml"], `max: "50"`, `max: "50", pattern: "[0-9]+"`, 1)}
	if _, err := metamodel.Load(enginetest.WriteDefinitions(t, bad)); err == nil || !strings.Contains(err.Error(), `key "pattern" does not apply to type percent`) {
		t.Fatalf("a key the type does not take: %v", err)
	}
	p := enginetest.Load(t, percentDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		ctx := context.Background()
		rec, err := s.rt.Create(ctx, engine.SystemActor, "rates", "fee", map[string]any{"name": "甲", "rate": "12.5%"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.rt.Get(ctx, engine.SystemActor, "rates", "fee", rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := got.Values["rate"].(decimal.Decimal); !ok || !v.Equal(decimal.RequireFromString("12.5")) {
			t.Fatalf("stored rate %#v, want 12.5", got.Values["rate"])
		}
		if out := engine.RecordJSON(p.App("rates").Entity("fee"), got, nil); out["rate"] != "12.50" {
			t.Errorf("API renders the rate as %#v, want \"12.50\"", out["rate"])
		}
		for in, code := range map[string]errcode.Code{"60": errcode.Range, "abc": errcode.Type, "1.234": errcode.Scale} {
			_, err := s.rt.Create(ctx, engine.SystemActor, "rates", "fee", map[string]any{"name": "乙", "rate": in})
			var ve *engine.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields["rate"]) == 0 || ve.Fields["rate"][0].Code != code {
				t.Errorf("rate %q: %v, want the code %s", in, err, code)
			}
		}

		s.addUser(t, "clerk", "", "rates.clerk")
		b := s.browser(t)
		b.login("clerk")
		b.get("/ui/rates/fee/new").want(t, "new form", 200, `name="rate"`, `inputmode="decimal"`, `(\.[0-9]{0,2})?`)
		created := b.post("/ui/rates/fee/new", url.Values{"name": {"丙"}, "rate": {"７.５%"}, "_idempotency": {"one"}})
		created.want(t, "form posted", http.StatusSeeOther)
		b.get(created.location).want(t, "record page", 200, "7.50%")
		b.post("/ui/rates/fee/new", url.Values{"name": {"丁"}, "rate": {"51"}}).want(t, "over max", http.StatusUnprocessableEntity, "应在 0% 至 50% 之间")

		list := b.get("/ui/rates/fee")
		list.want(t, "list", 200, "12.50%", "7.50%", `name="f.rate.from"`, `name="f.rate.to"`)
		filtered := b.get("/ui/rates/fee?f.rate.from=10")
		filtered.want(t, "filtered list", 200, "12.50%")
		filtered.lacks(t, "filtered list", "7.50%")

		b.get("/ui/rates/fee/import").want(t, "import page", 200, "<code>rate</code>", "百分数，如 12.5%")
		imported := b.postMultipart("/ui/rates/fee/import", url.Values{"_idempotency": {"import"}},
			upload{"file", "费率.csv", "text/csv", []byte("名称,费率\r\n戊,33.3%\r\n")})
		imported.want(t, "import", http.StatusSeeOther)
		b.get(imported.location).want(t, "list after the import", 200, "已导入 1 条记录", "33.30%")

		var doc any
		if err := json.Unmarshal([]byte(b.get("/api/openapi.json").body), &doc); err != nil {
			t.Fatal(err)
		}
		rate := findProperty(doc, "rate")
		if rate == nil || rate["type"] != "string" || rate["pattern"] != `^-?[0-9]+(\.[0-9]{1,2})?$` || rate["title"] != "费率" {
			t.Errorf("the API document describes rate as %v, want an exact decimal string with 2 decimals", rate)
		}
	})
}

// findProperty is the first schema of a property called name in a JSON
// document, or nil.
func findProperty(doc any, name string) map[string]any {
	switch x := doc.(type) {
	case map[string]any:
		if props, ok := x["properties"].(map[string]any); ok {
			if p, ok := props[name].(map[string]any); ok {
				return p
			}
		}
		for _, v := range x {
			if p := findProperty(v, name); p != nil {
				return p
			}
		}
	case []any:
		for _, v := range x {
			if p := findProperty(v, name); p != nil {
				return p
			}
		}
	}
	return nil
}

package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

var clerk = engine.Actor{User: "clerk", Org: "101001"}

func validGrant() map[string]any {
	return map[string]any{"year": json.Number("2026"), "doc_no": "CZ-2026-1", "agency": "101001", "amount": "100000.00", "used": "250.50",
		"rate": "0.1250", "start": "2026-01-01", "approved_at": "2026-01-02T10:00:00+08:00", "urgent": true, "kind": "project", "note": "说明"}
}

func TestCreateGetRoundTrip(t *testing.T) {
	p := enginetest.Load(t, testApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		rec, err := rt.Create(ctx, clerk, "demo", "grant", validGrant())
		if err != nil {
			t.Fatal(err)
		}
		got, err := rt.Get(ctx, clerk, "demo", "grant", rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := rt.Entity("demo", "grant")
		out := engine.RecordJSON(e, got, nil)
		want := map[string]any{
			"year": int64(2026), "doc_no": "CZ-2026-1", "agency": "101001", "amount": "100000.00", "used": "250.50", "left": "99749.50",
			"rate": "0.1250", "start": "2026-01-01", "approved_at": "2026-01-02T02:00:00Z", "urgent": true, "kind": "project", "note": "说明",
			"version": int64(1), "created_by": "clerk",
		}
		for k, v := range want {
			if out[k] != v {
				t.Errorf("%s = %#v, want %#v", k, out[k], v)
			}
		}
		labels := out["_labels"].(map[string]string)
		if labels["agency"] != "财政厅本级" || labels["kind"] != "项目" {
			t.Errorf("labels = %v", labels)
		}
	})
}

func TestCreateRefusesBadInput(t *testing.T) {
	p := enginetest.Load(t, testApp)
	scenarios := []struct {
		name      string
		change    map[string]any
		field     string
		code      string
		malformed bool
	}{
		{"unknown field", map[string]any{"amout": "1"}, "amout", "unknown_field", true},
		{"system field", map[string]any{"id": json.Number("5")}, "id", "system_field", true},
		{"computed field", map[string]any{"left": "1.00"}, "left", "readonly", false},
		{"money as float", map[string]any{"amount": 12.5}, "amount", "type", false},
		{"money as JSON fraction", map[string]any{"amount": json.Number("12.5")}, "amount", "type", false},
		{"over-precise money", map[string]any{"amount": "12.345"}, "amount", "scale", false},
		{"money not a number", map[string]any{"amount": "12a"}, "amount", "type", false},
		{"negative money", map[string]any{"amount": "-1.00"}, "amount", "min", false},
		{"int as text", map[string]any{"year": "twenty"}, "year", "type", false},
		{"int out of range", map[string]any{"year": json.Number("1999")}, "year", "min", false},
		{"string too long", map[string]any{"doc_no": "A123456789012345678901"}, "doc_no", "too_long", false},
		{"pattern", map[string]any{"doc_no": "cz 1"}, "doc_no", "pattern", false},
		{"unknown code", map[string]any{"agency": "999"}, "agency", "unknown_code", false},
		{"not a leaf", map[string]any{"agency": "101"}, "agency", "code_not_leaf", false},
		{"disabled code", map[string]any{"agency": "102009"}, "agency", "code_disabled", false},
		{"code not valid in year", map[string]any{"agency": "102010"}, "agency", "code_not_valid", false},
		{"enum value", map[string]any{"kind": "other"}, "kind", "enum", false},
		{"bad date", map[string]any{"start": "2026-02-30"}, "start", "type", false},
		{"required missing", map[string]any{"amount": nil}, "amount", "required", false},
		{"rule", map[string]any{"used": "100000.01"}, "used", "rule_1", false},
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				input := validGrant()
				for k, v := range sc.change {
					input[k] = v
				}
				_, err := rt.Create(ctx, clerk, "demo", "grant", input)
				var ve *engine.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a validation error", err)
				}
				if ve.Malformed != sc.malformed {
					t.Errorf("malformed = %v, want %v", ve.Malformed, sc.malformed)
				}
				got := ve.Fields[sc.field]
				if len(got) == 0 || string(got[0].Code) != sc.code {
					t.Fatalf("errors = %+v, want %s on %s", ve.Fields, sc.code, sc.field)
				}
				if got[0].Message == "" {
					t.Error("empty message")
				}
			})
		}
		list, err := rt.List(ctx, clerk, "demo", "grant", engine.ListQuery{Total: true})
		if err != nil {
			t.Fatal(err)
		}
		if *list.Total != 0 {
			t.Fatalf("%d records written by refused requests", *list.Total)
		}
		if rep, _ := rt.DB.VerifyAudit(ctx); rep.Rows != 0 {
			t.Fatalf("%d audit rows written by refused requests", rep.Rows)
		}
	})
}

func TestUpdateVersionsAndConflicts(t *testing.T) {
	p := enginetest.Load(t, testApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		rec := enginetest.Must(rt.Create(ctx, clerk, "demo", "grant", validGrant()))
		upd, err := rt.Update(ctx, clerk, "demo", "grant", rec.ID, 1, map[string]any{"used": "1000.00"})
		if err != nil {
			t.Fatal(err)
		}
		if upd.Version != 2 || upd.Values["left"].(decimal.Decimal).String() != "99000" {
			t.Fatalf("after update: version %d, left %v", upd.Version, upd.Values["left"])
		}
		_, err = rt.Update(ctx, clerk, "demo", "grant", rec.ID, 1, map[string]any{"used": "2000.00"})
		var ce *engine.ConflictError
		if !errors.As(err, &ce) || ce.Code != "stale" {
			t.Fatalf("stale update: err = %v, want a stale conflict", err)
		}
		if _, err := rt.Update(ctx, clerk, "demo", "grant", 999, 1, map[string]any{"used": "1.00"}); !errors.Is(err, engine.ErrNotFound) {
			t.Fatalf("missing record: err = %v", err)
		}
		// A rule failing on update changes nothing.
		if _, err := rt.Update(ctx, clerk, "demo", "grant", rec.ID, 2, map[string]any{"used": "200000.00"}); !engine.IsValidation(err) {
			t.Fatalf("rule on update: err = %v", err)
		}
		again := enginetest.Must(rt.Get(ctx, clerk, "demo", "grant", rec.ID))
		if again.Version != 2 || again.Values["used"].(decimal.Decimal).StringFixed(2) != "1000.00" {
			t.Fatalf("refused update changed the record: %+v", again.Values)
		}
		// Duplicate of a unique-together group is a conflict naming the fields.
		_, err = rt.Create(ctx, clerk, "demo", "grant", validGrant())
		if !errors.As(err, &ce) || ce.Code != "duplicate" || len(ce.Fields["doc_no"]) == 0 {
			t.Fatalf("duplicate: err = %v (%+v)", err, ce)
		}
		if err := rt.Delete(ctx, clerk, "demo", "grant", rec.ID, 1); !errors.As(err, &ce) {
			t.Fatalf("stale delete: err = %v", err)
		}
		if err := rt.Delete(ctx, clerk, "demo", "grant", rec.ID, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Get(ctx, clerk, "demo", "grant", rec.ID); !errors.Is(err, engine.ErrNotFound) {
			t.Fatalf("deleted record still readable: %v", err)
		}
		rep, err := rt.DB.VerifyAudit(ctx)
		if err != nil || !rep.OK() || rep.Rows != 3 {
			t.Fatalf("audit: %+v %v (want 3 rows: create, update, delete)", rep, err)
		}
	})
}

func TestRefMustExist(t *testing.T) {
	p := enginetest.Load(t, testApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		_, err := rt.Create(ctx, clerk, "demo", "spend", map[string]any{"grant": json.Number("42"), "amount": "1.00"})
		var ve *engine.ValidationError
		if !errors.As(err, &ve) || ve.Fields["grant"][0].Code != "ref_not_found" {
			t.Fatalf("dangling ref: err = %v", err)
		}
		g := enginetest.Must(rt.Create(ctx, clerk, "demo", "grant", validGrant()))
		if _, err := rt.Create(ctx, clerk, "demo", "spend", map[string]any{"grant": json.Number(jsonID(g.ID)), "amount": "1.00"}); err != nil {
			t.Fatal(err)
		}
	})
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }

func TestTodayIsTheBeijingDate(t *testing.T) {
	scenarios := []struct{ utc, want string }{
		{"2026-03-01T15:59:59Z", "2026-03-01"},
		{"2026-03-01T16:00:00Z", "2026-03-02"}, // midnight in Beijing
		{"2026-12-31T20:00:00Z", "2027-01-01"},
	}
	for _, sc := range scenarios {
		now, _ := time.Parse(time.RFC3339, sc.utc)
		if got := engine.Today(now).Format(time.DateOnly); got != sc.want {
			t.Errorf("Today(%s) = %s, want %s", sc.utc, got, sc.want)
		}
	}
}

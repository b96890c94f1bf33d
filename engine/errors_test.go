package engine_test

import (
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// TestErrorsCarryTheirCodes: the runtime's refusals answer errors.Is with
// their errcode, the Is… helpers with their kind, CodeOf with the code a
// client is answered with, and carry their message in both languages.
func TestErrorsCarryTheirCodes(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"demo/app.yaml": `
app: demo
entities:
  grant:
    title: 拨款
    title_en: Grant
    fields:
      code:   {type: string, label: 编号, label_en: Code, unique: true}
      amount: {type: money, label: 金额, label_en: Amount, required: true}
`})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx, actor := t.Context(), engine.SystemActor
		rec := enginetest.Must(rt.Create(ctx, actor, "demo", "grant", map[string]any{"code": "A", "amount": "1.00"}))
		enginetest.Must(rt.Update(ctx, actor, "demo", "grant", rec.ID, 1, map[string]any{"amount": "2.00"}))
		_, stale := rt.Update(ctx, actor, "demo", "grant", rec.ID, 1, map[string]any{"amount": "3.00"})
		_, dup := rt.Create(ctx, actor, "demo", "grant", map[string]any{"code": "A", "amount": "1.00"})
		_, missing := rt.Create(ctx, actor, "demo", "grant", map[string]any{"code": "B"})
		_, gone := rt.Get(ctx, actor, "demo", "grant", 999)

		scenarios := []struct {
			name string
			err  error
			is   errcode.Code // errors.Is answers true
			not  errcode.Code // and false
			kind func(error) bool
			code errcode.Code // CodeOf
			en   string       // the message in English
		}{
			{"stale", stale, errcode.Stale, errcode.Duplicate, engine.IsConflict, errcode.Stale,
				"Grant was changed by someone else (now version 2, yours 1); reload and try again"},
			{"duplicate", dup, errcode.Duplicate, errcode.Stale, engine.IsConflict, errcode.Duplicate,
				"Grant already has a record with the same Code"},
			{"required", missing, errcode.Required, errcode.Type, engine.IsValidation, errcode.Validation,
				"Amount is required"},
			{"not found", gone, errcode.NotFound, errcode.Unauthorized, engine.IsNotFound, errcode.NotFound,
				"Grant #999"},
		}
		for _, sc := range scenarios {
			if sc.err == nil {
				t.Fatalf("%s: no error", sc.name)
			}
			if !errors.Is(sc.err, sc.is) || errors.Is(sc.err, sc.not) {
				t.Errorf("%s: errors.Is(%v) = %v, errors.Is(%v) = %v", sc.name, sc.is, errors.Is(sc.err, sc.is), sc.not, errors.Is(sc.err, sc.not))
			}
			if !sc.kind(sc.err) {
				t.Errorf("%s: its Is… helper says no to %v", sc.name, sc.err)
			}
			if got := engine.CodeOf(sc.err); got != sc.code {
				t.Errorf("%s: CodeOf = %q, want %q", sc.name, got, sc.code)
			}
			if got := english(sc.err); got != sc.en {
				t.Errorf("%s: English %q, want %q", sc.name, got, sc.en)
			}
		}
		if engine.CodeOf(errors.New("disk on fire")) != "" {
			t.Error("an internal error has a client code")
		}
	})
}

// english is the English message of one of the engine's errors.
func english(err error) string {
	var ve *engine.ValidationError
	var se *engine.SentinelError
	var texter interface{ Text(bool) string }
	switch {
	case errors.As(err, &ve):
		for _, list := range ve.Fields {
			return list[0].Text(true)
		}
	case errors.As(err, &se):
		return se.Text.In(true)
	case errors.As(err, &texter):
		return texter.Text(true)
	}
	return ""
}

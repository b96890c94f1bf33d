package engine_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var feeApp = map[string]string{"fee/app.yaml": `
app: fee
codesets:
  item:
    title: 收入项目
    levels: [2, 2]
    attributes:
      rate: {title: 标准}
    codes:
      - {code: "01", name: 行政事业性收费}
      - {code: "0101", name: 证照工本费, parent: "01", attrs: {rate: "45.50"}}
      - {code: "0102", name: 损坏的标准, parent: "01", attrs: {rate: "n/a"}}
entities:
  notice:
    fields:
      item:     {type: code, codeset: item, leaf_only: true, required: true, label: 收入项目}
      qty:      {type: int, required: true, label: 数量}
      std_rate: {type: computed, expr: 'dec(float(code_attr("item", item, "rate")))', returns: decimal, scale: 2, label: 征收标准}
      amount:   {type: computed, expr: "std_rate * qty", returns: money, label: 金额}
`}

// TestComputedFailureShowsFieldErrorsFirst: when a computed field cannot be
// computed because an input is empty or wrong, the user is told about that
// input; when the inputs are fine and the expression still fails, the user
// gets a plain sentence on the computed field and the implementer the
// expression's own error in the log. No internals reach the user.
func TestComputedFailureShowsFieldErrorsFirst(t *testing.T) {
	p := enginetest.Load(t, feeApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		var logged bytes.Buffer
		rt, err := engine.Start(context.Background(), enginetest.OpenDB(t, d), p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		internals := []string{"computing", "float", "invalid operation", "code_attr", "(1:"}
		for _, c := range []struct {
			name  string
			input map[string]any
			field string
			want  string
		}{
			{"empty item", map[string]any{"qty": 3}, "item", "收入项目 为必填项"},
			{"non-leaf item", map[string]any{"item": "01", "qty": 3}, "item", "末级"},
			{"a rate that is not a number", map[string]any{"item": "0102", "qty": 3}, "std_rate", "征收标准 无法根据填写的内容计算"},
		} {
			_, err := rt.Create(ctx, engine.SystemActor, "fee", "notice", c.input)
			var ve *engine.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: want a validation error, got %v", c.name, err)
			}
			msgs := ve.Fields[c.field]
			if len(msgs) == 0 || !strings.Contains(msgs[0].Message, c.want) {
				t.Errorf("%s: %s says %v, want %q (all: %v)", c.name, c.field, msgs, c.want, ve.Fields)
			}
			for _, bad := range internals {
				if strings.Contains(ve.Error(), bad) {
					t.Errorf("%s: the user is shown %q: %v", c.name, bad, ve)
				}
			}
		}
		if !strings.Contains(logged.String(), "field=std_rate") || !strings.Contains(logged.String(), "float") {
			t.Errorf("the implementer's log lacks the expression's failure:\n%s", logged.String())
		}
		rec, err := rt.Create(ctx, engine.SystemActor, "fee", "notice", map[string]any{"item": "0101", "qty": 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Values["amount"]; got == nil || got.(interface{ String() string }).String() != "136.5" {
			t.Errorf("amount %v, want 136.50", got)
		}
	})
}

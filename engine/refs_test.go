package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestRefsInRules: a line's rules read the batch and the person it points
// at, on create and on update.
func TestRefsInRules(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, linkDefs), engine.OpenAccess{})
		ctx := context.Background()
		sys := engine.SystemActor
		mk := func(entity string, values map[string]any) *engine.Record {
			return enginetest.Must(rt.Create(ctx, sys, "gen", entity, values))
		}
		limited := mk("batch", map[string]any{"agency": "A", "limit_amount": "500.00"})
		open := mk("batch", map[string]any{"agency": "A"})
		ours := mk("person", map[string]any{"name": "张三", "agency": "A", "salary": "1"})
		theirs := mk("person", map[string]any{"name": "李四", "agency": "B", "salary": "1"})

		scenarios := []struct {
			name   string
			values map[string]any
			want   string // the refused rule, "" when accepted
		}{
			{"within the batch's limit", map[string]any{"batch": limited.ID, "basic": "500.00"}, ""},
			{"over the batch's limit", map[string]any{"batch": limited.ID, "basic": "500.01"}, "within_batch_limit"},
			{"a batch without a limit", map[string]any{"batch": open.ID, "basic": "99999.00"}, ""},
			{"a person of the batch's agency", map[string]any{"batch": open.ID, "person": ours.ID, "basic": "1"}, ""},
			{"a person of another agency", map[string]any{"batch": open.ID, "person": theirs.ID, "basic": "1"}, "same_agency"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				_, err := rt.Create(ctx, sys, "gen", "line", sc.values)
				var ve *engine.ValidationError
				switch {
				case sc.want == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case sc.want != "" && (!errors.As(err, &ve) || len(ve.Fields[engine.RecordField]) != 1 || string(ve.Fields[engine.RecordField][0].Code) != sc.want):
					t.Fatalf("got %v, want rule %s", err, sc.want)
				}
			})
		}
		// On update the rule reads the batch the line points at now.
		line := mk("line", map[string]any{"batch": open.ID, "basic": "600.00"})
		if _, err := rt.Update(ctx, sys, "gen", "line", line.ID, line.Version, map[string]any{"batch": limited.ID}); !engine.IsValidation(err) {
			t.Fatalf("moving a 600 line to a batch limited to 500: %v", err)
		}
		if _, err := rt.Update(ctx, sys, "gen", "line", line.ID, line.Version, map[string]any{"batch": limited.ID, "basic": "400.00"}); err != nil {
			t.Fatalf("moving a 400 line there: %v", err)
		}
	})
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestBlocks: an open red note blocks finishing its batch, with the note
// named; a blue note or a closed red one does not; the list of available
// events shows the block as the reason.
func TestBlocks(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, linkDefs), engine.OpenAccess{})
		ctx := context.Background()
		sys := engine.SystemActor
		mk := func(entity string, values map[string]any) *engine.Record {
			return enginetest.Must(rt.Create(ctx, sys, "gen", entity, values))
		}
		finish := func(batch int64) error {
			_, err := rt.Fire(ctx, engine.FireRequest{Actor: sys, App: "gen", Entity: "batch", ID: batch, Event: "finish"})
			return err
		}
		finishOption := func(batch int64) engine.EventOption {
			_, opts, err := rt.AvailableEvents(ctx, sys, "gen", "batch", batch)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range opts {
				if o.Event == "finish" {
					return o
				}
			}
			t.Fatalf("finish is not listed for batch %d", batch)
			return engine.EventOption{}
		}

		red := mk("batch", map[string]any{"agency": "A"})
		other := mk("batch", map[string]any{"agency": "A"})
		mk("note", map[string]any{"batch": red.ID, "level": "blue"})
		note := mk("note", map[string]any{"batch": red.ID, "level": "red"})
		mk("note", map[string]any{"batch": other.ID, "level": "blue"})

		want := fmt.Sprintf("存在未处理的红色提示，不能完成（提示 #%d）", note.ID)
		var ce *engine.ConflictError
		if err := finish(red.ID); !errors.As(err, &ce) || ce.Code != "blocked" || ce.Message != want || ce.Fields[engine.RecordField][0].Code != "blocked" {
			t.Fatalf("finishing a batch with an open red note: got %v, want conflict %q", err, want)
		}
		if o := finishOption(red.ID); o.Available || o.Reason != want {
			t.Errorf("available events: finish %+v, want unavailable with %q", o, want)
		}
		if o := finishOption(other.ID); !o.Available {
			t.Errorf("a blue note blocks: %+v", o)
		}
		// Closing the note (its guard reads the batch through refs) lifts the block.
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: sys, App: "gen", Entity: "note", ID: note.ID, Event: "close"}))
		if err := finish(red.ID); err != nil {
			t.Fatalf("finishing after the note is closed: %v", err)
		}
		if err := finish(other.ID); err != nil {
			t.Fatalf("finishing with a blue note: %v", err)
		}
		// The guard of close reads refs.batch.state: the batch is done now.
		late := mk("note", map[string]any{"batch": red.ID, "level": "red"})
		if _, err := rt.Fire(ctx, engine.FireRequest{Actor: sys, App: "gen", Entity: "note", ID: late.ID, Event: "close"}); !engine.IsValidation(err) {
			t.Errorf("closing a note of a finished batch: %v, want the guard's refusal", err)
		}
	})
}

package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var guardDefs = map[string]string{"g/app.yaml": `
app: g
entities:
  warning:
    title: 预警
    fields:
      subject: string
  source:
    title: 来源
    fields:
      subject: string
schedules:
  warn:
    title: 预警
    every: 24h
    entity: source
    create:
      entity: warning
      set: {subject: "src.subject"}
      unless: "subject = $subject"
`}

// TestScheduledCreateGuard: a scheduled create checks its unless again
// inside its own transaction, so a matching record committed after the run
// looked (by another run, another server) stops it; a create the unless
// does not match goes through.
func TestScheduledCreateGuard(t *testing.T) {
	p := enginetest.Load(t, guardDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		enginetest.Must(rt.Create(ctx, engine.SystemActor, "g", "warning", map[string]any{"subject": "a"}))
		if err := rt.CreateScheduled(ctx, "g", "warning", map[string]any{"subject": "a"}, "subject = 'a'"); !errors.Is(err, engine.ErrScheduleDuplicate) {
			t.Fatalf("a warning about a, when one exists: %v, want refused as a duplicate", err)
		}
		if err := rt.CreateScheduled(ctx, "g", "warning", map[string]any{"subject": "b"}, "subject = 'b'"); err != nil {
			t.Fatalf("a warning about b: %v", err)
		}
		list := enginetest.Must(rt.List(ctx, engine.SystemActor, "g", "warning", engine.ListQuery{}))
		if len(list.Items) != 2 {
			t.Fatalf("%d warnings, want 2 (a once, b)", len(list.Items))
		}
	})
}

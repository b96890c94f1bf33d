package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Workflow benchmarks, one goroutine, on each configured database:
// go test -run '^$' -bench Workflow ./engine/

// BenchmarkWorkflowFire fires submit (a number stamped from a sequence,
// history, audit) on a fresh record per iteration.
func BenchmarkWorkflowFire(b *testing.B) {
	p := enginetest.Load(b, workflowDefs)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, roleAccess{})
			ctx := context.Background()
			var ids []int64
			for range 2000 {
				rec, err := rt.Create(ctx, clerk1, "wf", "request", map[string]any{"amount": "100"})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, rec.ID)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if i == len(ids) {
					b.StopTimer()
					for range 2000 {
						rec, _ := rt.Create(ctx, clerk1, "wf", "request", map[string]any{"amount": "100"})
						ids = append(ids, rec.ID)
					}
					b.StartTimer()
				}
				if _, err := rt.Fire(ctx, engine.FireRequest{Actor: clerk1, App: "wf", Entity: "request", ID: ids[i], Event: "submit"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWorkflowAvailableEvents lists the events of a submitted record for
// a reviewer: the read, the previous approver, the guard.
func BenchmarkWorkflowAvailableEvents(b *testing.B) {
	p := enginetest.Load(b, workflowDefs)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, roleAccess{})
			ctx := context.Background()
			rec, err := rt.Create(ctx, clerk1, "wf", "request", map[string]any{"amount": "100"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rt.Fire(ctx, engine.FireRequest{Actor: clerk1, App: "wf", Entity: "request", ID: rec.ID, Event: "submit"}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := rt.AvailableEvents(ctx, reviewer, "wf", "request", rec.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWorkflowBuild measures building every state machine, done once
// when the runtime starts.
func BenchmarkWorkflowBuild(b *testing.B) {
	p := enginetest.Load(b, workflowDefs)
	db := enginetest.OpenDB(b, engine.SQLite)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.NewRuntime(db, p, engine.OpenAccess{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkflowAvailableEventsDuties is BenchmarkWorkflowAvailableEvents
// with the review closed to editors, the submitter and earlier actors as well
// (three more indexed reads of the audit trail, the history and the
// approvals per event checked).
func BenchmarkWorkflowAvailableEventsDuties(b *testing.B) {
	defs := map[string]string{"wf/app.yaml": strings.Replace(workflowDefs["wf/app.yaml"], "not_by: [creator, previous_approver]", "not_by: [editors, submitter, actors, previous_approver]", 1)}
	p := enginetest.Load(b, defs)
	for _, d := range enginetest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			rt := enginetest.Start(b, d, p, roleAccess{})
			ctx := context.Background()
			rec, err := rt.Create(ctx, clerk1, "wf", "request", map[string]any{"amount": "100"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rt.Fire(ctx, engine.FireRequest{Actor: clerk1, App: "wf", Entity: "request", ID: rec.ID, Event: "submit"}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := rt.AvailableEvents(ctx, reviewer, "wf", "request", rec.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

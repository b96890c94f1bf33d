package engine_test

import (
	"context"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel/review"
)

// TestWorkflowWithRoleAccess runs the chain with the access feature's
// RoleAccess, whose actors carry roles as "app.role".
func TestWorkflowWithRoleAccess(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		p := enginetest.Load(t, workflowDefs)
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		access, err := engine.NewRoleAccess(p)
		if err != nil {
			t.Fatal(err)
		}
		rt.Access = access
		ctx := context.Background()
		rec := must[*engine.Record](t)(rt.Create(ctx, actor("c1", "wf.clerk"), "wf", "request", map[string]any{"amount": "10"}))
		steps := []struct {
			by     engine.Actor
			event  string
			status int
			state  string
		}{
			{actor("c1", "wf.clerk"), "submit", 0, "submitted"},
			{actor("a1", "wf.auditor"), "review", 403, ""},
			{actor("r1", "wf.reviewer"), "review", 0, "reviewed"},
			{actor("b1", "wf.board"), "approve", 0, "reviewed"},
			{actor("b2", "wf.board"), "approve", 0, "approved"},
			{actor("b3", "wf.board"), "close", 0, "closed"}, // the guard reads actor.roles as the app names them
		}
		for _, st := range steps {
			res, err := rt.Fire(ctx, engine.FireRequest{Actor: st.by, App: "wf", Entity: "request", ID: rec.ID, Event: st.event})
			if st.status != 0 {
				wantErr(t, err, st.status, "")
				continue
			}
			if err != nil {
				t.Fatalf("%s by %v: %v", st.event, st.by.Roles, err)
			}
			if res.Record.State != st.state {
				t.Errorf("%s by %v: state %s, want %s", st.event, st.by.Roles, res.Record.State, st.state)
			}
		}
	})
}

// TestMatrixMatchesEnforcedPolicy checks that the auditor's who-can-do-what
// matrix (metamodel/review) says exactly what the access feature enforces,
// on the shipped definitions.
func TestMatrixMatchesEnforcedPolicy(t *testing.T) {
	p := enginetest.LoadDir(t, "../definitions")
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	enforced := map[string]bool{}
	for _, perm := range access.Permissions() {
		enforced[perm.App+"."+perm.Role+" "+perm.Entity+" "+perm.Action] = true
	}
	shown := map[string]bool{}
	for _, a := range p.Apps {
		for _, m := range review.Matrices(p, a) {
			for _, row := range m.Rows {
				for act := range row.Allowed {
					shown[row.App.Name+"."+row.Role.Name+" "+m.Entity.QualifiedName()+" "+act] = true
				}
			}
		}
	}
	for k := range enforced {
		if !shown[k] {
			t.Errorf("enforced but not in the matrix: %s", k)
		}
	}
	for k := range shown {
		if !enforced[k] {
			t.Errorf("in the matrix but not enforced: %s", k)
		}
	}
	if len(shown) == 0 {
		t.Error("the shipped definitions grant nothing")
	}
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// nodeDefs: a tree of nodes, each weighing one more than the nodes under
// it, so that a cycle in the data changes every node of it on each pass.
var nodeDefs = map[string]string{"tree/app.yaml": `
app: tree
entities:
  node:
    title: 节点
    fields:
      name:   string
      parent: {type: ref, entity: node}
      total:  {type: rollup, entity: node, via: parent, field: weight, agg: sum}
      weight: {type: computed, expr: "total + 1"}
`}

// TestRollupCycleRefused: records pointing at each other in a circle would
// roll each other up forever; the write that closes the circle is refused
// with a conflict (rollup_depth) after MaxRollupDepth levels, and changes
// nothing. A chain shorter than that rolls up to its top.
func TestRollupCycleRefused(t *testing.T) {
	p := enginetest.Load(t, nodeDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		sys := engine.SystemActor
		top := enginetest.Must(rt.Create(ctx, sys, "tree", "node", map[string]any{"name": "top"}))
		parent := top.ID
		for i := 0; i < 3; i++ {
			parent = enginetest.Must(rt.Create(ctx, sys, "tree", "node", map[string]any{"name": "below", "parent": parent})).ID
		}
		if got := enginetest.Must(rt.Get(ctx, sys, "tree", "node", top.ID)); fmt.Sprint(got.Values["weight"]) != "4" {
			t.Fatalf("top of a chain of four weighs %v, want 4", got.Values["weight"])
		}
		before := enginetest.Must(rt.Get(ctx, sys, "tree", "node", top.ID))
		_, err := rt.Update(ctx, sys, "tree", "node", top.ID, before.Version, map[string]any{"parent": parent})
		var ce *engine.ConflictError
		if !errors.As(err, &ce) || ce.Code != "rollup_depth" {
			t.Fatalf("closing the circle: %v, want a rollup_depth conflict", err)
		}
		after := enginetest.Must(rt.Get(ctx, sys, "tree", "node", top.ID))
		if after.Version != before.Version || after.Values["parent"] != nil {
			t.Fatalf("the refused write changed the top node: version %d → %d, parent %v", before.Version, after.Version, after.Values["parent"])
		}
	})
}

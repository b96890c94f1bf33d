package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestListTotalHoldsOneConnection: a list with total=true whose page is not
// the last one must not hold its page's connection while it counts. Before,
// it did, so that as many such lists at once as the read pool has
// connections (4 on SQLite) each waited for a second one forever, and every
// request after them hung: the soak test (docs/testing.md) found it.
func TestListTotalHoldsOneConnection(t *testing.T) {
	p := enginetest.Load(t, testApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		for i := range 3 {
			if _, err := rt.Create(ctx, clerk, "demo", "grant", withDocNo(fmt.Sprintf("CZ-2026-%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		// One connection in the read pool stands for a pool whose every
		// connection is held by such a list.
		was := rt.DB.Read.Stats().MaxOpenConnections
		rt.DB.Read.SetMaxOpenConns(1)
		t.Cleanup(func() { rt.DB.Read.SetMaxOpenConns(was) })
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		res, err := rt.List(ctx, clerk, "demo", "grant", engine.ListQuery{PageSize: 1, Total: true})
		if err != nil {
			t.Fatalf("a list with total, not its last page, on a pool of one connection: %v", err)
		}
		if !res.HasMore || res.Total == nil || *res.Total != 3 || len(res.Items) != 1 {
			t.Errorf("page of 1 of 3: %d items, has_more %v, total %v", len(res.Items), res.HasMore, res.Total)
		}
	})
}

func withDocNo(docNo string) map[string]any {
	g := validGrant()
	g["doc_no"] = docNo
	return g
}

package engine

import (
	"context"
	"time"
)

// ListPlannedOnce reports whether the first page of q would run with its
// LIMIT written into the SQL (list_plan.go), for list_plan_test.go.
func ListPlannedOnce(rt *Runtime, actor Actor, app, entity string, q ListQuery) (bool, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return false, err
	}
	_, _, node, scope, err := rt.where(actor, s, q.Filter)
	if err != nil {
		return false, err
	}
	return rt.plannedOnce(context.Background(), s, q, 1, node, scope), nil
}

// Analyze analyses table as the stale-statistics check does
// (db_statistics.go).
func Analyze(rt *Runtime, table string) error {
	return rt.DB.analyze(context.Background(), table)
}

// CommonValuesDue reports whether the next list of table reads its most
// common values again (list_plan.go), once no read is under way; false while
// one is.
func CommonValuesDue(rt *Runtime, table string) (due, reading bool) {
	c := &rt.DB.statistics.values
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tables[table]
	if t == nil {
		return true, false
	}
	return time.Since(t.read) >= statisticsCheckEvery, t.reading
}

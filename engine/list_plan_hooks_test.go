package engine

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
	return rt.plannedOnce(s, q, 1, node, scope), nil
}

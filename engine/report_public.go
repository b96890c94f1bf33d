package engine

import (
	"context"
	"slices"
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// PublicActor is who reads a public report: anyone, not logged in.
var PublicActor = Actor{User: "public"}

// PublicReport runs report name of app for anyone, without login, when the
// report is marked public: true. Any other report is ErrNotFound, exactly
// like one that does not exist. The report runs with read access to its own
// entity only and no data scope: every record its where selects is counted,
// and the answer holds its group_by fields and measures and nothing else. A
// public filter may name only fields that are both among the report's
// filters and its group_by, so that nobody can count single records by a
// field the report does not show (filter by an ID number and see a count of 1).
func (rt *Runtime) PublicReport(ctx context.Context, app, name, userFilter string) (*ReportResult, error) {
	a := rt.Project.App(app)
	var r *metamodel.Report
	if a != nil {
		for _, rep := range a.Reports {
			if rep.Name == name {
				r = rep
			}
		}
	}
	if r == nil || !r.Public {
		return nil, NotFound("公开报表 %s/%s", app, name)
	}
	e := a.Entity(r.Entity)
	if strings.TrimSpace(userFilter) != "" {
		node, err := filter.Parse(userFilter)
		if err != nil {
			return nil, &BadQueryError{Param: "filter", Message: err.Error()}
		}
		allowed := func(name string) bool { return slices.Contains(r.Filters, name) && slices.Contains(r.GroupBy, name) }
		if err := checkFilterFields(node, func(name string) (filter.Column, bool) {
			return filter.Column{}, allowed(name)
		}); err != nil {
			return nil, BadQuery("filter", "%v（公开报表只能按其分组且声明为筛选的字段筛选）", err)
		}
	}
	// A view of the runtime whose Access lets the public read this one
	// entity; the runtime's own Access is left as it is.
	view := *rt
	view.Access = publicReportAccess{entity: e}
	res, err := view.Report(ctx, PublicActor, app, name, userFilter)
	if err != nil || len(r.Mask) == 0 {
		return res, err
	}
	for i := range res.Rows {
		for field, kind := range r.Mask {
			if v, ok := res.Rows[i].Values[field].(string); ok {
				res.Rows[i].Values[field] = metamodel.Mask(kind, v)
			}
			delete(res.Rows[i].Labels, field)
		}
	}
	return res, nil
}

// publicReportAccess allows reading one entity, without data scope, and
// nothing else.
type publicReportAccess struct{ entity *metamodel.Entity }

var _ Access = publicReportAccess{}

func (p publicReportAccess) Can(_ Actor, e *metamodel.Entity, action string) bool {
	return e == p.entity && action == "read"
}
func (publicReportAccess) Scope(Actor, *metamodel.Entity) filter.Node     { return nil }
func (publicReportAccess) Sees(Actor, *metamodel.Entity, *Record) bool    { return false }
func (publicReportAccess) Hidden(Actor, *metamodel.Entity, string) bool   { return false }
func (publicReportAccess) ReadOnly(Actor, *metamodel.Entity, string) bool { return true }

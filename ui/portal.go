package ui

import (
	"html/template"
	"slices"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// The portal (统一门户) lists the apps and entities the user may use and, per
// workflow entity, how many records wait for the user's action: records in
// a state from which an event the user may fire leads on, within the user's
// data scope. The count asks the engine's access rules (Access.Can and the
// transition's roles) and leaves out the user's own records where every such
// event is closed to the creator (not_by: creator); a guard, a quorum the
// user has already approved towards and not_by: previous_approver are
// checked when the record is opened, so the count may include a few records
// whose buttons then say why they are disabled.

type portalView struct {
	Apps       []portalApp
	InboxTotal int64
	// Dashboard holds the reports the user's roles name (dashboard:), each
	// with its chart or, without one, its totals.
	Dashboard []dashboardItem
}

// dashboardItem is one report on the portal's dashboard.
type dashboardItem struct {
	Title, URL string
	Chart      template.HTML
	Totals     []dashboardFigure
	Error      string
}

type dashboardFigure struct{ Label, Text, URL string }

// dashboard runs the reports the actor's roles name for the portal, once
// each, in the order the roles name them; one the actor may not read is left
// out.
func (u *UI) dashboard(r *request) []dashboardItem {
	var out []dashboardItem
	seen := map[*metamodel.Report]bool{}
	for _, qualified := range r.actor.Roles {
		appName, roleName, ok := strings.Cut(qualified, ".")
		a := u.rt.Project.App(appName)
		if !ok || a == nil || a.Role(roleName) == nil {
			continue
		}
		for _, name := range a.Role(roleName).Dashboard {
			ra, rep := u.rt.Project.ReportByName(a, name)
			if rep == nil || seen[rep] {
				continue
			}
			seen[rep] = true
			ref := reportRef{app: ra, report: rep, entity: ra.Entity(rep.Entity)}
			if !u.mayReadReport(r.actor, ref) {
				continue
			}
			item := dashboardItem{Title: reportTitle(rep), URL: reportURL(ref)}
			res, err := u.rt.Report(r.c.UserContext(), r.actor, ra.Name, rep.Name, "")
			if err != nil {
				item.Error = err.Error()
				out = append(out, item)
				continue
			}
			table := u.reportTable(r, res)
			item.Chart = u.reportChart(r, res, table)
			if item.Chart == "" {
				for i, col := range res.Columns {
					if !col.Group {
						c := table.totals[i]
						item.Totals = append(item.Totals, dashboardFigure{Label: table.columns[i].Label, Text: c.Text, URL: c.URL})
					}
				}
			}
			out = append(out, item)
		}
	}
	return out
}

type portalApp struct {
	Title, Description string
	Entities           []portalEntity
	Reports            []portalReport
}

// portalReport links a report the user may read; a public one also has a
// page without login.
type portalReport struct {
	Title, URL, PublicURL string
}

type portalEntity struct {
	Title    string
	ListURL  string
	NewURL   string
	InboxURL string
	Inbox    int64
	HasInbox bool
}

func (u *UI) portal(r *request) error {
	view := &portalView{}
	for _, a := range u.rt.Project.Apps {
		pa := portalApp{Title: r.lang.AppTitle(a), Description: a.Description}
		for _, e := range a.Entities {
			if !u.rt.Access.Can(r.actor, e, "read") {
				continue
			}
			pe := portalEntity{Title: r.lang.EntityTitle(e), ListURL: listURL(e)}
			if u.rt.Access.Can(r.actor, e, "create") {
				pe.NewURL = listURL(e) + "/new"
			}
			if cond := inboxFilter(u.rt, r.actor, e); cond != nil {
				res, err := u.rt.List(r.c.UserContext(), r.actor, a.Name, e.Name, engine.ListQuery{Filter: cond.String(), PageSize: 1, Total: true})
				if err != nil {
					return err
				}
				pe.HasInbox, pe.Inbox = true, *res.Total
				pe.InboxURL = listURL(e) + "?inbox=1"
				view.InboxTotal += pe.Inbox
			}
			pa.Entities = append(pa.Entities, pe)
		}
		for _, ref := range u.appReports(r.actor, a) {
			pr := portalReport{Title: reportTitle(ref.report), URL: reportURL(ref)}
			if ref.report.Public {
				pr.PublicURL = publicReportURL(ref)
			}
			pa.Reports = append(pa.Reports, pr)
		}
		if len(pa.Entities) > 0 {
			view.Apps = append(view.Apps, pa)
		}
	}
	view.Dashboard = u.dashboard(r)
	return u.render(r, 200, "portal", u.newPage(r, r.lang.T("portal.title"), view))
}

func listURL(e *metamodel.Entity) string { return "/ui/" + e.App.Name + "/" + e.Name }

// mayFire reports whether actor may fire t as far as the access rules and
// the transition's roles go. Roles in a transition are the app's role names;
// an actor holds them qualified ("app.role"), or unqualified in tests.
func mayFire(rt *engine.Runtime, actor engine.Actor, e *metamodel.Entity, t *metamodel.Transition) bool {
	if !rt.Access.Can(actor, e, t.Event) {
		return false
	}
	if len(t.Roles) == 0 || slices.Contains(actor.Roles, engine.SystemRole) {
		return true
	}
	for _, r := range t.Roles {
		if slices.Contains(actor.Roles, r) || slices.Contains(actor.Roles, e.App.Name+"."+r) {
			return true
		}
	}
	return false
}

// inboxFilter is the condition of e's records waiting for actor, or nil when
// e has no workflow or actor may fire none of its events.
func inboxFilter(rt *engine.Runtime, actor engine.Actor, e *metamodel.Entity) filter.Node {
	w := e.Workflow
	if w == nil {
		return nil
	}
	// open: states with an event the actor may fire on any record;
	// notByCreator: states whose events the actor may fire are all closed to
	// the record's creator, so the actor's own records do not wait for them.
	open := map[string]bool{}
	notByCreator := map[string]bool{}
	for _, t := range w.Transitions {
		if !mayFire(rt, actor, e, t) {
			continue
		}
		excludesCreator := t.ExcludesCreator()
		for _, s := range t.From {
			if excludesCreator {
				notByCreator[s] = true
			} else {
				open[s] = true
			}
		}
	}
	var openStates, otherStates []filter.Value
	for _, s := range w.States {
		switch {
		case open[s]:
			openStates = append(openStates, text(s))
		case notByCreator[s]:
			otherStates = append(otherStates, text(s))
		}
	}
	var terms []filter.Node
	if len(openStates) > 0 {
		terms = append(terms, &filter.In{Field: "state", Values: openStates})
	}
	if len(otherStates) > 0 {
		terms = append(terms, &filter.And{Terms: []filter.Node{
			&filter.In{Field: "state", Values: otherStates},
			&filter.Compare{Field: "created_by", Op: filter.Ne, Value: text(actor.User)},
		}})
	}
	switch len(terms) {
	case 0:
		return nil
	case 1:
		return terms[0]
	}
	return &filter.Or{Terms: terms}
}

func text(s string) filter.Value { return filter.Value{Kind: filter.String, Text: s} }

// editable reports whether a record in state may be edited or deleted by
// its workflow (the engine checks it again on write).
func editable(e *metamodel.Entity, state string) bool {
	w := e.Workflow
	if w == nil {
		return true
	}
	if len(w.Editable) == 0 {
		return state == w.Initial
	}
	return slices.Contains(w.Editable, state)
}

// describeRoles names the actor's roles by their titles, for the header.
func describeRoles(p *metamodel.Project, roles []string) string {
	var out []string
	for _, name := range roles {
		label := name
		if app, role, ok := strings.Cut(name, "."); ok {
			if a := p.App(app); a != nil {
				if r := a.Role(role); r != nil && r.Title != "" {
					label = r.Title
				}
			}
		}
		out = append(out, label)
	}
	return strings.Join(out, "、")
}

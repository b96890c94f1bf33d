package ui

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/review"
)

// The auditor's pages show what the definitions allow, read by the review
// package (the same analysis as `growth audit-report`): each workflow as a
// diagram, who may do what on every entity, and the findings (segregation
// of duties, transitions without roles, unreachable or dead-end states, …).

type auditView struct {
	Version  string
	Nav      []option
	Apps     []auditApp
	Findings int
}

type auditApp struct {
	Title     string
	Workflows []auditWorkflow
	Matrices  []auditMatrix
	Findings  []auditFinding
}

type auditWorkflow struct {
	Title, Entity, DiagramURL string
}

type auditMatrix struct {
	Entity  string
	Actions []string
	Rows    []auditRow
}

type auditRow struct {
	Role, Scope string
	Cells       []string // "yes", "blocked" or ""
}

type auditFinding struct {
	Severity, Where, Code, Message string
}

func (u *UI) mayAudit(r *request) error {
	if !u.opts.Auditor(r.actor) {
		return &engine.ForbiddenError{Message: r.lang.T("audit.forbidden")}
	}
	return nil
}

func (u *UI) audit(r *request) error {
	if err := u.mayAudit(r); err != nil {
		return err
	}
	p := u.rt.Project
	l := r.lang
	view := &auditView{Version: p.Hash}
	if len(view.Version) > 12 {
		view.Version = view.Version[:12]
	}
	findings := review.Findings(p, review.Options{})
	view.Findings = len(findings)
	only := r.c.Query("app")
	if only != "" && p.App(only) == nil {
		return fmt.Errorf("%w: 应用 %s", engine.ErrNotFound, only)
	}
	view.Nav = append(view.Nav, option{Label: l.T("audit.all"), Value: "/ui/audit", Selected: only == ""})
	for _, a := range p.Apps {
		view.Nav = append(view.Nav, option{Label: l.AppTitle(a), Value: "/ui/audit?app=" + a.Name, Selected: only == a.Name})
	}
	for _, a := range p.Apps {
		if only != "" && a.Name != only {
			continue
		}
		aa := auditApp{Title: l.AppTitle(a)}
		for _, w := range a.Workflows {
			title := w.Title
			if title == "" {
				title = w.Name
			}
			entity := w.Entity
			if w.Target != nil {
				entity = l.EntityTitle(w.Target)
			}
			aa.Workflows = append(aa.Workflows, auditWorkflow{Title: title, Entity: entity, DiagramURL: "/ui/audit/diagram/" + a.Name + "/" + w.Name})
		}
		for _, m := range review.Matrices(p, a) {
			if len(m.Rows) == 0 {
				continue
			}
			am := auditMatrix{Entity: l.EntityTitle(m.Entity)}
			for _, act := range m.Actions {
				am.Actions = append(am.Actions, actionLabel(l, m.Entity, act))
			}
			for _, row := range m.Rows {
				name := row.RoleName(m.Entity)
				if row.Role.Title != "" {
					name = row.Role.Title + "（" + name + "）"
				}
				ar := auditRow{Role: name, Scope: l.T("scope." + row.Role.Scope)}
				for _, act := range m.Actions {
					switch {
					case row.Allowed[act]:
						ar.Cells = append(ar.Cells, "yes")
					case row.Blocked[act]:
						ar.Cells = append(ar.Cells, "blocked")
					default:
						ar.Cells = append(ar.Cells, "")
					}
				}
				am.Rows = append(am.Rows, ar)
			}
			aa.Matrices = append(aa.Matrices, am)
		}
		for _, f := range findings {
			if f.App == a.Name {
				aa.Findings = append(aa.Findings, auditFinding{Severity: string(f.Severity), Where: f.Where(), Code: f.Code, Message: f.Message})
			}
		}
		view.Apps = append(view.Apps, aa)
	}
	return u.render(r, 200, "audit", u.newPage(r, l.T("audit.title"), view))
}

// actionLabel names an action: a record action in the UI's language, a
// workflow event by its transition's label.
func actionLabel(l Lang, e *metamodel.Entity, action string) string {
	switch action {
	case "create", "read", "update", "delete", "export":
		return l.T("action." + action)
	}
	if e.Workflow != nil {
		return eventLabel(e.Workflow, action)
	}
	return action
}

// diagram serves one workflow's diagram as an SVG image. It is an image
// rather than inline markup so that its own stylesheet stays inside it.
func (u *UI) diagram(r *request) error {
	if err := u.mayAudit(r); err != nil {
		return err
	}
	a := u.rt.Project.App(r.c.Params("app"))
	if a == nil || a.Workflow(r.c.Params("workflow")) == nil {
		return fmt.Errorf("%w: 流程 %s/%s", engine.ErrNotFound, r.c.Params("app"), r.c.Params("workflow"))
	}
	r.c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
	r.c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return r.c.SendString(review.SVG(a.Workflow(r.c.Params("workflow"))))
}

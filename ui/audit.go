package ui

import (
	"strings"

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
	// Toxic are the real users whose roles together reach both sides of a
	// segregation pair; ShowToxic is false when the users are not known.
	Toxic     []auditToxic
	ShowToxic bool
}

type auditToxic struct {
	User, Org, Roles, First, Second, Held string
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
	Severity, SeverityLabel, Where, Code, Message string
}

func (u *UI) mayAudit(r *request) error {
	if !u.opts.Auditor(r.actor) {
		return &engine.ForbiddenError{Message: r.lang.T("audit.forbidden")}
	}
	return nil
}

// auditScope is the apps the actor audits: nil for every app (an admin, a
// role called auditor without an app, or an auditor admitted by a custom
// Options.Auditor with no app role), else the apps of their "app.auditor"
// roles. An app's auditor sees that app only.
func auditScope(actor engine.Actor) map[string]bool {
	var apps map[string]bool
	for _, role := range actor.Roles {
		if role == engine.AdminRole || role == "auditor" {
			return nil
		}
		if app, ok := strings.CutSuffix(role, ".auditor"); ok {
			if apps == nil {
				apps = map[string]bool{}
			}
			apps[app] = true
		}
	}
	return apps
}

// audits reports whether the actor audits app.
func audits(scope map[string]bool, app string) bool { return scope == nil || scope[app] }

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
	scope := auditScope(r.actor)
	findings := review.Findings(p, review.Options{})
	for _, f := range findings {
		if audits(scope, f.App) {
			view.Findings++
		}
	}
	only := r.c.Query("app")
	if only != "" && p.App(only) == nil {
		return engine.NotFound("应用 %s", only)
	}
	if only != "" && !audits(scope, only) {
		return &engine.ForbiddenError{Message: r.lang.T("audit.otherapp", l.AppTitle(p.App(only)))}
	}
	var toxic []review.Toxic
	showToxic := u.opts.Users != nil
	if showToxic {
		list, err := u.opts.Users.List(r.c.Context())
		if err != nil {
			return err
		}
		var users []review.User
		for _, x := range list {
			if x.Enabled {
				users = append(users, review.User{Name: x.Name, DisplayName: x.DisplayName, Org: x.Org, Roles: x.Roles})
			}
		}
		toxic = review.ToxicCombinations(p, users)
	}
	view.Nav = append(view.Nav, option{Label: l.T("audit.all"), Value: "/ui/audit", Selected: only == ""})
	for _, a := range p.Apps {
		if audits(scope, a.Name) {
			view.Nav = append(view.Nav, option{Label: l.AppTitle(a), Value: "/ui/audit?app=" + a.Name, Selected: only == a.Name})
		}
	}
	for _, a := range p.Apps {
		if (only != "" && a.Name != only) || !audits(scope, a.Name) {
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
				msg := f.Message
				if l == Chinese && f.MessageZh != "" {
					msg = f.MessageZh
				}
				aa.Findings = append(aa.Findings, auditFinding{Severity: string(f.Severity), SeverityLabel: l.T("audit.sev." + string(f.Severity)), Where: f.Where(), Code: f.Code, Message: msg})
			}
		}
		aa.ShowToxic = showToxic
		for _, x := range toxic {
			if x.App == a {
				aa.Toxic = append(aa.Toxic, toxicView(l, x))
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
		return engine.NotFound("流程 %s/%s", r.c.Params("app"), r.c.Params("workflow"))
	}
	if !audits(auditScope(r.actor), a.Name) {
		return &engine.ForbiddenError{Message: r.lang.T("audit.otherapp", r.lang.AppTitle(a))}
	}
	r.c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
	r.c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w := a.Workflow(r.c.Params("workflow"))
	if r.lang == Chinese {
		return r.c.SendString(review.SVGChinese(u.rt.Project, w))
	}
	return r.c.SendString(review.SVG(w))
}

// toxicView is a toxic combination in the UI's language: the user, the
// actions of the first side by their labels with the roles that allow them,
// the step they could then take, and what keeps the sides apart.
func toxicView(l Lang, x review.Toxic) auditToxic {
	e := x.Entity
	roleName := func(held string) string {
		app, name, ok := strings.Cut(held, ".")
		if !ok {
			return held
		}
		if a := e.App; a != nil && a.Name == app {
			if r := a.Role(name); r != nil && r.Title != "" && l == Chinese {
				return r.Title
			}
		}
		return held
	}
	var first []string
	for _, act := range x.First {
		var via []string
		for _, r := range x.Via[act] {
			via = append(via, roleName(r))
		}
		first = append(first, actionLabel(l, e, act)+"（"+strings.Join(via, "、")+"）")
	}
	var second []string
	for _, r := range x.Second {
		second = append(second, roleName(r))
	}
	user := x.User.Name
	if x.User.DisplayName != "" && x.User.DisplayName != x.User.Name {
		user += " " + x.User.DisplayName
	}
	var roles []string
	for _, r := range x.User.Roles {
		roles = append(roles, roleName(r))
	}
	held := l.T("audit.toxic.open", eventLabel(e.Workflow, x.T.Event))
	if len(x.NotBy) > 0 {
		held = l.T("audit.toxic.held", strings.Join(x.NotBy, ", "), eventLabel(e.Workflow, x.T.Event))
	}
	return auditToxic{User: user, Org: x.User.Org, Roles: strings.Join(roles, "、"), First: l.EntityTitle(e) + "：" + strings.Join(first, "、"),
		Second: eventLabel(e.Workflow, x.T.Event) + "（" + strings.Join(second, "、") + "）", Held: held}
}

package openapi_test

// These tests start the real server (package apps, which imports this
// package: an external test package may import it without a cycle) and hold
// the document to what it serves.

import (
	"io"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// newServer builds the fiber app the way serve does where it changes the
// routes or the answers: the definitions' roles in charge, users who log in
// (Auth, which also mounts /api/auth and /api/admin), and metrics.
func newServer(t *testing.T, rt *engine.Runtime) (*fiber.App, *engine.Users) {
	t.Helper()
	access, err := engine.NewRoleAccess(rt.Project)
	if err != nil {
		t.Fatal(err)
	}
	rt.Access = access
	users := engine.NewUsers(rt.DB, rt.Project)
	users.HashCost = 4 // bcrypt's least: these tests log in often
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: apps.NewAuth(users), Metrics: apps.NewMetrics(nil)})
	if err != nil {
		t.Fatal(err)
	}
	return app, users
}

// servedDocument fetches GET /api/openapi.json from app, anonymously, and
// loads it.
func servedDocument(t *testing.T, app *fiber.App) *openapi3.T {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest("GET", "/api/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/openapi.json: %d %v", resp.StatusCode, err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("the served document does not load: %v", err)
	}
	return doc
}

// binding is one app, entity or report a route's path parameters name.
type binding struct {
	app    *metamodel.App
	entity *metamodel.Entity
	report *metamodel.Report
}

// describedFor lists the routes that mean something only for some entities or
// reports, and which: the server mounts them for every entity, but answers
// 404 (balance), nothing of use (events and history without a workflow, the
// ledger of a record that moves no money) or has nothing to build (exports).
// Every other route naming :app, :entity or :report must be described for
// each app, entity and report of the project: a new generic route fails
// TestEveryRouteIsDescribed until the document describes it, or it is
// listed here with the entities it is for.
var describedFor = map[string]func(b binding) bool{
	"/api/:app/:entity/:id/events/:event": func(b binding) bool { return b.entity.Workflow != nil },
	"/api/:app/:entity/:id/events":        func(b binding) bool { return b.entity.Workflow != nil },
	"/api/:app/:entity/:id/history":       func(b binding) bool { return b.entity.Workflow != nil },
	"/api/:app/:entity/:id/balance":       func(b binding) bool { return b.entity.Balance != nil },
	"/api/:app/:entity/:id/ledger": func(b binding) bool {
		return b.entity.Balance != nil || len(b.entity.Draws) > 0 || b.entity.Adjusts != nil
	},
	"/api/:app/:entity/:id/exports/:name": func(b binding) bool {
		return slices.ContainsFunc(b.app.Exports, func(x *metamodel.Export) bool { return x.Target == b.entity })
	},
	"/api/public/reports/:app/:report": func(b binding) bool { return b.report.Public },
}

// expand turns a fiber route path into the document's paths for project p:
// :app, :entity and :report become every app, entity and report they can name
// (narrowed by describedFor), any other :param becomes {param}.
func expand(t *testing.T, p *metamodel.Project, route string) []string {
	t.Helper()
	segments := strings.Split(strings.TrimPrefix(route, "/"), "/")
	var names []string
	for _, s := range segments {
		if strings.HasPrefix(s, ":") {
			names = append(names, s[1:])
		} else if strings.ContainsAny(s, ":*+?<") {
			t.Fatalf("route %s: segment %q (an optional, constrained or wildcard parameter) is beyond what the test maps; teach expand", route, s)
		}
	}
	var bindings []binding
	switch {
	case slices.Contains(names, "entity"):
		for _, a := range p.Apps {
			for _, e := range a.Entities {
				bindings = append(bindings, binding{app: a, entity: e})
			}
		}
	case slices.Contains(names, "report"):
		for _, a := range p.Apps {
			for _, r := range a.Reports {
				bindings = append(bindings, binding{app: a, report: r})
			}
		}
	case slices.Contains(names, "app"):
		t.Fatalf("route %s names an app alone; teach expand what it is for", route)
	default:
		bindings = []binding{{}}
	}
	var out []string
	for _, b := range bindings {
		if only := describedFor[route]; only != nil && !only(b) {
			continue
		}
		parts := make([]string, len(segments))
		for i, s := range segments {
			switch {
			case s == ":app":
				parts[i] = b.app.Name
			case s == ":entity":
				parts[i] = b.entity.Name
			case s == ":report":
				parts[i] = b.report.Name
			case strings.HasPrefix(s, ":"):
				parts[i] = "{" + s[1:] + "}"
			default:
				parts[i] = s
			}
		}
		out = append(out, "/"+strings.Join(parts, "/"))
	}
	return out
}

// routePath is a route's path without the trailing slash a group's "/"
// route gets ("/api/:app/:entity/").
func routePath(r fiber.Route) string {
	if len(r.Path) > 1 {
		return strings.TrimSuffix(r.Path, "/")
	}
	return r.Path
}

// TestEveryRouteIsDescribed starts the server on the shipped definitions and
// on the test project apiApp, and checks that every route it mounts under
// /api is in the served document, per app, entity and report, with its
// method; and that every operation of the document is a route it serves.
// Each route must be checked on at least one of the two projects.
func TestEveryRouteIsDescribed(t *testing.T) {
	projects := []struct {
		name string
		p    *metamodel.Project
	}{
		{"shipped definitions", enginetest.LoadDir(t, "../../definitions")},
		{"apiApp", enginetest.Load(t, apiApp)},
	}
	checked := map[string]bool{} // "METHOD route" → described for some entity or report
	for _, pr := range projects {
		t.Run(pr.name, func(t *testing.T) {
			app, _ := newServer(t, enginetest.Start(t, engine.SQLite, pr.p, engine.OpenAccess{}))
			doc := servedDocument(t, app)
			served := map[string]bool{} // "METHOD /document/path"
			for _, r := range app.GetRoutes(true) {
				if r.Method == fiber.MethodHead {
					continue // fiber adds a HEAD to every GET
				}
				route := routePath(r)
				key := r.Method + " " + route
				if _, seen := checked[key]; !seen {
					checked[key] = false
				}
				paths := expand(t, pr.p, route)
				for _, path := range paths {
					served[r.Method+" "+path] = true
					if !strings.HasPrefix(route, "/api/") {
						continue
					}
					checked[key] = true
					item := doc.Paths.Value(path)
					if item == nil {
						t.Errorf("%s: path %s is not in the document", key, path)
						continue
					}
					if item.GetOperation(r.Method) == nil {
						t.Errorf("%s: %s %s is not in the document", key, r.Method, path)
					}
				}
			}
			for _, path := range doc.Paths.InMatchingOrder() {
				for method := range doc.Paths.Value(path).Operations() {
					if !served[method+" "+path] {
						t.Errorf("the document describes %s %s, which is not a route the server serves for it (see describedFor)", method, path)
					}
				}
			}
		})
	}
	var unchecked []string
	for key, ok := range checked {
		if !ok && strings.Contains(key, " /api/") {
			unchecked = append(unchecked, key)
		}
	}
	sort.Strings(unchecked)
	for _, key := range unchecked {
		t.Errorf("%s applies to no app, entity or report of either project, so nothing checks that it is described: give apiApp one it applies to", key)
	}
}

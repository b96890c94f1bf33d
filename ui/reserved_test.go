package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// TestReservedAppNamesCoverRoutes: every path of the API and the UI, as
// growth serve mounts them, that an app's own path could also match (the same
// number of segments, each equal or a parameter in one of them) begins with
// a name of the one reserved list that growth check refuses as an app name;
// so no app is shadowed by the platform's pages, and a new page that claims a
// name fails here until the list (and docs/definitions.md) names it.
func TestReservedAppNamesCoverRoutes(t *testing.T) {
	s := startServer(t, engine.SQLite, enginetest.LoadDir(t, shippedDir))
	var apps, own [][]string
	seen := map[string]bool{}
	for _, r := range s.app.GetRoutes(true) {
		if seen[r.Path] {
			continue // the same path under another method
		}
		seen[r.Path] = true
		segs := strings.Split(strings.Trim(r.Path, "/"), "/")
		if len(segs) < 2 || (segs[0] != "api" && segs[0] != "ui") {
			continue
		}
		if strings.HasPrefix(segs[1], ":") {
			apps = append(apps, segs)
		} else {
			own = append(own, segs)
		}
	}
	if len(apps) == 0 || len(own) == 0 {
		t.Fatalf("no routes found: %d of apps, %d of the platform", len(apps), len(own))
	}
	param := func(seg string) bool { return strings.HasPrefix(seg, ":") || seg == "*" }
	overlap := func(a, b []string) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] && !param(a[i]) && !param(b[i]) {
				return false
			}
		}
		return true
	}
	checked := 0
	for _, o := range own {
		for _, a := range apps {
			if !overlap(o, a) {
				continue
			}
			checked++
			if !slices.Contains(metamodel.ReservedAppNames, o[1]) {
				t.Errorf("/%s is the platform's own path, but an app called %q would have /%s too: add %q to metamodel.ReservedAppNames",
					strings.Join(o, "/"), o[1], strings.Join(append([]string{a[0], o[1]}, a[2:]...), "/"), o[1])
			}
			break
		}
	}
	if checked == 0 {
		t.Fatal("no path of the platform overlaps an app's: the test checks nothing")
	}
}

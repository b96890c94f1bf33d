package web_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/growth-gov/growth"

// importGraph reads the imports of every package of the module from its
// source, tests left out: package path → the paths it imports.
func importGraph(t *testing.T, root string) map[string][]string {
	t.Helper()
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := path.Join(module, filepath.ToSlash(rel))
		if _, known := graph[pkg]; !known {
			graph[pkg] = nil
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(graph[pkg], ip) {
				graph[pkg] = append(graph[pkg], ip)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return graph
}

// reaches is every package pkg imports, directly or through the module's
// packages, each with the chain of imports that leads to it.
func reaches(graph map[string][]string, pkg string) map[string][]string {
	chains := map[string][]string{pkg: {pkg}}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, ip := range graph[p] {
			if _, seen := chains[ip]; seen {
				continue
			}
			chains[ip] = append(slices.Clone(chains[p]), ip)
			if _, ours := graph[ip]; ours {
				queue = append(queue, ip)
			}
		}
	}
	delete(chains, pkg)
	return chains
}

// under reports whether import path ip is pkg or below it.
func under(ip, pkg string) bool { return ip == pkg || strings.HasPrefix(ip, pkg+"/") }

// TestLayering holds the packages to the one-way imports of
// docs/architecture.md: metamodel ← engine ← engine/web ← apps, ui ← cmd.
// The UI and the API are siblings: ui reaches nothing of apps, by any path.
// engine/filter, engine/keys and engine/render sit below the engine and
// reach nothing of it (docs/architecture.md, Package layout of engine).
func TestLayering(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	graph := importGraph(t, root)
	for _, must := range []string{"metamodel", "engine", "engine/filter", "engine/keys", "engine/render", "engine/web", "apps", "ui", "cmd/growth"} {
		if _, ok := graph[module+"/"+must]; !ok {
			t.Fatalf("package %s not found under %s", must, root)
		}
	}
	fiber := "github.com/gofiber/fiber/v2"
	scenarios := []struct {
		pkg       string // the package and those below it
		except    string // a package below pkg the rule leaves out
		forbidden []string
	}{
		{"metamodel/errcode", "", []string{module}},
		{"engine/filter", "", []string{module + "/engine", module + "/apps", module + "/ui", module + "/cmd"}},
		{"engine/keys", "", []string{module + "/engine", module + "/apps", module + "/ui", module + "/cmd"}},
		{"engine/render", "", []string{module + "/engine", module + "/apps", module + "/ui", module + "/cmd"}},
		{"metamodel", "", []string{module + "/engine", module + "/apps", module + "/ui", module + "/cmd", fiber, "gorm.io/gorm", "github.com/casbin/casbin/v2"}},
		{"engine", "engine/web", []string{module + "/engine/web", module + "/apps", module + "/ui", module + "/cmd", fiber}},
		{"engine/web", "", []string{module + "/apps", module + "/ui", module + "/cmd"}},
		{"apps", "", []string{module + "/ui", module + "/cmd"}},
		{"ui", "", []string{module + "/apps", module + "/cmd"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.pkg, func(t *testing.T) {
			for pkg := range graph {
				if !under(pkg, module+"/"+sc.pkg) || sc.except != "" && under(pkg, module+"/"+sc.except) {
					continue
				}
				for ip, chain := range reaches(graph, pkg) {
					for _, no := range sc.forbidden {
						if under(ip, no) {
							t.Errorf("%s reaches %s: %s", strings.TrimPrefix(pkg, module+"/"), no, strings.ReplaceAll(strings.Join(chain, " → "), module+"/", ""))
						}
					}
				}
			}
		})
	}
}

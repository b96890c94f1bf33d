package metamodel

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads every app under dir (one folder per app, any number of .yaml or
// .yml files in it), then checks the whole project. It returns every problem
// at once as a *DefinitionError.
func Load(dir string) (*Project, error) {
	p := &Project{Dir: dir, Files: map[string][]byte{}, apps: map[string]*App{}, codeSets: map[string]*CodeSet{}}
	ps := &Problems{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading definitions: %w", err)
	}
	h := sha256.New()
	for _, ent := range entries {
		if !ent.IsDir() || strings.HasPrefix(ent.Name(), ".") {
			continue
		}
		app := loadApp(p, filepath.Join(dir, ent.Name()), ent.Name(), ps)
		if app == nil {
			continue
		}
		p.Apps = append(p.Apps, app)
		p.apps[app.Name] = app
		app.project = p
	}
	for _, cs := range p.CodeSets() {
		if cs.csvFile != "" {
			p.Files[cs.csvFile] = cs.csvText
		}
	}
	var names []string
	for name := range p.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(p.Files[name]))
		h.Write(p.Files[name])
	}
	p.Hash = hex.EncodeToString(h.Sum(nil))
	if len(p.Apps) == 0 && ps.Len() == 0 {
		ps.Addf(Pos{File: dir}, "no app folders with definition files found")
	}
	check(p, ps)
	postingWarnings := checkPostings(p, ps)
	if err := ps.Err(); err != nil {
		return p, err
	}
	p.Warnings = checkDisclosure(p)
	if len(postingWarnings) > 0 {
		p.Warnings = append(p.Warnings, postingWarnings...)
		sortProblems(p.Warnings)
	}
	return p, nil
}

// ReservedAppNames are path segments the platform uses for itself, under
// /api/ (admin, auth, books, files, public, reports, openapi, ui) and under
// /ui/ (account, admin, audit, books, codes, files, fill, ref, reports,
// static): an app of that name would be shadowed by them. growth check
// and the web UI share this one list.
var ReservedAppNames = []string{"account", "admin", "audit", "auth", "books", "codes", "files", "fill", "openapi", "public", "ref", "reports", "static", "ui"}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// loadApp reads one app folder; nil when it has no definition files.
func loadApp(p *Project, dir, name string, ps *Problems) *App {
	var files []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && path != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path)
		}
		return nil
	})
	if len(files) == 0 {
		return nil
	}
	sort.Strings(files)
	app := &App{Name: name, entities: map[string]*Entity{}}
	rel := func(path string) string {
		r, err := filepath.Rel(p.Dir, path)
		if err != nil {
			return path
		}
		return filepath.ToSlash(r)
	}
	if !namePattern.MatchString(name) {
		ps.Addf(Pos{File: rel(dir)}, "app folder %q: %s", name, nameRule)
	}
	if slices.Contains(ReservedAppNames, name) {
		ps.Addf(Pos{File: rel(dir)}, "app folder %q: the name is taken by the platform's own paths (/api/%s/…, /ui/%s/…); reserved: %s", name, name, name, strings.Join(ReservedAppNames, ", "))
	}
	for _, path := range files {
		text, err := os.ReadFile(path)
		if err != nil {
			ps.Addf(Pos{File: rel(path)}, "cannot read: %v", errors.Unwrap(err))
			continue
		}
		p.Files[rel(path)] = text
		app.Files = append(app.Files, rel(path))
		var root yaml.Node
		if err := yaml.Unmarshal(text, &root); err != nil {
			ps.Addf(yamlErrorPos(rel(path), err), "malformed YAML: %s", yamlErrorText(err))
			continue
		}
		if len(root.Content) == 0 {
			continue
		}
		var f file
		d := &decoder{file: rel(path), problems: ps}
		d.decode(&root, reflectValue(&f), "")
		mergeFile(app, &f, filepath.Dir(path), p.Dir, ps)
	}
	if app.Pos.File == "" {
		app.Pos = Pos{File: app.Files[0], Line: 1, Col: 1}
	}
	return app
}

func mergeFile(app *App, f *file, fileDir, projectDir string, ps *Problems) {
	if f.App != "" {
		if f.App != app.Name {
			ps.Addf(f.At["app"], "app %q must be named after its folder %q", f.App, app.Name)
		}
		if app.Pos.File != "" && app.Title != "" && f.Title != "" {
			ps.Addf(f.At["title"], "app %s: title is given in two files (first at %s)", app.Name, app.Pos)
		}
		if app.Title == "" {
			app.Pos = f.Pos
		}
	}
	for _, s := range []struct{ dst, src *string }{{&app.Title, &f.Title}, {&app.TitleEn, &f.TitleEn}, {&app.Description, &f.Description}} {
		if *s.src != "" {
			*s.dst = *s.src
		}
	}
	for _, e := range f.Entities {
		e.App = app
		if prev := app.entities[e.Name]; prev != nil {
			ps.Addf(e.NamePos, "entity %s is defined twice (first at %s)", e.Name, prev.NamePos)
			continue
		}
		app.entities[e.Name] = e
		app.Entities = append(app.Entities, e)
	}
	for _, cs := range f.CodeSets {
		cs.App = app
		if cs.CSV != "" {
			cs.loadCSV(fileDir, projectDir, ps)
		}
		app.CodeSets = append(app.CodeSets, cs)
	}
	// Within a file the decoder refuses a name given twice; across the files
	// of an app it is caught here.
	firstAt := func(kind, name string, pos Pos, names map[string]Pos) bool {
		if prev, dup := names[kind+" "+name]; dup {
			ps.Addf(pos, "%s %s is defined twice (first at %s)", kind, name, prev)
			return false
		}
		names[kind+" "+name] = pos
		return true
	}
	if app.names == nil {
		app.names = map[string]Pos{}
	}
	for _, w := range f.Workflows {
		if firstAt("workflow", w.Name, w.NamePos, app.names) {
			app.Workflows = append(app.Workflows, w)
		}
	}
	for _, fm := range f.Forms {
		if firstAt("form", fm.Name, fm.NamePos, app.names) {
			app.Forms = append(app.Forms, fm)
		}
	}
	for _, r := range f.Roles {
		if firstAt("role", r.Name, r.NamePos, app.names) {
			app.Roles = append(app.Roles, r)
		}
	}
	for _, r := range f.Reports {
		if firstAt("report", r.Name, r.NamePos, app.names) {
			app.Reports = append(app.Reports, r)
		}
	}
	for _, t := range f.Tags {
		if firstAt("tag", t.Name, t.NamePos, app.names) {
			app.Tags = append(app.Tags, t)
		}
	}
	mergeExportsAndSchedules(app, f, ps)
	mergeExchanges(app, f, ps)
	app.Postings = append(app.Postings, f.Postings...)
}

var yamlLine = regexp.MustCompile(`line (\d+):? ?`)

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). yaml.v3 reports a parser error's line counting from 0, a scanner
// error's from 1.
var yamlParserProblems = []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"}

// scannerProblems are scanner messages that share a prefix with parser ones.
var yamlScannerProblems = []string{"did not find expected alphabetic", "did not find expected whitespace", "did not find expected '!'", "did not find expected hexdecimal", "did not find expected tag URI", "did not find expected comment"}

// yamlErrorPos pulls the line out of a yaml.v3 syntax error.
func yamlErrorPos(file string, err error) Pos {
	msg := err.Error()
	m := yamlLine.FindStringSubmatchIndex(msg)
	if m == nil {
		return Pos{File: file, Line: 1, Col: 1}
	}
	var line int
	fmt.Sscan(msg[m[2]:m[3]], &line)
	problem := msg[m[1]:]
	hasPrefix := func(prefixes []string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(problem, p) })
	}
	if hasPrefix(yamlParserProblems) && !hasPrefix(yamlScannerProblems) {
		line++
	}
	return Pos{File: file, Line: line, Col: 1}
}

func yamlErrorText(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	return yamlLine.ReplaceAllString(s, "")
}

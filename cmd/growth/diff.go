package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/review"
)

func init() {
	register(command{name: "diff", summary: "changes between two definition folders or stored versions, in business terms", run: runDiff})
}

func runDiff(args []string) int {
	flags := flag.NewFlagSet("diff", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(flags)
	list := flags.Bool("list", false, "list the definition versions stored in the database")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: growth diff OLD NEW [--db …]   (each a definitions folder or a stored version's hash prefix)")
		fmt.Fprintln(flags.Output(), "       growth diff --list [--db …]")
		fmt.Fprintln(flags.Output(), "Lists what changed: money controls first (balances, draws, adjustments, rollup and report conditions, code attributes, quorums; WEAKER marks a loosened control), then transitions, roles, guards, fields, code sets. Exit status 0: no change, 1: changes, 2: trouble.")
		flags.PrintDefaults()
	}
	pos, err := parseInterspersed(flags, args)
	if err != nil {
		return 2
	}
	ctx := context.Background()
	if *list {
		return listVersions(ctx, &dbf)
	}
	if len(pos) != 2 {
		flags.Usage()
		return 2
	}
	var projects [2]*metamodel.Project
	for i, ref := range pos {
		p, err := openVersion(ctx, &dbf, ref)
		if err != nil {
			fmt.Fprintf(os.Stderr, "growth diff: %s: %v\n", ref, err)
			return 2
		}
		projects[i] = p
	}
	changes := review.Diff(projects[0], projects[1])
	if len(changes) == 0 {
		fmt.Printf("no changes from %s to %s\n", pos[0], pos[1])
		return 0
	}
	fmt.Printf("%d change(s) from %s to %s:\n", len(changes), pos[0], pos[1])
	fmt.Print(review.DiffText(changes))
	return 1
}

func listVersions(ctx context.Context, dbf *dbFlags) int {
	db, err := openDB(ctx, dbf)
	if err != nil {
		return fail("diff", err)
	}
	defer db.Close()
	versions, err := db.DefinitionVersions(ctx)
	if err != nil {
		return fail("diff", err)
	}
	for _, v := range versions {
		fmt.Printf("%s  %s\n", v.Hash, v.CreatedAt.Local().Format(time.DateTime))
	}
	return 0
}

// openVersion loads a definitions folder, or a stored version written out to
// a temporary folder. Stored versions hold the YAML files only, so the code
// lists they name in CSV files are taken from the definitions folder.
func openVersion(ctx context.Context, dbf *dbFlags, ref string) (*metamodel.Project, error) {
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		p, problems, err := loadForReview(ref)
		warnProblems("diff", problems)
		return p, err
	}
	db, err := openDB(ctx, dbf)
	if err != nil {
		return nil, fmt.Errorf("not a folder, and the database to look it up in does not open: %w", err)
	}
	defer db.Close()
	v, err := db.DefinitionVersion(ctx, ref)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "growth-version-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if src := definitionsDir(dbf.definitions); src != "" {
		_ = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") {
				return nil
			}
			rel, _ := filepath.Rel(src, path)
			if data, err := os.ReadFile(path); err == nil {
				_ = os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755)
				_ = os.WriteFile(filepath.Join(dir, rel), data, 0o644)
			}
			return nil
		})
	}
	for name, text := range v.Files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, text, 0o644); err != nil {
			return nil, err
		}
	}
	p, problems, err := loadForReview(dir)
	warnProblems("diff", problems)
	if p != nil {
		p.Dir = "version " + v.Hash[:12]
	}
	return p, err
}

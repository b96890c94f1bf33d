package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Seed data: every definitions/<app>/seed/*.csv or *.xlsx file is imported
// into the entity its name gives (an optional order prefix such as "01_" is
// dropped, and a plural s too: 01_indicators.csv → indicator), apps in load order with basedata
// first, files in name order. growth_seeds remembers each file imported, in
// the import's own transaction, so that seeding again skips it.

// SeedFile is one seed file found under the definitions.
type SeedFile struct {
	App    string
	Entity string
	// Path is the file; Name is its name relative to the app's seed folder.
	Path string
	Name string
}

var seedPrefix = regexp.MustCompile(`^[0-9]+[_-]`)

// SeedFiles lists the seed files of the project in the order they load.
func (rt *Runtime) SeedFiles() ([]SeedFile, error) {
	apps := append([]string(nil), "basedata")
	for _, a := range rt.Project.Apps {
		if a.Name != "basedata" {
			apps = append(apps, a.Name)
		}
	}
	var out []SeedFile
	for _, app := range apps {
		if rt.Project.App(app) == nil {
			continue
		}
		dir := filepath.Join(rt.Project.Dir, app, "seed")
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".csv" || ext == ".xlsx") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, name := range names {
			entity := seedPrefix.ReplaceAllString(strings.TrimSuffix(name, filepath.Ext(name)), "")
			if a := rt.Project.App(app); a.Entity(entity) == nil && a.Entity(strings.TrimSuffix(entity, "s")) != nil {
				entity = strings.TrimSuffix(entity, "s") // indicators.csv → indicator
			}
			if rt.Project.App(app).Entity(entity) == nil {
				return nil, fmt.Errorf("seed file %s: app %s has no entity %q; name a seed file after its entity, with an optional order prefix (01_entity.csv)", filepath.Join(dir, name), app, entity)
			}
			out = append(out, SeedFile{App: app, Entity: entity, Path: filepath.Join(dir, name), Name: name})
		}
	}
	return out, nil
}

// SeedResult says what seeding one file did.
type SeedResult struct {
	Report *ImportReport
	// Skipped: the file was imported before. Changed: and it has changed
	// since; it is still not imported again (its records exist already).
	Skipped, Changed bool
}

// Seed imports one seed file as actor unless it was imported before.
func (rt *Runtime) Seed(ctx context.Context, actor Actor, f SeedFile, progress func(done, total int)) (*SeedResult, error) {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	p := rt.DB.Placeholder
	var prev string
	err = rt.DB.Write.QueryRowContext(ctx, `SELECT sha256 FROM growth_seeds WHERE app = `+p(1)+` AND file = `+p(2), f.App, f.Name).Scan(&prev)
	switch {
	case err == nil:
		return &SeedResult{Skipped: true, Changed: prev != hash}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("seed %s: %w", f.Name, err)
	}
	report, err := rt.importWith(ctx, actor, f.App, f.Entity, bytes.NewReader(data), ImportFormat(f.Name), progress, func(tx *sql.Tx, report *ImportReport) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO growth_seeds (app, file, sha256, rows, imported_at) VALUES (`+p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, `+p(5)+`)`,
			f.App, f.Name, hash, report.Imported, rt.DB.timeArg(rt.now()))
		return err
	})
	return &SeedResult{Report: report}, err
}

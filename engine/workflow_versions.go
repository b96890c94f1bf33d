package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Every distinct set of definitions the runtime has started on is stored in
// growth_definition_versions with its hash and its files; records and history
// rows carry the hash they were written under. These read them back, so that
// an auditor can compare what ran then with what runs now.

// DefinitionVersion is one stored set of definitions.
type DefinitionVersion struct {
	Hash      string
	CreatedAt time.Time
	// Files are the definition files by path relative to the definitions
	// folder; nil in listings.
	Files map[string][]byte
}

// DefinitionVersions lists the stored versions, oldest first.
func (db *DB) DefinitionVersions(ctx context.Context) ([]DefinitionVersion, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT hash, created_at FROM growth_definition_versions ORDER BY created_at, hash`)
	if err != nil {
		return nil, fmt.Errorf("definition versions: %w", err)
	}
	defer rows.Close()
	var out []DefinitionVersion
	for rows.Next() {
		var v DefinitionVersion
		var at any
		if err := rows.Scan(&v.Hash, &at); err != nil {
			return nil, err
		}
		if v.CreatedAt, err = scanTime(at); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DefinitionVersion reads the stored version whose hash starts with prefix;
// the prefix must name exactly one version.
func (db *DB) DefinitionVersion(ctx context.Context, prefix string) (*DefinitionVersion, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if len(prefix) < 4 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%w: definition version %q: give at least 4 hex digits of its hash", ErrNotFound, prefix)
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT hash, created_at, files FROM growth_definition_versions WHERE hash LIKE `+db.Placeholder(1)+` ORDER BY hash`, prefix+"%")
	if err != nil {
		return nil, fmt.Errorf("definition versions: %w", err)
	}
	defer rows.Close()
	var found []*DefinitionVersion
	for rows.Next() {
		v := &DefinitionVersion{}
		var at any
		var files string
		if err := rows.Scan(&v.Hash, &at, &files); err != nil {
			return nil, err
		}
		if v.CreatedAt, err = scanTime(at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(files), &v.Files); err != nil {
			return nil, fmt.Errorf("definition version %s: stored files: %w", v.Hash, err)
		}
		found = append(found, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no stored definition version starts with %s", ErrNotFound, prefix)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: %d stored definition versions start with %s; give more digits", ErrConflict, len(found), prefix)
}

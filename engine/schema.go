package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel"
)

// Schema sync: every entity's table is derived from its definition. What was
// last applied is stored per table (growth_schema_state) in dialect-neutral
// form, so the diff compares like with like. Additive changes (a new table,
// column or index, a longer text) apply on start; destructive ones (a field
// removed or renamed, a type narrowed, an entity removed) are refused unless
// asked for, and even then the old data is kept under an archive name.

// TableSpec is a table as the definitions want it.
type TableSpec struct {
	Name    string       `json:"name"`
	Entity  string       `json:"entity"`
	Columns []ColumnSpec `json:"columns"`
	Indexes []IndexSpec  `json:"indexes"`
	// Initial is the workflow's initial state, for filling a new state column.
	Initial string `json:"initial,omitempty"`
}

// ColumnSpec is one column of a TableSpec.
type ColumnSpec struct {
	Name   string               `json:"name"`
	Kind   metamodel.ColumnKind `json:"kind"`
	Scale  int                  `json:"scale,omitempty"`
	Size   int                  `json:"size,omitempty"`
	System bool                 `json:"system,omitempty"`
}

// IndexSpec is one index of a TableSpec.
type IndexSpec struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Unique  bool     `json:"unique,omitempty"`
	// PrefixLen, when set, indexes substr(first column, 1, PrefixLen) rather
	// than the whole first column: one level of a prefix-coded org tree.
	PrefixLen int `json:"prefix_len,omitempty"`
	// Trigram, on PostgreSQL, is a GIN index of the column's trigrams
	// (pg_trgm, with the operator class qualified by the extension's
	// schema): what makes a substring search (ILIKE '%…%') use an index.
	Trigram string `json:"trigram,omitempty"`
}

// Step is one change of a plan.
type Step struct {
	Table string
	// AddsColumn names the column a step adds to an existing table, if any.
	AddsColumn  string
	Description string
	SQL         []string
	Destructive bool
}

// Plan is what schema sync would do.
type Plan struct {
	Steps []Step
	// Refused lists destructive changes left out because they were not allowed.
	Refused []Step
	specs   []TableSpec
	removed []string
}

// ErrDestructive is returned when the definitions need a destructive change
// that was not allowed.
var ErrDestructive = errors.New("destructive schema change refused")

// TableName is the table of an entity: app_entity.
func TableName(e *metamodel.Entity) string { return e.App.Name + "_" + e.Name }

// Spec derives the table an entity needs.
func Spec(e *metamodel.Entity) TableSpec {
	t := TableSpec{Name: TableName(e), Entity: e.QualifiedName()}
	t.Columns = append(t.Columns,
		ColumnSpec{Name: "id", Kind: metamodel.ColumnInt, System: true},
		ColumnSpec{Name: "version", Kind: metamodel.ColumnInt, System: true},
	)
	if e.Workflow != nil {
		t.Columns = append(t.Columns, ColumnSpec{Name: "state", Kind: metamodel.ColumnText, Size: 64, System: true})
		t.Initial = e.Workflow.Initial
		t.Indexes = append(t.Indexes, IndexSpec{Name: indexName("ix", t.Name, []string{"state"}), Columns: []string{"state"}})
	}
	t.Columns = append(t.Columns,
		ColumnSpec{Name: "created_by", Kind: metamodel.ColumnText, Size: 128, System: true},
		ColumnSpec{Name: "created_at", Kind: metamodel.ColumnTimestamp, System: true},
		ColumnSpec{Name: "updated_at", Kind: metamodel.ColumnTimestamp, System: true},
		ColumnSpec{Name: "def_version", Kind: metamodel.ColumnText, Size: 64, System: true},
	)
	indexed := map[string]bool{}
	addIndex := func(cols []string, unique bool) {
		key := strings.Join(cols, ",")
		if unique {
			key = "u:" + key
		} else if indexed["u:"+key] {
			return
		}
		if indexed[key] {
			return
		}
		indexed[key] = true
		prefix := "ix"
		if unique {
			prefix = "ux"
		}
		t.Indexes = append(t.Indexes, IndexSpec{Name: indexName(prefix, t.Name, cols), Columns: cols, Unique: unique})
	}
	for _, f := range e.Fields {
		c := f.Kind.Column(f)
		t.Columns = append(t.Columns, ColumnSpec{Name: f.Name, Kind: c.Kind, Scale: c.Scale, Size: c.Size})
		if f.Unique {
			addIndex([]string{f.Name}, true)
		}
	}
	for _, group := range e.Unique {
		addIndex(group, true)
	}
	// Data scopes filter on the org field or the creator and lists page by id
	// descending: (column, id) indexes serve both in one index walk.
	if e.OrgField != "" {
		addIndex([]string{e.OrgField, "id"}, false)
		// A department's scope is substr(org, 1, n) = code (filter.Prefix):
		// one index per level above the leaves of a fixed-width org tree.
		if f := e.Field(e.OrgField); f != nil && f.Set != nil {
			width := 0
			for i, w := range orgLevels(f.Set) {
				width += w
				if i == len(orgLevels(f.Set))-1 {
					break
				}
				cols := []string{e.OrgField, "id"}
				t.Indexes = append(t.Indexes, IndexSpec{Name: indexName("ix", t.Name, []string{e.OrgField, "p" + strconv.Itoa(width), "id"}), Columns: cols, PrefixLen: width})
			}
		}
	}
	addIndex([]string{"created_by", "id"}, false)
	for _, f := range e.Fields {
		// A (field, id) index already serves what (field) would: SQLite
		// ends every index with the rowid, which id is, so the two hold the
		// same entries in the same order, and on PostgreSQL (field, id)
		// also gives a filtered list its order. A second one would only be
		// kept up to date by every insert (docs/performance.md, perf-sqlcreate).
		if (f.Is(metamodel.RecordRef) || slices.Contains(e.Filters, f.Name)) && !indexed[f.Name+",id"] {
			addIndex([]string{f.Name}, false)
		}
	}
	return t
}

// orgLevels are the fixed level widths of an org code set (its own, or its
// base's for an extension), or nil.
func orgLevels(set *metamodel.CodeSet) []int {
	if len(set.Levels) == 0 && set.Base != nil {
		return set.Base.Levels
	}
	return set.Levels
}

// indexName is prefix_table_cols, hashed down to PostgreSQL's 63 characters.
func indexName(prefix, table string, cols []string) string {
	name := prefix + "_" + table + "_" + strings.Join(cols, "_")
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:54] + "_" + hex.EncodeToString(sum[:4])
}

// storedSpecs reads what was last applied; an empty map on a fresh database.
func (db *DB) storedSpecs(ctx context.Context) (map[string]TableSpec, error) {
	out := map[string]TableSpec{}
	rows, err := db.Read.QueryContext(ctx, `SELECT table_name, spec FROM growth_schema_state`)
	if err != nil {
		if db.tableMissing(err) {
			return out, nil
		}
		return nil, fmt.Errorf("reading schema state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			return nil, err
		}
		var spec TableSpec
		if err := json.Unmarshal([]byte(text), &spec); err != nil {
			return nil, fmt.Errorf("schema state of %s: %w", name, err)
		}
		out[name] = spec
	}
	return out, rows.Err()
}

func (db *DB) tableMissing(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}

// PlanSchema compares the definitions with what was applied and lists the
// steps to bring the database in line. Destructive steps are planned only when
// allowDestructive; otherwise they are listed in Refused.
func (db *DB) PlanSchema(ctx context.Context, p *metamodel.Project, allowDestructive bool) (*Plan, error) {
	stored, err := db.storedSpecs(ctx)
	if err != nil {
		return nil, err
	}
	trgm, err := db.trigramSchema(ctx)
	if err != nil {
		return nil, err
	}
	return db.plan(p, stored, trgm, time.Now().UTC().Format("20060102150405"), allowDestructive)
}

// plan is PlanSchema once the database has said what it holds: stored, the
// specs last applied, and trgm, the schema of pg_trgm or "". It writes SQL
// text only, so the DDL of definitions is known without a database; stamp
// names what a destructive step archives.
func (d Dialect) plan(p *metamodel.Project, stored map[string]TableSpec, trgm, stamp string, allowDestructive bool) (*Plan, error) {
	plan := &Plan{}
	wanted := map[string]bool{}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			spec := Spec(e)
			if trgm != "" {
				for _, name := range e.Search {
					spec.Indexes = append(spec.Indexes, IndexSpec{Name: indexName("tg", spec.Name, []string{name}), Columns: []string{name}, Trigram: trgm})
				}
			}
			if len(spec.Name) > 63 {
				return nil, fmt.Errorf("entity %s: table name %s is longer than 63 characters; shorten the app or entity name", e.QualifiedName(), spec.Name)
			}
			wanted[spec.Name] = true
			plan.specs = append(plan.specs, spec)
			old, ok := stored[spec.Name]
			if !ok {
				plan.Steps = append(plan.Steps, d.createTable(spec))
				continue
			}
			d.diffTable(plan, old, spec, stamp, allowDestructive)
		}
	}
	for name, old := range stored {
		if wanted[name] {
			continue
		}
		step := Step{Table: name, Destructive: true,
			Description: fmt.Sprintf("entity %s was removed from the definitions: table %s would be archived as %s__archived_%s", old.Entity, name, name, stamp),
			SQL:         []string{fmt.Sprintf("ALTER TABLE %s RENAME TO %s", d.Quote(name), d.Quote(name+"__archived_"+stamp))}}
		if allowDestructive {
			plan.Steps = append(plan.Steps, step)
			plan.removed = append(plan.removed, name)
		} else {
			plan.Refused = append(plan.Refused, step)
		}
	}
	return plan, nil
}

func (d Dialect) createTable(t TableSpec) Step {
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, d.columnDef(c))
	}
	stmts := []string{fmt.Sprintf("CREATE TABLE %s (\n    %s\n)", d.Quote(t.Name), strings.Join(cols, ",\n    "))}
	for _, ix := range t.Indexes {
		stmts = append(stmts, d.createIndex(t.Name, ix))
	}
	return Step{Table: t.Name, Description: fmt.Sprintf("create table %s for entity %s", t.Name, t.Entity), SQL: stmts}
}

func (d Dialect) columnDef(c ColumnSpec) string {
	q := d.Quote(c.Name)
	switch c.Name {
	case "id":
		if d == SQLite {
			return q + " INTEGER PRIMARY KEY AUTOINCREMENT"
		}
		return q + " BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
	case "version":
		return q + " " + d.columnDDL(metamodel.Column{Kind: c.Kind}) + " NOT NULL DEFAULT 1"
	}
	return q + " " + d.columnDDL(metamodel.Column{Kind: c.Kind, Scale: c.Scale, Size: c.Size})
}

// trigramSchema is the schema of the pg_trgm extension when it is installed
// in a PostgreSQL database, else "": search fields then get trigram indexes.
// The platform does not install the extension itself (that needs rights an
// application's login need not have); docs/definitions.md says how.
func (db *DB) trigramSchema(ctx context.Context) (string, error) {
	if db.Dialect != Postgres {
		return "", nil
	}
	var schema string
	err := db.Read.QueryRowContext(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`).Scan(&schema)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("looking for pg_trgm: %w", err)
	}
	return schema, nil
}

func (d Dialect) createIndex(table string, ix IndexSpec) string {
	if ix.Trigram != "" {
		return fmt.Sprintf("CREATE INDEX %s ON %s USING gin (%s %s.gin_trgm_ops)", d.Quote(ix.Name), d.Quote(table), d.Quote(ix.Columns[0]), d.Quote(ix.Trigram))
	}
	var cols []string
	for i, c := range ix.Columns {
		if i == 0 && ix.PrefixLen > 0 {
			cols = append(cols, fmt.Sprintf("substr(%s, 1, %d)", d.Quote(c), ix.PrefixLen))
			continue
		}
		cols = append(cols, d.Quote(c))
	}
	unique := ""
	if ix.Unique {
		unique = "UNIQUE "
	}
	return fmt.Sprintf("CREATE %sINDEX %s ON %s (%s)", unique, d.Quote(ix.Name), d.Quote(table), strings.Join(cols, ", "))
}

var kindNames = map[metamodel.ColumnKind]string{
	metamodel.ColumnText: "text", metamodel.ColumnInt: "integer", metamodel.ColumnBool: "boolean",
	metamodel.ColumnScaled: "decimal", metamodel.ColumnDate: "date", metamodel.ColumnTimestamp: "timestamp",
}

func describeColumn(c ColumnSpec) string {
	s := kindNames[c.Kind]
	switch {
	case c.Kind == metamodel.ColumnScaled:
		s += fmt.Sprintf(" with %d decimals", c.Scale)
	case c.Kind == metamodel.ColumnText && c.Size > 0:
		s += fmt.Sprintf(" of at most %d characters", c.Size)
	}
	return s
}

// widening reports whether changing a column from old to new keeps every value.
func widening(old, new ColumnSpec) bool {
	if old.Kind != new.Kind {
		return false
	}
	switch old.Kind {
	case metamodel.ColumnText:
		return new.Size == 0 || (old.Size != 0 && new.Size >= old.Size)
	case metamodel.ColumnScaled:
		return new.Scale == old.Scale
	}
	return true
}

func (d Dialect) diffTable(plan *Plan, old, spec TableSpec, stamp string, allowDestructive bool) {
	oldCols := map[string]ColumnSpec{}
	for _, c := range old.Columns {
		oldCols[c.Name] = c
	}
	newCols := map[string]bool{}
	table := d.Quote(spec.Name)
	destructive := func(s Step) {
		s.Destructive = true
		if allowDestructive {
			plan.Steps = append(plan.Steps, s)
		} else {
			plan.Refused = append(plan.Refused, s)
		}
	}
	for _, c := range spec.Columns {
		newCols[c.Name] = true
		prev, had := oldCols[c.Name]
		switch {
		case !had:
			stmts := []string{fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", table, d.columnDef(c))}
			if c.Name == "state" && spec.Initial != "" {
				stmts = append(stmts, fmt.Sprintf("UPDATE %s SET %s = '%s' WHERE %s IS NULL", table, d.Quote("state"), spec.Initial, d.Quote("state")))
			}
			plan.Steps = append(plan.Steps, Step{Table: spec.Name, AddsColumn: c.Name, Description: fmt.Sprintf("add column %s.%s (%s)", spec.Name, c.Name, describeColumn(c)), SQL: stmts})
		case prev == c:
		case widening(prev, c):
			var stmts []string
			if d == Postgres {
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s", table, d.Quote(c.Name), d.columnDDL(metamodel.Column{Kind: c.Kind, Scale: c.Scale, Size: c.Size})))
			}
			plan.Steps = append(plan.Steps, Step{Table: spec.Name, Description: fmt.Sprintf("widen column %s.%s from %s to %s", spec.Name, c.Name, describeColumn(prev), describeColumn(c)), SQL: stmts})
		default:
			archive := c.Name + "__archived_" + stamp
			destructive(Step{Table: spec.Name,
				Description: fmt.Sprintf("field %s of entity %s changes type from %s to %s: the old values would be kept in column %s and the field starts empty", c.Name, spec.Entity, describeColumn(prev), describeColumn(c), archive),
				SQL: append(d.dropIndexesOn(old, c.Name),
					fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", table, d.Quote(c.Name), d.Quote(archive)),
					fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", table, d.columnDef(c)))})
		}
	}
	for _, c := range old.Columns {
		if newCols[c.Name] {
			continue
		}
		archive := c.Name + "__archived_" + stamp
		destructive(Step{Table: spec.Name,
			Description: fmt.Sprintf("field %s of entity %s was removed or renamed: its values would be kept in column %s", c.Name, spec.Entity, archive),
			SQL: append(d.dropIndexesOn(old, c.Name),
				fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", table, d.Quote(c.Name), d.Quote(archive)))})
	}
	oldIx := map[string]IndexSpec{}
	for _, ix := range old.Indexes {
		oldIx[ix.Name] = ix
	}
	for _, ix := range spec.Indexes {
		if _, ok := oldIx[ix.Name]; ok {
			continue
		}
		desc := fmt.Sprintf("add index %s", ix.Name)
		if ix.Unique {
			desc = fmt.Sprintf("add unique index %s on (%s)", ix.Name, strings.Join(ix.Columns, ", "))
		}
		plan.Steps = append(plan.Steps, Step{Table: spec.Name, Description: desc, SQL: []string{d.createIndex(spec.Name, ix)}})
	}
	for _, ix := range old.Indexes {
		if slices.ContainsFunc(spec.Indexes, func(n IndexSpec) bool { return n.Name == ix.Name }) {
			continue
		}
		if slices.ContainsFunc(ix.Columns, func(c string) bool { return !newCols[c] }) {
			continue // dropped with its column
		}
		plan.Steps = append(plan.Steps, Step{Table: spec.Name, Description: fmt.Sprintf("drop index %s (no longer declared)", ix.Name), SQL: []string{"DROP INDEX " + d.Quote(ix.Name)}})
	}
}

// dropIndexesOn drops the indexes of old that use column col, since SQLite
// keeps an index on a renamed column under its old name.
func (d Dialect) dropIndexesOn(old TableSpec, col string) []string {
	var out []string
	for _, ix := range old.Indexes {
		if slices.Contains(ix.Columns, col) {
			out = append(out, "DROP INDEX IF EXISTS "+d.Quote(ix.Name))
		}
	}
	return out
}

// SQL lists every statement of the plan, for `growth plan`.
func (p *Plan) SQL() []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.SQL...)
	}
	return out
}

// Err explains refused destructive changes, or is nil.
func (p *Plan) Err() error {
	if len(p.Refused) == 0 {
		return nil
	}
	var b strings.Builder
	for _, s := range p.Refused {
		b.WriteString("\n  - " + s.Description)
	}
	return fmt.Errorf("%w:%s\nRun `growth migrate --allow-destructive` to apply them (old data is kept under archive names).", ErrDestructive, b.String())
}

// ApplySchema applies a plan in one transaction and records the new table
// specs. It refuses a plan with refused steps.
func (db *DB) ApplySchema(ctx context.Context, plan *Plan) error {
	if err := plan.Err(); err != nil {
		return err
	}
	now := time.Now().UTC()
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, s := range plan.Steps {
			for _, stmt := range s.SQL {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w\n%s", s.Description, err, stmt)
				}
			}
		}
		for _, name := range plan.removed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM growth_schema_state WHERE table_name = `+db.Placeholder(1), name); err != nil {
				return err
			}
		}
		for _, spec := range plan.specs {
			text, err := json.Marshal(spec)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM growth_schema_state WHERE table_name = `+db.Placeholder(1), spec.Name); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO growth_schema_state (table_name, spec, updated_at) VALUES (`+db.Placeholder(1)+`, `+db.Placeholder(2)+`, `+db.Placeholder(3)+`)`, spec.Name, string(text), db.timeArg(now)); err != nil {
				return err
			}
		}
		return nil
	})
}

package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/growth-gov/growth/metamodel"
)

// Actor is who acts: every call into the runtime names one, and the audit
// trail records it.
type Actor struct {
	User  string
	Roles []string
	Org   string
}

// SystemActor is the platform itself (imports, seeds, scheduled rules).
var SystemActor = Actor{User: "system", Roles: []string{"system"}}

// Record is one stored record: the system columns, and the field values in
// canonical form (nil for an empty field).
type Record struct {
	App        string
	Entity     string
	ID         int64
	Version    int64
	State      string
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	DefVersion string
	Values     map[string]any

	// refs are the records its ref fields point at, for expressions that
	// read them (refs.go); nil when not loaded.
	refs any
	// frozen names the computed fields that keep their stored value: one of
	// their freeze_on events has fired (freeze.go).
	frozen map[string]bool
}

// systemColumns are read before the fields, in this order.
var systemColumns = []string{"id", "version", "created_by", "created_at", "updated_at", "def_version"}

// entityStore holds what the runtime precomputes for one entity at load: its
// columns and the SQL of its hot paths, so a request builds no SQL text.
type entityStore struct {
	entity    *metamodel.Entity
	table     string
	fields    []*metamodel.Field
	columns   []metamodel.Column
	hasState  bool
	selectSQL string // SELECT … FROM table (no WHERE)
	getSQL    string
	insertSQL string
	updateSQL string
	deleteSQL string
	existsSQL string
	json      *jsonLayout // the key order of its JSON answers (json.go)
	scanBufs  sync.Pool   // of *scanBuf
	// byName are the indexes of fields in the order of their names: the
	// order of the keys of the record image and the audit changes
	// (appendImage), as json.Marshal sorts a map's keys.
	byName []int
}

func newEntityStore(d Dialect, e *metamodel.Entity) *entityStore {
	s := &entityStore{entity: e, table: TableName(e), fields: e.Fields, hasState: e.Workflow != nil, json: newJSONLayout(e)}
	for i, f := range e.Fields {
		s.columns = append(s.columns, f.Kind.Column(f))
		s.byName = append(s.byName, i)
	}
	slices.SortFunc(s.byName, func(a, b int) int { return strings.Compare(e.Fields[a].Name, e.Fields[b].Name) })
	q := d.Quote
	var sel []string
	for _, c := range systemColumns {
		sel = append(sel, q(c))
	}
	if s.hasState {
		sel = append(sel, q("state"))
	}
	for _, f := range e.Fields {
		sel = append(sel, q(f.Name))
	}
	t := q(s.table)
	s.selectSQL = "SELECT " + strings.Join(sel, ", ") + " FROM " + t
	s.getSQL = s.selectSQL + " WHERE " + q("id") + " = " + d.Placeholder(1)
	s.existsSQL = "SELECT 1 FROM " + t + " WHERE " + q("id") + " = " + d.Placeholder(1)

	// INSERT: version, created_by, created_at, updated_at, def_version, [state], fields…
	ins := []string{q("version"), q("created_by"), q("created_at"), q("updated_at"), q("def_version")}
	if s.hasState {
		ins = append(ins, q("state"))
	}
	for _, f := range e.Fields {
		ins = append(ins, q(f.Name))
	}
	var ph []string
	for i := range ins {
		ph = append(ph, d.Placeholder(i+1))
	}
	s.insertSQL = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING %s", t, strings.Join(ins, ", "), strings.Join(ph, ", "), q("id"))

	// UPDATE: updated_at, def_version, [state], fields…, WHERE id, version.
	set := []string{q("version") + " = " + q("version") + " + 1", q("updated_at") + " = " + d.Placeholder(1), q("def_version") + " = " + d.Placeholder(2)}
	n := 3
	if s.hasState {
		set = append(set, q("state")+" = "+d.Placeholder(n))
		n++
	}
	for _, f := range e.Fields {
		set = append(set, q(f.Name)+" = "+d.Placeholder(n))
		n++
	}
	s.updateSQL = fmt.Sprintf("UPDATE %s SET %s WHERE %s = %s AND %s = %s", t, strings.Join(set, ", "), q("id"), d.Placeholder(n), q("version"), d.Placeholder(n+1))
	s.deleteSQL = fmt.Sprintf("DELETE FROM %s WHERE %s = %s AND %s = %s", t, q("id"), d.Placeholder(1), q("version"), d.Placeholder(2))
	return s
}

// scanBuf is where scan has a row's columns scanned; entityStore.scanBufs
// keeps them for the next row.
type scanBuf struct{ raw, ptrs []any }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scan reads one row of selectSQL into a Record.
func (s *entityStore) scan(row scanner) (*Record, error) {
	buf, _ := s.scanBufs.Get().(*scanBuf)
	if buf == nil {
		n := len(systemColumns) + len(s.fields)
		if s.hasState {
			n++
		}
		buf = &scanBuf{raw: make([]any, n), ptrs: make([]any, n)}
		for i := range buf.raw {
			buf.ptrs[i] = &buf.raw[i]
		}
	}
	defer func() {
		clear(buf.raw) // keep no row's values alive in the pool
		s.scanBufs.Put(buf)
	}()
	raw := buf.raw
	if err := row.Scan(buf.ptrs...); err != nil {
		return nil, err
	}
	rec := &Record{App: s.entity.App.Name, Entity: s.entity.Name, Values: make(map[string]any, len(s.fields))}
	var ok bool
	if rec.ID, ok = asInt64(raw[0]); !ok {
		return nil, fmt.Errorf("id: unexpected %T", raw[0])
	}
	rec.Version, _ = asInt64(raw[1])
	rec.CreatedBy = asString(raw[2])
	var err error
	if rec.CreatedAt, err = scanTime(raw[3]); err != nil {
		return nil, err
	}
	if rec.UpdatedAt, err = scanTime(raw[4]); err != nil {
		return nil, err
	}
	rec.DefVersion = asString(raw[5])
	i := len(systemColumns)
	if s.hasState {
		rec.State = asString(raw[i])
		i++
	}
	for j, f := range s.fields {
		v, err := fromDB(s.columns[j], raw[i+j])
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", s.table, f.Name, err)
		}
		rec.Values[f.Name] = v
	}
	return rec, nil
}

func asString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return ""
}

// fieldArgs lists the database arguments of a record's field values.
func (s *entityStore) fieldArgs(db *DB, values map[string]any) []any {
	args := make([]any, len(s.fields))
	for i, f := range s.fields {
		args[i] = db.toDB(s.columns[i], values[f.Name])
	}
	return args
}

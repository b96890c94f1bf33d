package engine

import (
	"fmt"
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// Paths name a field of a referenced record: indicator.func_class on a
// payment is the functional class of the payment's indicator. A report reads
// them through LEFT JOINs on the referenced tables' ids (one per distinct
// chain of refs, so the joins never multiply rows); a list filter through a
// scalar subquery.

// joins collects the LEFT JOINs a report query needs, from table alias base.
type joins struct {
	db    *DB
	base  string
	alias map[string]string // ref chain "indicator.project" -> alias
	sql   []string
}

func newJoins(db *DB, base string) *joins {
	return &joins{db: db, base: base, alias: map[string]string{}}
}

// column is the SQL of path name on e: base.col for a field of e, jN.col for
// a field reached along refs.
func (j *joins) column(e *metamodel.Entity, name string) (string, error) {
	hops, _, f, err := metamodel.ResolvePath(e, name)
	if err != nil {
		return "", err
	}
	q := j.db.Quote
	from := j.base
	var chain []string
	for _, h := range hops {
		chain = append(chain, h.Name)
		key := strings.Join(chain, ".")
		a, ok := j.alias[key]
		if !ok {
			a = fmt.Sprintf("j%d", len(j.alias)+1)
			j.alias[key] = a
			j.sql = append(j.sql, " LEFT JOIN "+q(TableName(h.Target))+" "+a+" ON "+a+"."+q("id")+" = "+from+"."+q(h.Name))
		}
		from = a
	}
	col := "state"
	if f != nil {
		col = f.Name
	}
	return from + "." + q(col), nil
}

// pathAllowed says whether actor may read path name on e: every ref followed
// and the last field visible, and every entity reached readable.
func (rt *Runtime) pathAllowed(actor Actor, e *metamodel.Entity, name string) bool {
	hops, end, f, err := metamodel.ResolvePath(e, name)
	if err != nil {
		return false
	}
	cur := e
	for _, h := range hops {
		if rt.Access.Hidden(actor, cur, h.Name) || !rt.Access.Can(actor, h.Target, "read") {
			return false
		}
		cur = h.Target
	}
	return f == nil || !rt.Access.Hidden(actor, end, f.Name)
}

// pathResolver resolves every column of the store's table and every path
// along its refs (a list filter's subqueries): what the definitions' own
// filters may name.
func (s *entityStore) pathResolver() filter.Resolver {
	plain := s.columnResolver()
	return func(name string) (filter.Column, bool) { return s.pathColumn(name, nil, plain) }
}

// pathColumn is a filter column for name: a plain column resolved by plain,
// or a path, through j when given (reports) or else as a scalar subquery
// correlated to the outer table (lists).
func (s *entityStore) pathColumn(name string, j *joins, plain filter.Resolver) (filter.Column, bool) {
	if !strings.Contains(name, ".") {
		return plain(name)
	}
	hops, _, f, err := metamodel.ResolvePath(s.entity, name)
	if err != nil {
		return filter.Column{}, false
	}
	col := filter.Column{Field: f, Kind: filter.SystemText}
	if j != nil {
		col.SQL, _ = j.column(s.entity, name)
		return col, true
	}
	q := quoteName
	last := "state"
	if f != nil {
		last = f.Name
	}
	// (SELECT r2.x FROM b r2 WHERE r2.id = (SELECT r1.ref FROM a r1 WHERE r1.id = outer.ref))
	outer := q(s.table) + "." + q(hops[0].Name)
	for i, h := range hops {
		a := fmt.Sprintf("r%d", i+1)
		next := last
		if i+1 < len(hops) {
			next = hops[i+1].Name
		}
		outer = "(SELECT " + a + "." + q(next) + " FROM " + q(TableName(h.Target)) + " " + a + " WHERE " + a + "." + q("id") + " = " + outer + ")"
	}
	col.SQL = outer
	return col, true
}

// numberPlaceholders numbers the "$0" placeholders of a PostgreSQL query in
// the order they appear ($1, $2, …): a query built out of order (joins whose
// arguments come first) writes Placeholder(0) and numbers them at the end.
// Placeholders already numbered are left alone. SQLite's "?" is positional.
func (db *DB) numberPlaceholders(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for {
		i := strings.Index(query, "$0")
		if i < 0 || i+2 < len(query) && query[i+2] >= '0' && query[i+2] <= '9' {
			if i < 0 {
				b.WriteString(query)
				return b.String()
			}
			b.WriteString(query[:i+2])
			query = query[i+2:]
			continue
		}
		n++
		b.WriteString(query[:i])
		b.WriteString(db.Placeholder(n))
		query = query[i+2:]
	}
}

// MayReadPath says whether actor may see name on e, a field or a path along
// refs (what a report may group or filter by for this reader).
func (rt *Runtime) MayReadPath(actor Actor, e *metamodel.Entity, name string) bool {
	return rt.pathAllowed(actor, e, name)
}

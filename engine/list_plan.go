package engine

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// Planning a list was a third of PostgreSQL's CPU per list
// (docs/performance.md, "PostgreSQL lists planned once"). pgx runs every
// statement as a named prepared statement, and PostgreSQL plans a prepared
// statement anew for its values on each of its first five executions; after
// that it keeps one generic plan, made without the values, when that plan's
// estimated cost is no higher than the value-specific ones' (plan_cache_mode
// auto). With LIMIT and OFFSET bound as parameters the planner cannot know
// how many rows are wanted, assumes a tenth of the table, and the generic
// plan never looked cheap enough: every list was planned again.
//
// Writing the LIMIT into the SQL lets PostgreSQL keep the generic plan, but
// a generic plan is made for a value of average frequency: on a column
// where one value holds nearly every row (one department's records so far)
// it walks the primary key and filters, which for a value with few or no
// rows reads the whole table (24 ms at 100,000 rows, against 0.03 ms when
// planned for that value). So the LIMIT is written out only for a first
// page without a search whose filter and data scope condition are nothing
// but `field = value` terms and department prefixes (`substr(org, 1, n) =
// code`, statistics of the schema's index of that prefix), ANDed, or none
// at all, each value being one of its column's most common values in
// PostgreSQL's statistics, with a share of the rows within commonBand of the
// average share the generic plan assumes. Every other list binds LIMIT and
// OFFSET and is planned for its values, as before. A
// first page of a given size is one SQL text per filter shape (size is at
// most MaxPageSize); later pages keep their offset bound, so that paging
// does not leave a prepared statement per offset on every connection.

// firstReadWait is how long at most a list waits for the first read of its
// table's statistics (common).
const firstReadWait = time.Second

// commonBand is how far, as a factor either way, a value's share of the rows
// may be from the average share a generic plan assumes for its column.
const commonBand = 10

// plannedOnce reports whether a list may run with its LIMIT written into
// the SQL, so that PostgreSQL may keep a generic plan for it: a first page on
// PostgreSQL, without a search, whose filter's and data scope condition's
// values are common ones (above). scope is the scope's condition when it is
// part of the SQL.
func (rt *Runtime) plannedOnce(ctx context.Context, s *entityStore, q ListQuery, page int, node, scope filter.Node) bool {
	return rt.DB.Dialect == Postgres && page == 1 && strings.TrimSpace(q.Search) == "" &&
		rt.DB.statistics.common(ctx, rt.DB, s, node, scope)
}

// firstPageLimit is the LIMIT of a first page written into the SQL: one more
// row than the page holds, to tell whether more follow.
func firstPageLimit(size int) string {
	return " LIMIT " + strconv.Itoa(size+1)
}

// columnShares is what PostgreSQL's statistics say of one column: the
// share of rows a generic plan assumes for `column = $1`, and the share of
// each of its most common values.
type columnShares struct {
	average float64
	common  map[string]float64
}

// tableShares are the columnShares of one table, as last read.
type tableShares struct {
	columns map[string]columnShares
	read    time.Time
	reading bool
	// done is closed when the read under way ends.
	done chan struct{}
	// analysed is set when this server analysed the table: the next list
	// reads its statistics again, and a read under way is not taken as
	// current.
	analysed bool
}

// commonValues keeps the tableShares of the tables listed, read again in
// the background at most every statisticsCheckEvery.
type commonValues struct {
	mu     sync.Mutex
	tables map[string]*tableShares
}

// common reports whether every term of the list's filter and scope is
// `field = value` or a department prefix with a common value (see above),
// so that the first page may be run with a generic plan. A table's
// statistics are read in the background; one that has rows but no
// statistics at all is analysed then (read).
//
// Lists of a table whose statistics this server has not read yet wait for
// that first read, up to firstReadWait. Right after a table was filled (a
// fresh table, an import) it has no statistics, and PostgreSQL, planning a
// list for its values, reads and sorts every matching row: 5 ms a list at
// 10,000 rows where the kept plan takes 0.05 ms. The lists that went alone
// while the first read analysed the table (100–250 ms under load) were a
// third of PostgreSQL's CPU per list in the benchmark's 10,000 lists
// (docs/performance.md, "PostgreSQL lists: the first ones after a fill").
func (k *statisticsKeeper) common(ctx context.Context, db *DB, s *entityStore, nodes ...filter.Node) bool {
	terms, ok := equalityTerms(s, nodes...)
	if !ok {
		return false
	}
	if len(terms) == 0 {
		return true // no values: the generic plan is the plan
	}
	c := &k.values
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tables[s.table]
	if t == nil {
		if c.tables == nil {
			c.tables = map[string]*tableShares{}
		}
		t = &tableShares{}
		c.tables[s.table] = t
	}
	if !t.reading && time.Since(t.read) >= statisticsCheckEvery {
		t.reading, t.analysed = true, false
		t.done = make(chan struct{})
		go c.read(db, s, t)
	}
	if t.reading && t.columns == nil {
		done := t.done
		c.mu.Unlock()
		wait := time.NewTimer(firstReadWait)
		select {
		case <-done:
		case <-wait.C:
		case <-ctx.Done():
		}
		wait.Stop()
		c.mu.Lock()
	}
	for _, term := range terms {
		col, ok := t.columns[term.column]
		if !ok || col.average <= 0 {
			return false
		}
		share, ok := col.common[term.value]
		if !ok || share < col.average/commonBand || share > col.average*commonBand {
			return false
		}
	}
	return true
}

// read reads the statistics of the store's table and of its department
// prefix indexes into t.
func (c *commonValues) read(db *DB, s *entityStore, t *tableShares) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	columns := map[string]columnShares{}
	err := db.columnShares(ctx, s.table, "", columns)
	if err == nil && len(columns) == 0 {
		// No statistics: a table filled moments ago, before this
		// server's next check for stale statistics (db_statistics.go)
		// or while the counts it reads still lagged. Analyse it now
		// if it has rows, and read again.
		var rows bool
		if err = db.Read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+db.Quote(s.table)+`)`).Scan(&rows); err == nil && rows {
			// Not db.analyze: this read is the new one, and a table
			// that still has no statistics after it (an ANALYZE the
			// role may not run) is tried again only after
			// statisticsCheckEvery.
			if _, err = db.Write.ExecContext(ctx, `ANALYZE `+db.Quote(s.table)); err == nil {
				err = db.columnShares(ctx, s.table, "", columns)
			}
		}
	}
	for _, ix := range Spec(s.entity).Indexes {
		if err == nil && ix.PrefixLen > 0 {
			err = db.columnShares(ctx, ix.Name, ix.Name+".", columns)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.reading = false
	close(t.done)
	if !t.analysed {
		t.read = time.Now()
	}
	if err == nil {
		t.columns = columns
	}
}

// analysed makes the next list of table read its statistics again: this
// server has just analysed it. Right after a table was filled, its first
// lists found no statistics yet and would otherwise have been planned for
// their values until the next read, statisticsCheckEvery later.
func (c *commonValues) analysed(table string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.tables[table]; t != nil {
		t.analysed, t.read = true, time.Time{}
	}
}

// columnShares reads PostgreSQL's statistics of the columns of relation (a
// table, or an index's expressions) into out, under prefix + the column's
// name. The average share is what the planner assumes for `column = $1`
// without the value: the non-null share over the number of distinct values,
// never more than the most common value's share.
func (db *DB) columnShares(ctx context.Context, relation, prefix string, out map[string]columnShares) error {
	rows, err := db.Read.QueryContext(ctx, `SELECT s.attname, s.null_frac, s.n_distinct, GREATEST(c.reltuples, 0), v.val, v.share
FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = n.oid
LEFT JOIN LATERAL unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS v(val, share) ON true
WHERE s.schemaname = current_schema() AND s.tablename = $1`, relation)
	if err != nil {
		return err
	}
	defer rows.Close()
	read := map[string]columnShares{}
	for rows.Next() {
		var name string
		var nullFrac, distinct, tuples float64
		var val *string
		var share *float64
		if err := rows.Scan(&name, &nullFrac, &distinct, &tuples, &val, &share); err != nil {
			return err
		}
		col, ok := read[name]
		if !ok {
			if distinct < 0 { // a fraction of the rows
				distinct = -distinct * tuples
			}
			col = columnShares{average: 1 - nullFrac, common: map[string]float64{}}
			if distinct > 1 {
				col.average /= distinct
			}
		}
		if val != nil && share != nil {
			col.common[*val] = *share
		}
		read[name] = col
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for name, col := range read {
		top := 0.0
		for _, share := range col.common {
			top = max(top, share)
		}
		if top > 0 && col.average > top {
			col.average = top
		}
		out[prefix+name] = col
	}
	return nil
}

// equalityTerm is `column = value`, value as PostgreSQL writes it as text;
// column is a column of the table, or index.substr for the expression of a
// department prefix index.
type equalityTerm struct{ column, value string }

// equalityTerms returns the terms of conditions made only of `field =
// 'text'` on text columns, `field = number` on integer ones and department
// prefixes, ANDed; false for any other condition. Nil conditions have none.
func equalityTerms(s *entityStore, nodes ...filter.Node) ([]equalityTerm, bool) {
	var terms []filter.Node
	for _, node := range nodes {
		if and, ok := node.(*filter.And); ok {
			terms = append(terms, and.Terms...)
		} else if node != nil {
			terms = append(terms, node)
		}
	}
	out := make([]equalityTerm, 0, len(terms))
	for _, t := range terms {
		if p, ok := t.(*filter.Prefix); ok {
			// The index schema.go gives each level of the org field.
			ix := indexName("ix", s.table, []string{p.Field, "p" + strconv.Itoa(len(p.Code)), "id"})
			out = append(out, equalityTerm{column: ix + ".substr", value: p.Code})
			continue
		}
		c, ok := t.(*filter.Compare)
		if !ok || c.Op != filter.Eq {
			return nil, false
		}
		var kind metamodel.ColumnKind
		switch c.Field {
		case "created_by", "state":
			kind = metamodel.ColumnText
		default:
			f := s.entity.Field(c.Field)
			if f == nil {
				return nil, false
			}
			col := f.Kind.Column(f)
			if col.Kind == metamodel.ColumnInt && col.Scale != 0 {
				return nil, false
			}
			kind = col.Kind
		}
		switch {
		case kind == metamodel.ColumnText && c.Value.Kind == filter.String:
		case kind == metamodel.ColumnInt && c.Value.Kind == filter.Number:
		default:
			return nil, false
		}
		out = append(out, equalityTerm{column: c.Field, value: c.Value.Text})
	}
	return out, true
}

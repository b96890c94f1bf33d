package engine

import (
	"context"
	"sync"
	"time"
)

// PostgreSQL plans a list from its statistics of the table. Right after many
// rows were written (a fresh table filled by creates, an import) it has none
// or stale ones until autovacuum comes by (a minute later by default), and a
// filtered, ordered page of 20 was planned as "fetch every matching row and
// sort" — 11–40 ms for 10,000 rows instead of 0.05 ms walking the primary key
// backwards (docs/performance.md). So creates and lists ask, at most every
// statisticsCheckEvery, which tables of the schema changed by more than
// statisticsMinChanges rows and a fifth of their size since their last
// ANALYZE, and have those analysed in the background. ANALYZE reads a sample
// of the table and blocks no reads or writes.

// statisticsCheckEvery is how often at most a server looks for tables whose
// statistics are stale.
const statisticsCheckEvery = 5 * time.Second

// unsampledTables are the platform's tables that the check leaves to
// autovacuum, though creates fill them as fast as the entity's table: no
// query of Growth depends on their sampled statistics, and ANALYZE of
// growth_audit, a sample of wide rows whose text columns it sorts, cost five
// to seven times the entity table's, and a sixth of PostgreSQL's CPU under
// a long create load (docs/performance.md). Every reader goes through a unique
// key or an index prefix of equalities, or reads the whole table:
//   - growth_audit: by chain and chain_seq (the unique key; anchors, proof
//     marks), the last chain_seq of a chain (the same key), by app, entity
//     and record_id (ix_growth_audit_record; a record's history, workflow
//     not_by), and audit verify's read of every row in chain order;
//   - growth_audit_heads: by chain (its primary key), chain = ANY or IN a
//     list of chains, joined to a list of chains by chain (batched creates,
//     imports), and audit verify's read of every head.
//
// A key's uniqueness comes from its index, and the number of rows from the
// table's current size, so none of these plans changes with statistics.
var unsampledTables = []string{"growth_audit", "growth_audit_heads"}

// statisticsMinChanges is the least number of rows changed since the last
// ANALYZE that makes this server analyse a table (plus a fifth of its rows).
const statisticsMinChanges = 500

// statisticsKeeper remembers when this server last looked and whether it is
// analysing now.
type statisticsKeeper struct {
	mu      sync.Mutex
	checked time.Time
	running bool
	// values are the most common values of the tables listed (list_plan.go).
	values commonValues
}

// freshenStatistics starts, at most every statisticsCheckEvery and never
// twice at once, the background ANALYZE of the tables whose statistics are
// stale. On SQLite it does nothing: its planner does not estimate from
// sampled statistics unless asked (ANALYZE), and its lists do not need them.
func (db *DB) freshenStatistics() {
	if db.Dialect != Postgres {
		return
	}
	k := &db.statistics
	k.mu.Lock()
	if k.running || time.Since(k.checked) < statisticsCheckEvery {
		k.mu.Unlock()
		return
	}
	k.running, k.checked = true, time.Now()
	k.mu.Unlock()
	go func() {
		defer func() {
			k.mu.Lock()
			k.running = false
			k.mu.Unlock()
		}()
		// Errors are left alone: statistics only make plans better, and
		// autovacuum gathers them later anyway.
		_ = db.analyzeStale(context.Background())
	}()
}

// analyzeStale analyses the tables of the current schema whose statistics
// are stale, except unsampledTables.
func (db *DB) analyzeStale(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rows, err := db.Read.QueryContext(ctx, `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze >= $1 + 0.2 * GREATEST(c.reltuples, 0) AND s.relname <> ALL ($2)`, statisticsMinChanges, unsampledTables)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		if err := db.analyze(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// analyze analyses table, and has the next list of it read the new
// statistics (list_plan.go).
func (db *DB) analyze(ctx context.Context, table string) error {
	if _, err := db.Write.ExecContext(ctx, `ANALYZE `+db.Quote(table)); err != nil {
		return err
	}
	db.statistics.values.analysed(table)
	return nil
}

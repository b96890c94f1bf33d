package engine

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
)

// insertReadingHeadSQL holds, by the text of an entity's INSERT, the text of
// the SQLite INSERT that also reads the new record's audit head
// (insertReadingHead).
var insertReadingHeadSQL sync.Map

// headReadingColumns are the columns an INSERT … RETURNING "id" on SQLite
// adds to read the head of each new record's audit chain: its chain_seq and
// hash, NULL when the chain has no head yet. Both arguments are the prefix
// of the entity's chains.
var headReadingColumns = func() string {
	chain := `? || printf('%02d', "id" % ` + strconv.Itoa(AuditShards) + `)`
	return `, (SELECT chain_seq FROM growth_audit_heads WHERE chain = ` + chain + `)` +
		`, (SELECT hash FROM growth_audit_heads WHERE chain = ` + chain + `)`
}()

// insertReadingHead runs a create's INSERT on SQLite and, in the same
// statement, reads the head of the new record's audit chain: one statement
// where the INSERT, then lockAuditHead's SELECT, took two, on the one write
// connection whose turn every create waits for (docs/performance.md,
// perf-sqlcreate). The head is read at the same point of the transaction as
// before, and SQLite's one writer holds the database's write lock from the
// transaction's BEGIN IMMEDIATE, so nothing else can move it in between. The
// slot is nil when the chain has no head yet: lockAuditHead then creates it.
// Only for a create not nested in another change's effects (whose balance
// updates lockAuditHead runs first).
func (db *DB) insertReadingHead(ctx context.Context, tx *sql.Tx, s *entityStore, app, entity string, args []any) (int64, *auditSlot, error) {
	text, ok := insertReadingHeadSQL.Load(s.insertSQL)
	if !ok {
		text, _ = insertReadingHeadSQL.LoadOrStore(s.insertSQL, s.insertSQL+headReadingColumns)
	}
	prefix := app + "." + entity + "#"
	var id int64
	var seq sql.NullInt64
	var prev sql.NullString
	if err := tx.QueryRowContext(ctx, text.(string), append(args[:len(args):len(args)], prefix, prefix)...).Scan(&id, &seq, &prev); err != nil {
		return 0, nil, err
	}
	if !seq.Valid {
		return id, nil, nil
	}
	return id, &auditSlot{chain: AuditChain(app, entity, id), seq: seq.Int64, prev: prev.String}, nil
}

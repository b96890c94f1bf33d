package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The wider proof: an audit row in the full form (proofFull) commits, besides
// its own content and the previous row's hash, to
//
//   - the record's after-image: a hash of the stored row the write left
//     (recordImage), so that an edit of the business table by hand no longer
//     matches the last audit row of the record;
//   - the ledger rows its change wrote: each ledger row carries a hash of its
//     own content (ledgerRowHash), and the audit row keeps their count and a
//     digest of their hashes (ledgerDigest), so that a ledger row deleted,
//     edited or forged no longer matches the audit row of its source change.
//
// Balances are checked by replaying the ledger rows (VerifyLedger), so they
// are covered through the ledger. VerifyProof re-hashes all of it.

// recordImage is the hash of a record as stored: its system columns and its
// non-empty field values in their JSON form, keyed by field name. Empty
// fields are left out, so a field added to the definitions (a new, empty
// column) does not change the image of the records written before.
func (s *entityStore) recordImage(rec *Record) string {
	text, err := s.imageText(rec)
	if err != nil {
		text = nil // what json.Marshal gave for a value it cannot write: nothing
	}
	return hashHex(text)
}

// imageText is the text recordImage hashes.
func (s *entityStore) imageText(rec *Record) ([]byte, error) {
	vals, has := make([]any, len(s.fields)), make([]bool, len(s.fields))
	for i, f := range s.fields {
		if v := rec.Values[f.Name]; v != nil {
			vals[i], has[i] = f.Kind.JSON(f, v), true
		}
	}
	return s.appendImage(nil, rec, vals, has, imageTime(rec.CreatedAt), imageTime(rec.UpdatedAt))
}

// imageAroundID is the text recordImage hashes for a new record whose id is
// not drawn yet, as the text before the id and the text after it: a create
// written together with others builds it before its turn on the one writer,
// which then only puts the id in between and hashes (sqlite_create_batch.go).
// ok is false when the image has no text (imageText failed).
func (s *entityStore) imageAroundID(rec *Record) (before, after []byte, ok bool) {
	id := rec.ID
	rec.ID = 0
	text, err := s.imageText(rec)
	rec.ID = id
	n := len(AppendJSONString(append(AppendJSONString([]byte{'['}, rec.App), ','), rec.Entity)) + 1
	if err != nil || len(text) < n+2 || string(text[n:n+2]) != "0," {
		return nil, nil, false
	}
	return text[:n], text[n+1:], true
}

// appendImage appends the text recordImage hashes, as json.Marshal wrote it:
// [app, entity, id, version, state, created_by, created_at, updated_at,
// def_version, {field: value, …}], the fields that have a value (has, by
// the index of s.fields) with their JSON values (vals), by name. The times
// come as imageTime gives them.
func (s *entityStore) appendImage(b []byte, rec *Record, vals []any, has []bool, created, updated string) ([]byte, error) {
	b = append(b, '[')
	b = AppendJSONString(b, rec.App)
	b = append(b, ',')
	b = AppendJSONString(b, rec.Entity)
	b = append(b, ',')
	b = strconv.AppendInt(b, rec.ID, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, rec.Version, 10)
	b = append(b, ',')
	b = AppendJSONString(b, rec.State)
	b = append(b, ',')
	b = AppendJSONString(b, rec.CreatedBy)
	b = append(b, ',')
	b = AppendJSONString(b, created)
	b = append(b, ',')
	b = AppendJSONString(b, updated)
	b = append(b, ',')
	b = AppendJSONString(b, rec.DefVersion)
	b = append(b, ",{"...)
	first := true
	for _, i := range s.byName {
		if !has[i] {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = AppendJSONString(b, s.fields[i].Name)
		b = append(b, ':')
		var err error
		if b, err = AppendJSONValue(b, vals[i]); err != nil {
			return b, err
		}
	}
	return append(b, "}]"...), nil
}

func imageTime(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(sqliteTime) }

// ledgerRowHash is the hash of one ledger row's content.
func ledgerRowHash(a Account, kind string, amount int64, src ledgerSource, at time.Time, note string) string {
	canonical, _ := json.Marshal([]any{a.App, a.Entity, a.ID, kind, amount, src.app, src.entity, src.id, src.version, src.event, src.actor, imageTime(at), src.key, note})
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

type snapshotKey struct{}

// snapshot opens a read-only transaction that the verifiers read through
// (reader), so that a verification on a live server compares the tables as
// they stood at one moment: a write committed while it runs is either
// wholly seen or not at all. PostgreSQL reads in REPEATABLE READ; SQLite's
// read transaction sees one snapshot of the WAL. A context that already
// carries one is kept.
func (db *DB) snapshot(ctx context.Context) (context.Context, func(), error) {
	if _, ok := ctx.Value(snapshotKey{}).(*sql.Tx); ok {
		return ctx, func() {}, nil
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.Read.BeginTx(ctx, opts)
	if err != nil {
		return ctx, nil, fmt.Errorf("verification snapshot: %w", err)
	}
	return context.WithValue(ctx, snapshotKey{}, tx), func() { _ = tx.Rollback() }, nil
}

// reader is the snapshot of ctx, or the read pool.
func (db *DB) reader(ctx context.Context) queryer {
	if tx, ok := ctx.Value(snapshotKey{}).(*sql.Tx); ok {
		return tx
	}
	return db.Read
}

package engine

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Creates written together on SQLite. Group commit already runs the writes
// that arrive while a transaction commits as one transaction (db_group.go),
// but each create in it still ran five statements of its own: its
// savepoint, its INSERT, its audit row, its head's UPDATE and its RELEASE,
// each paying the driver's and SQLite's cost per statement on the one write
// connection whose turn every write waits for. The creates of one entity in
// a group are now written by one set of statements, whatever their number
// (up to a group's 64):
//
//  1. one multi-row INSERT, whose RETURNING also reads the head of each new
//     record's audit chain (as insertReadingHead does for one);
//  2. the heads of chains that have none yet, created as readAuditHead does;
//  3. the audit rows of all, hashed in Go chain by chain in id order, in one
//     INSERT;
//  4. every head moved once to its chain's last row, in one UPDATE;
//
// in one savepoint, committed with the rest of the group. Each create keeps
// its own audit row, with the hash it would have had written alone, and is
// answered only after the group's COMMIT, as before.
//
// Which creates: those PostgreSQL batches too (batchableCreates: no
// reference, workflow, attachment or effect), without an idempotency key,
// checked before their turn (prepareCreate). If writing them together fails
// — a unique value taken, the definitions changed — the savepoint is rolled
// back and each of them runs alone, so that the one at fault fails alone
// with its own answer.

// sqliteCreate is a create on SQLite that group commit may write together
// with the other creates of its entity in its group.
type sqliteCreate struct {
	rt *Runtime
	s  *entityStore
	nr *newRecord
	// changes is the audit row's changes, canonical JSON.
	changes string
	// imageBefore and imageAfter are the text of the record's image
	// before and after its id (entityStore.imageAroundID).
	imageBefore, imageAfter []byte
}

// jointCreate is the create of nr written together with others when
// group commit can (nil when it cannot: the caller writes it alone).
func (rt *Runtime) jointCreate(s *entityStore, nr *newRecord, idem Idempotency) jointWrite {
	if !pgCreateBatchEnabled || rt.DB.group == nil || nr == nil || idem.Key != "" || !rt.creates.queue(rt, s).eligible {
		return nil
	}
	changes, ok := appendCanonical(nil, nr.changes)
	if !ok {
		return nil
	}
	before, after, ok := s.imageAroundID(nr.rec)
	if !ok {
		return nil
	}
	return &sqliteCreate{rt: rt, s: s, nr: nr, changes: string(changes), imageBefore: before, imageAfter: after}
}

func (c *sqliteCreate) jointKind() any { return c.s }

// jointArgumentLimit bounds the arguments of one statement: SQLite refuses
// more than 32,766; a set of creates with more is written in parts (a
// variable for the test of parts).
var jointArgumentLimit = 32000

// writeJointly writes the creates of all, creates of c's entity, in tx
// (the top of this file).
func (c *sqliteCreate) writeJointly(tx *sql.Tx, all []jointWrite) error {
	ctx := context.Background()
	if err := c.rt.sqliteDefinitionsChecked(ctx, tx); err != nil {
		return err
	}
	creates := make([]*sqliteCreate, len(all))
	for i, w := range all {
		creates[i] = w.(*sqliteCreate)
	}
	per := max(1, jointArgumentLimit/(len(c.nr.args)+len(auditColumns)))
	for part := range slices.Chunk(creates, per) {
		if err := c.writePart(ctx, tx, part); err != nil {
			return err
		}
	}
	return nil
}

// jointHead is an audit chain's head as a joint write moves it.
type jointHead struct {
	seq  int64
	hash string
}

// writePart writes creates with one statement of each kind.
func (c *sqliteCreate) writePart(ctx context.Context, tx *sql.Tx, creates []*sqliteCreate) error {
	s, db := c.s, c.rt.DB
	app, entity := s.entity.App.Name, s.entity.Name
	n := len(creates)
	args := make([]any, 0, n*len(c.nr.args)+2)
	for _, w := range creates {
		args = append(args, w.nr.args...)
	}
	prefix := app + "." + entity + "#"
	args = append(args, prefix, prefix)
	type inserted struct {
		id   int64
		seq  sql.NullInt64
		hash sql.NullString
	}
	got := make([]inserted, 0, n)
	rows, err := tx.QueryContext(ctx, jointText(s, "insert", n), args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r inserted
		if err := rows.Scan(&r.id, &r.seq, &r.hash); err != nil {
			rows.Close()
			return err
		}
		got = append(got, r)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(got) != n {
		return fmt.Errorf("%d ids for %d records", len(got), n)
	}
	// SQLite draws the ids of an AUTOINCREMENT table one after another in
	// the order of the VALUES rows, on the one write connection: the i-th
	// smallest is the i-th record's.
	slices.SortFunc(got, func(a, b inserted) int { return cmp.Compare(a.id, b.id) })
	heads := map[string]*jointHead{}
	chainOf := make([]string, n)
	var missing []any
	for i, r := range got {
		creates[i].nr.rec.ID = r.id
		chain := AuditChain(app, entity, r.id)
		chainOf[i] = chain
		if heads[chain] != nil {
			continue
		}
		if !r.seq.Valid {
			// The chain's first row: its head is created.
			missing = append(missing, chain)
			heads[chain] = &jointHead{0, genesisHash}
			continue
		}
		heads[chain] = &jointHead{r.seq.Int64, r.hash.String}
	}
	if len(missing) > 0 {
		if _, err := tx.ExecContext(ctx, jointText(s, "heads", len(missing)), missing...); err != nil {
			return fmt.Errorf("audit heads: %w", err)
		}
	}

	// The audit rows, chain by chain in id order (ids ascend, so each
	// chain's rows come in id order), as writeAudit writes one.
	audit := make([]any, 0, n*len(auditColumns))
	var scratch, imageText []byte
	for i, w := range creates {
		rec := w.nr.rec
		h := heads[chainOf[i]]
		at := rec.CreatedAt.UTC().Truncate(time.Microsecond)
		imageText = append(strconv.AppendInt(append(imageText[:0], w.imageBefore...), rec.ID, 10), w.imageAfter...)
		image := hashHex(imageText)
		seq := h.seq + 1
		var hash string
		hash, scratch = auditRowHash(scratch, chainOf[i], seq, at.Format(sqliteTime), rec.CreatedBy, app, entity, rec.ID, "create", w.changes, rec.DefVersion, h.hash, rec.Version, image, "")
		audit = append(audit, chainOf[i], seq, db.timeArg(at), rec.CreatedBy, app, entity, rec.ID, "create", w.changes, rec.DefVersion, h.hash, hash, proofFull, rec.Version, image, "")
		h.seq, h.hash = seq, hash
	}
	if _, err := tx.ExecContext(ctx, jointText(s, "audit", n), audit...); err != nil {
		return fmt.Errorf("audit rows: %w", err)
	}
	moved := make([]any, 0, 3*len(heads))
	for chain, h := range heads {
		moved = append(moved, chain, h.seq, h.hash)
	}
	res, err := tx.ExecContext(ctx, jointText(s, "move", len(heads)), moved...)
	if err != nil {
		return fmt.Errorf("audit heads: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil || k != int64(len(heads)) {
		return fmt.Errorf("audit heads: %d of %d moved (%v)", k, len(heads), err)
	}
	return nil
}

// jointTexts holds the statements of joint creates by kind, number of rows
// and, for the records' INSERT, the text of the entity's one-row INSERT
// (which changes with its definitions), built once each.
var jointTexts sync.Map // jointTextKey → string

type jointTextKey struct {
	insert, kind string
	n            int
}

// jointText is the statement of kind for n rows (records, audit rows or
// heads) of s's creates:
//   - insert: the records' multi-row INSERT, returning each new id with its
//     chain's head (insertReadingHead's reads, for every row);
//   - heads: n new heads at their chains' start;
//   - audit: n audit rows;
//   - move: n heads moved, by (chain, chain_seq, hash) triples.
func jointText(s *entityStore, kind string, n int) string {
	key := jointTextKey{kind: kind, n: n}
	if kind == "insert" {
		key.insert = s.insertSQL
	}
	if text, ok := jointTexts.Load(key); ok {
		return text.(string)
	}
	var text string
	switch kind {
	case "insert":
		head, rest, _ := strings.Cut(s.insertSQL, " VALUES ")
		row, _, _ := strings.Cut(rest, " RETURNING ")
		text = head + " VALUES " + rowsOf(row, n) + ` RETURNING "id"` + headReadingColumns
	case "heads":
		text = `INSERT INTO growth_audit_heads (chain, chain_seq, hash) VALUES ` + rowsOf(`(?, 0, '`+genesisHash+`')`, n) + ` ON CONFLICT (chain) DO NOTHING`
	case "audit":
		text = `INSERT INTO growth_audit (` + strings.Join(auditColumns, ", ") + `) VALUES ` + rowsOf("("+strings.Repeat("?, ", len(auditColumns)-1)+"?)", n)
	case "move":
		text = `UPDATE growth_audit_heads SET chain_seq = v.column2, hash = v.column3 FROM (VALUES ` + rowsOf("(?, ?, ?)", n) + `) AS v WHERE growth_audit_heads.chain = v.column1`
	}
	stored, _ := jointTexts.LoadOrStore(key, text)
	return stored.(string)
}

// rowsOf is row n times, separated by commas.
func rowsOf(row string, n int) string {
	return strings.Repeat(row+", ", n-1) + row
}

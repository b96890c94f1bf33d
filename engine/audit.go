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
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The audit trail is append-only and hash-chained: each row's hash covers its
// content and the previous row's hash, so editing or deleting a row by hand
// breaks every hash after it. Rather than one global chain, each entity has
// AuditShards chains ("app.entity#NN", by record id), so that concurrent writes
// do not all queue on one chain head under PostgreSQL; growth_audit_heads
// holds each chain's last sequence number and hash, which also catches a
// deleted last row. Each row also commits to the record's stored row after
// the write and to the ledger rows of its change (proof.go); anchors
// (anchor.go) keep the heads outside the database.

// AuditEntry is one audited write.
type AuditEntry struct {
	App        string
	Entity     string
	RecordID   int64
	Action     string // create, update, delete, or a workflow event
	Actor      string
	At         time.Time
	Changes    map[string][2]any // field → [before, after], JSON-ready values
	DefVersion string

	// Version is the record's version after the write (0 when the entry
	// wrote no record row: a partial approval, an export). Image is the
	// hash of the stored row the write left (recordImage), ImageDeleted
	// for a delete, "" when there is no record row (users, files, exports).
	// Ledger lists the hashes of the ledger rows the change wrote.
	Version int64
	Image   string
	Ledger  []string
}

// ImageDeleted is the image of a delete: no row is left.
const ImageDeleted = "deleted"

// Proof forms of an audit row (the proof column): rows written before the
// wider proof are chained over their content only; later rows also commit
// to the record's after-image and the ledger rows of their change.
const (
	proofChained = 1
	proofFull    = 2
)

const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// auditHashFull is the hash of a row in the full form: the chained content
// and the record version, after-image and ledger digest.
func auditHashFull(chain string, seq int64, at, actor, app, entity string, recordID int64, action, changes, defVersion, prev string, version int64, image, ledger string) string {
	hash, _ := auditRowHash(nil, chain, seq, at, actor, app, entity, recordID, action, changes, defVersion, prev, version, image, ledger)
	return hash
}

// ledgerDigest is what an audit row keeps of its change's ledger rows: their
// count and a hash of their sorted hashes ("" when there are none).
func ledgerDigest(hashes []string) string {
	if len(hashes) == 0 {
		return ""
	}
	sorted := slices.Clone(hashes)
	slices.Sort(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, ",")))
	return strconv.Itoa(len(sorted)) + ":" + hex.EncodeToString(sum[:])
}

// auditHash is the hash of a row in the chained form (proof 1).
func auditHash(chain string, seq int64, at, actor, app, entity string, recordID int64, action, changes, defVersion, prev string) string {
	sum := sha256.Sum256(canonical(chain, seq, at, actor, app, entity, recordID, action, changes, defVersion, prev))
	return hex.EncodeToString(sum[:])
}

// AuditShards is how many hash chains each entity's audit trail is spread
// over, by record id. Every row of one record lands in the same chain, in
// order; writes to different records of one entity mostly take different
// chain heads, so on PostgreSQL they do not all queue on one row lock
// (measured in docs/performance.md). audit verify walks every chain.
const AuditShards = 16

// AuditChain names the chain of a record's audit rows: app.entity#NN.
func AuditChain(app, entity string, recordID int64) string {
	return fmt.Sprintf("%s.%s#%02d", app, entity, recordID%AuditShards)
}

// auditStatements are the texts of the audit trail's statements: read a
// chain's head (locking it on PostgreSQL), insert a row, move the head; and,
// on PostgreSQL, the head read that also reads the current definitions (a
// write's definitions check, writeTx) and the insert of a row and move of
// the head in one statement. Built once per dialect.
type auditStatements struct {
	head, headChecked, insertRow, updateHead, insertAndMove string
}

var auditStatementsOf = map[Dialect]*auditStatements{SQLite: buildAuditSQL(SQLite), Postgres: buildAuditSQL(Postgres)}

// auditColumns are the columns of an audit row, in the order of the
// arguments of writeAudit's INSERT.
var auditColumns = []string{"chain", "chain_seq", "at", "actor", "app", "entity", "record_id", "action", "changes", "def_version", "prev_hash", "hash", "proof", "record_version", "image", "ledger"}

func buildAuditSQL(d Dialect) *auditStatements {
	ph := d.Placeholder
	lock := ""
	if d == Postgres {
		lock = " FOR UPDATE"
	}
	st := &auditStatements{}
	st.head = `SELECT chain_seq, hash FROM growth_audit_heads WHERE chain = ` + ph(1) + lock
	st.headChecked = `SELECT chain_seq, hash, (SELECT hash FROM growth_definition_current WHERE id = 1) FROM growth_audit_heads WHERE chain = ` + ph(1) + lock
	args := make([]string, len(auditColumns))
	for i := range args {
		args[i] = ph(i + 1)
	}
	st.insertRow = `INSERT INTO growth_audit (` + strings.Join(auditColumns, ", ") + `) VALUES (` + strings.Join(args, ", ") + `)`
	st.updateHead = `UPDATE growth_audit_heads SET chain_seq = ` + ph(1) + `, hash = ` + ph(2) + ` WHERE chain = ` + ph(3)
	if d == Postgres {
		st.insertAndMove = `WITH r AS (` + st.insertRow + `) UPDATE growth_audit_heads SET chain_seq = $2, hash = $12 WHERE chain = $1`
	}
	return st
}

// auditSQL is the text of the audit trail's statements (auditStatements).
func (db *DB) auditSQL() (head, insertRow, updateHead, insertAndMove string) {
	st := db.auditStatements()
	return st.head, st.insertRow, st.updateHead, st.insertAndMove
}

func (db *DB) auditStatements() *auditStatements {
	if st := auditStatementsOf[db.Dialect]; st != nil {
		return st
	}
	return buildAuditSQL(db.Dialect)
}

// auditSlot is a chain's head, locked inside a write's transaction: the
// write's audit row goes there once its effects have run, so that it can
// commit to the ledger rows they wrote. Locking the head before the effects
// keeps the order of locks every write takes (audit head, then balances),
// and keeps the balance rows' locks as short as they were.
//
// An effect may write to the same chain before the slot is used (a rollup
// into a parent of the same entity, a record generated into it): the
// transaction's pending slots travel in the context, and every row written
// moves the pending slots of its chain on, so the write's row follows it.
type auditSlot struct {
	chain   string
	seq     int64
	prev    string
	written bool
}

type pendingSlotsKey struct{}

// pendingSlots are the slots locked and not yet written in a transaction,
// and the changes whose effects are running.
type pendingSlots struct {
	slots   []*auditSlot
	changes []*Change
}

// lockAuditHead locks (creating it if missing) the head of the chain of the
// record ch changes; the returned context carries the slot and the change to
// the effects. A write nested in another change's effects (a rollup, a
// generated record) first runs that change's pending balance updates, so
// balances move in the order the changes happen.
func (db *DB) lockAuditHead(ctx context.Context, tx *sql.Tx, app, entity string, recordID int64, ch *Change) (context.Context, *auditSlot, error) {
	p, _ := ctx.Value(pendingSlotsKey{}).(*pendingSlots)
	if p != nil {
		for _, outer := range p.changes {
			if err := outer.runBalanceUpdates(); err != nil {
				return ctx, nil, err
			}
		}
	}
	slot, err := db.readAuditHead(ctx, tx, AuditChain(app, entity, recordID))
	if err != nil {
		return ctx, nil, err
	}
	return db.holdAuditHead(ctx, slot, ch), slot, nil
}

// holdAuditHead notes a locked head's slot and its change in the context
// the change's effects run in (lockAuditHead).
func (db *DB) holdAuditHead(ctx context.Context, slot *auditSlot, ch *Change) context.Context {
	p, _ := ctx.Value(pendingSlotsKey{}).(*pendingSlots)
	if p == nil {
		p = &pendingSlots{}
		ctx = context.WithValue(ctx, pendingSlotsKey{}, p)
	}
	p.slots = append(p.slots, slot)
	p.changes = append(p.changes, ch)
	return ctx
}

// insertLockingHeadSQL holds, by the text of an entity's INSERT, the text
// of the INSERT that also locks the audit head (insertLockingHead).
var insertLockingHeadSQL sync.Map

// insertLockingHead runs a create's INSERT on PostgreSQL and, in the same
// statement, locks the head of the new record's audit chain and reads the current
// definitions: one round trip where the INSERT, then lockAuditHead, took
// two, the head locked at the same point of the transaction. When the
// write has still to check its definitions (writeTx), they are checked
// here. The slot is nil when the chain has no head yet: lockAuditHead
// then creates it. Only for a create not nested in another change's
// effects, whose balance updates lockAuditHead runs first.
func (db *DB) insertLockingHead(ctx context.Context, tx *sql.Tx, s *entityStore, app, entity string, args []any) (int64, *auditSlot, error) {
	text, ok := insertLockingHeadSQL.Load(s.insertSQL)
	if !ok {
		text, _ = insertLockingHeadSQL.LoadOrStore(s.insertSQL, `WITH r AS (`+s.insertSQL+`) SELECT r.id, h.chain_seq, h.hash, (SELECT hash FROM growth_definition_current WHERE id = 1) FROM r`+
			` LEFT JOIN LATERAL (SELECT chain_seq, hash FROM growth_audit_heads WHERE chain = CAST(`+db.Placeholder(len(args)+1)+` AS text)`+
			` || lpad((r.id % `+strconv.Itoa(AuditShards)+`)::text, 2, '0') FOR UPDATE) h ON true`)
	}
	var id int64
	var seq sql.NullInt64
	var prev, current sql.NullString
	if err := tx.QueryRowContext(ctx, text.(string), append(args, app+"."+entity+"#")...).Scan(&id, &seq, &prev, &current); err != nil {
		return 0, nil, err
	}
	if chk := pendingDefsCheck(tx); chk != nil {
		if err := chk.note(current.String); err != nil {
			return 0, nil, err
		}
	}
	if !seq.Valid {
		return id, nil, nil
	}
	return id, &auditSlot{chain: AuditChain(app, entity, id), seq: seq.Int64, prev: prev.String}, nil
}

// readAuditHead reads and locks a chain's head, creating it if missing. In
// a PostgreSQL write whose definitions are still to be checked (writeTx), the
// same statement reads the current definitions.
func (db *DB) readAuditHead(ctx context.Context, tx *sql.Tx, chain string) (*auditSlot, error) {
	slot := &auditSlot{chain: chain}
	st := db.auditStatements()
	head := st.head
	var chk *defsCheck
	var current sql.NullString
	dest := []any{&slot.seq, &slot.prev}
	if db.Dialect == Postgres {
		if chk = pendingDefsCheck(tx); chk != nil {
			head = st.headChecked
			dest = append(dest, &current)
		}
	}
	err := tx.QueryRowContext(ctx, head, slot.chain).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO growth_audit_heads (chain, chain_seq, hash) VALUES (`+db.Placeholder(1)+`, 0, '`+genesisHash+`') ON CONFLICT (chain) DO NOTHING`, slot.chain); err != nil {
			return slot, fmt.Errorf("audit head: %w", err)
		}
		err = tx.QueryRowContext(ctx, head, slot.chain).Scan(dest...)
	}
	if err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	if chk != nil {
		if err := chk.note(current.String); err != nil {
			return nil, err
		}
	}
	return slot, nil
}

// appendAudit adds an entry inside the write's transaction.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	slot, err := db.readAuditHead(ctx, tx, AuditChain(e.App, e.Entity, e.RecordID))
	if err != nil {
		return err
	}
	return db.writeAudit(ctx, tx, slot, e)
}

// writeAudit writes e as the next row of its locked chain and moves the head.
func (db *DB) writeAudit(ctx context.Context, tx *sql.Tx, slot *auditSlot, e AuditEntry) error {
	_, insertRow, updateHead, insertAndMove := db.auditSQL()
	seq := slot.seq + 1
	changes, ok := appendCanonical(make([]byte, 0, 64*len(e.Changes)+2), e.Changes)
	if !ok {
		_, err := json.Marshal(e.Changes)
		return fmt.Errorf("audit changes: %w", err)
	}
	at := e.At.UTC().Truncate(time.Microsecond)
	atText := at.Format(sqliteTime)
	ledger := ledgerDigest(e.Ledger)
	hash := auditHashFull(slot.chain, seq, atText, e.Actor, e.App, e.Entity, e.RecordID, e.Action, string(changes), e.DefVersion, slot.prev, e.Version, e.Image, ledger)
	args := []any{slot.chain, seq, db.timeArg(at), e.Actor, e.App, e.Entity, e.RecordID, e.Action, string(changes), e.DefVersion, slot.prev, hash, proofFull, e.Version, e.Image, ledger}
	if insertAndMove != "" {
		if _, err := tx.ExecContext(ctx, insertAndMove, args...); err != nil {
			return fmt.Errorf("audit row: %w", err)
		}
	} else {
		if _, err := tx.ExecContext(ctx, insertRow, args...); err != nil {
			return fmt.Errorf("audit row: %w", err)
		}
		if _, err := tx.ExecContext(ctx, updateHead, seq, hash, slot.chain); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
	}
	slot.written = true
	if p, _ := ctx.Value(pendingSlotsKey{}).(*pendingSlots); p != nil {
		for _, other := range p.slots {
			if other != slot && !other.written && other.chain == slot.chain {
				other.seq, other.prev = seq, hash
			}
		}
	}
	return nil
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Chains int
	Rows   int
	// Broken describes the first broken row of each broken chain.
	Broken []string
	// Heads are the chain heads read, for anchors (anchor.go).
	Heads map[string]ChainHead

	// trails are what the audit rows say of each record, and commits what
	// each full-form row says of its change's ledger rows; VerifyProof
	// compares them with the tables.
	trails  map[recordKey]*recordTrail
	commits map[changeKey]ledgerCommit
	// auditBefore is the last id of the rows written before the wider proof.
	auditBefore int64
}

// ChainHead is a chain's last sequence number and hash.
type ChainHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// OK reports whether every chain verified.
func (r *AuditReport) OK() bool { return len(r.Broken) == 0 }

// recordKey names a record.
type recordKey struct {
	app, entity string
	id          int64
}

// recordTrail is what a record's audit rows say of it: the field values its
// changes left (JSON form), and its last row that wrote the record.
type recordTrail struct {
	values   map[string]json.RawMessage
	state    string
	hasState bool
	// last is the last row that wrote the record (create, update, event,
	// rollup, delete).
	lastID      int64
	lastAction  string
	lastProof   int
	lastImage   string
	lastVersion int64
	deleted     bool
	events      map[string]bool
}

// changeKey names one change of a record: what ledger rows name as their
// source and a full-form audit row as its record version and action.
type changeKey struct {
	app, entity string
	id, version int64
	event       string
}

// ledgerCommit is what a full-form audit row committed to: its ledger digest.
type ledgerCommit struct {
	auditID int64
	digest  string
}

// verifyChecks are the checks of the proof. Tests turn each off in turn to
// show that the attack tests then fail (proof_meta_test.go); nothing else
// changes them.
var verifyChecks = struct {
	links, heads, content, images, ledgerSources bool
}{true, true, true, true, true}

// proofMark reads where the wider proof began (growth_proof_marks).
func (db *DB) proofMark(ctx context.Context, name string) (int64, error) {
	var v int64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT value FROM growth_proof_marks WHERE name = `+db.Placeholder(1), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading proof marks: %w", err)
	}
	return v, nil
}

// VerifyAudit recomputes every chain and reports the first broken row of each.
func (db *DB) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	report := &AuditReport{Heads: map[string]ChainHead{}, trails: map[recordKey]*recordTrail{}, commits: map[changeKey]ledgerCommit{}}
	var err error
	if report.auditBefore, err = db.proofMark(ctx, "audit_before"); err != nil {
		return nil, err
	}
	heads := report.Heads
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT chain, chain_seq, hash FROM growth_audit_heads`)
	if err != nil {
		return nil, fmt.Errorf("reading audit heads: %w", err)
	}
	for rows.Next() {
		var chain, hash string
		var seq int64
		if err := rows.Scan(&chain, &seq, &hash); err != nil {
			rows.Close()
			return nil, err
		}
		heads[chain] = ChainHead{seq, hash}
	}
	rows.Close()
	rows, err = db.reader(ctx).QueryContext(ctx, `SELECT id, chain, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, prev_hash, hash, proof, record_version, image, ledger FROM growth_audit ORDER BY chain, chain_seq`)
	if err != nil {
		return nil, fmt.Errorf("reading audit rows: %w", err)
	}
	defer rows.Close()
	type state struct {
		seq    int64
		hash   string
		broken bool
	}
	chains := map[string]*state{}
	var order []string
	for rows.Next() {
		var id, seq, recordID, proof, version int64
		var chain, actor, app, entity, action, changes, defVersion, prev, hash, image, ledger string
		var at any
		if err := rows.Scan(&id, &chain, &seq, &at, &actor, &app, &entity, &recordID, &action, &changes, &defVersion, &prev, &hash, &proof, &version, &image, &ledger); err != nil {
			return nil, err
		}
		report.Rows++
		report.note(id, app, entity, recordID, action, changes, int(proof), version, image, ledger)
		st := chains[chain]
		if st == nil {
			st = &state{hash: genesisHash}
			chains[chain] = st
			order = append(order, chain)
		}
		if st.broken {
			continue
		}
		t, err := scanTime(at)
		if err != nil {
			return nil, err
		}
		atText := t.UTC().Format(sqliteTime)
		var want string
		switch proof {
		case proofChained:
			want = auditHash(chain, seq, atText, actor, app, entity, recordID, action, changes, defVersion, prev)
		case proofFull:
			want = auditHashFull(chain, seq, atText, actor, app, entity, recordID, action, changes, defVersion, prev, version, image, ledger)
		}
		switch {
		case seq != st.seq+1:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d has sequence %d, expected %d (a row was deleted or inserted by hand)", chain, id, seq, st.seq+1))
			st.broken = true
		case verifyChecks.links && prev != st.hash:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d (sequence %d) does not follow the previous row's hash (the row before it was changed or removed)", chain, id, seq))
			st.broken = true
		case verifyChecks.content && want != hash:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d (sequence %d, %s %s.%s #%d) was edited: its content no longer matches its hash", chain, id, seq, action, app, entity, recordID))
			st.broken = true
		case verifyChecks.content && proof == proofFull && id <= report.auditBefore:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d (sequence %d) was written with the wider proof, but the proof mark audit_before (%d) says it came before (the mark was moved by hand)", chain, id, seq, report.auditBefore))
			st.broken = true
		case verifyChecks.content && proof != proofFull && id > report.auditBefore:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d (sequence %d, %s %s.%s #%d) is in the old form, without the record's after-image, but was written after the wider proof began (row %d): forged", chain, id, seq, action, app, entity, recordID, report.auditBefore))
			st.broken = true
		}
		st.seq, st.hash = seq, hash
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for chain, head := range heads {
		if !verifyChecks.heads {
			break
		}
		st := chains[chain]
		if st == nil {
			if head.Seq != 0 {
				report.Broken = append(report.Broken, fmt.Sprintf("chain %s: the head says %d rows, but none are left (rows were deleted)", chain, head.Seq))
			}
			continue
		}
		if !st.broken && (st.seq != head.Seq || st.hash != head.Hash) {
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: the last row is sequence %d, but the head says %d (the last rows were deleted)", chain, st.seq, head.Seq))
		}
	}
	for _, chain := range order {
		if _, ok := heads[chain]; !ok {
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s has rows but no head (the head was deleted)", chain))
		}
	}
	sort.Strings(report.Broken)
	report.Chains = len(chains)
	return report, nil
}

// note keeps what one audit row says of its record and its ledger rows.
func (r *AuditReport) note(id int64, app, entity string, recordID int64, action, changes string, proof int, version int64, image, ledger string) {
	k := recordKey{app, entity, recordID}
	tr := r.trails[k]
	if tr == nil {
		tr = &recordTrail{values: map[string]json.RawMessage{}, events: map[string]bool{}}
		r.trails[k] = tr
	}
	tr.events[action] = true
	var diff map[string][2]json.RawMessage
	_ = json.Unmarshal([]byte(changes), &diff)
	for field, ba := range diff {
		switch {
		case field == "state":
			var s string
			_ = json.Unmarshal(ba[1], &s)
			tr.state, tr.hasState = s, true
		case strings.HasPrefix(field, "_"):
		default:
			tr.values[field] = ba[1]
		}
	}
	writes := proof == proofChained && (action == "create" || action == "delete" || len(diff) > 0 && !onlyNotes(diff)) ||
		proof == proofFull && image != ""
	if writes {
		tr.lastID, tr.lastAction, tr.lastProof, tr.lastImage, tr.lastVersion = id, action, proof, image, version
		tr.deleted = action == "delete"
	}
	if proof == proofFull && version > 0 {
		r.commits[changeKey{app, entity, recordID, version, action}] = ledgerCommit{auditID: id, digest: ledger}
	}
}

// onlyNotes reports whether a diff holds only notes (_approvals, _comment).
func onlyNotes(diff map[string][2]json.RawMessage) bool {
	for field := range diff {
		if !strings.HasPrefix(field, "_") {
			return false
		}
	}
	return true
}

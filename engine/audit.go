package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The audit trail is append-only and hash-chained: each row's hash covers its
// content and the previous row's hash, so editing or deleting a row by hand
// breaks every hash after it. Rather than one global chain, each entity has
// AuditShards chains ("app.entity#NN", by record id), so that concurrent writes
// do not all queue on one chain head under PostgreSQL; growth_audit_heads
// holds each chain's last sequence number and hash, which also catches a
// deleted last row.

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
}

const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

func auditHash(chain string, seq int64, at, actor, app, entity string, recordID int64, action, changes, defVersion, prev string) string {
	canonical, _ := json.Marshal([]any{chain, seq, at, actor, app, entity, recordID, action, changes, defVersion, prev})
	sum := sha256.Sum256(canonical)
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

// auditSQL is the text of the audit trail's three statements: read a chain's
// head (locking it on PostgreSQL), insert a row, move the head.
func (db *DB) auditSQL() (head, insertRow, updateHead string) {
	ph := db.Placeholder
	lock := ""
	if db.Dialect == Postgres {
		lock = " FOR UPDATE"
	}
	head = `SELECT chain_seq, hash FROM growth_audit_heads WHERE chain = ` + ph(1) + lock
	insertRow = `INSERT INTO growth_audit (chain, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, prev_hash, hash) VALUES (` +
		ph(1) + `, ` + ph(2) + `, ` + ph(3) + `, ` + ph(4) + `, ` + ph(5) + `, ` + ph(6) + `, ` + ph(7) + `, ` + ph(8) + `, ` + ph(9) + `, ` + ph(10) + `, ` + ph(11) + `, ` + ph(12) + `)`
	updateHead = `UPDATE growth_audit_heads SET chain_seq = ` + ph(1) + `, hash = ` + ph(2) + ` WHERE chain = ` + ph(3)
	return head, insertRow, updateHead
}

// appendAudit adds an entry inside the write's transaction.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	chain := AuditChain(e.App, e.Entity, e.RecordID)
	head, insertRow, updateHead := db.auditSQL()
	var seq int64
	var prev string
	err := tx.QueryRowContext(ctx, head, chain).Scan(&seq, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO growth_audit_heads (chain, chain_seq, hash) VALUES (`+db.Placeholder(1)+`, 0, '`+genesisHash+`') ON CONFLICT (chain) DO NOTHING`, chain); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		err = tx.QueryRowContext(ctx, head, chain).Scan(&seq, &prev)
	}
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	seq++
	changes, err := json.Marshal(e.Changes)
	if err != nil {
		return fmt.Errorf("audit changes: %w", err)
	}
	at := e.At.UTC().Truncate(time.Microsecond)
	atText := at.Format(sqliteTime)
	hash := auditHash(chain, seq, atText, e.Actor, e.App, e.Entity, e.RecordID, e.Action, string(changes), e.DefVersion, prev)
	_, err = tx.ExecContext(ctx, insertRow,
		chain, seq, db.timeArg(at), e.Actor, e.App, e.Entity, e.RecordID, e.Action, string(changes), e.DefVersion, prev, hash)
	if err != nil {
		return fmt.Errorf("audit row: %w", err)
	}
	if _, err := tx.ExecContext(ctx, updateHead, seq, hash, chain); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Chains int
	Rows   int
	// Broken describes the first broken row of each broken chain.
	Broken []string
}

// OK reports whether every chain verified.
func (r *AuditReport) OK() bool { return len(r.Broken) == 0 }

// VerifyAudit recomputes every chain and reports the first broken row of each.
func (db *DB) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	heads := map[string][2]any{}
	rows, err := db.Read.QueryContext(ctx, `SELECT chain, chain_seq, hash FROM growth_audit_heads`)
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
		heads[chain] = [2]any{seq, hash}
	}
	rows.Close()
	report := &AuditReport{}
	rows, err = db.Read.QueryContext(ctx, `SELECT id, chain, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, prev_hash, hash FROM growth_audit ORDER BY chain, chain_seq`)
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
		var id, seq, recordID int64
		var chain, actor, app, entity, action, changes, defVersion, prev, hash string
		var at any
		if err := rows.Scan(&id, &chain, &seq, &at, &actor, &app, &entity, &recordID, &action, &changes, &defVersion, &prev, &hash); err != nil {
			return nil, err
		}
		report.Rows++
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
		switch {
		case seq != st.seq+1:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d has sequence %d, expected %d (a row was deleted or inserted by hand)", chain, id, seq, st.seq+1))
			st.broken = true
		case prev != st.hash:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d (sequence %d) does not follow the previous row's hash (a row before it was changed or removed)", chain, id, seq))
			st.broken = true
		case auditHash(chain, seq, t.UTC().Format(sqliteTime), actor, app, entity, recordID, action, changes, defVersion, prev) != hash:
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: row id %d (sequence %d, %s %s.%s #%d) was edited: its content no longer matches its hash", chain, id, seq, action, app, entity, recordID))
			st.broken = true
		}
		st.seq, st.hash = seq, hash
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for chain, head := range heads {
		st := chains[chain]
		if st == nil {
			if head[0].(int64) != 0 {
				report.Broken = append(report.Broken, fmt.Sprintf("chain %s: the head says %d rows, but none are left (rows were deleted)", chain, head[0]))
			}
			continue
		}
		if !st.broken && (st.seq != head[0].(int64) || st.hash != head[1].(string)) {
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s: the last row is sequence %d, but the head says %d (the last rows were deleted)", chain, st.seq, head[0]))
		}
	}
	for _, chain := range order {
		if _, ok := heads[chain]; !ok {
			report.Broken = append(report.Broken, fmt.Sprintf("chain %s has rows but no head (the head was deleted)", chain))
		}
	}
	report.Chains = len(chains)
	return report, nil
}

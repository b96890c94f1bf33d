package engine

import (
	"context"
	"fmt"
)

// VerifyChecks names the checks of the proof a test may turn off.
var VerifyChecks = []string{"links", "heads", "content", "images", "ledger-sources"}

// SetVerifyCheck turns one check of the proof off (or on) until the returned
// function restores it: the meta-test plants each weakening in turn.
func SetVerifyCheck(name string, on bool) (restore func()) {
	var p *bool
	switch name {
	case "links":
		p = &verifyChecks.links
	case "heads":
		p = &verifyChecks.heads
	case "content":
		p = &verifyChecks.content
	case "images":
		p = &verifyChecks.images
	case "ledger-sources":
		p = &verifyChecks.ledgerSources
	default:
		panic("unknown check " + name)
	}
	old := *p
	*p = on
	return func() { *p = old }
}

// RehashAuditRow is the insider who knows the hash algorithm: it recomputes
// the hash of audit row id from its content as it stands now.
func RehashAuditRow(ctx context.Context, db *DB, id int64) error {
	var seq, recordID, version int64
	var chain, actor, app, entity, action, changes, defVersion, prev, image, ledger string
	var at any
	err := db.Read.QueryRowContext(ctx, `SELECT chain, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, prev_hash, record_version, image, ledger FROM growth_audit WHERE id = `+db.Placeholder(1), id).
		Scan(&chain, &seq, &at, &actor, &app, &entity, &recordID, &action, &changes, &defVersion, &prev, &version, &image, &ledger)
	if err != nil {
		return err
	}
	t, err := scanTime(at)
	if err != nil {
		return err
	}
	hash := auditHashFull(chain, seq, t.UTC().Format(sqliteTime), actor, app, entity, recordID, action, changes, defVersion, prev, version, image, ledger)
	_, err = db.Write.ExecContext(ctx, `UPDATE growth_audit SET hash = `+db.Placeholder(1)+` WHERE id = `+db.Placeholder(2), hash, id)
	return err
}

// RehashLedgerRow recomputes the hash of ledger row id from its content.
func RehashLedgerRow(ctx context.Context, db *DB, id int64) error {
	var r ledgerRow
	var at any
	err := db.Read.QueryRowContext(ctx, `SELECT account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at, idempotency_key, note FROM growth_ledger WHERE id = `+db.Placeholder(1), id).
		Scan(&r.account.App, &r.account.Entity, &r.account.ID, &r.kind, &r.amount, &r.src.app, &r.src.entity, &r.src.id, &r.src.version, &r.src.event, &r.src.actor, &at, &r.src.key, &r.note)
	if err != nil {
		return err
	}
	if r.src.at, err = scanTime(at); err != nil {
		return err
	}
	res, err := db.Write.ExecContext(ctx, `UPDATE growth_ledger SET hash = `+db.Placeholder(1)+` WHERE id = `+db.Placeholder(2), ledgerRowHash(r.account, r.kind, r.amount, r.src, r.src.at, r.note), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("ledger row %d not found", id)
	}
	return nil
}

// RehashChain is the insider who rewrites a whole chain: every row's link
// and hash recomputed from the first, and the head moved to the new last
// hash. Only an anchor written before can tell.
func RehashChain(ctx context.Context, db *DB, chain string) error {
	return rechain(ctx, db, chain, false)
}

// DowngradeProof turns every audit and ledger row into the form rows had
// before the wider proof (no record version, image or ledger digest, hashed
// the old way, no ledger row hashes) and sets the proof marks after them: a
// database as it stood when the upgrade's migration ran.
func DowngradeProof(ctx context.Context, db *DB) error {
	if _, err := db.Write.ExecContext(ctx, `UPDATE growth_audit SET proof = 1, record_version = 0, image = '', ledger = ''`); err != nil {
		return err
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE growth_ledger SET hash = ''`); err != nil {
		return err
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT chain FROM growth_audit_heads`)
	if err != nil {
		return err
	}
	var chains []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		chains = append(chains, c)
	}
	rows.Close()
	for _, c := range chains {
		if err := rechain(ctx, db, c, true); err != nil {
			return err
		}
	}
	for name, table := range map[string]string{"audit_before": "growth_audit", "ledger_before": "growth_ledger"} {
		if _, err := db.Write.ExecContext(ctx, `UPDATE growth_proof_marks SET value = (SELECT COALESCE(MAX(id), 0) FROM `+table+`) WHERE name = `+db.Placeholder(1), name); err != nil {
			return err
		}
	}
	return nil
}

func rechain(ctx context.Context, db *DB, chain string, old bool) error {
	type row struct {
		id, seq, recordID, version          int64
		actor, app, entity, action, changes string
		defVersion, image, ledger, atText   string
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT id, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, record_version, image, ledger FROM growth_audit WHERE chain = `+db.Placeholder(1)+` ORDER BY chain_seq`, chain)
	if err != nil {
		return err
	}
	var all []row
	for rows.Next() {
		var r row
		var at any
		if err := rows.Scan(&r.id, &r.seq, &at, &r.actor, &r.app, &r.entity, &r.recordID, &r.action, &r.changes, &r.defVersion, &r.version, &r.image, &r.ledger); err != nil {
			rows.Close()
			return err
		}
		t, err := scanTime(at)
		if err != nil {
			rows.Close()
			return err
		}
		r.atText = t.UTC().Format(sqliteTime)
		all = append(all, r)
	}
	rows.Close()
	prev := genesisHash
	var last int64
	for _, r := range all {
		hash := auditHashFull(chain, r.seq, r.atText, r.actor, r.app, r.entity, r.recordID, r.action, r.changes, r.defVersion, prev, r.version, r.image, r.ledger)
		if old {
			hash = auditHash(chain, r.seq, r.atText, r.actor, r.app, r.entity, r.recordID, r.action, r.changes, r.defVersion, prev)
		}
		if _, err := db.Write.ExecContext(ctx, `UPDATE growth_audit SET prev_hash = `+db.Placeholder(1)+`, hash = `+db.Placeholder(2)+` WHERE id = `+db.Placeholder(3), prev, hash, r.id); err != nil {
			return err
		}
		prev, last = hash, r.seq
	}
	_, err = db.Write.ExecContext(ctx, `UPDATE growth_audit_heads SET chain_seq = `+db.Placeholder(1)+`, hash = `+db.Placeholder(2)+` WHERE chain = `+db.Placeholder(3), last, prev, chain)
	return err
}

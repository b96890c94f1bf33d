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

package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/jackc/pgx/v5"
)

// The ledger's bulk step (BulkEffect): what Apply does on create, for all the
// records an import creates on PostgreSQL, with the same rows:
//
//  1. every record's moves are worked out in Go as Apply would (adjustments
//     applied at create, draws taken at create, its own account opened),
//     its amounts checked, and the fields a draw matches compared with the
//     records drawn on, read once each;
//  2. the balances of every account the batch moves are locked (FOR UPDATE,
//     in account order) and read;
//  3. the moves are applied to those balances in memory in file order, each
//     checked as its conditional UPDATE would check it: a move that would
//     overdraw (or release more than is held) refuses its row, and the
//     import is written again row by row, which names every such line; a
//     draw that control lets overdraw gets the same note on its row;
//  4. the accounts opened are inserted and the ledger rows copied, with the
//     hashes the per-row path gives them (each record's audit row commits to
//     its own);
//  5. after the audit rows, one UPDATE moves every account by its total:
//     the deltas and the count of moves (its version) per account.

// PlanBulk: records of entities that keep a ledger move money on create
// through the bulk step below.
func (l *ledger) PlanBulk(_ *Runtime, e *metamodel.Entity) (BulkStep, bool) {
	if !keepsLedger(e) {
		return nil, true
	}
	return l.bulkCreate, true
}

// bulkMove is one thing a created record does to the ledger, in Apply's
// order: open an account with amount (opens set), or move (req).
type bulkMove struct {
	opens  *Account
	amount int64
	req    moveRequest
}

// bulkAccount is an account's balance as the batch moves it in memory.
type bulkAccount struct {
	now    Amounts
	start  Amounts // when read, or when the batch opened it
	open   bool
	opened bool  // by the batch: inserted before the rows
	moves  int64 // balance updates the per-row path would make: its version
}

func (l *ledger) bulkCreate(ec EffectContext, b *CreatedBatch) error {
	e := b.Entity
	at := l.rt.now().UTC().Truncate(time.Microsecond)
	plans := make([][]bulkMove, len(b.Records))
	funding := map[*metamodel.Draw]map[int64]*Record{}
	for _, d := range e.Draws {
		if len(d.Match) > 0 {
			recs, err := l.fundingRecords(ec, b, d)
			if err != nil {
				return err
			}
			funding[d] = recs
		}
	}
	var accounts []Account
	for i, rec := range b.Records {
		moves, err := l.createMoves(e, rec, funding)
		if err != nil {
			return err
		}
		plans[i] = moves
		for _, m := range moves {
			switch {
			case m.opens != nil:
				accounts = append(accounts, *m.opens)
			case len(m.req.moves) > 0:
				accounts = append(accounts, m.req.account)
			}
		}
	}
	state, err := l.lockBalances(ec, ec.Tx, accounts)
	if err != nil {
		return err
	}

	var rows [][]any
	type rowKey struct {
		record int
		acct   Account
		kind   string
	}
	written := map[rowKey]bool{}
	for i, rec := range b.Records {
		src := ledgerSource{app: e.App.Name, entity: e.Name, id: rec.ID, version: rec.Version, event: metamodel.CreateEvent, actor: b.Actor.User, at: at}
		write := func(a Account, moves []movement, note string) error {
			for _, m := range moves {
				k := rowKey{i, a, m.kind}
				if written[k] {
					// Two moves of one kind on one account by one record:
					// the per-row path keeps only the first (the ledger's
					// unique key); let it decide.
					return errImportRetry
				}
				written[k] = true
				hash := ledgerRowHash(a, m.kind, m.amount, src, at, note)
				rows = append(rows, []any{a.App, a.Entity, a.ID, m.kind, m.amount, src.app, src.entity, src.id, src.version, src.event, src.actor, at, src.key, note, hash})
				b.ledgerRows[i] = append(b.ledgerRows[i], hash)
			}
			return nil
		}
		for _, m := range plans[i] {
			if m.opens != nil {
				st := state[*m.opens]
				if st.open {
					continue // open already: opening again changes nothing
				}
				*st = bulkAccount{now: Amounts{Approved: m.amount}, start: Amounts{Approved: m.amount}, open: true, opened: true}
				if err := write(*m.opens, []movement{{KindOpen, m.amount}}, ""); err != nil {
					return err
				}
				continue
			}
			r, d := m.req.net()
			if len(r.moves) == 0 {
				continue
			}
			st := state[r.account]
			floor, note := noFloor, ""
			if d.Available() < 0 {
				if r.strict {
					floor = 0
				} else if st.open {
					note = l.overdraftNote(src, r, st.now, d)
				}
			}
			after := st.now
			after.Approved, after.Reserved, after.Consumed, after.Frozen = after.Approved+d.Approved, after.Reserved+d.Reserved, after.Consumed+d.Consumed, after.Frozen+d.Frozen
			if !st.open || after.Available() < floor || after.Reserved < 0 || after.Consumed < 0 || after.Frozen < 0 {
				return refusalOf(r, st.now, st.open, d)
			}
			if err := write(r.account, r.moves, note); err != nil {
				return err
			}
			st.now = after
			st.moves++
		}
	}

	if err := l.insertOpened(ec, ec.Tx, state, at); err != nil {
		return err
	}
	if len(rows) > 0 {
		if _, err := b.copyFrom("growth_ledger", []string{"account_app", "account_entity", "account_id", "kind", "amount", "source_app", "source_entity", "source_id", "source_version", "event", "actor", "at", "idempotency_key", "note", "hash"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("ledger rows: %w", err)
		}
	}
	b.AfterAudit(func() error { return l.updateBalances(ec, ec.Tx, state, at) })
	return nil
}

// createMoves is what creating rec does to the ledger, as Apply does it:
// adjustment, draws, then its own account; funding holds the records drawn
// on, for draws that match fields.
func (l *ledger) createMoves(e *metamodel.Entity, rec *Record, funding map[*metamodel.Draw]map[int64]*Record) ([]bulkMove, error) {
	var out []bulkMove
	if a := e.Adjusts; a != nil {
		if verr := checkAdjustment(a, rec); verr != nil {
			return nil, verr
		}
		if a.Applies(metamodel.CreateEvent) {
			reqs, opens, err := adjustmentRequests(a, rec)
			if err != nil {
				return nil, fmt.Errorf("adjustment %s #%d: %w", e.QualifiedName(), rec.ID, err)
			}
			if opens != nil {
				out = append(out, bulkMove{opens: opens})
			}
			for _, r := range reqs {
				out = append(out, bulkMove{req: r})
			}
		}
	}
	for _, d := range e.Draws {
		acct, ok := drawAccount(rec, d)
		if !ok {
			continue
		}
		if applies, err := drawApplies(e, rec, d); err != nil || !applies {
			if err != nil {
				return nil, err
			}
			continue
		}
		if verr := positive(d.AmountField, amountOf(rec, d.AmountField), false); verr != nil {
			return nil, verr
		}
		if len(d.Match) > 0 {
			if err := checkMatch(e, rec, d, acct, funding[d][acct.ID]); err != nil {
				return nil, err
			}
		}
		consume := slices.Contains(d.ConsumeOn, metamodel.CreateEvent)
		if !consume && !slices.Contains(d.ReserveOn, metamodel.CreateEvent) {
			continue // given back on create, or taken later: a new record holds nothing
		}
		if r, ok := takeRequest(d, acct, amountOf(rec, d.AmountField), holding{}, consume); ok {
			out = append(out, bulkMove{req: r})
		}
	}
	if bal := e.Balance; bal != nil {
		amount := amountOf(rec, bal.AmountField)
		if verr := positive(bal.AmountField, amount, true); verr != nil {
			return nil, verr
		}
		if bal.Opens(metamodel.CreateEvent) {
			out = append(out, bulkMove{opens: &Account{App: e.App.Name, Entity: e.Name, ID: rec.ID}, amount: amount})
		}
	}
	return out, nil
}

// fundingRecords reads, once each, the records d draws on for b's records.
func (l *ledger) fundingRecords(ec EffectContext, b *CreatedBatch, d *metamodel.Draw) (map[int64]*Record, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, rec := range b.Records {
		if a, ok := drawAccount(rec, d); ok && !seen[a.ID] {
			seen[a.ID] = true
			ids = append(ids, a.ID)
		}
	}
	out := make(map[int64]*Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	target := l.rt.stores[d.Target.QualifiedName()]
	rows, err := ec.Tx.QueryContext(ec, target.selectSQL+" WHERE "+l.db.Quote("id")+" = ANY($1)", ids)
	if err != nil {
		return nil, l.rt.dbError(target, "read accounts", err)
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := target.scan(rows)
		if err != nil {
			return nil, l.rt.dbError(target, "read accounts", err)
		}
		out[rec.ID] = rec
	}
	if err := rows.Err(); err != nil {
		return nil, l.rt.dbError(target, "read accounts", err)
	}
	return out, nil
}

// lockBalances locks and reads the balances of accounts, in account order
// (so that two imports lock the same accounts in the same order); accounts
// not open yet are in the result, not open.
func (l *ledger) lockBalances(ctx context.Context, tx *sql.Tx, accounts []Account) (map[Account]*bulkAccount, error) {
	state := map[Account]*bulkAccount{}
	var apps, entities []string
	var ids []int64
	for _, a := range accounts {
		if state[a] == nil {
			state[a] = &bulkAccount{}
			apps, entities, ids = append(apps, a.App), append(entities, a.Entity), append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return state, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT b.account_app, b.account_entity, b.account_id, b.approved, b.reserved, b.consumed, b.frozen
FROM growth_balances AS b JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS v(app, entity, id)
  ON b.account_app = v.app AND b.account_entity = v.entity AND b.account_id = v.id
ORDER BY b.account_app, b.account_entity, b.account_id FOR UPDATE OF b`, apps, entities, ids)
	if err != nil {
		return nil, fmt.Errorf("ledger balances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Account
		var am Amounts
		if err := rows.Scan(&a.App, &a.Entity, &a.ID, &am.Approved, &am.Reserved, &am.Consumed, &am.Frozen); err != nil {
			return nil, fmt.Errorf("ledger balances: %w", err)
		}
		*state[a] = bulkAccount{now: am, start: am, open: true}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger balances: %w", err)
	}
	return state, nil
}

// insertOpened inserts the accounts the batch opened, at their opening
// amounts. One that another transaction opened meanwhile makes the import
// write its rows one by one, which takes it as it is.
func (l *ledger) insertOpened(ctx context.Context, tx *sql.Tx, state map[Account]*bulkAccount, at time.Time) error {
	var apps, entities []string
	var ids, amounts []int64
	for a, st := range state {
		if st.opened {
			apps, entities, ids, amounts = append(apps, a.App), append(entities, a.Entity), append(ids, a.ID), append(amounts, st.start.Approved)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO growth_balances (account_app, account_entity, account_id, approved, reserved, consumed, frozen, version, opened_at, updated_at)
SELECT v.app, v.entity, v.id, v.amount, 0, 0, 0, 1, $5, $5 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS v(app, entity, id, amount)
ORDER BY v.app, v.entity, v.id ON CONFLICT DO NOTHING`, apps, entities, ids, amounts, at)
	if err != nil {
		return fmt.Errorf("ledger open: %w", err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(ids)) {
		return errImportRetry
	}
	return nil
}

// updateBalances moves every account the batch moved by its total, in one
// statement: the versions go up by the number of moves, as one conditional
// update per move would have left them.
func (l *ledger) updateBalances(ctx context.Context, tx *sql.Tx, state map[Account]*bulkAccount, at time.Time) error {
	var apps, entities []string
	var ids, approved, reserved, consumed, frozen, moves []int64
	for a, st := range state {
		if st.moves == 0 {
			continue
		}
		apps, entities, ids = append(apps, a.App), append(entities, a.Entity), append(ids, a.ID)
		approved, reserved = append(approved, st.now.Approved-st.start.Approved), append(reserved, st.now.Reserved-st.start.Reserved)
		consumed, frozen = append(consumed, st.now.Consumed-st.start.Consumed), append(frozen, st.now.Frozen-st.start.Frozen)
		moves = append(moves, st.moves)
	}
	if len(ids) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE growth_balances AS b SET approved = b.approved + v.approved, reserved = b.reserved + v.reserved,
  consumed = b.consumed + v.consumed, frozen = b.frozen + v.frozen, version = b.version + v.moves, updated_at = $9
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[]) AS v(app, entity, id, approved, reserved, consumed, frozen, moves)
WHERE b.account_app = v.app AND b.account_entity = v.entity AND b.account_id = v.id
  AND b.reserved + v.reserved >= 0 AND b.consumed + v.consumed >= 0 AND b.frozen + v.frozen >= 0`,
		apps, entities, ids, approved, reserved, consumed, frozen, moves, at)
	if err != nil {
		return fmt.Errorf("ledger update: %w", err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(ids)) {
		// The balances were locked since they were read: this is a bug.
		return fmt.Errorf("ledger update: %d of %d balances moved", n, len(ids))
	}
	return nil
}

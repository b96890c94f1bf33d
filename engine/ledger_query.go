package engine

import (
	"context"
	"fmt"
	"time"
)

// BalanceView is an account's balance as a reader sees it.
type BalanceView struct {
	Account Account
	// Open is false until the account's open event has fired.
	Open    bool
	Amounts Amounts
}

// Balance reads the balance of record id, which must be of an entity with a
// balance and one actor may read (the same checks as Get).
func (rt *Runtime) Balance(ctx context.Context, actor Actor, app, entity string, id int64) (*BalanceView, error) {
	e, err := rt.Entity(app, entity)
	if err != nil {
		return nil, err
	}
	if e.Balance == nil {
		return nil, NotFound("%s 没有余额", entityLabel(e))
	}
	if _, err := rt.Get(ctx, actor, app, entity, id); err != nil {
		return nil, err
	}
	acct := Account{App: app, Entity: entity, ID: id}
	l := ledger{rt: rt, db: rt.DB, sql: newLedgerSQL(rt.DB)}
	am, open, err := l.readBalance(ctx, rt.DB.Read, acct)
	if err != nil {
		return nil, fmt.Errorf("balance of %s: %w", accountLabel(e, id), err)
	}
	return &BalanceView{Account: acct, Open: open, Amounts: am}, nil
}

// LedgerEntry is one ledger row.
type LedgerEntry struct {
	ID             int64
	Account        Account
	Kind           string
	Amount         int64 // fen
	SourceApp      string
	SourceEntity   string
	SourceID       int64
	SourceVersion  int64
	Event          string
	Actor          string
	At             time.Time
	IdempotencyKey string
	Note           string
}

// LedgerQuery pages through a record's ledger rows.
type LedgerQuery struct {
	Page, PageSize int
	// Side is "account" (the movements of the record's own account) or
	// "source" (the movements the record caused); default: account for an
	// entity with a balance, source otherwise.
	Side string
}

// LedgerPage is one page of ledger rows, oldest first.
type LedgerPage struct {
	Items    []LedgerEntry
	Page     int
	PageSize int
	HasMore  bool
	Side     string
}

// Ledger reads the ledger rows of record id, after the same checks as Get.
func (rt *Runtime) Ledger(ctx context.Context, actor Actor, app, entity string, id int64, q LedgerQuery) (*LedgerPage, error) {
	e, err := rt.Entity(app, entity)
	if err != nil {
		return nil, err
	}
	side := q.Side
	if side == "" {
		side = "source"
		if e.Balance != nil {
			side = "account"
		}
	}
	if side != "account" && side != "source" {
		return nil, BadQuery("side", "应为 account 或 source，收到 %q", side)
	}
	if _, err := rt.Get(ctx, actor, app, entity, id); err != nil {
		return nil, err
	}
	page, size := q.Page, q.PageSize
	if page < 1 {
		page = 1
	}
	if size < 1 {
		size = 50
	}
	if size > MaxPageSize {
		size = MaxPageSize
	}
	if err := checkPage(page); err != nil {
		return nil, err
	}
	p := rt.DB.Placeholder
	where := "account_app = " + p(1) + " AND account_entity = " + p(2) + " AND account_id = " + p(3)
	if side == "source" {
		where = "source_app = " + p(1) + " AND source_entity = " + p(2) + " AND source_id = " + p(3)
	}
	query := `SELECT id, account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at, idempotency_key, note FROM growth_ledger WHERE ` +
		where + fmt.Sprintf(" ORDER BY id LIMIT %d OFFSET %d", size+1, (page-1)*size)
	rows, err := rt.DB.Read.QueryContext(ctx, query, app, entity, id)
	if err != nil {
		return nil, fmt.Errorf("ledger of %s: %w", accountLabel(e, id), err)
	}
	defer rows.Close()
	out := &LedgerPage{Page: page, PageSize: size, Side: side, Items: []LedgerEntry{}}
	for rows.Next() {
		var le LedgerEntry
		var at any
		if err := rows.Scan(&le.ID, &le.Account.App, &le.Account.Entity, &le.Account.ID, &le.Kind, &le.Amount, &le.SourceApp, &le.SourceEntity, &le.SourceID, &le.SourceVersion, &le.Event, &le.Actor, &at, &le.IdempotencyKey, &le.Note); err != nil {
			return nil, err
		}
		if le.At, err = scanTime(at); err != nil {
			return nil, err
		}
		out.Items = append(out.Items, le)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Items) > size {
		out.Items, out.HasMore = out.Items[:size], true
	}
	return out, nil
}

package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// The ledger keeps, per account (a record of an entity with a balance), four
// amounts in integer fen: approved, reserved, consumed and frozen; available
// is approved − reserved − consumed − frozen. Every change to them is one
// UPDATE of growth_balances whose WHERE clause carries the condition (so the
// check and the draw-down are one atomic statement on both databases: SQLite
// has one writer, PostgreSQL re-evaluates the WHERE on the locked row), plus
// one appended growth_ledger row per movement, in the same transaction.

// Ledger movement kinds the engine writes itself (metamodel.LedgerMovements
// says what each does to a balance).
const (
	KindOpen        = "open"
	KindIncrease    = "increase"
	KindDecrease    = "decrease"
	KindTransferOut = "transfer-out"
	KindTransferIn  = "transfer-in"
	KindReserve     = "reserve"
	KindConsume     = "consume"
	KindRelease     = "release"
	KindRefund      = "refund"
	KindFreeze      = "freeze"
	KindUnfreeze    = "unfreeze"
)

// LedgerKinds lists the movement kinds, sorted.
func LedgerKinds() []string {
	out := metamodel.LedgerMovementKinds()
	sort.Strings(out)
	return out
}

// Account names a balance: the record of an entity that funds it.
type Account struct {
	App    string
	Entity string
	ID     int64
}

func (a Account) less(b Account) bool {
	if a.App != b.App {
		return a.App < b.App
	}
	if a.Entity != b.Entity {
		return a.Entity < b.Entity
	}
	return a.ID < b.ID
}

// Amounts are an account's balances in fen.
type Amounts struct {
	Approved, Reserved, Consumed, Frozen int64
}

// Available is what may still be drawn.
func (a Amounts) Available() int64 { return a.Approved - a.Reserved - a.Consumed - a.Frozen }

// add applies amount of a movement kind, as metamodel.LedgerMovements says:
// the one table both the balance updates and `ledger verify` use, so the two
// cannot disagree. An unknown kind changes nothing.
func (a *Amounts) add(kind string, amount int64) {
	m, _ := metamodel.LedgerMovementOf(kind)
	a.Approved += m.Approved * amount
	a.Reserved += m.Reserved * amount
	a.Consumed += m.Consumed * amount
	a.Frozen += m.Frozen * amount
}

// movement is one ledger row about to be written.
type movement struct {
	kind   string
	amount int64 // fen, ≥ 0
}

// ledgerSource is what caused a set of movements.
type ledgerSource struct {
	app, entity string
	id, version int64
	event       string
	actor       string
	key         string
	at          time.Time
	// rows collects the hashes of the rows written, for the change's audit
	// row (proof.go); nil when no audit row follows.
	rows *[]string
	// change, when set, takes the balance updates to run after its audit
	// row; without it they run at once.
	change *Change
}

// noFloor disables the availability condition of a balance update.
const noFloor = -(int64(1) << 62)

// ledgerSQL holds the ledger's statements for one dialect.
type ledgerSQL struct {
	update, insertRow, open, read, holdings, sourceRows string
	// updateOrFail (PostgreSQL) is update, failing when it matches no row,
	// for the commit pipe.
	updateOrFail string
}

func newLedgerSQL(db *DB) ledgerSQL {
	// Numbered placeholders on both databases ($n, ?n): the balance update
	// uses each delta twice, in SET and in WHERE.
	p := func(n int) string {
		if db.Dialect == SQLite {
			return "?" + strconv.Itoa(n)
		}
		return db.Placeholder(n)
	}
	list := func(from, n int) string {
		var ph []string
		for i := 0; i < n; i++ {
			ph = append(ph, p(from+i))
		}
		return strings.Join(ph, ", ")
	}
	acct := func(from int) string {
		return "account_app = " + p(from) + " AND account_entity = " + p(from+1) + " AND account_id = " + p(from+2)
	}
	q := ledgerSQL{
		// $1..$4 deltas, $5 updated_at, $6..$8 account, $9 floor of available.
		update: "UPDATE growth_balances SET approved = approved + " + p(1) + ", reserved = reserved + " + p(2) +
			", consumed = consumed + " + p(3) + ", frozen = frozen + " + p(4) + ", version = version + 1, updated_at = " + p(5) +
			" WHERE " + acct(6) +
			" AND (approved + " + p(1) + ") - (reserved + " + p(2) + ") - (consumed + " + p(3) + ") - (frozen + " + p(4) + ") >= " + p(9) +
			" AND reserved + " + p(2) + " >= 0 AND consumed + " + p(3) + " >= 0 AND frozen + " + p(4) + " >= 0",
		insertRow: "INSERT INTO growth_ledger (account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at, idempotency_key, note, hash) VALUES (" +
			list(1, 15) + ") ON CONFLICT DO NOTHING",
		open: "INSERT INTO growth_balances (account_app, account_entity, account_id, approved, reserved, consumed, frozen, version, opened_at, updated_at) VALUES (" +
			list(1, 4) + ", 0, 0, 0, 1, " + p(5) + ", " + p(5) + ") ON CONFLICT DO NOTHING",
		read: "SELECT approved, reserved, consumed, frozen FROM growth_balances WHERE " + acct(1),
		holdings: "SELECT kind, SUM(amount) FROM growth_ledger WHERE source_app = " + p(1) + " AND source_entity = " + p(2) +
			" AND source_id = " + p(3) + " AND " + acct(4) + " GROUP BY kind",
		sourceRows: "SELECT COUNT(*) FROM growth_ledger WHERE source_app = " + p(1) + " AND source_entity = " + p(2) + " AND source_id = " + p(3),
	}
	if db.Dialect == Postgres {
		q.updateOrFail = failingWithoutRow(q.update)
	}
	return q
}

// readBalance reads an account's amounts; ok is false when it is not open.
func (l *ledger) readBalance(ctx context.Context, q queryer, a Account) (Amounts, bool, error) {
	var am Amounts
	err := q.QueryRowContext(ctx, l.sql.read, a.App, a.Entity, a.ID).Scan(&am.Approved, &am.Reserved, &am.Consumed, &am.Frozen)
	if errors.Is(err, sql.ErrNoRows) {
		return am, false, nil
	}
	return am, err == nil, err
}

// queryer is a *sql.Tx or *sql.DB.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// holding is what one source record holds on one account.
type holding struct{ reserved, consumed int64 }

func (l *ledger) holdings(ctx context.Context, tx *sql.Tx, src ledgerSource, a Account) (holding, error) {
	rows, err := tx.QueryContext(ctx, l.sql.holdings, src.app, src.entity, src.id, a.App, a.Entity, a.ID)
	if err != nil {
		return holding{}, fmt.Errorf("ledger holdings: %w", err)
	}
	defer rows.Close()
	var h holding
	for rows.Next() {
		var kind string
		var sum int64
		if err := rows.Scan(&kind, &sum); err != nil {
			return holding{}, err
		}
		var d Amounts
		d.add(kind, sum)
		h.reserved += d.Reserved
		h.consumed += d.Consumed
	}
	return h, rows.Err()
}

// open creates an account with approved = amount, once: an account already
// open is left as it is. It reports whether it opened one.
func (l *ledger) open(ctx context.Context, tx *sql.Tx, src ledgerSource, a Account, amount int64) (bool, error) {
	res, err := tx.ExecContext(ctx, l.sql.open, a.App, a.Entity, a.ID, amount, l.db.timeArg(src.at))
	if err != nil {
		return false, fmt.Errorf("ledger open: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := l.insertRows(ctx, tx, src, a, []movement{{KindOpen, amount}}, ""); err != nil {
		return false, err
	}
	return true, nil
}

// insertRows appends the movements; applied is false when this change already
// wrote them (the unique key), and then nothing must be done again.
func (l *ledger) insertRows(ctx context.Context, tx *sql.Tx, src ledgerSource, a Account, moves []movement, note string) (bool, error) {
	at := l.db.timeArg(src.at)
	for i, m := range moves {
		hash := ledgerRowHash(a, m.kind, m.amount, src, src.at, note)
		res, err := tx.ExecContext(ctx, l.sql.insertRow, a.App, a.Entity, a.ID, m.kind, m.amount,
			src.app, src.entity, src.id, src.version, src.event, src.actor, at, src.key, note, hash)
		if err != nil {
			return false, fmt.Errorf("ledger row: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if i > 0 {
				return false, fmt.Errorf("ledger row: %s of %s.%s #%d written only in part", m.kind, a.App, a.Entity, a.ID)
			}
			return false, nil
		}
		if src.rows != nil {
			*src.rows = append(*src.rows, hash)
		}
	}
	return true, nil
}

// moveRequest is a set of movements on one account and how to refuse them.
type moveRequest struct {
	account Account
	moves   []movement
	// strict refuses a change that leaves available below zero when it
	// lowers available; otherwise it goes through and note says so.
	strict bool
	// label names the account for people ("指标 #12"); field is the field of
	// the source record the refusal is shown against.
	label errcode.Text
	field string
	// what names the request in the refusal ("申请", "追减", "冻结").
	what string
}

// net leaves out r's movements of nothing and sums what the others do.
func (r moveRequest) net() (moveRequest, Amounts) {
	var d Amounts
	moves := r.moves[:0:0]
	for _, m := range r.moves {
		if m.amount != 0 {
			d.add(m.kind, m.amount)
			moves = append(moves, m)
		}
	}
	r.moves = moves
	return r, d
}

// move applies the movements of r: the ledger rows, then one conditional
// update of the balance. A refusal is a *ConflictError naming the account
// and what is available.
func (l *ledger) move(ctx context.Context, tx *sql.Tx, src ledgerSource, r moveRequest) error {
	r, d := r.net()
	if len(r.moves) == 0 {
		return nil
	}
	floor := noFloor
	note := ""
	if d.Available() < 0 {
		if r.strict {
			floor = 0
		} else if err := l.settle(src); err != nil {
			return err
		} else if cur, ok, err := l.readBalance(ctx, tx, r.account); err == nil && ok {
			note = l.overdraftNote(src, r, cur, d)
		}
	}
	applied, err := l.insertRows(ctx, tx, src, r.account, r.moves, note)
	if err != nil || !applied {
		return err
	}
	update := func() error { return l.updateBalance(ctx, tx, src, r, d, floor) }
	if src.change != nil {
		src.change.balanceUpdates = append(src.change.balanceUpdates, update)
		return nil
	}
	return update()
}

// settle runs the balance updates src's change still holds, before the
// ledger reads a balance it may have moved.
func (l *ledger) settle(src ledgerSource) error {
	if src.change == nil {
		return nil
	}
	return src.change.runBalanceUpdates()
}

// updateBalance is the one conditional UPDATE of a move. When the change's
// balance updates go with its COMMIT (ledger_pipeline.go) it is handed to
// the commit, as a statement that fails when it matches no row; its failure
// is then reported as here.
func (l *ledger) updateBalance(ctx context.Context, tx *sql.Tx, src ledgerSource, r moveRequest, d Amounts, floor int64) error {
	args := []any{d.Approved, d.Reserved, d.Consumed, d.Frozen, l.db.timeArg(src.at), r.account.App, r.account.Entity, r.account.ID, floor}
	if src.change != nil && src.change.commitPipe != nil && l.sql.updateOrFail != "" {
		src.change.commitPipe.add(pipedStatement{sql: l.sql.updateOrFail, args: args, failed: func(ctx context.Context, err error, noRow bool) error {
			if noRow {
				return l.refusal(ctx, l.db.Read, r, d)
			}
			return fmt.Errorf("ledger update: %w", err)
		}})
		return nil
	}
	res, err := tx.ExecContext(ctx, l.sql.update, args...)
	if err != nil {
		return fmt.Errorf("ledger update: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	return l.refusal(ctx, tx, r, d)
}

// overdraftNote is the note of a move that control lets lower available
// below zero on an account holding cur, logged as a warning; empty when
// available stays at zero or above.
func (l *ledger) overdraftNote(src ledgerSource, r moveRequest, cur, d Amounts) string {
	if cur.Available()+d.Available() >= 0 {
		return ""
	}
	l.rt.Log.Warn("ledger overdraft allowed by control", "account", r.label.Zh, "available", FormatFen(cur.Available()), "amount", FormatFen(-d.Available()), "source", fmt.Sprintf("%s.%s #%d", src.app, src.entity, src.id))
	return fmt.Sprintf("超出可用余额（可用 %s，%s %s）", FormatFen(cur.Available()), r.what, FormatFen(-d.Available()))
}

// refusal explains why a balance update matched no row.
func (l *ledger) refusal(ctx context.Context, q queryer, r moveRequest, d Amounts) error {
	cur, ok, err := l.readBalance(ctx, q, r.account)
	if err != nil {
		return fmt.Errorf("ledger read: %w", err)
	}
	return refusalOf(r, cur, ok, d)
}

// refusalOf is the refusal of moving d on an account holding cur (ok false:
// not open).
func refusalOf(r moveRequest, cur Amounts, ok bool, d Amounts) error {
	// The amount's field carries the refusal as insufficient_balance, whatever
	// the conflict's own code.
	refuse := func(ce *ConflictError) error {
		if r.field != "" {
			ce.Fields = map[string][]FieldError{r.field: {{Code: errcode.InsufficientBalance, Message: ce.Message, MessageEn: ce.MessageEn}}}
		}
		return ce
	}
	if !ok {
		return refuse(conflict(errcode.AccountNotOpen, "%s 尚未生效（没有可用额度）", r.label))
	}
	if d.Available() < 0 && cur.Available()+d.Available() < 0 {
		return refuse(conflict(errcode.InsufficientBalance, "%s 可用余额不足：可用 %s，%s %s", r.label, FormatFen(cur.Available()), r.what, FormatFen(-d.Available())))
	}
	if cur.Frozen+d.Frozen < 0 {
		return refuse(conflict(errcode.InsufficientBalance, "%s 已冻结 %s，不能解冻 %s", r.label, FormatFen(cur.Frozen), FormatFen(-d.Frozen)))
	}
	return refuse(conflict(errcode.LedgerState, "%s 的余额与本次变动不符（已预留 %s，已使用 %s），请刷新后重试", r.label, FormatFen(cur.Reserved), FormatFen(cur.Consumed)))
}

// Fen converts an amount to integer fen (two decimals, exact for money).
func Fen(d decimal.Decimal) int64 { return d.Shift(2).IntPart() }

// Yuan converts fen to an amount.
func Yuan(fen int64) decimal.Decimal { return decimal.New(fen, -2) }

// FormatFen writes fen as yuan with thousands separators: 1,000.00.
func FormatFen(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	whole := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	fmt.Fprintf(&b, ".%02d", fen%100)
	return b.String()
}

// accountLabel names an account for people: the entity's label and the id,
// in both languages.
func accountLabel(e *metamodel.Entity, id int64) errcode.Text {
	return errcode.Label(fmt.Sprintf("%s #%d", e.Label(), id), fmt.Sprintf("%s #%d", entityLabel(e).En, id))
}

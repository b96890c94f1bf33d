package engine

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// ledger is the Effect that moves money when records change: it opens the
// accounts of entities with a balance, applies draws (reserve, consume,
// release, refund) and adjustments, all in the change's own transaction, so
// that a change that fails leaves no movement behind. docs/ledger.md explains
// the model.
type ledger struct {
	rt  *Runtime
	db  *DB
	sql ledgerSQL
}

var _ Effect = (*ledger)(nil)

// newLedger makes the ledger effect when any entity of the project takes
// part in it.
func newLedger(rt *Runtime) Effect {
	for _, a := range rt.Project.Apps {
		for _, e := range a.Entities {
			if keepsLedger(e) {
				return &ledger{rt: rt, db: rt.DB, sql: newLedgerSQL(rt.DB)}
			}
		}
	}
	return nil
}

// keepsLedger reports whether changes of e move money: it is an account,
// draws on one, or adjusts one.
func keepsLedger(e *metamodel.Entity) bool {
	return e.Balance != nil || len(e.Draws) > 0 || e.Adjusts != nil
}

// ActsOn: only the changes of entities that keep a ledger move money.
func (l *ledger) ActsOn(e *metamodel.Entity) bool { return keepsLedger(e) }

// Apply moves money for one record change.
func (l *ledger) Apply(ec EffectContext, ch *Change) error {
	e := ch.Entity
	if !keepsLedger(e) {
		return nil
	}
	src := ledgerSource{app: e.App.Name, entity: e.Name, event: ch.Action, actor: ch.Actor.User, key: ch.IdempotencyKey, at: l.rt.now().UTC().Truncate(time.Microsecond), rows: &ch.ledgerRows, change: ch}
	switch {
	case ch.New != nil:
		src.id, src.version = ch.New.ID, ch.New.Version
	case ch.Old != nil:
		src.id, src.version = ch.Old.ID, ch.Old.Version+1
	default:
		return nil
	}
	if e.Adjusts != nil {
		if err := l.adjust(ec, ch, src); err != nil {
			return err
		}
	}
	for _, d := range e.Draws {
		if err := l.draw(ec, ch, src, d); err != nil {
			return err
		}
	}
	if e.Balance != nil {
		if err := l.balance(ec, ch, src); err != nil {
			return err
		}
	}
	return nil
}

// balance opens the record's own account at its open event, follows changes
// of its amount once open, and closes an unused account on delete.
func (l *ledger) balance(ec EffectContext, ch *Change, src ledgerSource) error {
	e, b := ch.Entity, ch.Entity.Balance
	acct := Account{App: e.App.Name, Entity: e.Name, ID: src.id}
	label := accountLabel(e, src.id)
	switch ch.Action {
	case "update":
		before, after := amountOf(ch.Old, b.AmountField), amountOf(ch.New, b.AmountField)
		if verr := positive(b.AmountField, after, true); verr != nil {
			return verr
		}
		if before == after {
			return nil
		}
		if err := l.settle(src); err != nil {
			return err
		}
		if _, open, err := l.readBalance(ec, ec.Tx, acct); err != nil || !open {
			return err
		}
		kind, amount := KindIncrease, after-before
		if amount < 0 {
			kind, amount = KindDecrease, -amount
		}
		return l.move(ec, ec.Tx, src, moveRequest{account: acct, moves: []movement{{kind, amount}}, strict: true, label: label, field: b.AmountField.Name, what: "调减"})
	case "delete":
		if err := l.settle(src); err != nil {
			return err
		}
		cur, open, err := l.readBalance(ec, ec.Tx, acct)
		if err != nil || !open {
			return err
		}
		if cur.Reserved != 0 || cur.Consumed != 0 || cur.Frozen != 0 {
			return conflict(errcode.BalanceInUse, "%s 已有预留 %s、使用 %s、冻结 %s，不能删除", label, FormatFen(cur.Reserved), FormatFen(cur.Consumed), FormatFen(cur.Frozen))
		}
		return l.move(ec, ec.Tx, src, moveRequest{account: acct, moves: []movement{{KindDecrease, cur.Approved}}, strict: true, label: label, what: "删除"})
	}
	if ch.Action == "create" {
		if verr := positive(b.AmountField, amountOf(ch.New, b.AmountField), true); verr != nil {
			return verr
		}
	}
	if !b.Opens(ch.Action) {
		return nil
	}
	_, err := l.open(ec, ec.Tx, src, acct, amountOf(ch.New, b.AmountField))
	return err
}

// draw applies one draw of a record: see metamodel.Draw for what each event
// list means. What a record holds on an account is read back from its ledger
// rows, so that every step happens once however often it is asked for.
func (l *ledger) draw(ec EffectContext, ch *Change, src ledgerSource, d *metamodel.Draw) error {
	e := ch.Entity
	switch ch.Action {
	case "delete":
		acct, ok := drawAccount(ch.Old, d)
		if !ok {
			return nil
		}
		return l.giveBack(ec, src, d, acct, true)
	case "update":
		return l.redraw(ec, ch, src, d)
	}
	rec := ch.New
	acct, ok := drawAccount(rec, d)
	if !ok {
		return nil
	}
	if ch.Action == "create" {
		if applies, err := drawApplies(e, rec, d); err != nil || !applies {
			return err
		}
		if err := l.checkDraw(ec, e, rec, d); err != nil {
			return err
		}
	}
	switch {
	case slices.Contains(d.ReleaseOn, ch.Action):
		return l.giveBack(ec, src, d, acct, false)
	case slices.Contains(d.RefundOn, ch.Action):
		return l.giveBack(ec, src, d, acct, true)
	case slices.Contains(d.ConsumeOn, ch.Action), slices.Contains(d.ReserveOn, ch.Action):
	default:
		return nil
	}
	if applies, err := drawApplies(e, rec, d); err != nil || !applies {
		return err
	}
	consume := slices.Contains(d.ConsumeOn, ch.Action)
	var h holding
	if ch.Action != "create" {
		var err error
		if h, err = l.holdings(ec, ec.Tx, src, acct); err != nil {
			return err
		}
		if err := l.checkDraw(ec, e, rec, d); err != nil {
			return err
		}
	}
	return l.take(ec, src, d, acct, amountOf(rec, d.AmountField), h, consume)
}

// take reserves amount, or consumes it (takeRequest).
func (l *ledger) take(ec EffectContext, src ledgerSource, d *metamodel.Draw, acct Account, amount int64, h holding, consume bool) error {
	r, ok := takeRequest(d, acct, amount, h, consume)
	if !ok {
		return nil
	}
	return l.move(ec, ec.Tx, src, r)
}

// takeRequest is the move that reserves amount, or consumes it: from the
// record's reservation when it holds one, otherwise straight from what is
// available (written as a reserve and a consume row, so that the ledger
// always reads reserve → consume). The amount consumed is the amount field's
// value now: when it is less than the reservation (a plan approved for less
// than requested) the rest is released; when it is more, the difference is
// reserved first, checked. ok is false when the step happened before.
func takeRequest(d *metamodel.Draw, acct Account, amount int64, h holding, consume bool) (moveRequest, bool) {
	r := moveRequest{account: acct, strict: d.Strict(), label: accountLabel(d.Target, acct.ID), field: d.AmountField.Name, what: "申请"}
	switch {
	case h.consumed > 0:
		return r, false // already consumed: this step happened before
	case consume && h.reserved > 0 && amount <= h.reserved:
		r.moves = []movement{{KindConsume, amount}, {KindRelease, h.reserved - amount}}
	case consume && h.reserved > 0:
		r.moves = []movement{{KindReserve, amount - h.reserved}, {KindConsume, amount}}
	case consume:
		r.moves = []movement{{KindReserve, amount}, {KindConsume, amount}}
	case h.reserved > 0:
		return r, false // already reserved
	default:
		r.moves = []movement{{KindReserve, amount}}
	}
	return r, true
}

// giveBack releases what the record reserves on acct and, with refund, what it
// consumed. Giving back what is not held changes nothing.
func (l *ledger) giveBack(ec EffectContext, src ledgerSource, d *metamodel.Draw, acct Account, refund bool) error {
	h, err := l.holdings(ec, ec.Tx, src, acct)
	if err != nil {
		return err
	}
	r := moveRequest{account: acct, strict: d.Strict(), label: accountLabel(d.Target, acct.ID), field: d.AmountField.Name, what: "退回"}
	if h.reserved > 0 {
		r.moves = append(r.moves, movement{KindRelease, h.reserved})
	}
	if refund && h.consumed > 0 {
		r.moves = append(r.moves, movement{KindRefund, h.consumed})
	}
	return l.move(ec, ec.Tx, src, r)
}

// redraw follows an edit of a record that holds money: when the account, the
// amount or the draw's condition changed, what it held is given back and the
// same step is taken again on the new values.
func (l *ledger) redraw(ec EffectContext, ch *Change, src ledgerSource, d *metamodel.Draw) error {
	e := ch.Entity
	applies, err := drawApplies(e, ch.New, d)
	if err != nil {
		return err
	}
	newAcct, hasNew := drawAccount(ch.New, d)
	if applies && hasNew {
		if err := l.checkDraw(ec, e, ch.New, d); err != nil {
			return err
		}
	}
	oldAcct, hasOld := drawAccount(ch.Old, d)
	if !hasOld {
		return nil
	}
	h, err := l.holdings(ec, ec.Tx, src, oldAcct)
	if err != nil || (h.reserved == 0 && h.consumed == 0) {
		return err
	}
	amount := amountOf(ch.New, d.AmountField)
	if applies && hasNew && newAcct == oldAcct && amount == h.reserved+h.consumed {
		return nil
	}
	if err := l.giveBack(ec, src, d, oldAcct, true); err != nil {
		return err
	}
	if !applies || !hasNew {
		return nil
	}
	// The give-back (release, refund) and the new take (reserve, consume) are
	// rows of one change of different kinds, so the unique key holds.
	return l.take(ec, src, d, newAcct, amount, holding{}, h.consumed > 0)
}

// checkDraw refuses a draw whose amount is not positive or whose matched
// fields differ from the record drawn on.
func (l *ledger) checkDraw(ec EffectContext, e *metamodel.Entity, rec *Record, d *metamodel.Draw) error {
	if verr := positive(d.AmountField, amountOf(rec, d.AmountField), false); verr != nil {
		return verr
	}
	if len(d.Match) == 0 {
		return nil
	}
	acct, _ := drawAccount(rec, d)
	target := l.rt.stores[d.Target.QualifiedName()]
	funding, err := target.scan(ec.Tx.QueryRowContext(ec, target.getSQL, acct.ID))
	if errors.Is(err, sql.ErrNoRows) {
		funding, err = nil, nil
	}
	if err != nil {
		return l.rt.dbError(target, "read account", err)
	}
	return checkMatch(e, rec, d, acct, funding)
}

// checkMatch refuses a draw whose matched fields differ from funding, the
// record drawn on (nil when it does not exist).
func checkMatch(e *metamodel.Entity, rec *Record, d *metamodel.Draw, acct Account, funding *Record) error {
	if funding == nil {
		return Invalid(d.OnField.Name, errcode.RefNotFound, "%s 不存在", accountLabel(d.Target, acct.ID))
	}
	verr := &ValidationError{}
	for _, name := range d.Match {
		f := e.Field(name)
		mine, theirs := rec.Values[name], funding.Values[name]
		if displayValue(f, mine) == displayValue(f, theirs) {
			continue
		}
		verr.Add(name, errcode.Mismatch, "%s 与%s的%s不一致（%s为 %s，本单为 %s）", fieldLabel(f), accountLabel(d.Target, acct.ID), fieldLabel(f), entityLabel(d.Target), displayValue(f, theirs), displayValue(f, mine))
	}
	if verr.empty() {
		return nil
	}
	return verr
}

// displayValue renders a value for comparison and messages.
func displayValue(f *metamodel.Field, v any) string {
	if v == nil {
		return "（空）"
	}
	return fmt.Sprint(f.Kind.JSON(f, v))
}

// positive refuses an amount below zero, or zero unless zeroOK.
func positive(f *metamodel.Field, fen int64, zeroOK bool) *ValidationError {
	if fen > 0 || (zeroOK && fen == 0) {
		return nil
	}
	if zeroOK {
		return Invalid(f.Name, errcode.AmountNotPositive, "%s不能为负数", fieldLabel(f))
	}
	return Invalid(f.Name, errcode.AmountNotPositive, "%s必须大于 0", fieldLabel(f))
}

// drawApplies evaluates the draw's when condition on rec.
func drawApplies(e *metamodel.Entity, rec *Record, d *metamodel.Draw) (bool, error) {
	if d.WhenProgram == nil {
		return true, nil
	}
	ok, err := metamodel.RunBool(d.WhenProgram, exprEnv(e, rec, rec.Values))
	if err != nil {
		return false, Invalid(RecordField, errcode.DrawWhen, "取数条件无法计算：%v", err)
	}
	return ok, nil
}

// drawAccount is the account rec's draw names, if its ref field is set.
func drawAccount(rec *Record, d *metamodel.Draw) (Account, bool) {
	if rec == nil {
		return Account{}, false
	}
	id, ok := rec.Values[d.OnField.Name].(int64)
	if !ok || id <= 0 {
		return Account{}, false
	}
	return Account{App: d.Target.App.Name, Entity: d.Target.Name, ID: id}, true
}

// amountOf is a money field's value in fen (0 when empty).
func amountOf(rec *Record, f *metamodel.Field) int64 {
	if rec == nil {
		return 0
	}
	if d, ok := rec.Values[f.Name].(decimal.Decimal); ok {
		return Fen(d)
	}
	return 0
}

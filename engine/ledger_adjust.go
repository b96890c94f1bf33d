package engine

import (
	"fmt"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// adjust applies an adjustment record (metamodel.Adjust): checked whenever it
// is written, applied once at one of its apply_on events, and frozen from
// then on: an adjustment that took effect can be neither edited nor deleted,
// since its rows in the ledger say what it did.
func (l *ledger) adjust(ec EffectContext, ch *Change, src ledgerSource) error {
	a := ch.Entity.Adjusts
	if ch.Action == "update" || ch.Action == "delete" {
		applied, err := l.sourceApplied(ec, src)
		if err != nil {
			return err
		}
		if applied && (ch.Action == "delete" || adjustmentChanged(a, ch.Old, ch.New)) {
			return conflict(errcode.AdjustmentApplied, "%s #%d 已生效，不能修改或删除；请另行调整", entityLabel(ch.Entity), src.id)
		}
		if ch.Action == "delete" {
			return nil
		}
	}
	if verr := checkAdjustment(a, ch.New); verr != nil {
		return verr
	}
	if !a.Applies(ch.Action) {
		return nil
	}
	if applied, err := l.sourceApplied(ec, src); err != nil || applied {
		return err // an adjustment applies once, whichever event comes again
	}
	reqs, opens, err := adjustmentRequests(a, ch.New)
	if err != nil {
		return fmt.Errorf("adjustment %s #%d: %w", ch.Entity.QualifiedName(), src.id, err)
	}
	if opens != nil {
		// The account of the new element combination may not be open yet:
		// it opens at zero and receives the amount.
		if _, err := l.open(ec, ec.Tx, src, *opens, 0); err != nil {
			return err
		}
	}
	for _, r := range reqs {
		if err := l.move(ec, ec.Tx, src, r); err != nil {
			return err
		}
	}
	return nil
}

// adjustmentRequests are the moves an adjustment record makes, as its kind
// says (metamodel.AdjustKinds): one on the account it adjusts and, for a
// transfer, one on the receiving account, in lock order (so that two
// transfers in opposite directions cannot deadlock on PostgreSQL). opens is
// the receiving account when the kind opens it first.
func adjustmentRequests(a *metamodel.Adjust, rec *Record) (reqs []moveRequest, opens *Account, err error) {
	k, ok := metamodel.AdjustKindOf(adjustmentKind(a, rec))
	if !ok {
		return nil, nil, fmt.Errorf("unknown kind %q", adjustmentKind(a, rec))
	}
	amount := amountOf(rec, a.AmountField)
	request := func(field *metamodel.Field, kind string) moveRequest {
		acct := Account{App: a.Target.App.Name, Entity: a.Target.Name, ID: rec.Values[field.Name].(int64)}
		return moveRequest{account: acct, moves: []movement{{kind, amount}}, strict: k.Strict, label: accountLabel(a.Target, acct.ID), field: field.Name, what: movementLabel(kind)}
	}
	out := request(a.AccountField, k.Movement)
	// The amount is refused under the amount field, also for a transfer.
	out.field = a.AmountField.Name
	if k.In == "" {
		return []moveRequest{out}, nil, nil
	}
	in := request(a.ToField, k.In)
	if k.OpensTo {
		opens = &in.account
	}
	if in.account.less(out.account) {
		return []moveRequest{in, out}, opens, nil
	}
	return []moveRequest{out, in}, opens, nil
}

// movementLabel names a movement kind in messages ("追加", "调出").
func movementLabel(kind string) string {
	if m, ok := metamodel.LedgerMovementOf(kind); ok {
		return m.Label
	}
	return kind
}

// sourceApplied reports whether the record has any ledger row.
func (l *ledger) sourceApplied(ec EffectContext, src ledgerSource) (bool, error) {
	var n int
	err := ec.Tx.QueryRowContext(ec, l.sql.sourceRows, src.app, src.entity, src.id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("ledger rows of %s.%s #%d: %w", src.app, src.entity, src.id, err)
	}
	return n > 0, nil
}

func adjustmentKind(a *metamodel.Adjust, rec *Record) string {
	if a.FixedKind != "" {
		return a.FixedKind
	}
	k, _ := rec.Values[a.KindField.Name].(string)
	return k
}

// adjustmentChanged reports whether an edit touches what the adjustment did.
func adjustmentChanged(a *metamodel.Adjust, old, new *Record) bool {
	fields := []*metamodel.Field{a.AccountField, a.AmountField, a.KindField, a.ToField}
	for _, f := range fields {
		if f != nil && fmt.Sprint(old.Values[f.Name]) != fmt.Sprint(new.Values[f.Name]) {
			return true
		}
	}
	return false
}

// checkAdjustment refuses an adjustment that cannot apply: no positive
// amount, no kind, or a transfer without a second account.
func checkAdjustment(a *metamodel.Adjust, rec *Record) *ValidationError {
	verr := &ValidationError{}
	if amount := amountOf(rec, a.AmountField); amount <= 0 {
		verr.Add(a.AmountField.Name, errcode.AmountNotPositive, "%s必须大于 0", fieldLabel(a.AmountField))
	}
	kind := adjustmentKind(a, rec)
	if kind == "" {
		verr.Add(a.KindField.Name, errcode.Required, "%s 为必填项", fieldLabel(a.KindField))
	}
	k, known := metamodel.AdjustKindOf(kind)
	if kind != "" && !known {
		verr.Add(a.KindField.Name, errcode.Enum, "未知的调整类型 %s", kind)
	}
	from, _ := rec.Values[a.AccountField.Name].(int64)
	if from <= 0 {
		verr.Add(a.AccountField.Name, errcode.Required, "%s 为必填项", fieldLabel(a.AccountField))
	}
	if k.In != "" {
		to, _ := rec.Values[a.ToField.Name].(int64)
		switch {
		case to <= 0:
			verr.Add(a.ToField.Name, errcode.Required, "调剂须指定调入的%s", entityLabel(a.Target))
		case to == from:
			verr.Add(a.ToField.Name, errcode.TransferSameAccount, "调出与调入不能是同一%s（%s）", entityLabel(a.Target), accountLabel(a.Target, to))
		}
	}
	if verr.empty() {
		return nil
	}
	return verr
}

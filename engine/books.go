package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// The books are the accounting vouchers (记账凭证) the postings of the
// definitions post when records change: each voucher is numbered within its
// period (2026-01#0001), its lines debit or credit accounts of a chart of
// accounts with integer fen, and it is written in the transaction of the event
// that caused it, so that there is no event without its voucher and no voucher
// without its event. A closed period takes no more vouchers; a correction is a
// reversing voucher in an open period. docs/books.md explains the model.

// Voucher is one accounting voucher with its lines.
type Voucher struct {
	ID            int64         `json:"id"`
	Number        string        `json:"number"`
	Chart         string        `json:"chart"`
	Period        string        `json:"period"`
	Seq           int64         `json:"seq"`
	Date          string        `json:"date"`
	Summary       string        `json:"summary"`
	SourceApp     string        `json:"source_app"`
	SourceEntity  string        `json:"source_entity"`
	SourceID      int64         `json:"source_id"`
	SourceVersion int64         `json:"source_version"`
	Event         string        `json:"event"`
	Posting       string        `json:"posting"`
	Actor         string        `json:"actor"`
	Reverses      int64         `json:"reverses,omitempty"`
	Lines         []VoucherLine `json:"lines"`
}

// VoucherLine is one line of a voucher: one of Debit and Credit is non-zero.
type VoucherLine struct {
	No          int               `json:"no"`
	Account     string            `json:"account"`
	AccountName string            `json:"account_name,omitempty"`
	Debit       int64             `json:"debit"`
	Credit      int64             `json:"credit"`
	Dims        map[string]string `json:"dims,omitempty"`
	Summary     string            `json:"summary,omitempty"`
}

// VoucherNumber is how a voucher is named: its period and its number in it.
func VoucherNumber(period string, seq int64) string { return fmt.Sprintf("%s#%04d", period, seq) }

var periodPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// CheckPeriod refuses a period not written as YYYY-MM.
func CheckPeriod(period string) error {
	if !periodPattern.MatchString(period) {
		return Invalid("period", errcode.PeriodInvalid, "会计期间 %q 应写作 YYYY-MM，如 2026-01", period)
	}
	return nil
}

// books is the Effect that posts the vouchers of the postings.
type books struct {
	rt       *Runtime
	byEntity map[string][]*metamodel.Posting
}

var _ BulkEffect = (*books)(nil)

// PlanBulk: an import may write records with COPY unless a posting fires on
// create, which needs a voucher per record.
func (b *books) PlanBulk(_ *Runtime, e *metamodel.Entity) (BulkStep, bool) {
	for _, p := range b.byEntity[e.QualifiedName()] {
		if p.Fires(metamodel.CreateEvent) {
			return nil, false
		}
	}
	return nil, true
}

// newBooks makes the books effect when the definitions declare postings.
func newBooks(rt *Runtime) Effect {
	b := &books{rt: rt, byEntity: map[string][]*metamodel.Posting{}}
	for _, p := range rt.Project.Postings() {
		if p.Target == nil {
			continue
		}
		q := p.Target.QualifiedName()
		b.byEntity[q] = append(b.byEntity[q], p)
	}
	if len(b.byEntity) == 0 {
		return nil
	}
	return b
}

// Apply posts the voucher of every posting of the changed entity that fires at
// the change's event.
func (b *books) Apply(ec EffectContext, ch *Change) error {
	if ch.New == nil {
		return nil
	}
	for _, p := range b.byEntity[ch.Entity.QualifiedName()] {
		if !p.Fires(ch.Action) {
			continue
		}
		v, err := b.voucher(ch, p)
		if err != nil {
			return err
		}
		if v == nil {
			continue // its condition is false, or every amount is zero
		}
		if err := b.rt.postVoucher(ec, ec.Tx, v); err != nil {
			return err
		}
	}
	return nil
}

// voucher builds the voucher p posts for ch, or nil when its condition is
// false or every amount is zero. A voucher whose debits and credits differ is
// refused.
func (b *books) voucher(ch *Change, p *metamodel.Posting) (*Voucher, error) {
	e, rec := ch.Entity, ch.New
	env := exprEnv(e, rec, rec.Values)
	if p.WhenProgram != nil {
		ok, err := metamodel.RunBool(p.WhenProgram, env)
		if err != nil {
			return nil, postingError(p, "记账条件无法计算：%v", err)
		}
		if !ok {
			return nil, nil
		}
	}
	date := Today(b.rt.now())
	if p.DateField != nil {
		if d, ok := rec.Values[p.DateField.Name].(time.Time); ok && !d.IsZero() {
			date = d
		}
	}
	dims := map[string]string{}
	for name, f := range p.DimFields {
		if s := dimValue(f, rec.Values[f.Name]); s != "" {
			dims[name] = s
		}
	}
	v := &Voucher{Chart: p.Chart, Period: date.Format("2006-01"), Date: date.Format(time.DateOnly), Summary: p.Summary,
		SourceApp: e.App.Name, SourceEntity: e.Name, SourceID: rec.ID, SourceVersion: rec.Version,
		Event: ch.Action, Posting: p.Name(), Actor: ch.Actor.User}
	var debit, credit int64
	for i, l := range p.Lines {
		var amount decimal.Decimal
		if l.AmountConst != nil {
			amount = *l.AmountConst
		} else {
			out, err := metamodel.Run(l.AmountProgram, env)
			if err != nil {
				return nil, postingError(p, "第 %d 行金额 %s 无法计算：%v", i+1, l.Amount, err)
			}
			var ok bool
			if amount, ok = out.(decimal.Decimal); !ok {
				return nil, postingError(p, "第 %d 行金额 %s 不是金额（%T）", i+1, l.Amount, out)
			}
		}
		fen := Fen(amount)
		if !amount.Equal(Yuan(fen)) {
			return nil, postingError(p, "第 %d 行金额 %s = %s 不是整分", i+1, l.Amount, amount)
		}
		if fen < 0 {
			return nil, postingError(p, "第 %d 行金额 %s = %s 为负数", i+1, l.Amount, FormatFen(fen))
		}
		if fen == 0 {
			continue
		}
		account := l.Account
		if l.AccountField != nil {
			account, _ = rec.Values[l.AccountField.Name].(string)
			if account == "" {
				return nil, Invalid(l.AccountField.Name, errcode.AccountMissing, "%s 为空，无法记账", fieldLabel(l.AccountField))
			}
		}
		line := VoucherLine{No: len(v.Lines) + 1, Account: account, Dims: dims, Summary: l.Summary}
		if l.Side == "debit" {
			line.Debit, debit = fen, debit+fen
		} else {
			line.Credit, credit = fen, credit+fen
		}
		v.Lines = append(v.Lines, line)
	}
	if len(v.Lines) == 0 {
		return nil, nil
	}
	if debit != credit {
		return nil, conflict(errcode.VoucherUnbalanced, "%s：%s 生成的记账凭证借贷不平（借方 %s，贷方 %s），事件未执行", entityLabel(e), ch.Action, FormatFen(debit), FormatFen(credit))
	}
	return v, nil
}

// postingError is a problem of posting rule p, which the message names.
func postingError(p *metamodel.Posting, format string, args ...any) error {
	return Invalid(RecordField, errcode.Posting, "记账（%s）：%s", p.Name(), errcode.Posting.Format(format, args...))
}

// dimValue is a dimension's value as text: the code, the id, the date.
func dimValue(f *metamodel.Field, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		if v == 0 && f.Is(metamodel.RecordRef) {
			return ""
		}
		return strconv.FormatInt(v, 10)
	case time.Time:
		return v.Format(time.DateOnly)
	default:
		return fmt.Sprint(f.Kind.JSON(f, v))
	}
}

// postVoucher numbers v in its period and writes it with its lines and the
// period's balances, in tx. A closed period refuses it.
func (rt *Runtime) postVoucher(ctx context.Context, tx *sql.Tx, v *Voucher) error {
	return rt.DB.postVoucher(ctx, tx, v, rt.now())
}

func (db *DB) postVoucher(ctx context.Context, tx *sql.Tx, v *Voucher, now time.Time) error {
	p := db.Placeholder
	if _, err := tx.ExecContext(ctx, `INSERT INTO growth_book_periods (period, last_seq, closed_at, closed_by) VALUES (`+p(1)+`, 0, '', '') ON CONFLICT (period) DO NOTHING`, v.Period); err != nil {
		return fmt.Errorf("books: period %s: %w", v.Period, err)
	}
	err := tx.QueryRowContext(ctx, `UPDATE growth_book_periods SET last_seq = last_seq + 1 WHERE period = `+p(1)+` AND closed_at = '' RETURNING last_seq`, v.Period).Scan(&v.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict(errcode.PeriodClosed, "会计期间 %s 已结账，不能再记入凭证（凭证日期 %s）；更正请在未结账期间做冲销凭证", v.Period, v.Date)
	}
	if err != nil {
		return fmt.Errorf("books: number in %s: %w", v.Period, err)
	}
	v.Number = VoucherNumber(v.Period, v.Seq)
	var reverses any
	if v.Reverses != 0 {
		reverses = v.Reverses
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO growth_vouchers (chart, period, seq, voucher_date, summary, source_app, source_entity, source_id, source_version, event, posting, actor, at, reverses) VALUES (`+
		placeholders(db, 1, 14)+`) RETURNING id`,
		v.Chart, v.Period, v.Seq, v.Date, v.Summary, v.SourceApp, v.SourceEntity, v.SourceID, v.SourceVersion, v.Event, v.Posting, v.Actor, db.timeArg(now), reverses).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("books: voucher %s: %w", v.Number, err)
	}
	for _, l := range v.Lines {
		dims, _ := json.Marshal(l.Dims)
		if l.Dims == nil {
			dims = []byte("{}")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO growth_voucher_lines (voucher_id, line_no, account, debit, credit, dims, summary) VALUES (`+placeholders(db, 1, 7)+`)`,
			v.ID, l.No, l.Account, l.Debit, l.Credit, string(dims), l.Summary); err != nil {
			return fmt.Errorf("books: voucher %s line %d: %w", v.Number, l.No, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO growth_book_balances (chart, account, period, debit, credit) VALUES (`+placeholders(db, 1, 5)+`)
			ON CONFLICT (chart, account, period) DO UPDATE SET debit = growth_book_balances.debit + excluded.debit, credit = growth_book_balances.credit + excluded.credit`,
			v.Chart, l.Account, v.Period, l.Debit, l.Credit); err != nil {
			return fmt.Errorf("books: balance of %s in %s: %w", l.Account, v.Period, err)
		}
	}
	return nil
}

// placeholders lists bind parameters from to to: "?, ?, ?" or "$1, $2, $3".
func placeholders(db *DB, from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(", ")
		}
		b.WriteString(db.Placeholder(i))
	}
	return b.String()
}

// ClosePeriod closes period: no voucher is posted into it afterwards.
func (db *DB) ClosePeriod(ctx context.Context, period, actor string) error {
	if err := CheckPeriod(period); err != nil {
		return err
	}
	p := db.Placeholder
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO growth_book_periods (period, last_seq, closed_at, closed_by) VALUES (`+p(1)+`, 0, `+p(2)+`, `+p(3)+`)
			ON CONFLICT (period) DO UPDATE SET closed_at = excluded.closed_at, closed_by = excluded.closed_by WHERE growth_book_periods.closed_at = ''`,
			period, time.Now().UTC().Format(time.RFC3339), actor)
		if err != nil {
			return fmt.Errorf("books: close %s: %w", period, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict(errcode.PeriodClosed, "会计期间 %s 已经结账", period)
		}
		return nil
	})
}

// Period is one accounting period and whether it is closed.
type Period struct {
	Period   string `json:"period"`
	Vouchers int64  `json:"vouchers"`
	Closed   bool   `json:"closed"`
	ClosedAt string `json:"closed_at,omitempty"`
	ClosedBy string `json:"closed_by,omitempty"`
}

// Periods lists the periods that have vouchers or are closed.
func (db *DB) Periods(ctx context.Context) ([]Period, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT period, last_seq, closed_at, closed_by FROM growth_book_periods ORDER BY period`)
	if err != nil {
		return nil, fmt.Errorf("books: periods: %w", err)
	}
	defer rows.Close()
	var out []Period
	for rows.Next() {
		var p Period
		if err := rows.Scan(&p.Period, &p.Vouchers, &p.ClosedAt, &p.ClosedBy); err != nil {
			return nil, err
		}
		p.Closed = p.ClosedAt != ""
		out = append(out, p)
	}
	return out, rows.Err()
}

// ReverseVoucher posts a reversing voucher of the voucher named (by number,
// 2026-01#0001 or 2026-01-0001, or by id) dated date: the same lines on the
// opposite sides, in date's period, which must be open. A voucher is reversed
// at most once.
func (db *DB) ReverseVoucher(ctx context.Context, name string, date time.Time, actor string) (*Voucher, error) {
	var out *Voucher
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		orig, err := db.readVoucher(ctx, tx, name)
		if err != nil {
			return err
		}
		if orig.Reverses != 0 {
			return conflict(errcode.VoucherReversal, "凭证 %s 本身是冲销凭证，不能再冲销", orig.Number)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_vouchers WHERE reverses = `+db.Placeholder(1), orig.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return conflict(errcode.VoucherReversed, "凭证 %s 已经冲销过", orig.Number)
		}
		rev := &Voucher{Chart: orig.Chart, Period: date.Format("2006-01"), Date: date.Format(time.DateOnly),
			Summary:   fmt.Sprintf("冲销 %s 号凭证：%s", orig.Number, orig.Summary),
			SourceApp: orig.SourceApp, SourceEntity: orig.SourceEntity, SourceID: orig.SourceID, SourceVersion: orig.SourceVersion,
			Event: "reverse", Posting: "reverse:" + strconv.FormatInt(orig.ID, 10), Actor: actor, Reverses: orig.ID}
		for _, l := range orig.Lines {
			rev.Lines = append(rev.Lines, VoucherLine{No: l.No, Account: l.Account, Debit: l.Credit, Credit: l.Debit, Dims: l.Dims, Summary: l.Summary})
		}
		if err := db.postVoucher(ctx, tx, rev, time.Now()); err != nil {
			return err
		}
		out = rev
		return nil
	})
	return out, err
}

// ParseVoucherName splits 2026-01#0001 (or 2026-01-0001) into its period and
// number; ok is false for anything else.
func ParseVoucherName(name string) (period string, seq int64, ok bool) {
	name = strings.Replace(name, "#", "-", 1)
	if len(name) < 9 || name[7] != '-' {
		return "", 0, false
	}
	period = name[:7]
	seq, err := strconv.ParseInt(name[8:], 10, 64)
	if err != nil || seq <= 0 || !periodPattern.MatchString(period) {
		return "", 0, false
	}
	return period, seq, true
}

const voucherColumns = `id, chart, period, seq, voucher_date, summary, source_app, source_entity, source_id, source_version, event, posting, actor, COALESCE(reverses, 0)`

// Voucher reads one voucher with its lines, by number or id.
func (db *DB) Voucher(ctx context.Context, name string) (*Voucher, error) {
	return db.readVoucher(ctx, db.Read, name)
}

func (db *DB) readVoucher(ctx context.Context, q queryer, name string) (*Voucher, error) {
	var row *sql.Row
	if period, seq, ok := ParseVoucherName(name); ok {
		row = q.QueryRowContext(ctx, `SELECT `+voucherColumns+` FROM growth_vouchers WHERE period = `+db.Placeholder(1)+` AND seq = `+db.Placeholder(2), period, seq)
	} else if id, err := strconv.ParseInt(name, 10, 64); err == nil {
		row = q.QueryRowContext(ctx, `SELECT `+voucherColumns+` FROM growth_vouchers WHERE id = `+db.Placeholder(1), id)
	} else {
		return nil, Invalid("voucher", errcode.VoucherInvalid, "凭证号 %q 应写作 期间#编号，如 2026-01#0001", name)
	}
	v := &Voucher{}
	err := row.Scan(&v.ID, &v.Chart, &v.Period, &v.Seq, &v.Date, &v.Summary, &v.SourceApp, &v.SourceEntity, &v.SourceID, &v.SourceVersion, &v.Event, &v.Posting, &v.Actor, &v.Reverses)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: voucher %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("books: voucher %s: %w", name, err)
	}
	v.Number = VoucherNumber(v.Period, v.Seq)
	lines, err := db.voucherLines(ctx, q, `WHERE voucher_id = `+db.Placeholder(1), v.ID)
	if err != nil {
		return nil, err
	}
	v.Lines = lines[v.ID]
	return v, nil
}

// voucherLines reads the lines that where selects, by voucher id.
func (db *DB) voucherLines(ctx context.Context, q queryer, where string, args ...any) (map[int64][]VoucherLine, error) {
	rows, err := q.QueryContext(ctx, `SELECT voucher_id, line_no, account, debit, credit, dims, summary FROM growth_voucher_lines `+where+` ORDER BY voucher_id, line_no`, args...)
	if err != nil {
		return nil, fmt.Errorf("books: voucher lines: %w", err)
	}
	defer rows.Close()
	out := map[int64][]VoucherLine{}
	for rows.Next() {
		var id int64
		var l VoucherLine
		var dims string
		if err := rows.Scan(&id, &l.No, &l.Account, &l.Debit, &l.Credit, &dims, &l.Summary); err != nil {
			return nil, err
		}
		if dims != "" && dims != "{}" {
			if err := json.Unmarshal([]byte(dims), &l.Dims); err != nil {
				return nil, fmt.Errorf("books: voucher %d line %d: dims: %w", id, l.No, err)
			}
		}
		out[id] = append(out[id], l)
	}
	return out, rows.Err()
}

// VoucherFilter selects vouchers: by period, and by source record.
type VoucherFilter struct {
	Period   string
	App      string
	Entity   string
	RecordID int64
}

// Vouchers lists the vouchers f selects, with their lines, in number order.
func (db *DB) Vouchers(ctx context.Context, f VoucherFilter) ([]*Voucher, error) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, cond+" = "+db.Placeholder(len(args)))
	}
	if f.Period != "" {
		add("period", f.Period)
	}
	if f.App != "" {
		add("source_app", f.App)
	}
	if f.Entity != "" {
		add("source_entity", f.Entity)
	}
	if f.RecordID != 0 {
		add("source_id", f.RecordID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+voucherColumns+` FROM growth_vouchers`+where+` ORDER BY period, seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("books: vouchers: %w", err)
	}
	var out []*Voucher
	ids := map[int64]*Voucher{}
	for rows.Next() {
		v := &Voucher{}
		if err := rows.Scan(&v.ID, &v.Chart, &v.Period, &v.Seq, &v.Date, &v.Summary, &v.SourceApp, &v.SourceEntity, &v.SourceID, &v.SourceVersion, &v.Event, &v.Posting, &v.Actor, &v.Reverses); err != nil {
			rows.Close()
			return nil, err
		}
		v.Number = VoucherNumber(v.Period, v.Seq)
		out = append(out, v)
		ids[v.ID] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	lineWhere := "WHERE voucher_id IN (SELECT id FROM growth_vouchers" + where + ")"
	lines, err := db.voucherLines(ctx, db.Read, lineWhere, args...)
	if err != nil {
		return nil, err
	}
	for id, ls := range lines {
		if v := ids[id]; v != nil {
			v.Lines = ls
		}
	}
	return out, nil
}

func jsonUnmarshalString(text string, v any) error { return json.Unmarshal([]byte(text), v) }

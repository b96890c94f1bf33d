package engine

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// StatementHeader is the header line of a party's daily statement (对账单),
// CSV in UTF-8 (docs/exchange.md#statement): one line per message the party
// handled that day.
var StatementHeader = []string{"date", "msg_id", "ref", "amount", "account", "status", "serial"}

// StatementLine is one line of a party's statement.
type StatementLine struct {
	// Line is the line number in the file (the header is line 1).
	Line int
	// Date is the day the party handled the message, YYYY-MM-DD.
	Date string
	// MsgID is the id of our message; Ref the record it is about.
	MsgID, Ref string
	// Amount is a decimal as text; Account the account it went to.
	Amount, Account string
	// Status is the party's answer (the reply type, such as paid or
	// returned); Serial the party's serial number.
	Status, Serial string
}

// ParseStatement reads a statement; an error names the line and column.
func ParseStatement(r io.Reader) ([]StatementLine, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(StatementHeader)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("statement line 1: %w", err)
	}
	head[0] = strings.TrimPrefix(head[0], "\ufeff")
	if !slices.Equal(head, StatementHeader) {
		return nil, fmt.Errorf("statement line 1: header %q, want %q", strings.Join(head, ","), strings.Join(StatementHeader, ","))
	}
	var out []StatementLine
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("statement: %w", err)
		}
		line, _ := cr.FieldPos(0)
		l := StatementLine{Line: line, Date: rec[0], MsgID: rec[1], Ref: rec[2], Amount: rec[3], Account: rec[4], Status: rec[5], Serial: rec[6]}
		if _, err := time.Parse(time.DateOnly, l.Date); err != nil {
			return nil, fmt.Errorf("statement line %d, column date: %q is not a date YYYY-MM-DD", line, l.Date)
		}
		if _, ok := new(big.Rat).SetString(l.Amount); !ok {
			return nil, fmt.Errorf("statement line %d, column amount: %q is not a decimal amount", line, l.Amount)
		}
		if l.MsgID == "" {
			return nil, fmt.Errorf("statement line %d, column msg_id: empty", line)
		}
		out = append(out, l)
	}
}

// Kinds of reconciliation items.
const (
	ReconMatched        = "matched"
	ReconMissingAtParty = "missing_at_party"
	ReconMissingAtUs    = "missing_at_us"
	ReconAmountDiffers  = "amount_differs"
	ReconDateDiffers    = "date_differs"
)

// ReconcileOptions say what to reconcile.
type ReconcileOptions struct {
	// Party is the exchange whose statement it is.
	Party string
	// Day is the statement's day, YYYY-MM-DD.
	Day string
	// Statement names the statement (its file), as recorded.
	Statement string
	// AmountKey is the body key of our messages' amount (default amount).
	AmountKey string
	// Location gives the day of an instant (default time.Local).
	Location *time.Location
	// Scheduled marks the daily run (by ScheduleActor): a party's day is
	// reconciled so once among all servers; another run of the same day
	// returns ErrReconciled.
	Scheduled bool
}

// ScheduleActor runs the scheduled reconciliations.
var ScheduleActor = Actor{User: "schedule", Roles: []string{SystemRole}}

// ErrReconciled: the party's day has already been reconciled by the schedule.
var ErrReconciled = errors.New("already reconciled by the schedule")

// Reconciliation is one stored comparison of a statement with our messages.
type Reconciliation struct {
	ID          int64
	Party       string
	Day         string
	Statement   string
	RunAt       time.Time
	RunBy       string
	Matched     int
	Differences int
	Items       []ReconItem
}

// ReconItem is one compared message: matched, or a difference to resolve.
type ReconItem struct {
	ID, ReconciliationID int64
	Kind                 string
	MsgID, Ref           string
	OurAmount            string
	TheirAmount          string
	OurDate, TheirDate   string
	Status, Serial       string
	// Party and Day are the reconciliation's (filled by OpenReconDifferences).
	Party, Day string
	Resolved   bool
	ResolvedBy string
	Comment    string
}

// ourMessage is an outbound message with the day it counts for.
type ourMessage struct {
	msgID, ref, amount, day string
}

// Reconcile compares a party's statement for a day with our outbound
// messages to the party and the receipts applied for them, and stores the
// result: every message of ours whose day (the day its receipt was applied,
// or the day it was made while no receipt came) is the statement's day, and
// every message the statement names. Nothing is corrected: differences wait
// for a user (ResolveReconItem).
func (rt *Runtime) Reconcile(ctx context.Context, actor Actor, o ReconcileOptions, lines []StatementLine) (*Reconciliation, error) {
	if rt.Project.Exchange(o.Party) == nil {
		return nil, fmt.Errorf("reconcile: %q is not an exchange of the definitions", o.Party)
	}
	if _, err := time.Parse(time.DateOnly, o.Day); err != nil {
		return nil, fmt.Errorf("reconcile: day %q: want YYYY-MM-DD", o.Day)
	}
	if o.AmountKey == "" {
		o.AmountKey = "amount"
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Scheduled {
		actor = ScheduleActor
		var n int
		if err := rt.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_reconciliations WHERE party = `+rt.DB.Placeholder(1)+` AND day = `+rt.DB.Placeholder(2)+` AND run_by = 'schedule'`, o.Party, o.Day).Scan(&n); err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		if n > 0 {
			return nil, ErrReconciled
		}
	}
	ours, err := rt.ourMessages(ctx, o)
	if err != nil {
		return nil, err
	}
	rec := &Reconciliation{Party: o.Party, Day: o.Day, Statement: o.Statement, RunAt: rt.now(), RunBy: actor.User}
	seen := map[string]bool{}
	for _, l := range lines {
		it := ReconItem{MsgID: l.MsgID, Ref: l.Ref, TheirAmount: l.Amount, TheirDate: l.Date, Status: l.Status, Serial: l.Serial}
		m, ok := ours[l.MsgID]
		switch {
		case !ok || seen[l.MsgID]:
			it.Kind = ReconMissingAtUs
		case !sameAmount(m.amount, l.Amount):
			it.Kind = ReconAmountDiffers
		case m.day != l.Date:
			it.Kind = ReconDateDiffers
		default:
			it.Kind = ReconMatched
		}
		if ok {
			it.OurAmount, it.OurDate = m.amount, m.day
			if it.Ref == "" {
				it.Ref = m.ref
			}
		}
		seen[l.MsgID] = true
		rec.Items = append(rec.Items, it)
	}
	var missing []ReconItem
	for id, m := range ours {
		if m.day == o.Day && !seen[id] {
			missing = append(missing, ReconItem{Kind: ReconMissingAtParty, MsgID: id, Ref: m.ref, OurAmount: m.amount, OurDate: m.day})
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].Ref < missing[j].Ref })
	rec.Items = append(rec.Items, missing...)
	for _, it := range rec.Items {
		if it.Kind == ReconMatched {
			rec.Matched++
		} else {
			rec.Differences++
		}
	}
	p := rt.DB.Placeholder
	err = rt.DB.Tx(ctx, func(tx *sql.Tx) error {
		q := `INSERT INTO growth_reconciliations (party, day, statement, run_at, run_by, matched, differences) VALUES (` + p(1) + `, ` + p(2) + `, ` + p(3) + `, ` + p(4) + `, ` + p(5) + `, ` + p(6) + `, ` + p(7) + `)`
		args := []any{rec.Party, rec.Day, rec.Statement, rt.DB.timeArg(rec.RunAt), rec.RunBy, rec.Matched, rec.Differences}
		if rt.DB.Dialect == Postgres {
			if err := tx.QueryRowContext(ctx, q+` RETURNING id`, args...).Scan(&rec.ID); err != nil {
				return err
			}
		} else {
			r, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			if rec.ID, err = r.LastInsertId(); err != nil {
				return err
			}
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO growth_reconciliation_items (reconciliation_id, kind, msg_id, ref, our_amount, their_amount, our_date, their_date, status, serial) VALUES (`+
			p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, `+p(5)+`, `+p(6)+`, `+p(7)+`, `+p(8)+`, `+p(9)+`, `+p(10)+`)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range rec.Items {
			it := &rec.Items[i]
			it.ReconciliationID = rec.ID
			if _, err := stmt.ExecContext(ctx, rec.ID, it.Kind, it.MsgID, it.Ref, it.OurAmount, it.TheirAmount, it.OurDate, it.TheirDate, it.Status, it.Serial); err != nil {
				return err
			}
		}
		return rt.DB.appendAudit(ctx, tx, AuditEntry{App: exceptionAuditApp, Entity: reconAuditEntity, RecordID: rec.ID, Action: "reconcile", Actor: actor.User, At: rec.RunAt,
			Changes: map[string][2]any{"party": {nil, rec.Party}, "day": {nil, rec.Day}, "matched": {nil, rec.Matched}, "differences": {nil, rec.Differences}}, DefVersion: rt.Project.Hash})
	})
	if err != nil {
		if o.Scheduled && isUniqueViolation(err) {
			return nil, ErrReconciled
		}
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	return rt.Reconciliation(ctx, rec.ID)
}

const reconAuditEntity = "reconciliations"

func sameAmount(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// ourMessages loads the party's outbound messages of the 40 days up to the
// day's end, each with the day it counts for: the day the first receipt for
// its record was applied, else the day it was made.
func (rt *Runtime) ourMessages(ctx context.Context, o ReconcileOptions) (map[string]ourMessage, error) {
	day, _ := time.ParseInLocation(time.DateOnly, o.Day, o.Location)
	from, to := day.AddDate(0, 0, -40), day.AddDate(0, 0, 1)
	p := rt.DB.Placeholder
	receipts := map[string]time.Time{}
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT ref, received_at FROM growth_exchange_inbox WHERE party = `+p(1)+` AND received_at >= `+p(2), o.Party, rt.DB.timeArg(from))
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	for rows.Next() {
		var ref string
		var at any
		if err := rows.Scan(&ref, &at); err != nil {
			rows.Close()
			return nil, err
		}
		t, err := scanTime(at)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if old, ok := receipts[ref]; !ok || t.Before(old) {
			receipts[ref] = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = rt.DB.Read.QueryContext(ctx, `SELECT msg_id, ref, envelope, created_at FROM growth_exchange_outbox WHERE party = `+p(1)+` AND created_at >= `+p(2)+` AND created_at < `+p(3),
		o.Party, rt.DB.timeArg(from), rt.DB.timeArg(to))
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	defer rows.Close()
	out := map[string]ourMessage{}
	for rows.Next() {
		var id, ref, envelope string
		var at any
		if err := rows.Scan(&id, &ref, &envelope, &at); err != nil {
			return nil, err
		}
		t, err := scanTime(at)
		if err != nil {
			return nil, err
		}
		if r, ok := receipts[ref]; ok {
			t = r
		}
		var env struct {
			Body map[string]json.RawMessage `json:"body"`
		}
		_ = json.Unmarshal([]byte(envelope), &env)
		var amount string
		if raw, ok := env.Body[o.AmountKey]; ok {
			if json.Unmarshal(raw, &amount) != nil {
				amount = string(raw)
			}
		}
		out[id] = ourMessage{msgID: id, ref: ref, amount: amount, day: t.In(o.Location).Format(time.DateOnly)}
	}
	return out, rows.Err()
}

const reconItemColumns = `i.id, i.reconciliation_id, i.kind, i.msg_id, i.ref, i.our_amount, i.their_amount, i.our_date, i.their_date, i.status, i.serial, i.resolved_at, i.resolved_by, i.comment, r.party, r.day`

func scanReconItems(rows *sql.Rows) ([]ReconItem, error) {
	defer rows.Close()
	var out []ReconItem
	for rows.Next() {
		var it ReconItem
		var resolved any
		if err := rows.Scan(&it.ID, &it.ReconciliationID, &it.Kind, &it.MsgID, &it.Ref, &it.OurAmount, &it.TheirAmount, &it.OurDate, &it.TheirDate, &it.Status, &it.Serial,
			&resolved, &it.ResolvedBy, &it.Comment, &it.Party, &it.Day); err != nil {
			return nil, err
		}
		it.Resolved = resolved != nil
		out = append(out, it)
	}
	return out, rows.Err()
}

// Reconciliation reads one reconciliation with its items, differences first.
func (rt *Runtime) Reconciliation(ctx context.Context, id int64) (*Reconciliation, error) {
	p := rt.DB.Placeholder
	rec := &Reconciliation{ID: id}
	var at any
	err := rt.DB.Read.QueryRowContext(ctx, `SELECT party, day, statement, run_at, run_by, matched, differences FROM growth_reconciliations WHERE id = `+p(1), id).
		Scan(&rec.Party, &rec.Day, &rec.Statement, &at, &rec.RunBy, &rec.Matched, &rec.Differences)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFound("对账 #%d", id)
	}
	if err != nil {
		return nil, err
	}
	if rec.RunAt, err = scanTime(at); err != nil {
		return nil, err
	}
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT `+reconItemColumns+` FROM growth_reconciliation_items i JOIN growth_reconciliations r ON r.id = i.reconciliation_id WHERE i.reconciliation_id = `+p(1)+
		` ORDER BY CASE WHEN i.kind = 'matched' THEN 1 ELSE 0 END, i.id`, id)
	if err != nil {
		return nil, err
	}
	rec.Items, err = scanReconItems(rows)
	return rec, err
}

// Reconciliations lists the latest reconciliations (without items), newest
// first.
func (rt *Runtime) Reconciliations(ctx context.Context, limit int) ([]Reconciliation, error) {
	rows, err := rt.DB.Read.QueryContext(ctx, fmt.Sprintf(`SELECT id, party, day, statement, run_at, run_by, matched, differences FROM growth_reconciliations ORDER BY id DESC LIMIT %d`, limit))
	if err != nil {
		return nil, fmt.Errorf("reconciliations: %w", err)
	}
	defer rows.Close()
	var out []Reconciliation
	for rows.Next() {
		var r Reconciliation
		var at any
		if err := rows.Scan(&r.ID, &r.Party, &r.Day, &r.Statement, &at, &r.RunBy, &r.Matched, &r.Differences); err != nil {
			return nil, err
		}
		if r.RunAt, err = scanTime(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// OpenReconDifferences lists the differences no user has resolved yet, of
// every reconciliation, oldest first: the reconciliation inbox.
func (rt *Runtime) OpenReconDifferences(ctx context.Context) ([]ReconItem, error) {
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT `+reconItemColumns+` FROM growth_reconciliation_items i JOIN growth_reconciliations r ON r.id = i.reconciliation_id WHERE i.kind <> 'matched' AND i.resolved_at IS NULL ORDER BY i.id`)
	if err != nil {
		return nil, fmt.Errorf("reconciliation differences: %w", err)
	}
	return scanReconItems(rows)
}

// ResolveReconItem records that a user handled a difference (the party
// corrected its statement, a voucher was sent again …): who, when and the
// comment, which is required, in the audit trail. Nothing else changes.
// Only an administrator, or the platform, may.
func (rt *Runtime) ResolveReconItem(ctx context.Context, actor Actor, id int64, comment string) error {
	comment = strings.TrimSpace(comment)
	if !isSystem(actor) && !slices.Contains(actor.Roles, AdminRole) {
		return Forbidden("只有管理员可以处理对账差异")
	}
	if comment == "" {
		return Invalid("comment", errcode.Required, "处理对账差异须填写处理意见")
	}
	p := rt.DB.Placeholder
	return rt.DB.Tx(ctx, func(tx *sql.Tx) error {
		var kind, msgID string
		var resolved any
		err := tx.QueryRowContext(ctx, `SELECT kind, msg_id, resolved_at FROM growth_reconciliation_items WHERE id = `+p(1), id).Scan(&kind, &msgID, &resolved)
		if errors.Is(err, sql.ErrNoRows) {
			return NotFound("对账差异 #%d", id)
		}
		if err != nil {
			return err
		}
		if kind == ReconMatched {
			return conflict(errcode.Matched, "对账项 #%d 已相符，无须处理", id)
		}
		if resolved != nil {
			return conflict(errcode.Resolved, "对账差异 #%d 已处理", id)
		}
		now := rt.now()
		if _, err := tx.ExecContext(ctx, `UPDATE growth_reconciliation_items SET resolved_at = `+p(1)+`, resolved_by = `+p(2)+`, comment = `+p(3)+` WHERE id = `+p(4),
			rt.DB.timeArg(now), actor.User, comment, id); err != nil {
			return err
		}
		return rt.DB.appendAudit(ctx, tx, AuditEntry{App: exceptionAuditApp, Entity: "reconciliation_items", RecordID: id, Action: "resolve", Actor: actor.User, At: now,
			Changes: map[string][2]any{"resolved": {false, true}, "kind": {kind, kind}, "msg_id": {msgID, msgID}, "_comment": {nil, comment}}, DefVersion: rt.Project.Hash})
	})
}

func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "23505") || strings.Contains(msg, "duplicate key")
}

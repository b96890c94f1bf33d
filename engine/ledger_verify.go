package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/growth-gov/growth/metamodel"
)

// LedgerReport is the outcome of VerifyLedger.
type LedgerReport struct {
	Accounts int
	Rows     int
	// Problems are differences between the kept balances and a replay of the
	// ledger rows, and rows that cannot be; any makes the ledger fail.
	Problems []string
	// Overdrawn lists accounts whose available amount is below zero. Draws
	// with control warn or none may do that on purpose, so it is reported
	// but does not fail verification.
	Overdrawn []string
}

// OK reports whether the balances agree with the ledger.
func (r *LedgerReport) OK() bool { return len(r.Problems) == 0 }

type sourceKey struct {
	app, entity string
	id, version int64
}

// VerifyLedger recomputes every balance from growth_ledger and compares it
// with growth_balances; it also checks that the transfers of each change net
// to zero and that no reserved, consumed or frozen amount is negative.
func (db *DB) VerifyLedger(ctx context.Context) (*LedgerReport, error) {
	kept := map[Account]Amounts{}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT account_app, account_entity, account_id, approved, reserved, consumed, frozen FROM growth_balances`)
	if err != nil {
		return nil, fmt.Errorf("reading balances: %w", err)
	}
	for rows.Next() {
		var a Account
		var am Amounts
		if err := rows.Scan(&a.App, &a.Entity, &a.ID, &am.Approved, &am.Reserved, &am.Consumed, &am.Frozen); err != nil {
			rows.Close()
			return nil, err
		}
		kept[a] = am
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	report := &LedgerReport{}
	replayed := map[Account]*Amounts{}
	transfers := map[sourceKey]int64{}
	rows, err = db.reader(ctx).QueryContext(ctx, `SELECT id, account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version FROM growth_ledger ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, amount int64
		var a Account
		var kind string
		var src sourceKey
		if err := rows.Scan(&id, &a.App, &a.Entity, &a.ID, &kind, &amount, &src.app, &src.entity, &src.id, &src.version); err != nil {
			return nil, err
		}
		report.Rows++
		if _, known := metamodel.LedgerMovementOf(kind); !known {
			report.Problems = append(report.Problems, fmt.Sprintf("ledger row %d: unknown kind %q", id, kind))
			continue
		}
		if amount < 0 {
			report.Problems = append(report.Problems, fmt.Sprintf("ledger row %d: negative amount %s", id, FormatFen(amount)))
		}
		am := replayed[a]
		if am == nil {
			am = &Amounts{}
			replayed[a] = am
		}
		am.add(kind, amount)
		switch kind {
		case KindTransferOut:
			transfers[src] -= amount
		case KindTransferIn:
			transfers[src] += amount
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	var accounts []Account
	for a := range kept {
		accounts = append(accounts, a)
	}
	for a := range replayed {
		if _, ok := kept[a]; !ok {
			accounts = append(accounts, a)
		}
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].less(accounts[j]) })
	report.Accounts = len(accounts)
	for _, a := range accounts {
		name := fmt.Sprintf("%s.%s #%d", a.App, a.Entity, a.ID)
		got, hasKept := kept[a]
		want := replayed[a]
		switch {
		case !hasKept:
			report.Problems = append(report.Problems, fmt.Sprintf("%s: has ledger rows but no balance row", name))
			continue
		case want == nil:
			report.Problems = append(report.Problems, fmt.Sprintf("%s: balance row (approved %s) but no ledger rows", name, FormatFen(got.Approved)))
			continue
		}
		for _, c := range []struct {
			what      string
			kept, sum int64
		}{{"approved", got.Approved, want.Approved}, {"reserved", got.Reserved, want.Reserved}, {"consumed", got.Consumed, want.Consumed}, {"frozen", got.Frozen, want.Frozen}} {
			if c.kept != c.sum {
				report.Problems = append(report.Problems, fmt.Sprintf("%s: %s is %s, the ledger rows add up to %s (difference %s)", name, c.what, FormatFen(c.kept), FormatFen(c.sum), FormatFen(c.kept-c.sum)))
			}
			if c.sum < 0 && c.what != "approved" {
				report.Problems = append(report.Problems, fmt.Sprintf("%s: %s is negative (%s)", name, c.what, FormatFen(c.sum)))
			}
		}
		if got.Available() < 0 {
			report.Overdrawn = append(report.Overdrawn, fmt.Sprintf("%s: available %s", name, FormatFen(got.Available())))
		}
	}
	var unbalanced []string
	for src, net := range transfers {
		if net != 0 {
			unbalanced = append(unbalanced, fmt.Sprintf("%s.%s #%d (version %d): transfers do not net to zero (%s)", src.app, src.entity, src.id, src.version, FormatFen(net)))
		}
	}
	sort.Strings(unbalanced)
	report.Problems = append(report.Problems, unbalanced...)
	return report, nil
}

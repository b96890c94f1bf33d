package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// VerifyLedger verifies the ledger against the definitions and the audit
// trail: the balances against a replay of the ledger rows (DB.VerifyLedger),
// every ledger row against its own hash and against the audit row of the
// change that wrote it, and every row's source: the record and its event
// exist (or the audit trail says the record was deleted), and its entity
// may move money on the row's account.
func (rt *Runtime) VerifyLedger(ctx context.Context) (*LedgerReport, error) {
	ctx, done, err := rt.DB.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	audit, err := rt.DB.VerifyAudit(ctx)
	if err != nil {
		return nil, err
	}
	return rt.verifyLedger(ctx, audit)
}

// ledgerRow is one stored ledger row.
type ledgerRow struct {
	id      int64
	account Account
	kind    string
	amount  int64
	src     ledgerSource
	note    string
	hash    string
}

func (r ledgerRow) String() string {
	return fmt.Sprintf("ledger row %d (%s %s on %s.%s #%d, from %s of %s.%s #%d version %d)", r.id, r.kind, FormatFen(r.amount),
		r.account.App, r.account.Entity, r.account.ID, r.src.event, r.src.app, r.src.entity, r.src.id, r.src.version)
}

func (rt *Runtime) verifyLedger(ctx context.Context, audit *AuditReport) (*LedgerReport, error) {
	report, err := rt.DB.VerifyLedger(ctx)
	if err != nil {
		return nil, err
	}
	before, err := rt.DB.proofMark(ctx, "ledger_before")
	if err != nil {
		return nil, err
	}
	rows, err := rt.DB.reader(ctx).QueryContext(ctx, `SELECT id, account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at, idempotency_key, note, hash FROM growth_ledger ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading ledger: %w", err)
	}
	var all []ledgerRow
	for rows.Next() {
		var r ledgerRow
		var at any
		if err := rows.Scan(&r.id, &r.account.App, &r.account.Entity, &r.account.ID, &r.kind, &r.amount, &r.src.app, &r.src.entity, &r.src.id, &r.src.version,
			&r.src.event, &r.src.actor, &at, &r.src.key, &r.note, &r.hash); err != nil {
			rows.Close()
			return nil, err
		}
		if r.src.at, err = scanTime(at); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Each row's own hash, and the rows of each change against the digest
	// its audit row committed to.
	groups := map[changeKey][]ledgerRow{}
	var keys []changeKey
	markMoved := false
	for _, r := range all {
		if r.id <= before {
			if r.hash != "" && !markMoved && verifyChecks.content {
				// Old rows carry no hash: the mark was moved over new ones.
				report.Problems = append(report.Problems, fmt.Sprintf("proof mark ledger_before is %d, but %s was written with the wider proof (the mark was moved by hand)", before, r))
				markMoved = true
			}
			continue // written before the wider proof: replayed and source-checked only
		}
		if verifyChecks.content && ledgerRowHash(r.account, r.kind, r.amount, r.src, r.src.at, r.note) != r.hash {
			report.Problems = append(report.Problems, r.String()+": its content no longer matches its hash (edited by hand)")
		}
		k := changeKey{r.src.app, r.src.entity, r.src.id, r.src.version, r.src.event}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	if verifyChecks.images {
		for _, k := range keys {
			g := groups[k]
			hashes := make([]string, len(g))
			for i, r := range g {
				hashes[i] = r.hash
			}
			c, ok := audit.commits[k]
			switch {
			case !ok:
				report.Problems = append(report.Problems, fmt.Sprintf("%s: no audit row records the change it names (forged)", describeRows(g)))
			case ledgerDigest(hashes) != c.digest:
				report.Problems = append(report.Problems, fmt.Sprintf("%s: audit row %d (%s of %s.%s #%d, version %d) committed to %s ledger row(s), these %d differ from them (a ledger row of this change was edited, added or deleted by hand)",
					describeRows(g), c.auditID, k.event, k.app, k.entity, k.id, k.version, digestCount(c.digest), len(g)))
			}
		}
		var gone []string
		for k, c := range audit.commits {
			if c.digest != "" && groups[k] == nil {
				gone = append(gone, fmt.Sprintf("audit row %d (%s of %s.%s #%d, version %d) committed to %s ledger row(s), none is left (deleted by hand)", c.auditID, k.event, k.app, k.entity, k.id, k.version, digestCount(c.digest)))
			}
		}
		sort.Strings(gone)
		report.Problems = append(report.Problems, gone...)
	}
	if verifyChecks.ledgerSources {
		problems, err := rt.checkLedgerSources(ctx, audit, all)
		if err != nil {
			return nil, err
		}
		report.Problems = append(report.Problems, problems...)
	}
	return report, nil
}

// describeRows names the ledger rows of one change.
func describeRows(g []ledgerRow) string {
	if len(g) == 1 {
		return g[0].String()
	}
	parts := make([]string, len(g))
	for i, r := range g {
		parts[i] = fmt.Sprintf("%d (%s %s on %s.%s #%d)", r.id, r.kind, FormatFen(r.amount), r.account.App, r.account.Entity, r.account.ID)
	}
	r := g[0]
	return fmt.Sprintf("ledger rows %s, from %s of %s.%s #%d version %d", strings.Join(parts, ", "), r.src.event, r.src.app, r.src.entity, r.src.id, r.src.version)
}

// digestCount is the row count of a ledger digest ("0" for none).
func digestCount(digest string) string {
	if n, _, ok := strings.Cut(digest, ":"); ok {
		return n
	}
	return "0"
}

// checkLedgerSources checks that every ledger row's source record and event
// exist and that its entity may move money on the row's account.
func (rt *Runtime) checkLedgerSources(ctx context.Context, audit *AuditReport, all []ledgerRow) ([]string, error) {
	ids := map[string]map[int64]bool{}
	exists := func(app, entity string, id int64) (bool, error) {
		s := rt.stores[app+"."+entity]
		if s == nil {
			return false, nil
		}
		set := ids[app+"."+entity]
		if set == nil {
			set = map[int64]bool{}
			rows, err := rt.DB.reader(ctx).QueryContext(ctx, "SELECT "+rt.DB.Quote("id")+" FROM "+rt.DB.Quote(s.table))
			if err != nil {
				return false, fmt.Errorf("reading %s: %w", s.table, err)
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return false, err
				}
				set[id] = true
			}
			rows.Close()
			ids[app+"."+entity] = set
		}
		return set[id], nil
	}
	var out []string
	for _, r := range all {
		s := rt.stores[r.src.app+"."+r.src.entity]
		if s == nil {
			out = append(out, fmt.Sprintf("%s: its source %s.%s is not an entity of the definitions", r, r.src.app, r.src.entity))
			continue
		}
		if !slices.Contains(ledgerTargets(s), r.account.App+"."+r.account.Entity) {
			out = append(out, fmt.Sprintf("%s: %s does not move money on %s.%s in the definitions", r, s.entity.QualifiedName(), r.account.App, r.account.Entity))
			continue
		}
		tr := audit.trails[recordKey{r.src.app, r.src.entity, r.src.id}]
		ok, err := exists(r.src.app, r.src.entity, r.src.id)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok && (tr == nil || !tr.deleted):
			out = append(out, fmt.Sprintf("%s: its source record %s.%s #%d does not exist", r, r.src.app, r.src.entity, r.src.id))
			continue
		case tr == nil || !tr.events[r.src.event]:
			out = append(out, fmt.Sprintf("%s: the audit trail of %s.%s #%d has no %s", r, r.src.app, r.src.entity, r.src.id, r.src.event))
			continue
		}
		ok, err = exists(r.account.App, r.account.Entity, r.account.ID)
		if err != nil {
			return nil, err
		}
		if atr := audit.trails[recordKey{r.account.App, r.account.Entity, r.account.ID}]; !ok && (atr == nil || !atr.deleted) {
			out = append(out, fmt.Sprintf("%s: its account %s.%s #%d does not exist", r, r.account.App, r.account.Entity, r.account.ID))
		}
	}
	return out, nil
}

// ledgerTargets lists the entities ("app.entity") whose accounts records of
// s may move: its own (balance), those it draws on and the one it adjusts.
func ledgerTargets(s *entityStore) []string {
	e := s.entity
	var out []string
	if e.Balance != nil {
		out = append(out, e.QualifiedName())
	}
	for _, d := range e.Draws {
		out = append(out, d.Target.QualifiedName())
	}
	if e.Adjusts != nil {
		out = append(out, e.Adjusts.Target.QualifiedName())
	}
	return out
}

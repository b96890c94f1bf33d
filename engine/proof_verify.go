package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ProofReport is the outcome of VerifyProof: the audit chains, and the
// business rows, ledger rows and balances checked against them.
type ProofReport struct {
	Audit *AuditReport
	// Records is how many stored records were checked; Legacy how many of
	// them were last written before the wider proof (checked field by field
	// against their audit trail's changes, without an after-image).
	Records, Legacy int
	Ledger          *LedgerReport
	// Problems name each record that differs from its audit trail.
	Problems []string
}

// OK reports whether everything verified.
func (r *ProofReport) OK() bool {
	return r.Audit.OK() && r.Ledger.OK() && len(r.Problems) == 0
}

// VerifyProof verifies the audit chains, then re-hashes every stored record
// against the last audit row that wrote it, and verifies the ledger
// (VerifyLedger): every difference is named by table, id and what differs.
func (rt *Runtime) VerifyProof(ctx context.Context) (*ProofReport, error) {
	ctx, done, err := rt.DB.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	audit, err := rt.DB.VerifyAudit(ctx)
	if err != nil {
		return nil, err
	}
	report := &ProofReport{Audit: audit}
	if err := rt.verifyRecords(ctx, audit, report); err != nil {
		return nil, err
	}
	if report.Ledger, err = rt.verifyLedger(ctx, audit); err != nil {
		return nil, err
	}
	return report, nil
}

// storesInOrder lists the entity stores by qualified name.
func (rt *Runtime) storesInOrder() []*entityStore {
	names := make([]string, 0, len(rt.stores))
	for n := range rt.stores {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*entityStore, len(names))
	for i, n := range names {
		out[i] = rt.stores[n]
	}
	return out
}

func (rt *Runtime) verifyRecords(ctx context.Context, audit *AuditReport, report *ProofReport) error {
	for _, s := range rt.storesInOrder() {
		e := s.entity
		app, entity := e.App.Name, e.Name
		name := fmt.Sprintf("%s.%s", app, entity)
		rows, err := rt.DB.reader(ctx).QueryContext(ctx, s.selectSQL+" ORDER BY "+rt.DB.Quote("id"))
		if err != nil {
			return fmt.Errorf("reading %s: %w", s.table, err)
		}
		seen := map[int64]bool{}
		for rows.Next() {
			rec, err := s.scan(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("reading %s: %w", s.table, err)
			}
			seen[rec.ID] = true
			report.Records++
			if !verifyChecks.images {
				continue
			}
			where := fmt.Sprintf("%s #%d (table %s)", name, rec.ID, s.table)
			tr := audit.trails[recordKey{app, entity, rec.ID}]
			switch {
			case tr == nil || tr.lastID == 0:
				report.Problems = append(report.Problems, where+": no audit row records this record (inserted by hand)")
				continue
			case tr.deleted:
				report.Problems = append(report.Problems, fmt.Sprintf("%s: its audit trail deleted it (audit row %d), but the table holds a row with this id (put back by hand)", where, tr.lastID))
				continue
			}
			if tr.lastProof == proofFull {
				if s.recordImage(rec) == tr.lastImage {
					continue
				}
			} else {
				report.Legacy++
			}
			diffs := s.trailDiffs(tr, rec)
			if len(diffs) == 0 {
				if tr.lastProof != proofFull {
					continue
				}
				diffs = []string{"no field differs, so a system column (created_by, created_at, updated_at or def_version) was changed"}
			}
			report.Problems = append(report.Problems, fmt.Sprintf("%s differs from its audit trail (last written by %s, audit row %d): %s", where, tr.lastAction, tr.lastID, strings.Join(diffs, "; ")))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if !verifyChecks.images {
			continue
		}
		var missing []string
		for k, tr := range audit.trails {
			if k.app != app || k.entity != entity || tr.lastID == 0 || tr.deleted || seen[k.id] {
				continue
			}
			missing = append(missing, fmt.Sprintf("%s #%d (table %s): the row is missing, but its audit trail has no delete (last written by %s, audit row %d): deleted by hand", name, k.id, s.table, tr.lastAction, tr.lastID))
		}
		sort.Strings(missing)
		report.Problems = append(report.Problems, missing...)
	}
	return nil
}

// trailDiffs lists what of rec differs from what its audit trail's changes
// left: each field, the state and, in the full form, the version.
func (s *entityStore) trailDiffs(tr *recordTrail, rec *Record) []string {
	var out []string
	for _, f := range s.fields {
		var cur any
		if v := rec.Values[f.Name]; v != nil {
			cur = f.Kind.JSON(f, v)
		}
		got, _ := json.Marshal(cur)
		want, ok := tr.values[f.Name]
		if !ok {
			want = json.RawMessage("null")
		}
		if string(got) != string(want) {
			out = append(out, fmt.Sprintf("%s is %s, the audit trail says %s", f.Name, got, want))
		}
	}
	if s.hasState {
		want := s.entity.Workflow.Initial
		if tr.hasState {
			want = tr.state
		}
		if rec.State != want {
			out = append(out, fmt.Sprintf("state is %q, the audit trail says %q", rec.State, want))
		}
	}
	if tr.lastProof == proofFull && rec.Version != tr.lastVersion {
		out = append(out, fmt.Sprintf("version is %d, the audit trail says %d", rec.Version, tr.lastVersion))
	}
	return out
}

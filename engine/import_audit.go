package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// appendAuditBatch appends entries, in order, to their chains inside tx on
// PostgreSQL, with the same rows and hashes appendAudit would write one by
// one: every chain's head is created if missing and locked once (in chain
// order, so that two batches never wait on each other crosswise), the rows
// are copied, and every head moves once to its chain's last row. changes[i]
// is entries[i].Changes as JSON (so that callers may work it out ahead);
// the chains are hashed side by side, each in order.
func (db *DB) appendAuditBatch(ctx context.Context, tx *sql.Tx, copyFrom copyFunc, entries []AuditEntry, changes []string) error {
	if len(entries) == 0 {
		return nil
	}
	type head struct {
		seq  int64
		hash string
		rows []int // the entries of the chain, in order
	}
	heads := map[string]*head{}
	chainOf := make([]string, len(entries))
	var chains []string
	for i, e := range entries {
		chainOf[i] = AuditChain(e.App, e.Entity, e.RecordID)
		h := heads[chainOf[i]]
		if h == nil {
			h = &head{}
			heads[chainOf[i]] = h
			chains = append(chains, chainOf[i])
		}
		h.rows = append(h.rows, i)
	}
	slices.Sort(chains)
	if _, err := tx.ExecContext(ctx, `INSERT INTO growth_audit_heads (chain, chain_seq, hash) SELECT c, 0, $2 FROM unnest($1::text[]) AS c ORDER BY c ON CONFLICT (chain) DO NOTHING`,
		chains, genesisHash); err != nil {
		return fmt.Errorf("audit heads: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT chain, chain_seq, hash FROM growth_audit_heads WHERE chain = ANY($1) ORDER BY chain FOR UPDATE`, chains)
	if err != nil {
		return fmt.Errorf("audit heads: %w", err)
	}
	locked := 0
	for rows.Next() {
		var chain string
		h := &head{}
		if err := rows.Scan(&chain, &h.seq, &h.hash); err != nil {
			rows.Close()
			return fmt.Errorf("audit heads: %w", err)
		}
		heads[chain].seq, heads[chain].hash = h.seq, h.hash
		locked++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit heads: %w", err)
	}
	if locked != len(chains) {
		return fmt.Errorf("audit heads: locked %d of %d chains", locked, len(chains))
	}

	out := make([][]any, len(entries))
	_ = inParallel(len(chains), 1, func(lo, hi int) error {
		for _, chain := range chains[lo:hi] {
			h := heads[chain]
			for _, i := range h.rows {
				e := entries[i]
				at := e.At.UTC().Truncate(time.Microsecond)
				seq := h.seq + 1
				ledger := ledgerDigest(e.Ledger)
				hash := auditHashFull(chain, seq, at.Format(sqliteTime), e.Actor, e.App, e.Entity, e.RecordID, e.Action, changes[i], e.DefVersion, h.hash, e.Version, e.Image, ledger)
				out[i] = []any{chain, seq, at, e.Actor, e.App, e.Entity, e.RecordID, e.Action, changes[i], e.DefVersion, h.hash, hash, proofFull, e.Version, e.Image, ledger}
				h.seq, h.hash = seq, hash
			}
		}
		return nil
	})
	if _, err := copyFrom("growth_audit", []string{"chain", "chain_seq", "at", "actor", "app", "entity", "record_id", "action", "changes", "def_version", "prev_hash", "hash", "proof", "record_version", "image", "ledger"},
		pgx.CopyFromRows(out)); err != nil {
		return fmt.Errorf("audit rows: %w", err)
	}
	seqs := make([]int64, len(chains))
	hashes := make([]string, len(chains))
	for i, c := range chains {
		seqs[i], hashes[i] = heads[c].seq, heads[c].hash
	}
	if _, err := tx.ExecContext(ctx, `UPDATE growth_audit_heads AS h SET chain_seq = v.seq, hash = v.hash
FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(chain, seq, hash) WHERE h.chain = v.chain`, chains, seqs, hashes); err != nil {
		return fmt.Errorf("audit heads: %w", err)
	}
	return nil
}

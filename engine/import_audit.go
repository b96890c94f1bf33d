package engine

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

// appendAuditBatch appends entries, in order, to their chains inside tx on
// PostgreSQL, with the same rows and hashes appendAudit would write one by
// one: every chain's head is created if missing and locked once (in chain
// order, so that two batches never wait on each other crosswise), the rows
// are copied, and every head moves once to its chain's last row. changes[i]
// is entries[i].Changes as JSON (so that callers may work it out ahead);
// the chains are hashed side by side, each in order, while the rows stream
// to the database in PostgreSQL's binary COPY format, chain after chain.
func (db *DB) appendAuditBatch(ctx context.Context, tx *sql.Tx, copyRaw copyRawFunc, entries []AuditEntry, changes []string) error {
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

	// Each chain is hashed in order, its rows written as binary COPY data,
	// the chains side by side; the COPY sends each chain's rows as soon as
	// they are ready, so PostgreSQL inserts while the next are hashed.
	stream := newCopyStream(len(chains))
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		_ = inParallel(len(chains), 1, func(lo, hi int) error {
			var scratch []byte
			var times timeText
			for k := lo; k < hi; k++ {
				chain := chains[k]
				h := heads[chain]
				size := 0
				for _, i := range h.rows {
					e := entries[i]
					// 16 lengths, 6 bigints, the hashes and ledger digest, the texts
					size += 2 + 16*4 + 6*8 + 3*64 + 72 + len(chain) + len(e.Actor) + len(e.App) + len(e.Entity) + len(e.Action) + len(changes[i]) + len(e.DefVersion) + len(e.Image)
				}
				out := make([]byte, 0, size)
				for _, i := range h.rows {
					e := entries[i]
					at := e.At.UTC().Truncate(time.Microsecond)
					seq := h.seq + 1
					ledger := ledgerDigest(e.Ledger)
					var hash string
					hash, scratch = auditRowHash(scratch, chain, seq, times.text(at), e.Actor, e.App, e.Entity, e.RecordID, e.Action, changes[i], e.DefVersion, h.hash, e.Version, e.Image, ledger)
					out = appendAuditCopyRow(out, chain, seq, at, e.Actor, e.App, e.Entity, e.RecordID, e.Action, changes[i], e.DefVersion, h.hash, hash, proofFull, e.Version, e.Image, ledger)
					h.seq, h.hash = seq, hash
				}
				stream.ready(k, out)
				runtime.Gosched() // the COPY's writes wait for a CPU (validateRows)
			}
			return nil
		})
	}()
	_, err = copyRaw(`COPY growth_audit (chain, chain_seq, at, actor, app, entity, record_id, action, changes, def_version, prev_hash, hash, proof, record_version, image, ledger) FROM STDIN (FORMAT binary)`, stream)
	<-hashed
	if err != nil {
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

// copyStream is binary COPY data (PostgreSQL's "binary" COPY format: a
// header, then per row the number of columns and each column's length and
// bytes, then a trailer) made of chunks of rows, read in order as each is
// ready: the COPY sends the first rows while later ones are still being
// worked out. A chunk given up (abort) ends the data with errImportAbort,
// which makes the COPY fail.
type copyStream struct {
	chunks  [][]byte
	aborted []bool
	done    []chan struct{}
	next    int    // the chunk to read next
	cur     []byte // what is left of the one being read
	state   int    // 0 header, 1 rows, 2 trailer, 3 end, 4 aborted
	// onChunk, if set, is called as chunk k is passed on, one call at a time.
	onChunk func(k int)
}

// pgCopyHeader starts binary COPY data: the signature, flags, no extension.
var pgCopyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func newCopyStream(n int) *copyStream {
	s := &copyStream{chunks: make([][]byte, n), aborted: make([]bool, n), done: make([]chan struct{}, n)}
	for i := range s.done {
		s.done[i] = make(chan struct{})
	}
	s.cur = pgCopyHeader
	return s
}

// ready hands over the rows of chunk k; once only, or abort.
func (s *copyStream) ready(k int, rows []byte) {
	s.chunks[k] = rows
	close(s.done[k])
}

// abort gives chunk k up, and so the COPY.
func (s *copyStream) abort(k int) {
	s.aborted[k] = true
	close(s.done[k])
}

func (s *copyStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.cur) > 0 {
			c := copy(p[n:], s.cur)
			s.cur = s.cur[c:]
			n += c
			continue
		}
		switch {
		case s.state == 0 || s.state == 1 && s.next < len(s.chunks):
			s.state = 1
			if n > 0 {
				// Send what is there before waiting for the next chunk.
				select {
				case <-s.done[s.next]:
				default:
					return n, nil
				}
			}
			<-s.done[s.next]
			if s.aborted[s.next] {
				s.state = 4
				return n, errImportAbort
			}
			s.cur = s.chunks[s.next]
			if s.onChunk != nil {
				s.onChunk(s.next)
			}
			s.next++
		case s.state == 1:
			s.state, s.cur = 2, []byte{0xff, 0xff}
		case s.state == 2 || s.state == 3:
			s.state = 3
			return n, io.EOF
		default:
			return n, errImportAbort
		}
	}
	return n, nil
}

// appendAuditCopyRow appends one audit row in binary COPY form, the columns
// in the order of appendAuditBatch's COPY: text as its bytes, bigint as 8
// bytes, timestamptz as microseconds since 2000-01-01 UTC in 8 bytes.
func appendAuditCopyRow(b []byte, chain string, seq int64, at time.Time, actor, app, entity string, recordID int64, action, changes, defVersion, prev, hash string, proof int64, version int64, image, ledger string) []byte {
	b = binary.BigEndian.AppendUint16(b, 16)
	text := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	bigint := func(v int64) {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	text(chain)
	bigint(seq)
	bigint(at.UnixMicro() - pgEpochMicros)
	text(actor)
	text(app)
	text(entity)
	bigint(recordID)
	text(action)
	text(changes)
	text(defVersion)
	text(prev)
	text(hash)
	bigint(proof)
	bigint(version)
	text(image)
	text(ledger)
	return b
}

// pgEpochMicros is 2000-01-01 00:00:00 UTC, PostgreSQL's epoch, in Unix
// microseconds.
const pgEpochMicros = 946684800 * 1000000

package engine

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine/keys"
)

// An anchor is a checkpoint of the audit trail kept outside the database: the
// head (sequence and hash) of every chain and where the wider proof began,
// signed with the platform's key. Someone who can write the database can cut
// the end off a chain and set its head back, or rewrite the rows after a
// point and recompute every hash; they cannot change an anchor already
// written elsewhere, nor sign a new one without the private key. Verifying
// with anchors proves every chain still passes through each anchored head.

// Anchor is one checkpoint, as written to ANCHOR-DIR/anchor-TIME.json.
type Anchor struct {
	Format   int                  `json:"format"`
	At       time.Time            `json:"at"`
	Database string               `json:"database"`
	Heads    map[string]ChainHead `json:"heads"`
	Marks    map[string]int64     `json:"marks"`
	// KeyKind (ed25519 or sm2) and KeyFingerprint (the SHA-256 of the
	// public key's PKIX form, as growth keys show prints it) name the key
	// that signed the anchor.
	KeyKind        string `json:"key_kind"`
	KeyFingerprint string `json:"key_fingerprint"`
	Signature      string `json:"signature,omitempty"`
}

// signedBytes is what the signature covers: the anchor without it.
func (a Anchor) signedBytes() []byte {
	a.Signature = ""
	b, _ := json.Marshal(a)
	return b
}

// proofMarks reads every proof mark.
func (db *DB) proofMarks(ctx context.Context) (map[string]int64, error) {
	marks := map[string]int64{}
	for _, name := range []string{"audit_before", "ledger_before"} {
		v, err := db.proofMark(ctx, name)
		if err != nil {
			return nil, err
		}
		marks[name] = v
	}
	return marks, nil
}

// WriteAnchor verifies the audit chains, then signs their heads with signer
// (the platform's own key, of either kind) and writes the anchor to a new file in dir. It refuses to anchor a broken
// trail: the anchor would vouch for it.
func (db *DB) WriteAnchor(ctx context.Context, dir string, signer *keys.PrivateKey, now time.Time) (string, *Anchor, error) {
	ctx, done, err := db.snapshot(ctx)
	if err != nil {
		return "", nil, err
	}
	defer done()
	report, err := db.VerifyAudit(ctx)
	if err != nil {
		return "", nil, err
	}
	if !report.OK() {
		return "", nil, fmt.Errorf("the audit trail does not verify, so it is not anchored:\n  %s", strings.Join(report.Broken, "\n  "))
	}
	marks, err := db.proofMarks(ctx)
	if err != nil {
		return "", nil, err
	}
	pub := signer.Public()
	a := &Anchor{Format: 1, At: now.UTC().Truncate(time.Second), Database: db.Name, Heads: report.Heads, Marks: marks, KeyKind: string(pub.Kind()), KeyFingerprint: pub.Fingerprint()}
	sig, err := signer.Sign(a.signedBytes())
	if err != nil {
		return "", nil, fmt.Errorf("signing the anchor: %w", err)
	}
	a.Signature = base64.StdEncoding.EncodeToString(sig)
	out, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	// anchor-TIME.json, or anchor-TIME-N.json for a second one in the same
	// second: an anchor file is never overwritten.
	var path string
	var f *os.File
	for n := 1; ; n++ {
		path = filepath.Join(dir, "anchor-"+a.At.Format("20060102T150405Z")+".json")
		if n > 1 {
			path = filepath.Join(dir, fmt.Sprintf("anchor-%s-%d.json", a.At.Format("20060102T150405Z"), n))
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || n > 100 {
			return "", nil, fmt.Errorf("writing the anchor: %w", err)
		}
	}
	if _, err := f.Write(append(out, '\n')); err != nil {
		f.Close()
		return "", nil, err
	}
	return path, a, f.Close()
}

// AnchorReport is the outcome of VerifyAnchors.
type AnchorReport struct {
	Anchors int
	// Problems name each anchor that does not hold.
	Problems []string
}

// OK reports whether every anchor holds.
func (r *AnchorReport) OK() bool { return len(r.Problems) == 0 }

// VerifyAnchors checks every anchor file in dir: signed by one of the
// trusted public keys (the one of the kind and fingerprint the anchor
// names), and every
// chain it names still holds the anchored row at the anchored sequence
// (with the chains themselves verified by VerifyAudit, that row's hash
// links every later row to it). Proof marks must not have moved.
func (db *DB) VerifyAnchors(ctx context.Context, dir string, trusted ...*keys.PublicKey) (*AnchorReport, error) {
	ctx, done, err := db.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	files, err := filepath.Glob(filepath.Join(dir, "anchor-*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	report := &AnchorReport{}
	if len(files) == 0 {
		report.Problems = append(report.Problems, fmt.Sprintf("no anchor files (anchor-*.json) in %s", dir))
		return report, nil
	}
	marks, err := db.proofMarks(ctx)
	if err != nil {
		return nil, err
	}
	hashAt := `SELECT hash FROM growth_audit WHERE chain = ` + db.Placeholder(1) + ` AND chain_seq = ` + db.Placeholder(2)
	lastSeq := `SELECT COALESCE(MAX(chain_seq), 0) FROM growth_audit WHERE chain = ` + db.Placeholder(1)
	for _, path := range files {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var a Anchor
		if err := json.Unmarshal(data, &a); err != nil {
			report.Problems = append(report.Problems, fmt.Sprintf("%s: not an anchor: %v", name, err))
			continue
		}
		report.Anchors++
		sig, err := base64.StdEncoding.DecodeString(a.Signature)
		var pub *keys.PublicKey
		for _, k := range trusted {
			if string(k.Kind()) == a.KeyKind && k.Fingerprint() == a.KeyFingerprint {
				pub = k
			}
		}
		switch {
		case pub == nil:
			report.Problems = append(report.Problems, fmt.Sprintf("%s: signed by %s key %s, not by the platform's key (%s)", name, a.KeyKind, a.KeyFingerprint, describeKeys(trusted)))
			continue
		case err != nil || !pub.Verify(a.signedBytes(), sig):
			report.Problems = append(report.Problems, fmt.Sprintf("%s: the signature does not match its content (the file was changed)", name))
			continue
		}
		for mark, v := range a.Marks {
			if marks[mark] != v {
				report.Problems = append(report.Problems, fmt.Sprintf("%s: proof mark %s was %d when anchored, now %d (changed by hand)", name, mark, v, marks[mark]))
			}
		}
		chains := make([]string, 0, len(a.Heads))
		for c := range a.Heads {
			chains = append(chains, c)
		}
		sort.Strings(chains)
		for _, chain := range chains {
			h := a.Heads[chain]
			if h.Seq == 0 {
				continue
			}
			var hash string
			err := db.reader(ctx).QueryRowContext(ctx, hashAt, chain, h.Seq).Scan(&hash)
			if errors.Is(err, sql.ErrNoRows) {
				var last int64
				if err := db.reader(ctx).QueryRowContext(ctx, lastSeq, chain).Scan(&last); err != nil {
					return nil, err
				}
				report.Problems = append(report.Problems, fmt.Sprintf("chain %s: anchored at sequence %d (%s, %s), but the chain now ends at sequence %d: rows were cut off the end", chain, h.Seq, name, a.At.Format(time.RFC3339), last))
				continue
			}
			if err != nil {
				return nil, err
			}
			if hash != h.Hash {
				report.Problems = append(report.Problems, fmt.Sprintf("chain %s: the row at sequence %d is not the one anchored (%s, %s): the chain was rewritten", chain, h.Seq, name, a.At.Format(time.RFC3339)))
			}
		}
	}
	return report, nil
}

// describeKeys names keys by kind and fingerprint, for a message.
func describeKeys(ks []*keys.PublicKey) string {
	if len(ks) == 0 {
		return "no public key given"
	}
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = string(k.Kind()) + " " + k.Fingerprint()
	}
	return strings.Join(names, ", ")
}

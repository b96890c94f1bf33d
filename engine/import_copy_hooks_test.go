package engine

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// SetImportCopy turns the COPY path of imports on PostgreSQL on or off until
// the returned function restores it, so that tests can write the same file
// row by row and compare.
func SetImportCopy(on bool) (restore func()) {
	old := importCopyEnabled
	importCopyEnabled = on
	return func() { importCopyEnabled = old }
}

// ObserveImportTx calls begun with each COPY transaction of an import as it
// begins, and what begun returns once that transaction has ended, until the
// returned function restores the previous observer.
func ObserveImportTx(begun func(tx *sql.Tx) (ended func())) (restore func()) {
	old := copyTxObserver
	copyTxObserver = begun
	return func() { copyTxObserver = old }
}

// CompareCreatedAudit works out the audit changes and images of recs, records
// of app.entity, as an import does (import_canonical.go), as a create does
// (recordImage) and as json.Marshal wrote them when the rows of years ago
// were written (imageByMarshal), and says where they differ.
func CompareCreatedAudit(rt *Runtime, app, entity string, recs []*Record) error {
	s, err := rt.store(app, entity)
	if err != nil {
		return err
	}
	v := &rowValidation{records: recs, refused: make([]*ValidationError, len(recs)), done: make(chan struct{})}
	ids := make([]int64, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
		if i%validateChunk == 0 {
			v.chunks = append(v.chunks, make(chan struct{}))
			close(v.chunks[len(v.chunks)-1])
		}
	}
	close(v.done)
	changes, images := make([]string, len(recs)), make([]string, len(recs))
	if err := s.createdAudit(v, ids, changes, images, nil); err != nil {
		return err
	}
	for i, rec := range recs {
		want, err := json.Marshal(diffValues(s.entity, nil, rec.Values))
		if err != nil {
			return err
		}
		if changes[i] != string(want) {
			return fmt.Errorf("record %d: changes\n%s\nwant\n%s", rec.ID, changes[i], want)
		}
		image := imageByMarshal(s, rec)
		if images[i] != image {
			return fmt.Errorf("record %d: image %s, want %s", rec.ID, images[i], image)
		}
		if got := s.recordImage(rec); got != image {
			return fmt.Errorf("record %d: a create's image %s, want %s", rec.ID, got, image)
		}
	}
	return nil
}

// imageByMarshal is recordImage as it was first written, through
// json.Marshal of a slice and a map: the reference the direct writer must
// match byte for byte.
func imageByMarshal(s *entityStore, rec *Record) string {
	fields := make(map[string]any, len(s.fields))
	for _, f := range s.fields {
		if v := rec.Values[f.Name]; v != nil {
			fields[f.Name] = f.Kind.JSON(f, v)
		}
	}
	text, _ := json.Marshal([]any{rec.App, rec.Entity, rec.ID, rec.Version, rec.State, rec.CreatedBy,
		imageTime(rec.CreatedAt), imageTime(rec.UpdatedAt), rec.DefVersion, fields})
	return hashHex(text)
}

// CanonicalJSON is v as the import's audit rows write it (AppendJSONValue).
func CanonicalJSON(v any) (string, error) {
	b, err := AppendJSONValue(nil, v)
	return string(b), err
}

// CompareAuditRowHash hashes an audit row as an import and a create do
// (auditRowHash, auditHashFull) and as json.Marshal wrote its parts when the
// rows of years ago were written, and says whether they differ.
func CompareAuditRowHash(chain string, seq int64, at time.Time, actor, app, entity string, recordID int64, action, changes, defVersion, prev string, version int64, image, ledger string) error {
	text := imageTime(at)
	got, _ := auditRowHash(nil, chain, seq, text, actor, app, entity, recordID, action, changes, defVersion, prev, version, image, ledger)
	parts, _ := json.Marshal([]any{chain, seq, text, actor, app, entity, recordID, action, changes, defVersion, prev, proofFull, version, image, ledger})
	want := hashHex(parts)
	if got != want {
		return fmt.Errorf("hash %s, want %s", got, want)
	}
	if full := auditHashFull(chain, seq, text, actor, app, entity, recordID, action, changes, defVersion, prev, version, image, ledger); full != want {
		return fmt.Errorf("a create's hash %s, want %s", full, want)
	}
	return nil
}

package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// The audit rows of an import say of each record what a create's audit row
// says: its changes as JSON (diffValues, marshalled), the image of its row
// (recordImage) and the row's hash (auditHashFull). Those marshal maps and
// slices of any through reflection, which was a third of an import's CPU;
// here the same bytes are appended directly. Only what encoding/json would
// write differently from the simple forms below (floats, and any type other
// than strings, integers and booleans) goes through json.Marshal, inside the
// hand-written text, where it writes the same as it would nested.
// import_canonical_test.go compares both with the originals over every kind
// of field and the strings that encoding/json escapes.

// createdAuditWriter works out the audit rows' changes and images of
// records created in one import, the same as diffValues(e, nil, values)
// marshalled and recordImage.
type createdAuditWriter struct {
	s     *entityStore
	vals  []any // each field's JSON value of the record at hand
	has   []bool
	buf   []byte
	times [2]timeText
}

func newCreatedAuditWriter(s *entityStore) *createdAuditWriter {
	return &createdAuditWriter{s: s, vals: make([]any, len(s.fields)), has: make([]bool, len(s.fields))}
}

// write returns rec's changes as JSON and the image of its row.
func (w *createdAuditWriter) write(rec *Record) (changes, image string, err error) {
	for i, f := range w.s.fields {
		w.vals[i], w.has[i] = nil, false
		if v := rec.Values[f.Name]; v != nil {
			w.vals[i], w.has[i] = f.Kind.JSON(f, v), true
		}
	}
	// {"field":[null,value],…} of the fields with a value, by name.
	b := append(w.buf[:0], '{')
	first := true
	for _, i := range w.s.byName {
		if w.vals[i] == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = AppendJSONString(b, w.s.fields[i].Name)
		b = append(b, ":[null,"...)
		if b, err = AppendJSONValue(b, w.vals[i]); err != nil {
			return "", "", fmt.Errorf("audit changes: %w", err)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	changes = string(b)

	b, err = w.s.appendImage(b[:0], rec, w.vals, w.has, w.times[0].text(rec.CreatedAt), w.times[1].text(rec.UpdatedAt))
	if err != nil {
		b = b[:0] // recordImage hashes what json.Marshal returned: nothing
	}
	w.buf = b
	return changes, hashHex(b), nil
}

// timeText is imageTime of the last time asked for, kept: the records of
// an import share their times.
type timeText struct {
	t    time.Time
	last string
}

func (c *timeText) text(t time.Time) string {
	if c.last == "" || !t.Equal(c.t) {
		c.t, c.last = t, imageTime(t)
	}
	return c.last
}

// hashHex is the SHA-256 of b in hex.
func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendRecordCopyRow appends rec, whose id is id, as a row of s's table in
// binary COPY form, the columns in the order of copyColumns: what toDB
// gives each value, in PostgreSQL's binary form of the column's type (text
// and varchar as their bytes, bigint in 8 bytes, boolean in 1, date as days
// and timestamptz as microseconds since 2000-01-01).
func appendRecordCopyRow(b []byte, s *entityStore, id int64, rec *Record) ([]byte, error) {
	n := 6 + len(s.fields)
	if s.hasState {
		n++
	}
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = appendCopyInt(b, id)
	b = appendCopyInt(b, rec.Version)
	b = appendCopyText(b, rec.CreatedBy)
	b = appendCopyTime(b, rec.CreatedAt)
	b = appendCopyTime(b, rec.UpdatedAt)
	b = appendCopyText(b, rec.DefVersion)
	if s.hasState {
		b = appendCopyText(b, rec.State)
	}
	for i, f := range s.fields {
		var err error
		if b, err = appendCopyValue(b, s.columns[i], rec.Values[f.Name]); err != nil {
			return b, fmt.Errorf("import copy: field %s: %w", f.Name, err)
		}
	}
	return b, nil
}

// copyColumns are the columns of s's table that appendRecordCopyRow writes.
func (s *entityStore) copyColumns() []string {
	cols := slices.Clone(systemColumns)
	if s.hasState {
		cols = append(cols, "state")
	}
	for _, f := range s.fields {
		cols = append(cols, f.Name)
	}
	return cols
}

func appendCopyInt(b []byte, v int64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

func appendCopyText(b []byte, v string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

func appendCopyTime(b []byte, t time.Time) []byte {
	return appendCopyInt(b, t.UTC().Truncate(time.Microsecond).UnixMicro()-pgEpochMicros)
}

// appendCopyValue appends v, a canonical value of a field stored as c.
func appendCopyValue(b []byte, c metamodel.Column, v any) ([]byte, error) {
	if v == nil {
		return binary.BigEndian.AppendUint32(b, 0xffffffff), nil // NULL
	}
	switch c.Kind {
	case metamodel.ColumnText:
		if s, ok := v.(string); ok {
			return appendCopyText(b, s), nil
		}
	case metamodel.ColumnInt:
		switch n := v.(type) {
		case int64:
			return appendCopyInt(b, n), nil
		case int:
			return appendCopyInt(b, int64(n)), nil
		case int32:
			return appendCopyInt(b, int64(n)), nil
		}
	case metamodel.ColumnBool:
		if x, ok := v.(bool); ok {
			b = binary.BigEndian.AppendUint32(b, 1)
			if x {
				return append(b, 1), nil
			}
			return append(b, 0), nil
		}
	case metamodel.ColumnScaled:
		if d, ok := v.(decimal.Decimal); ok {
			return appendCopyInt(b, d.Shift(int32(c.Scale)).IntPart()), nil
		}
	case metamodel.ColumnDate:
		if t, ok := v.(time.Time); ok {
			// The calendar date of t where it is, as toDB writes it.
			days := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix()/86400 - pgEpochMicros/86400000000
			b = binary.BigEndian.AppendUint32(b, 4)
			return binary.BigEndian.AppendUint32(b, uint32(int32(days))), nil
		}
	case metamodel.ColumnTimestamp:
		if t, ok := v.(time.Time); ok {
			return appendCopyTime(b, t), nil
		}
	}
	return b, fmt.Errorf("cannot write %T in a column of kind %d", v, c.Kind)
}

package engine

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel"
)

// RecordJSON renders a record for the API: system fields, each field in its
// JSON form (money as "1234.56"), and under "_labels" the names of code and
// enum values, so that clients need not look codes up. hidden names fields
// this reader may not see; they are left out entirely.
//
// The record API writes the same answer with a RecordEncoder, straight into
// bytes; RecordJSON is the reference that encoder is tested against, and
// the form for answers that add keys of their own.
func RecordJSON(e *metamodel.Entity, rec *Record, hidden func(string) bool) map[string]any {
	out := make(map[string]any, len(e.Fields)+8)
	out["id"] = rec.ID
	out["version"] = rec.Version
	if e.Workflow != nil {
		out["state"] = rec.State
	}
	out["created_by"] = rec.CreatedBy
	out["created_at"] = rec.CreatedAt.UTC().Format(time.RFC3339)
	out["updated_at"] = rec.UpdatedAt.UTC().Format(time.RFC3339)
	labels := map[string]string{}
	for _, f := range e.Fields {
		if hidden != nil && hidden(f.Name) {
			continue
		}
		v := rec.Values[f.Name]
		if v == nil {
			out[f.Name] = nil
			continue
		}
		out[f.Name] = f.Kind.JSON(f, v)
		if label, ok := metamodel.ValueLabel(f, v, false); ok {
			labels[f.Name] = label
		}
	}
	if e.Workflow != nil {
		labels["state"] = stateLabel(e.Workflow, rec.State)
	}
	out["_labels"] = labels
	return out
}

// The keys of a rendered record, by what they hold.
const (
	keyID = iota
	keyVersion
	keyState
	keyCreatedBy
	keyCreatedAt
	keyUpdatedAt
	keyField
	keyLabels
	keyFiles
)

// jsonKey is one key of a rendered record: what it holds (and which field),
// and its name already written as `"name":`.
type jsonKey struct {
	kind  int
	field int // index in Entity.Fields, for keyField and labels
	name  string
	// appender is the field type's, when it writes its values itself.
	appender metamodel.JSONAppender
}

// jsonLayout is the order of an entity's keys in its JSON answers, computed
// once: encoding/json writes a map's keys sorted, and so does the encoder.
type jsonLayout struct {
	keys []jsonKey
	// labels are the "_labels" keys: fields whose values may have a name,
	// and the workflow's state (field -1), sorted.
	labels []jsonKey
	// files are the attachment fields, in the order of Entity.Fields, and
	// fileKeys the same sorted by name; "_files" is written when there are
	// any.
	files    []int
	fileKeys []jsonKey
	// mapped is set when the keys would collide (a definition the checker
	// refuses): the encoder then renders the map and encodes it.
	mapped bool
}

func newJSONLayout(e *metamodel.Entity) *jsonLayout {
	l := &jsonLayout{}
	add := func(kind, field int, name string) {
		l.keys = append(l.keys, jsonKey{kind: kind, field: field, name: keyBytes(name)})
	}
	add(keyID, -1, "id")
	add(keyVersion, -1, "version")
	if e.Workflow != nil {
		add(keyState, -1, "state")
		l.labels = append(l.labels, jsonKey{field: -1, name: keyBytes("state")})
	}
	add(keyCreatedBy, -1, "created_by")
	add(keyCreatedAt, -1, "created_at")
	add(keyUpdatedAt, -1, "updated_at")
	for i, f := range e.Fields {
		add(keyField, i, f.Name)
		l.keys[len(l.keys)-1].appender, _ = f.Kind.(metamodel.JSONAppender)
		if f.Kind != nil {
			if _, ok := f.ValueField().Kind.(metamodel.Labeler); ok {
				l.labels = append(l.labels, jsonKey{field: i, name: keyBytes(f.Name)})
			}
		}
		if f.Is(metamodel.Attachment) {
			l.files = append(l.files, i)
			l.fileKeys = append(l.fileKeys, jsonKey{field: i, name: keyBytes(f.Name)})
		}
	}
	add(keyLabels, -1, "_labels")
	if len(l.files) > 0 {
		add(keyFiles, -1, "_files")
	}
	byName := func(a, b jsonKey) int { return strings.Compare(a.name, b.name) }
	slices.SortStableFunc(l.keys, byName)
	slices.SortStableFunc(l.labels, byName)
	slices.SortStableFunc(l.fileKeys, byName)
	for i := 1; i < len(l.keys); i++ {
		if l.keys[i].name == l.keys[i-1].name {
			l.mapped = true
		}
	}
	for i := 1; i < len(l.labels); i++ {
		if l.labels[i].name == l.labels[i-1].name {
			l.mapped = true
		}
	}
	return l
}

// keyBytes is `"name":` as encoding/json writes a map key.
func keyBytes(name string) string {
	return string(append(AppendJSONString(nil, name), ':'))
}

// RecordEncoder writes records of one entity for one reader as the record
// API answers them: byte for byte what encoding/json makes of RecordJSON's
// map (with "_files" for an entity with file fields), without building
// the map.
type RecordEncoder struct {
	e      *metamodel.Entity
	l      *jsonLayout
	shown  []bool // by field index
	hidden func(string) bool
}

// RecordEncoder prepares the writing of e's records for actor: the fields
// actor may not see are left out.
func (rt *Runtime) RecordEncoder(actor Actor, e *metamodel.Entity) *RecordEncoder {
	hidden := rt.HiddenFor(actor, e)
	if s := rt.stores[e.QualifiedName()]; s != nil && s.entity == e {
		return newRecordEncoder(e, s.json, hidden)
	}
	return NewRecordEncoder(e, hidden)
}

// NewRecordEncoder prepares the writing of e's records leaving out the
// fields hidden names (nil: none).
func NewRecordEncoder(e *metamodel.Entity, hidden func(string) bool) *RecordEncoder {
	return newRecordEncoder(e, newJSONLayout(e), hidden)
}

func newRecordEncoder(e *metamodel.Entity, l *jsonLayout, hidden func(string) bool) *RecordEncoder {
	enc := &RecordEncoder{e: e, l: l, shown: make([]bool, len(e.Fields)), hidden: hidden}
	for i, f := range e.Fields {
		enc.shown[i] = hidden == nil || !hidden(f.Name)
	}
	return enc
}

// HasFiles tells whether the entity has file fields, whose answers carry
// "_files".
func (enc *RecordEncoder) HasFiles() bool { return len(enc.l.files) > 0 }

// FileIDs appends the ids of the files recs hold in the fields the reader
// sees, each once: the files whose descriptions "_files" gives.
func (enc *RecordEncoder) FileIDs(ids []int64, recs ...*Record) []int64 {
	for _, rec := range recs {
		for _, i := range enc.l.files {
			if id, ok := enc.fileID(rec, i); ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// fileID is the file field i of rec holds, as the answer gives it.
func (enc *RecordEncoder) fileID(rec *Record, i int) (int64, bool) {
	if !enc.shown[i] {
		return 0, false
	}
	f := enc.e.Fields[i]
	v := rec.Values[f.Name]
	if v == nil {
		return 0, false
	}
	id, ok := f.Kind.JSON(f, v).(int64)
	return id, ok
}

// Append writes rec, with the descriptions of its files from files (by
// id; nil when the entity has no file fields), to dst.
func (enc *RecordEncoder) Append(dst []byte, rec *Record, files map[int64]*FileInfo) ([]byte, error) {
	if enc.l.mapped {
		return enc.appendMapped(dst, rec, files)
	}
	e := enc.e
	dst = append(dst, '{')
	first := true
	for _, key := range enc.l.keys {
		if key.kind == keyField && !enc.shown[key.field] {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, key.name...)
		switch key.kind {
		case keyID:
			dst = strconv.AppendInt(dst, rec.ID, 10)
		case keyVersion:
			dst = strconv.AppendInt(dst, rec.Version, 10)
		case keyState:
			dst = AppendJSONString(dst, rec.State)
		case keyCreatedBy:
			dst = AppendJSONString(dst, rec.CreatedBy)
		case keyCreatedAt:
			dst = appendJSONTime(dst, rec.CreatedAt)
		case keyUpdatedAt:
			dst = appendJSONTime(dst, rec.UpdatedAt)
		case keyField:
			f := e.Fields[key.field]
			v := rec.Values[f.Name]
			if v == nil {
				dst = append(dst, "null"...)
				continue
			}
			if key.appender != nil {
				if out, ok := key.appender.AppendJSON(dst, f, v); ok {
					dst = out
					continue
				}
			}
			var err error
			if dst, err = AppendJSONValue(dst, f.Kind.JSON(f, v)); err != nil {
				return nil, err
			}
		case keyLabels:
			dst = enc.appendLabels(dst, rec)
		case keyFiles:
			dst = enc.appendFiles(dst, rec, files)
		}
	}
	return append(dst, '}'), nil
}

func (enc *RecordEncoder) appendLabels(dst []byte, rec *Record) []byte {
	dst = append(dst, '{')
	first := true
	for _, key := range enc.l.labels {
		var label string
		if key.field < 0 {
			label = stateLabel(enc.e.Workflow, rec.State)
		} else {
			if !enc.shown[key.field] {
				continue
			}
			f := enc.e.Fields[key.field]
			v := rec.Values[f.Name]
			if v == nil {
				continue
			}
			var ok bool
			if label, ok = metamodel.ValueLabel(f, v, false); !ok {
				continue
			}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, key.name...)
		dst = AppendJSONString(dst, label)
	}
	return append(dst, '}')
}

// appendFiles writes "_files": by file field (sorted, as a map's keys),
// the description of the file it holds.
func (enc *RecordEncoder) appendFiles(dst []byte, rec *Record, files map[int64]*FileInfo) []byte {
	dst = append(dst, '{')
	first := true
	for _, key := range enc.l.fileKeys {
		id, ok := enc.fileID(rec, key.field)
		if !ok || files[id] == nil {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, key.name...)
		dst = AppendFileJSON(dst, files[id])
	}
	return append(dst, '}')
}

// FileJSONMap is the description of a file in the record API's answers.
func FileJSONMap(f *FileInfo) map[string]any {
	return map[string]any{"id": f.ID, "name": f.Name, "size": f.Size, "content_type": f.ContentType, "sha256": f.SHA256}
}

// AppendFileJSON writes FileJSONMap(f) as encoding/json would.
func AppendFileJSON(dst []byte, f *FileInfo) []byte {
	dst = append(dst, `{"content_type":`...)
	dst = AppendJSONString(dst, f.ContentType)
	dst = append(dst, `,"id":`...)
	dst = strconv.AppendInt(dst, f.ID, 10)
	dst = append(dst, `,"name":`...)
	dst = AppendJSONString(dst, f.Name)
	dst = append(dst, `,"sha256":`...)
	dst = AppendJSONString(dst, f.SHA256)
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, f.Size, 10)
	return append(dst, '}')
}

// appendMapped renders rec through RecordJSON and encoding/json.
func (enc *RecordEncoder) appendMapped(dst []byte, rec *Record, files map[int64]*FileInfo) ([]byte, error) {
	out := RecordJSON(enc.e, rec, enc.hidden)
	if enc.HasFiles() {
		m := map[string]any{}
		for _, i := range enc.l.files {
			if id, ok := enc.fileID(rec, i); ok && files[id] != nil {
				m[enc.e.Fields[i].Name] = FileJSONMap(files[id])
			}
		}
		out["_files"] = m
	}
	return AppendJSONValue(dst, out)
}

// appendJSONTime writes t in UTC as RFC 3339, quoted: its characters need
// no escaping.
func appendJSONTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, time.RFC3339)
		return append(dst, '"')
	}
	hour, minute, sec := t.Clock()
	two := func(dst []byte, n int) []byte { return append(dst, byte('0'+n/10), byte('0'+n%10)) }
	dst = append(dst, '"')
	dst = two(two(dst, year/100), year%100)
	dst = two(append(dst, '-'), int(month))
	dst = two(append(dst, '-'), day)
	dst = two(append(dst, 'T'), hour)
	dst = two(append(dst, ':'), minute)
	dst = two(append(dst, ':'), sec)
	return append(dst, 'Z', '"')
}

// AppendJSONValue writes v as encoding/json.Marshal does: strings, whole
// numbers, booleans and null directly, any other value through
// encoding/json.
func AppendJSONValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return AppendJSONString(dst, v), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// jsonSafe marks the ASCII bytes encoding/json writes as they are in a
// string: not a control character, quote, backslash, or <, > and & (which
// it escapes for HTML).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// AppendJSONString writes s quoted as encoding/json.Marshal does: with
// <, > and & escaped, U+2028 and U+2029 escaped, and each byte of invalid
// UTF-8 as U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		// Three bytes that are a whole, valid character other than U+2028
		// and U+2029 (every Chinese character): kept as they are.
		if i+2 < len(s) && b >= 0xE1 && b <= 0xEF && b != 0xED && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 &&
			(b != 0xE2 || s[i+1] != 0x80 || s[i+2]&0xFE != 0xA8) {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

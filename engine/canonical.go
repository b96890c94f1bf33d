package engine

import (
	"encoding/json"
	"slices"
	"strconv"
)

// The hashes of audit rows and record images are taken over JSON texts as
// encoding/json.Marshal writes them; rows written long ago are verified
// with the same texts, so they must never change by a byte. The writers
// here (and appendImage in proof.go) write the few kinds of values those
// texts are made of (strings, integers, booleans, null, the change map)
// themselves, and hand any other value to encoding/json. The tests compare
// them with json.Marshal (canonical_test.go, import_canonical_test.go).

// canonical is what json.Marshal gives for parts (a JSON array of them).
func canonical(parts ...any) []byte {
	size := 2
	for _, v := range parts {
		if s, ok := v.(string); ok {
			size += len(s) + len(s)/8 + 3
		} else {
			size += 24
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, '[')
	for i, v := range parts {
		if i > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = appendCanonical(buf, v); !ok {
			b, _ := json.Marshal(parts)
			return b
		}
	}
	return append(buf, ']')
}

// auditRowHash is the hash of an audit row in the full form
// (auditHashFull): its parts written as json.Marshal writes them as an
// array, and hashed. buf is the caller's scratch space, returned grown.
func auditRowHash(buf []byte, chain string, seq int64, at, actor, app, entity string, recordID int64, action, changes, defVersion, prev string, version int64, image, ledger string) (string, []byte) {
	b := append(buf[:0], '[')
	b = AppendJSONString(b, chain)
	b = append(b, ',')
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ',')
	b = AppendJSONString(b, at)
	b = append(b, ',')
	b = AppendJSONString(b, actor)
	b = append(b, ',')
	b = AppendJSONString(b, app)
	b = append(b, ',')
	b = AppendJSONString(b, entity)
	b = append(b, ',')
	b = strconv.AppendInt(b, recordID, 10)
	b = append(b, ',')
	b = AppendJSONString(b, action)
	b = append(b, ',')
	b = AppendJSONString(b, changes)
	b = append(b, ',')
	b = AppendJSONString(b, defVersion)
	b = append(b, ',')
	b = AppendJSONString(b, prev)
	b = append(b, ',')
	b = strconv.AppendInt(b, proofFull, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, version, 10)
	b = append(b, ',')
	b = AppendJSONString(b, image)
	b = append(b, ',')
	b = AppendJSONString(b, ledger)
	b = append(b, ']')
	return hashHex(b), b
}

// appendCanonical appends v as json.Marshal writes it; false when
// json.Marshal fails on it.
func appendCanonical(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil, string, int64, int, bool:
		out, _ := AppendJSONValue(dst, x)
		return out, true
	case map[string][2]any:
		if x == nil {
			return append(dst, "null"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':', '[')
			var ok bool
			if dst, ok = appendCanonical(dst, x[k][0]); !ok {
				return dst, false
			}
			dst = append(dst, ',')
			if dst, ok = appendCanonical(dst, x[k][1]); !ok {
				return dst, false
			}
			dst = append(dst, ']')
		}
		return append(dst, '}'), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, false
	}
	return append(dst, b...), true
}

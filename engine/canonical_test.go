package engine

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var canonicalStrings = []string{"", "plain", "101001", "中文 数据", "a<b>c&d", "q\"uote\\", "line\nbreak\t\r\b\f\x01\x1f",
	"sep\u2028\u2029", "bad \xff utf8", "\xe4\xb8", "emoji 😀", "2026-01-02 03:04:05.123456", "<script>", "\x7f"}

// The audit rows and record images hash the JSON that json.Marshal wrote
// when they were written: the writer must give the same bytes for every
// value, or rows written before would no longer verify.
func TestCanonicalIsJSONMarshal(t *testing.T) {
	values := []any{nil, true, false, int64(-7), int64(1) << 62, 3, json.Number("123456.78"), 1.5, []any{"x", json.Number("1")},
		map[string]any{"b": 1, "a": "x<"}, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), []string{"a", "b"}}
	for _, s := range canonicalStrings {
		values = append(values, s)
	}
	for _, v := range values {
		sameAsMarshal(t, v, v)
	}
	changes := map[string][2]any{}
	for i, s := range canonicalStrings {
		changes[s] = [2]any{values[i%len(values)], s}
	}
	sameAsMarshal(t, changes, changes)
	sameAsMarshal(t, map[string][2]any(nil), map[string][2]any(nil))
	sameAsMarshal(t, map[string][2]any{}, map[string][2]any{})
	// A value json.Marshal refuses: the whole text is what json.Marshal gives.
	bad := []any{"a", map[string][2]any{"x": {make(chan int), nil}}}
	if got, want := canonical(bad...), []byte(nil); !bytes.Equal(got, want) {
		t.Errorf("unmarshalable: %q, want %q", got, want)
	}
}

func FuzzCanonicalString(f *testing.F) {
	for _, s := range canonicalStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameAsMarshal(t, s, s)
		sameAsMarshal(t, map[string][2]any{s: {s, nil}}, map[string][2]any{s: {s, nil}})
	})
}

func sameAsMarshal(t *testing.T, v, asMap any) {
	t.Helper()
	got := canonical("chain", int64(1), v, 2)
	want, _ := json.Marshal([]any{"chain", int64(1), asMap, 2})
	if !bytes.Equal(got, want) {
		t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
	}
}

package apps

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"
)

// twoPasses is decodeObject as it was before the one-pass reading: check,
// then decode.
func twoPasses(body []byte) (map[string]any, error) {
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, io.ErrUnexpectedEOF
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	return obj, nil
}

var onePassBodies = []string{
	`{"year":2026,"agency":"101001","func_class":"2050201","amount":"123456.78"}`,
	` {"a": -0.5e+10, "b": [1, 2.0, -3E2, {"c": null}], "d": true, "e": false, "f": {}} `,
	`{"text":"第一行\n第二行\t\"引号\" \\ \/ \b\f\r \u4e2d\u0000 😀 \ud83d\ude00"}`,
	`{"": "", "x": [], "y": [[]], "z": {"": {}}}`,
	`{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"b":1},{"b":1}]}`,
	`{"a":"\ud800"}`, `{"a":"\udc00x"}`, `{"a":"\ud800\u0041"}`,
	"{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}", `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":1,}`, `{"a":1}x`, `{"a":1} {}`, `[1]`, `null`, `"s"`, ``, `{`, `{"a"}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, `{'a':1}`, `{"a":[1,]}`, `{"a":[1 2]}`, "\ufeff{}",
	`{"a":1e5,"b":-0,"c":0.0001,"d":123456789012345678901234567890}`,
}

// The one pass gives exactly what checking then decoding gives, whenever
// it takes a body; what it does not take goes the two passes, whose
// messages are the API's.
func TestOnePassDecodesAsTwoPasses(t *testing.T) {
	for _, body := range onePassBodies {
		sameAsTwoPasses(t, []byte(body))
	}
	if _, ok := decodeWellFormed([]byte(onePassBodies[0])); !ok {
		t.Error("a plain create body is not read in one pass")
	}
	if _, ok := decodeWellFormed([]byte(onePassBodies[2])); !ok {
		t.Error("a body with escapes is not read in one pass")
	}
}

func FuzzOnePassDecodesAsTwoPasses(f *testing.F) {
	for _, body := range onePassBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { sameAsTwoPasses(t, body) })
}

func sameAsTwoPasses(t *testing.T, body []byte) {
	t.Helper()
	fast, ok := decodeWellFormed(body)
	slow, err := twoPasses(body)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("%q: one pass took it, two passes refuse it: %v", body, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: one pass %#v, two passes %#v", body, fast, slow)
	}
}

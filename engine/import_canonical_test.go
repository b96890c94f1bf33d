package engine_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// The audit rows of an import are written without encoding/json
// (import_canonical.go); they must say, byte for byte, what a create's audit
// row says, or audit verify and proof verify would fail after an import.

// trickyStrings are strings that encoding/json escapes or keeps in ways easy
// to get wrong.
var trickyStrings = []string{
	"", "plain", `quote " and backslash \`, "<b>&amp;</b>", "tab\tnewline\nreturn\r",
	"\b\f\x00\x01\x1f\x7f", "\b\f\x01\x1f\x7f", "line\u2028para\u2029", "财政厅本级", "emoji 🧾", "bad \xff utf-8 \xc3",
	"\xe2\x80", "é", "'single'", "/slash/",
}

func TestCanonicalJSONIsEncodingJSON(t *testing.T) {
	values := []any{nil, true, false, int64(-42), int64(9007199254740993), 7, int32(-3), 1.5, 1e21, 0.000001,
		[]string{"a", "<"}, map[string]any{"b": 1, "a": "x"}, struct{ N int }{3}}
	for _, s := range trickyStrings {
		values = append(values, s)
	}
	for b := range 256 {
		values = append(values, string([]byte{'x', byte(b), 'y'}))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		buf := make([]byte, r.IntN(12))
		for i := range buf {
			buf[i] = byte(r.IntN(256))
		}
		values = append(values, string(buf), strings.ToValidUTF8(string(buf), "\u2028"))
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := engine.CanonicalJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%#v: got %s, want %s", v, got, want)
		}
	}
}

var canonicalDefs = map[string]string{"c/app.yaml": `
app: c
codesets:
  agency:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
entities:
  owner:
    fields:
      name: {type: string}
  thing:
    fields:
      name:     {type: string, max_length: 200}
      note:     {type: text}
      qty:      {type: int}
      amount:   {type: money}
      rate:     {type: decimal, scale: 4}
      start:    {type: date}
      at:       {type: datetime}
      active:   {type: bool}
      level:    {type: enum, values: [red, blue]}
      agency:   {type: code, codeset: agency}
      owner:    {type: ref, entity: owner}
      total:    {type: computed, expr: "amount * qty", returns: money}
      zeta:     {type: string}
      alpha:    {type: string}
`}

// TestImportAuditIsCreateAudit compares, record by record, an import's
// audit changes, images and row hashes with a create's, over every kind of
// field, empty and filled, and strings that JSON escapes.
func TestImportAuditIsCreateAudit(t *testing.T) {
	rt := enginetest.Start(t, engine.SQLite, enginetest.Load(t, canonicalDefs), engine.OpenAccess{})
	ctx := context.Background()
	owner := enginetest.Must(rt.Create(ctx, engine.SystemActor, "c", "owner", map[string]any{"name": "o"})).ID
	var recs []*engine.Record
	for i, s := range trickyStrings {
		input := map[string]any{"name": s, "note": s + s, "alpha": s, "zeta": "z" + s}
		if i%2 == 0 {
			input["qty"] = i - 5
			input["amount"] = "1234.50"
			input["rate"] = "0.0125"
			input["start"] = "2026-03-01"
			input["at"] = "2026-03-01T08:30:00+08:00"
			input["active"] = i%4 == 0
			input["level"] = "red"
			input["agency"] = "101001"
			input["owner"] = owner
		}
		rec, err := rt.Create(ctx, engine.SystemActor, "c", "thing", input)
		if err != nil {
			// A string the platform refuses (invalid UTF-8) is no record.
			t.Logf("%q: %v", s, err)
			continue
		}
		recs = append(recs, rec)
	}
	recs = append(recs, enginetest.Must(rt.Create(ctx, engine.SystemActor, "c", "thing", map[string]any{})))
	if len(recs) < len(trickyStrings)-2 {
		t.Fatalf("only %d records", len(recs))
	}
	if err := engine.CompareCreatedAudit(rt, "c", "thing", recs); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 17, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	for i, s := range trickyStrings {
		changes, _ := json.Marshal(map[string][2]any{"name": {nil, s}})
		if err := engine.CompareAuditRowHash("c.thing#03", int64(i+1), at, s, "c", "thing", int64(i), "create", string(changes), "v"+s, strings.Repeat("0", 64), 1, s, s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}

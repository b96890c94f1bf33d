package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/growth-gov/growth/metamodel"
)

// FuzzDecodeRecord feeds arbitrary JSON bodies through the write path's
// decoding, defaults, computed fields and validation: whatever a client sends,
// the result is either a typed validation error or a complete record, never a
// panic, and an accepted record's money values are exact to two decimals.
func FuzzDecodeRecord(f *testing.F) {
	dir := f.TempDir()
	def := `
app: fz
title: fuzz
codesets:
  org:
    title: 单位
    codes:
      - {code: "1", name: a}
      - {code: "11", name: b, parent: "1"}
entities:
  rec:
    year_field: year
    fields:
      year:   {type: int, min: 2000, max: 2100}
      name:   {type: string, max_length: 5, pattern: "[a-z]+"}
      amount: {type: money, min: 0}
      rate:   {type: decimal, scale: 3}
      day:    {type: date}
      at:     {type: datetime}
      ok:     {type: bool}
      kind:   {type: enum, values: [a, b]}
      org:    {type: code, codeset: org, leaf_only: true}
      total:  {type: computed, expr: "amount * 2 + rate"}
    rules:
      - {assert: "amount < 1000000", message: too much, fields: [amount]}
`
	if err := os.MkdirAll(filepath.Join(dir, "fz"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fz", "app.yaml"), []byte(def), 0o644); err != nil {
		f.Fatal(err)
	}
	p, err := metamodel.Load(dir)
	if err != nil {
		f.Fatal(err)
	}
	e := p.App("fz").Entity("rec")
	for _, seed := range []string{
		`{"year": 2026, "name": "abc", "amount": "12.34", "rate": "0.125", "day": "2026-01-02", "at": "2026-01-02T03:04:05Z", "ok": true, "kind": "a", "org": "11"}`,
		`{"amount": 12.5}`, `{"amount": "1e9"}`, `{"year": "x"}`, `{"org": "1"}`, `{"total": "1"}`, `{"nope": 1}`, `{"amount": "-0.001"}`, `[]`, `{"day": "2026-13-01"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var input map[string]any
		if dec.Decode(&input) != nil || input == nil {
			return
		}
		values, verr := decodeInput(e, input, nil)
		if verr != nil {
			if verr.empty() {
				t.Fatal("empty validation error")
			}
			return
		}
		applyDefaults(e, values)
		rec := &Record{Values: values}
		if err := computeFields(e, rec, values); err != nil {
			return
		}
		if verr := validate(e, rec, values); verr != nil {
			return
		}
		for _, f := range e.Fields {
			v := values[f.Name]
			if v == nil {
				continue
			}
			if c := f.Kind.Column(f); c.Kind == metamodel.ColumnScaled {
				out := f.Kind.JSON(f, v).(string)
				back, err := f.Kind.Parse(f, out)
				if err != nil || f.Kind.JSON(f, back) != out {
					t.Fatalf("%s: %q does not round-trip (%v)", f.Name, out, err)
				}
			}
		}
	})
}

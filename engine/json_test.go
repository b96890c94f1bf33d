package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// oddType is a field type of this file whose JSON form is whatever its
// stored text names: values the record encoder does not write itself
// (floats, maps, lists, json.Number, a json.Marshaler, a named string …),
// which it hands to encoding/json. Values starting "lab:" have a name.
type oddType struct{}

// oddFileType holds files (Attachment) but renders some values as text,
// which "_files" leaves out.
type oddFileType struct{}

func init() {
	metamodel.RegisterFieldType(oddType{})
	metamodel.RegisterFieldType(oddFileType{})
}

type namedText string

type marshaler struct{ s string }

func (m marshaler) MarshalJSON() ([]byte, error) {
	return []byte(`{ "z" : 1, "a" : ` + fmt.Sprintf("%q", m.s) + ` }`), nil
}

func (oddType) Name() string                                     { return "json_odd" }
func (oddType) Setup(f *metamodel.Field, ps *metamodel.Problems) { metamodel.OnlyKeys(f, ps) }
func (oddType) Column(*metamodel.Field) metamodel.Column {
	return metamodel.Column{Kind: metamodel.ColumnText}
}
func (oddType) Parse(f *metamodel.Field, in any) (any, error) {
	return fmt.Sprint(in), nil
}
func (oddType) Validate(*metamodel.Field, any) error { return nil }
func (oddType) Zero(*metamodel.Field) any            { return "" }
func (oddType) Label(f *metamodel.Field, v string, en bool) (string, bool) {
	return strings.CutPrefix(v, "lab:")
}
func (oddType) JSON(f *metamodel.Field, v any) any {
	s := v.(string)
	switch s {
	case "float":
		return 1.5e-7
	case "bigfloat":
		return 1e21
	case "map":
		return map[string]any{"b": 1, "a": "<&>", "\u2028": []any{nil, true}}
	case "list":
		return []string{"x", "y\x00"}
	case "number":
		return json.Number("12.30")
	case "marshaler":
		return marshaler{"<a&b>"}
	case "named":
		return namedText("a<b")
	case "nil":
		return nil
	case "int32":
		return int32(-7)
	case "uint":
		return uint64(math.MaxUint64)
	case "int":
		return math.MinInt64 + 1
	case "bool":
		return false
	case "time":
		return time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	}
	return s
}

func (oddFileType) Name() string                                     { return "json_odd_file" }
func (oddFileType) Setup(f *metamodel.Field, ps *metamodel.Problems) { metamodel.OnlyKeys(f, ps) }
func (oddFileType) Column(*metamodel.Field) metamodel.Column {
	return metamodel.Column{Kind: metamodel.ColumnInt}
}
func (oddFileType) Parse(f *metamodel.Field, in any) (any, error) {
	return in, nil
}
func (oddFileType) Validate(*metamodel.Field, any) error { return nil }
func (oddFileType) Zero(*metamodel.Field) any            { return int64(0) }
func (oddFileType) Traits(*metamodel.Field) metamodel.Trait {
	return metamodel.Attachment
}
func (oddFileType) JSON(f *metamodel.Field, v any) any {
	if n := v.(int64); n%3 == 0 {
		return fmt.Sprint(n)
	}
	return v
}

// jsonDefs has a field of every type, names that sort around the system
// keys (id_no, state_note, a, _labels's neighbours …), a workflow with
// state labels, and an entity with neither workflow nor files.
var jsonDefs = map[string]string{"js/app.yaml": `
app: js
title: 编码
codesets:
  org:
    title: 单位
    codes:
      - {code: "101", name: 财政厅}
      - {code: "102", name: "<教育&厅>"}
      - {code: "103", name: "line\u2028sep"}
entities:
  voucher:
    title: 凭证
    fields:
      a:          string
      title:      {type: string, label: 标题}
      note:       text
      id_no:      string
      state_note: string
      qty:        int
      paid:       bool
      rate:       {type: decimal, scale: 4}
      whole:      decimal
      amount:     money
      due:        date
      at:         datetime
      agency:     {type: code, codeset: org}
      level:      {type: enum, values: [red, blue, "a<b"]}
      parent:     {type: ref, entity: batch}
      invoice:    file
      zz_sheet:   file
      total:      {type: computed, expr: "amount * qty", returns: money}
      twice:      {type: computed, expr: "qty * 2", returns: int}
      odd:        json_odd
      odd_file:   json_odd_file
      version2:   int
      created:    string
  batch:
    title: 批次
    fields:
      name:  string
      sum:   {type: rollup, entity: voucher, via: parent, field: amount, agg: sum}
      count: {type: rollup, entity: voucher, via: parent, agg: count}
workflows:
  voucher:
    entity: voucher
    initial: draft
    states: [draft, check, done]
    final: [done]
    labels: {draft: 草稿, check: "审<&>核"}
    transitions:
      - {event: review, from: draft, to: check}
      - {event: finish, from: check, to: done}
`}

// oddStrings are texts encoding/json escapes, or does not: HTML
// characters, control characters, quotes, U+2028/2029, invalid UTF-8,
// Chinese, emoji, DEL.
var oddStrings = []string{
	"", "plain", "财政厅 2026 年预算", "<script>alert('x')</script>", "a&b", "\"quoted\"", `back\slash`,
	"tab\there", "new\nline", "cr\rlf", "\b\f", "\x00\x01\x1f\x7f", "line\u2028sep\u2029para", "emoji 😀",
	"bad \xff utf8", "\xe2\x82", "trunc \xf0\x9f\x98", "\xed\xa0\x80 surrogate", "/slash/", "lab:名称<&>",
	"lab:", "float", "bigfloat", "map", "list", "number", "marshaler", "named", "nil", "int32", "uint", "int",
	"bool", "time", "\u00e9\u0301", strings.Repeat("长文本", 200),
}

func randomOdd(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		// a few random bytes, valid UTF-8 or not
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	}
	return oddStrings[r.IntN(len(oddStrings))]
}

// randomValue is a canonical value of f, nil now and then.
func randomValue(r *rand.Rand, f *metamodel.Field) any {
	if r.IntN(6) == 0 {
		return nil
	}
	switch metamodel.ResultType(f) {
	case "string", "text", "json_odd":
		return randomOdd(r)
	case "int", "ref", "file", "json_odd_file":
		return []int64{0, 1, -1, 7, 42, 1 << 53, math.MaxInt64, math.MinInt64, r.Int64()}[r.IntN(9)]
	case "bool":
		return r.IntN(2) == 0
	case "decimal", "money":
		switch r.IntN(4) {
		case 0:
			return decimal.New([]int64{0, 1, -1, 5, -5, 99, -100, 1e17, -1e17, 999999999999999999, -999999999999999999, 1e18, math.MaxInt64, math.MinInt64}[r.IntN(14)], -int32(r.IntN(5)))
		case 1:
			return decimal.RequireFromString("-123456789012345678901234.5678")
		}
		return decimal.New(r.Int64N(1e12)-5e11, -int32(r.IntN(5)))
	case "date":
		return time.Date(1900+r.IntN(300), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	case "datetime":
		return time.Unix(r.Int64N(1e10), r.Int64N(1e9)).In(time.FixedZone("z", 3600*(r.IntN(25)-12)))
	case "code":
		return []string{"101", "102", "103", "999", "<x>"}[r.IntN(5)]
	case "enum":
		return []string{"red", "blue", "a<b", "gone"}[r.IntN(4)]
	}
	panic("no random value for " + f.Type)
}

// referenceJSON is the answer the record API gave before it wrote records
// itself: encoding/json over engine.RecordJSON's map, with "_files" as the
// server added it (by file field the reader sees, the file its value
// names).
func referenceJSON(t *testing.T, e *metamodel.Entity, rec *engine.Record, hidden func(string) bool, files map[int64]*engine.FileInfo) []byte {
	out := engine.RecordJSON(e, rec, hidden)
	var attach []string
	for _, f := range e.Fields {
		if f.Is(metamodel.Attachment) {
			attach = append(attach, f.Name)
		}
	}
	if len(attach) > 0 {
		m := map[string]any{}
		for _, name := range attach {
			if id, ok := out[name].(int64); ok && files[id] != nil {
				m[name] = engine.FileJSONMap(files[id])
			}
		}
		out["_files"] = m
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRecordEncoderMatchesEncodingJSON renders thousands of random records
// of every field type (the registered ones and two of this file's), for
// readers who see every field and for readers who see some, with and
// without files, and finds each byte for byte what encoding/json gives for
// the map the API used to build.
func TestRecordEncoderMatchesEncodingJSON(t *testing.T) {
	p := enginetest.Load(t, jsonDefs)
	types := map[string]bool{}
	r := rand.New(rand.NewPCG(15, 2026))
	files := map[int64]*engine.FileInfo{}
	for _, id := range []int64{1, 7, 42, 1 << 53, math.MaxInt64, math.MinInt64} {
		files[id] = &engine.FileInfo{ID: id, Name: randomOdd(r), ContentType: randomOdd(r), Size: r.Int64(), SHA256: randomOdd(r)}
	}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			var names []string
			for _, f := range e.Fields {
				names = append(names, f.Name)
				types[f.Type] = true
			}
			for round := range 400 {
				var hidden func(string) bool
				switch round % 4 {
				case 1:
					hide := map[string]bool{}
					for _, n := range names {
						hide[n] = r.IntN(3) == 0
					}
					hidden = func(name string) bool { return hide[name] }
				case 2:
					hidden = func(string) bool { return true }
				case 3:
					hidden = func(string) bool { return false }
				}
				enc := engine.NewRecordEncoder(e, hidden)
				fileSet := files
				if round%5 == 0 {
					fileSet = nil
				}
				for range 5 {
					rec := &engine.Record{App: a.Name, Entity: e.Name, ID: r.Int64(), Version: r.Int64N(100), CreatedBy: randomOdd(r),
						CreatedAt: time.Unix(r.Int64N(4e9), r.Int64N(1e9)), UpdatedAt: time.Unix(r.Int64N(4e9), 0).In(time.FixedZone("k", -5*3600)),
						State: []string{"draft", "check", "done", "", randomOdd(r)}[r.IntN(5)], Values: map[string]any{}}
					for _, f := range e.Fields {
						rec.Values[f.Name] = randomValue(r, f)
					}
					want := referenceJSON(t, e, rec, hidden, fileSet)
					got, err := enc.Append([]byte("prefix"), rec, fileSet)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got[len("prefix"):], want) {
						t.Fatalf("%s, round %d:\n got %s\nwant %s", e.Name, round, got[len("prefix"):], want)
					}
					if ids := enc.FileIDs(nil, rec); len(ids) > 0 && !json.Valid(got[len("prefix"):]) {
						t.Fatalf("invalid JSON %s", got)
					}
				}
			}
		}
	}
	for _, name := range metamodel.FieldTypeNames() {
		if !types[name] && name != "percent" {
			t.Errorf("field type %s is not in the definitions of this test", name)
		}
	}
}

// TestAppendJSONString: every byte, every rune around the ones encoding/json
// treats apart, and random byte strings are quoted as json.Marshal quotes
// them.
func TestAppendJSONString(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, _ := json.Marshal(s)
		if got := engine.AppendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
	for b := range 256 {
		check(string([]byte{byte(b)}))
		check("a" + string([]byte{byte(b)}) + "z")
	}
	for _, c := range []rune{0x7f, 0x80, 0x7ff, 0x800, 0x2027, 0x2028, 0x2029, 0x202a, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, utf8.MaxRune} {
		check(string(c))
		check("x" + string(c) + "<")
	}
	for _, s := range oddStrings {
		check(s)
	}
	// Every three bytes led by 0xE0–0xEF (the encoder passes whole valid
	// ones through without decoding them), with continuation bytes and
	// their neighbours, whole and cut short.
	for b0 := 0xE0; b0 <= 0xEF; b0++ {
		for b1 := 0x7F; b1 <= 0xC0; b1++ {
			for b2 := 0x7F; b2 <= 0xC0; b2++ {
				check(string([]byte{byte(b0), byte(b1), byte(b2)}))
				check("a" + string([]byte{byte(b0), byte(b1), byte(b2)}) + "\"")
			}
			check(string([]byte{byte(b0), byte(b1)}))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(16))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		check(string(b))
	}
}

// TestAppendJSONValue: values the encoder writes itself and values it hands
// to encoding/json come out as json.Marshal writes them; a value
// encoding/json refuses is an error.
func TestAppendJSONValue(t *testing.T) {
	for _, v := range []any{nil, "x<y", int64(-3), 12, true, false, 1.25, json.Number("3.10"), []any{1, "a"}, map[string]int{"b": 1, "a": 2}, marshaler{"&"}, namedText("<"), uint8(3)} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := engine.AppendJSONValue(nil, v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%#v: got %s, %v; want %s", v, got, err, want)
		}
	}
	if _, err := engine.AppendJSONValue(nil, math.NaN()); err == nil {
		t.Error("NaN: no error")
	}
	if _, err := engine.AppendJSONValue(nil, json.Number("1x")); err == nil {
		t.Error("an invalid json.Number: no error")
	}
}

// TestRecordEncoderCollidingNames: fields named like system keys (which the
// checker refuses) still render as encoding/json renders the map: the
// later key wins.
func TestRecordEncoderCollidingNames(t *testing.T) {
	p := enginetest.Load(t, jsonDefs)
	orig := p.App("js").Entity("voucher")
	e := *orig
	e.Fields = nil
	for _, f := range orig.Fields {
		nf := *f
		switch f.Name {
		case "a":
			nf.Name = "id"
		case "title":
			nf.Name = "_labels"
		case "agency":
			nf.Name = "state"
		case "zz_sheet":
			nf.Name = "_files"
		}
		e.Fields = append(e.Fields, &nf)
	}
	r := rand.New(rand.NewPCG(3, 4))
	files := map[int64]*engine.FileInfo{1: {ID: 1, Name: "a<b>.pdf"}, 42: {ID: 42, Name: "x"}}
	for range 200 {
		rec := &engine.Record{ID: 9, Version: 1, State: "check", Values: map[string]any{}}
		for _, f := range e.Fields {
			rec.Values[f.Name] = randomValue(r, f)
		}
		want := referenceJSON(t, &e, rec, nil, files)
		got, err := engine.NewRecordEncoder(&e, nil).Append(nil, rec, files)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v\nwant %s", got, err, want)
		}
	}
}

package engine_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

var benchJSONDefs = map[string]string{"bench/app.yaml": `
app: bench
codesets:
  agency:
    title: 单位
    codes:
      - {code: "101", name: 财政厅}
entities:
  item:
    fields:
      year:       {type: int, required: true}
      agency:     {type: code, codeset: agency, required: true}
      func_class: {type: string, max_length: 20}
      amount:     {type: money, required: true}
`}

// BenchmarkRecordPage renders a page of 20 records of the peer benchmark's
// entity (bench/peer/app.yaml): "map" as the record API did before (a map
// per record, encoding/json over the page), "encoder" as it does now.
func BenchmarkRecordPage(b *testing.B) {
	e := enginetest.Load(b, benchJSONDefs).App("bench").Entity("item")
	recs := make([]*engine.Record, 20)
	at := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	for i := range recs {
		recs[i] = &engine.Record{ID: int64(1000 + i), Version: 1, CreatedBy: "clerk", CreatedAt: at, UpdatedAt: at,
			Values: map[string]any{"year": int64(2026), "agency": "101", "func_class": "2010301", "amount": decimal.New(123456, -2)}}
	}
	hidden := func(string) bool { return false }
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			items := make([]map[string]any, len(recs))
			for i, rec := range recs {
				items[i] = engine.RecordJSON(e, rec, hidden)
			}
			if _, err := json.Marshal(map[string]any{"items": items, "page": 1, "page_size": 20, "has_more": true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoder", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 8<<10)
		// The server keeps the key order by entity; a request makes an
		// encoder of it for its reader (Runtime.RecordEncoder).
		enc := engine.NewRecordEncoder(e, hidden)
		for b.Loop() {
			out := append(buf[:0], `{"has_more":true,"items":[`...)
			for i, rec := range recs {
				if i > 0 {
					out = append(out, ',')
				}
				var err error
				if out, err = enc.Append(out, rec, nil); err != nil {
					b.Fatal(err)
				}
			}
			buf = append(out, `],"page":1,"page_size":20}`...)
		}
	})
}

package engine

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// TestParseSQLiteTime: an instant as SQLite stores it reads as time.Parse
// reads it, to the nanosecond and the location; any other text is left to
// time.Parse, which reads or refuses it as before.
func TestParseSQLiteTime(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 15))
	texts := []string{"0000-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z", "2024-02-29T12:00:00.000001Z",
		"2023-02-29T12:00:00.000000Z", "2026-04-31T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z", "2026-00-10T00:00:00.000000Z",
		"2026-01-00T00:00:00.000000Z", "2026-01-01T24:00:00.000000Z", "2026-01-01T00:60:00.000000Z", "2026-01-01T00:00:60.000000Z",
		"2026-01-01t00:00:00.000000Z", "2026-01-01T00:00:00.000000z", "2026-01-01T00:00:00.00000aZ", "+026-01-01T00:00:00.000000Z",
		"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000000+08:00", "2026-01-01 00:00:00.000000Z", "", "garbage"}
	for range 20000 {
		at := time.Unix(r.Int64N(253402300800), r.Int64N(1e9)).UTC().Truncate(time.Microsecond)
		texts = append(texts, at.Format(sqliteTime))
	}
	for _, s := range texts {
		want, wantErr := time.Parse(time.RFC3339Nano, s)
		got, err := scanTime(s)
		if (err != nil) != (wantErr != nil) || got != want || got.Location() != want.Location() {
			t.Fatalf("%q: got %v (%v), want %v (%v)", s, got, err, want, wantErr)
		}
	}
}

// TestAppendJSONTime: an instant in an answer is what encoding/json gives
// for t.UTC().Format(time.RFC3339), in any year and location.
func TestAppendJSONTime(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 15))
	for i := range 50000 {
		sec := r.Int64N(253402300800) - 62135596800 // years 1 to 9999
		if i%10 == 0 {
			sec = r.Int64() >> (r.IntN(30)) // far outside
		}
		at := time.Unix(sec, r.Int64N(1e9)).In(time.FixedZone("z", 60*(r.IntN(1500)-750)))
		want, _ := json.Marshal(at.UTC().Format(time.RFC3339))
		if got := appendJSONTime(nil, at); string(got) != string(want) {
			t.Fatalf("%v: got %s, want %s", at, got, want)
		}
	}
}

package engine

import (
	"testing"
	"time"
)

// The batches of a queue hand the lead on in the way whose creates waited
// less: each way is tried for handOnTrial batches, the better kept for
// handOnKeep, then both tried again; early only when its creates waited at
// least a twentieth less.
func TestHandOnKeepsTheWayCreatesWaitLess(t *testing.T) {
	run := func(h *handOnChoice, batches int, waitEarly, waitEnd time.Duration) (early int) {
		for range batches {
			e := h.early()
			if e {
				early++
				h.measured(true, 20*waitEarly, 20)
			} else {
				h.measured(false, 20*waitEnd, 20)
			}
		}
		return early
	}
	for _, c := range []struct {
		name                      string
		waitEarly, waitEnd        time.Duration
		keepEarly, keepEarlyAfter bool // kept, and kept once the waits turned round
	}{
		{"a network hop: early waits less", 4 * time.Millisecond, 5 * time.Millisecond, true, false},
		{"busy CPUs: early waits more", 6 * time.Millisecond, 5 * time.Millisecond, false, true},
		{"early barely less: the end, cheaper", 4900 * time.Microsecond, 5 * time.Millisecond, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := handOnChoice{left: handOnTrial}
			if got := run(&h, handOnTrial, c.waitEarly, c.waitEnd); got != handOnTrial {
				t.Fatalf("the first trial handed on early in %d batches of %d", got, handOnTrial)
			}
			if got := run(&h, handOnTrial, c.waitEarly, c.waitEnd); got != 0 {
				t.Fatalf("the second trial handed on early in %d batches of %d", got, handOnTrial)
			}
			want := 0
			if c.keepEarly {
				want = handOnKeep
			}
			if got := run(&h, handOnKeep, c.waitEarly, c.waitEnd); got != want {
				t.Errorf("kept: early in %d batches of %d, want %d", got, handOnKeep, want)
			}
			// Then both are tried again, and the measure starts afresh.
			if got := run(&h, handOnTrial, c.waitEnd, c.waitEarly); got != handOnTrial {
				t.Errorf("the next trial handed on early in %d batches of %d", got, handOnTrial)
			}
			run(&h, handOnTrial, c.waitEnd, c.waitEarly)
			want = 0
			if c.keepEarlyAfter {
				want = handOnKeep
			}
			if got := run(&h, handOnKeep, c.waitEnd, c.waitEarly); got != want {
				t.Errorf("after the waits turned round: early in %d batches of %d, want %d", got, handOnKeep, want)
			}
		})
	}
}

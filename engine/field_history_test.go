package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestFieldHistory reads a record's writes back from the audit trail, field
// by field: its creation, an edit of the amount, the submit that stamps a
// number, the review that counts, an approval towards the quorum and the one
// that completes it — who, which event, before → after.
func TestFieldHistory(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		rec := f.create(clerk1, "1200.50")
		if _, err := f.rt.Update(ctx, clerk1, "wf", "request", rec.ID, 1, map[string]any{"amount": "1500.00"}); err != nil {
			t.Fatal(err)
		}
		f.fire(clerk1, rec.ID, "submit", "")
		f.fire(reviewer, rec.ID, "review", "金额无误")
		f.fire(board1, rec.ID, "approve", "")
		f.fire(board2, rec.ID, "approve", "")
		writes, err := f.rt.FieldHistory(ctx, reviewer, "wf", "request", rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range writes {
			var ch []string
			for _, c := range w.Changes {
				ch = append(ch, fmt.Sprintf("%s %v→%v", c.Field, c.Before, c.After))
			}
			got = append(got, fmt.Sprintf("%s %s by %s: %s", w.Action, w.Label, w.Actor, strings.Join(ch, "; ")))
		}
		want := []string{
			"create 新建 by c1: year <nil>→2026; amount <nil>→1200.50; purpose <nil>→测试; reviews <nil>→0",
			"update 修改 by c1: amount 1200.50→1500.00",
			"submit 提交 by c1: req_no <nil>→SQ2026-0001",
			"review 复核 by r1: reviews 0→1",
			"approve 批准（会签） by b1: ",
			"approve 批准 by b2: approved_by <nil>→b2",
		}
		if !slices.Equal(got, want) {
			t.Errorf("field history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if writes[3].Comment != "金额无误" {
			t.Errorf("the review's comment = %q", writes[3].Comment)
		}
	})
}

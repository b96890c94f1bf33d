package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// tieredDefs approve a grant with a quorum that rises with its amount: one
// approver up to 1,000,000.00, two above, three above 10,000,000.00.
var tieredDefs = map[string]string{"tq/app.yaml": `
app: tq
entities:
  grant:
    fields:
      amount: {type: money, required: true}
workflows:
  grant:
    entity: grant
    initial: submitted
    states: [submitted, approved]
    final: [approved]
    labels: {submitted: 待批, approved: 已批}
    transitions:
      - event: approve
        label: 批准
        from: submitted
        to: approved
        roles: [board]
        not_by: [editors]
        quorum:
          by: amount
          approvals: 1
          above:
            - {amount: 1000000, approvals: 2}
            - {amount: 10000000, approvals: 3}
roles:
  clerk: {scope: all, can: {grant: [create, read]}}
  board: {scope: all, can: {grant: [read, approve]}}
`}

// TestTieredQuorum fires the approval on grants at and around each tier's
// amount: the state changes after as many distinct approvals as the tier
// asks, the events list shows the progress, a second approval by the same
// user is refused.
func TestTieredQuorum(t *testing.T) {
	p := enginetest.Load(t, tieredDefs)
	clerk := engine.Actor{User: "c1", Roles: []string{"clerk"}}
	board := []engine.Actor{{User: "b1", Roles: []string{"board"}}, {User: "b2", Roles: []string{"board"}}, {User: "b3", Roles: []string{"board"}}}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, roleAccess{})
		ctx := context.Background()
		for _, c := range []struct {
			amount string
			want   int
		}{{"999999.99", 1}, {"1000000.00", 1}, {"1000000.01", 2}, {"10000000.00", 2}, {"10000000.01", 3}, {"4900000.00", 2}} {
			rec, err := rt.Create(ctx, clerk, "tq", "grant", map[string]any{"amount": c.amount})
			if err != nil {
				t.Fatal(err)
			}
			opts, err := rt.EventsFor(ctx, board[0], rec)
			if err != nil || len(opts) != 1 {
				t.Fatalf("%s: events %v %v", c.amount, opts, err)
			}
			if want := c.want; (want > 1 && opts[0].Quorum != want) || (want == 1 && opts[0].Quorum != 0) {
				t.Errorf("%s: the event shows quorum %d, want %d", c.amount, opts[0].Quorum, want)
			}
			for i := 0; i < c.want; i++ {
				res, err := rt.Fire(ctx, engine.FireRequest{Actor: board[i], App: "tq", Entity: "grant", ID: rec.ID, Event: "approve"})
				if err != nil {
					t.Fatalf("%s: approval %d: %v", c.amount, i+1, err)
				}
				if last := i == c.want-1; res.Fired != last {
					t.Errorf("%s: after approval %d of %d the grant moved: %v, want %v", c.amount, i+1, c.want, res.Fired, last)
				}
				if !res.Fired {
					if res.Quorum != c.want || res.Approvals != i+1 {
						t.Errorf("%s: approval %d counted %d/%d, want %d/%d", c.amount, i+1, res.Approvals, res.Quorum, i+1, c.want)
					}
					_, err := rt.Fire(ctx, engine.FireRequest{Actor: board[i], App: "tq", Entity: "grant", ID: rec.ID, Event: "approve"})
					var ce *engine.ConflictError
					if !errors.As(err, &ce) || ce.Message != "您已就“批准”审批过（"+itoa(int64(i+1))+"/"+itoa(int64(c.want))+"），须由其他人审批" {
						t.Errorf("%s: the same approver again: %v, want a duplicate_approval conflict", c.amount, err)
					}
				}
			}
		}
	})
}

package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/shopspring/decimal"
)

var scheduleActionDefs = map[string]string{"fee/app.yaml": `
app: fee
entities:
  notice:
    fields:
      amount:   {type: money, required: true}
      due:      {type: date, required: true}
      late_fee: money
  warning:
    fields:
      notice:  {type: ref, entity: notice, required: true}
      message: string
workflows:
  notice:
    entity: notice
    states: [issued, overdue, paid]
    initial: issued
    editable: [issued, overdue]
    final: [paid]
    transitions:
      - {event: overdue, from: issued, to: overdue}
      - {event: pay, from: [issued, overdue], to: paid}
  warning:
    entity: warning
    states: [open, closed]
    initial: open
    final: [closed]
    transitions:
      - {event: close, from: open, to: closed}
schedules:
  mark_overdue:
    every: 1h
    entity: notice
    where: "state = 'issued'"
    when: "today.After(due)"
    fire: overdue
  late_fee:
    every: 1h
    entity: notice
    where: "state = 'overdue'"
    set: {late_fee: "amount * 0.05"}
  unpaid:
    every: 1h
    entity: notice
    when: "state == 'overdue'"
    create:
      entity: warning
      set: {notice: "src.id", message: "'逾期未缴'"}
      unless: "notice = $notice and state = 'open'"
      resolve: {fire: close}
`}

// TestScheduleFiresSetsAndResolves: a schedule marks a notice past its due
// date overdue (fire), charges a late fee on it (set), raises a warning, and
// closes the warning once the notice is paid (create: resolve); a second
// run changes nothing.
func TestScheduleFiresSetsAndResolves(t *testing.T) {
	p := enginetest.Load(t, scheduleActionDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		sys := engine.SystemActor
		today := engine.Today(time.Now())
		late := enginetest.Must(rt.Create(ctx, sys, "fee", "notice", map[string]any{"amount": "200.00", "due": today.AddDate(0, 0, -5).Format(time.DateOnly)}))
		onTime := enginetest.Must(rt.Create(ctx, sys, "fee", "notice", map[string]any{"amount": "300.00", "due": today.AddDate(0, 0, 5).Format(time.DateOnly)}))
		counts := func(step string, want map[string][4]int) {
			t.Helper()
			rep := enginetest.Must(rt.RunSchedules(ctx))
			for _, r := range rep.Runs {
				got := [4]int{r.Fired, r.Updated, r.Created, r.Resolved}
				if w := want[r.Schedule]; got != w {
					t.Errorf("%s: %s fired, updated, created, resolved = %v, want %v (failures %v, error %q)", step, r.Schedule, got, w, r.Failures, r.Error)
				}
			}
		}
		counts("first run", map[string][4]int{"fee.mark_overdue": {1, 0, 0, 0}, "fee.late_fee": {0, 1, 0, 0}, "fee.unpaid": {0, 0, 1, 0}})
		n := enginetest.Must(rt.Get(ctx, sys, "fee", "notice", late.ID))
		if n.State != "overdue" || n.Values["late_fee"].(decimal.Decimal).StringFixed(2) != "10.00" {
			t.Errorf("late notice: state %s, late fee %v; want overdue, 10.00", n.State, n.Values["late_fee"])
		}
		if o := enginetest.Must(rt.Get(ctx, sys, "fee", "notice", onTime.ID)); o.State != "issued" || o.Values["late_fee"] != nil {
			t.Errorf("notice not yet due: state %s, late fee %v", o.State, o.Values["late_fee"])
		}
		counts("second run", map[string][4]int{})
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: sys, App: "fee", Entity: "notice", ID: late.ID, Event: "pay"}))
		counts("after payment", map[string][4]int{"fee.unpaid": {0, 0, 0, 1}})
		warnings := enginetest.Must(rt.List(ctx, sys, "fee", "warning", engine.ListQuery{}))
		if len(warnings.Items) != 1 || warnings.Items[0].State != "closed" {
			t.Fatalf("warnings after payment: %+v", warnings.Items)
		}
		counts("once closed", map[string][4]int{})
	})
}

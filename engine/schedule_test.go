package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var scheduleDefs = map[string]string{"fund/app.yaml": `
app: fund
title: 资金监管
entities:
  allocation:
    title: 资金下达
    fields:
      project:      {type: string, required: true}
      amount:       money
      paid_total:   money
      allocated_on: date
  warning:
    title: 预警
    fields:
      allocation: {type: ref, entity: allocation, required: true}
      project:    string
      level:      {type: enum, values: [yellow, orange, red], required: true}
      rule:       {type: string, required: true}
      message:    text
      closed:     {type: bool, default: false}
    rules:
      - assert: "project != 'bad'"
        message: 项目名称不能为 bad
        fields: [project]
schedules:
  idle_funds:
    title: 资金闲置超过 90 天
    every: 24h
    entity: allocation
    where: "paid_total = '0'"
    when: "today.Sub(allocated_on).Hours() >= 24 * 90"
    create:
      entity: warning
      set: {allocation: "src.id", project: "src.project", level: "'yellow'", rule: "'idle_funds'", message: "'资金下达后超过 90 天未支付：' + src.project"}
      unless: "allocation = $allocation and rule = 'idle_funds' and closed = false"
  big:
    title: 大额下达
    every: 1h
    entity: allocation
    where: "amount > '1000000'"
    create:
      entity: warning
      set: {allocation: "src.id", project: "src.project", level: "'red'", rule: "'big'"}
      unless: "allocation = $allocation and rule = 'big'"
`}

type scheduleFixture struct {
	rt  *engine.Runtime
	ids map[string]int64
}

func newScheduleFixture(t *testing.T, d engine.Dialect) *scheduleFixture {
	t.Helper()
	rt := enginetest.Start(t, d, enginetest.Load(t, scheduleDefs), engine.OpenAccess{})
	f := &scheduleFixture{rt: rt, ids: map[string]int64{}}
	today := engine.Today(time.Now())
	for _, a := range []struct {
		project, amount, paid string
		daysAgo               int
	}{
		{"idle", "5000.00", "0", 100},
		{"recent", "5000.00", "0", 10},
		{"paid", "5000.00", "5.00", 100},
		{"bad", "5000.00", "0", 100},
		{"large", "2000000.00", "0", 1},
	} {
		rec := enginetest.Must(rt.Create(context.Background(), engine.SystemActor, "fund", "allocation", map[string]any{
			"project": a.project, "amount": a.amount, "paid_total": a.paid, "allocated_on": today.AddDate(0, 0, -a.daysAgo).Format(time.DateOnly)}))
		f.ids[a.project] = rec.ID
	}
	return f
}

// warnings lists "rule project closed" of every warning, oldest first.
func (f *scheduleFixture) warnings(t *testing.T) []string {
	t.Helper()
	res := enginetest.Must(f.rt.List(context.Background(), engine.SystemActor, "fund", "warning", engine.ListQuery{Sort: "id", PageSize: 200}))
	var out []string
	for _, w := range res.Items {
		closed := ""
		if w.Values["closed"] == true {
			closed = " closed"
		}
		out = append(out, w.Values["rule"].(string)+" "+w.Values["project"].(string)+closed)
	}
	return out
}

type runCounts struct{ examined, matched, created, skipped, failed int }

func counts(r *engine.ScheduleRun) runCounts {
	return runCounts{r.Examined, r.Matched, r.Created, r.Skipped, r.Failed}
}

func TestRunSchedules(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newScheduleFixture(t, d)
		rt := f.rt
		ctx := context.Background()
		steps := []struct {
			name    string
			before  func(t *testing.T)
			idle    runCounts
			big     runCounts
			created []string
		}{
			{name: "first run: a warning per match, the invalid one reported",
				idle:    runCounts{examined: 4, matched: 2, created: 1, failed: 1},
				big:     runCounts{examined: 1, matched: 1, created: 1},
				created: []string{"idle_funds idle", "big large"}},
			{name: "second run: unless skips what exists",
				idle:    runCounts{examined: 4, matched: 2, skipped: 1, failed: 1},
				big:     runCounts{examined: 1, matched: 1, skipped: 1},
				created: []string{"idle_funds idle", "big large"}},
			{name: "a closed warning no longer counts: a new one is made",
				before: func(t *testing.T) {
					w := enginetest.Must(rt.List(ctx, engine.SystemActor, "fund", "warning", engine.ListQuery{Filter: "rule = 'idle_funds'"})).Items[0]
					enginetest.Must(rt.Update(ctx, engine.SystemActor, "fund", "warning", w.ID, w.Version, map[string]any{"closed": true}))
				},
				idle:    runCounts{examined: 4, matched: 2, created: 1, failed: 1},
				big:     runCounts{examined: 1, matched: 1, skipped: 1},
				created: []string{"idle_funds idle closed", "big large", "idle_funds idle"}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if st.before != nil {
					st.before(t)
				}
				rep, err := rt.RunSchedules(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Runs) != 2 || rep.Runs[0].Schedule != "fund.idle_funds" || rep.Runs[1].Schedule != "fund.big" {
					t.Fatalf("runs %+v", rep.Runs)
				}
				if got := counts(rep.Runs[0]); got != st.idle {
					t.Errorf("idle_funds: %+v, want %+v", got, st.idle)
				}
				if got := counts(rep.Runs[1]); got != st.big {
					t.Errorf("big: %+v, want %+v", got, st.big)
				}
				fails := rep.Runs[0].Failures
				if len(fails) != 1 || fails[0].RecordID != f.ids["bad"] || !strings.Contains(fails[0].Reason, "项目名称不能为 bad") {
					t.Errorf("failures %+v", fails)
				}
				if rep.OK() {
					t.Error("a report with a failure says OK")
				}
				if got := f.warnings(t); strings.Join(got, "; ") != strings.Join(st.created, "; ") {
					t.Errorf("warnings %q, want %q", got, st.created)
				}
			})
		}
		t.Run("created through the create path: audited as the system", func(t *testing.T) {
			var n int
			if err := rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_audit WHERE app = 'fund' AND entity = 'warning' AND action = 'create' AND actor = 'system'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Errorf("%d audited creates, want 3", n)
			}
		})
		t.Run("names", func(t *testing.T) {
			rep := enginetest.Must(rt.RunSchedules(ctx, "fund.big"))
			if len(rep.Runs) != 1 || rep.Runs[0].Schedule != "fund.big" {
				t.Errorf("runs %+v", rep.Runs)
			}
			if _, err := rt.RunSchedules(ctx, "nope.*"); !errors.Is(err, engine.ErrUnknown) {
				t.Errorf("unknown name: %v", err)
			}
		})
	})
}

func TestRunSchedulesPagesAndRaces(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		defer engine.SetScheduleBatch(2)()
		f := newScheduleFixture(t, d)
		ctx := context.Background()
		// Two runs at once: the unless check inside each create's transaction
		// lets exactly one warning through per match.
		var wg sync.WaitGroup
		reps := make([]*engine.ScheduleReport, 2)
		for i := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reps[i] = enginetest.Must(f.rt.RunSchedules(ctx, "fund.*"))
			}()
		}
		wg.Wait()
		created, skipped := 0, 0
		for _, rep := range reps {
			if got := rep.Runs[0].Examined; got != 4 {
				t.Errorf("examined %d records in pages of 2, want 4", got)
			}
			for _, run := range rep.Runs {
				created += run.Created
				skipped += run.Skipped
			}
		}
		if got := f.warnings(t); len(got) != 2 || created != 2 || skipped != 2 {
			t.Errorf("warnings %q, created %d, skipped %d: want 2 warnings, each created once and skipped once", got, created, skipped)
		}
	})
}

func TestServeSchedules(t *testing.T) {
	f := newScheduleFixture(t, engine.SQLite)
	ctx, cancel := context.WithCancel(context.Background())
	ticks := map[time.Duration]chan time.Time{}
	var mu sync.Mutex
	runs := make(chan *engine.ScheduleRun)
	wait := f.rt.ServeSchedules(ctx, engine.ScheduleLoopOptions{
		OnRun: func(r *engine.ScheduleRun) { runs <- r },
		Ticker: func(every time.Duration) (<-chan time.Time, func()) {
			mu.Lock()
			defer mu.Unlock()
			ticks[every] = make(chan time.Time)
			return ticks[every], func() {}
		},
	})
	mu.Lock()
	daily, hourly := ticks[24*time.Hour], ticks[time.Hour]
	mu.Unlock()
	if daily == nil || hourly == nil {
		t.Fatalf("tickers %v: want one of 24h and one of 1h", ticks)
	}
	if len(f.warnings(t)) != 0 {
		t.Fatal("a schedule ran before its first interval")
	}
	hourly <- time.Now()
	if r := <-runs; r.Schedule != "fund.big" || r.Created != 1 {
		t.Errorf("run %+v", r)
	}
	daily <- time.Now()
	if r := <-runs; r.Schedule != "fund.idle_funds" || r.Created != 1 {
		t.Errorf("run %+v", r)
	}
	cancel()
	wait()
}

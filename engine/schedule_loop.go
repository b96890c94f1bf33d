package engine

import (
	"context"
	"sync"
	"time"
)

// ScheduleLoopOptions tune ServeSchedules.
type ScheduleLoopOptions struct {
	// OnRun, when set, receives every run's report (after it is logged).
	OnRun func(*ScheduleRun)
	// Ticker makes the ticker of one schedule: its channel and a stop
	// function. Nil means time.NewTicker; tests tick by hand.
	Ticker func(every time.Duration) (<-chan time.Time, func())
	// Check, when shorter than a schedule's interval, is how often the loop
	// looks whether that schedule's current due time has run: a due time
	// runs once among the servers however often they look, and looking
	// often runs it soon after it begins. Zero: once per interval.
	Check time.Duration
}

// ServeSchedules runs every schedule of the project on its interval, each in
// its own goroutine, until ctx is done; a schedule's first run is one interval
// after the call, and a run never overlaps the previous run of the same
// schedule (a tick that comes during a run is dropped). Each tick claims
// its due time (the tick truncated to the interval), so that servers
// running the loop over one database run each due time once (schedule.go).
// It returns a function
// that waits until every loop has stopped, after ctx is done.
func (rt *Runtime) ServeSchedules(ctx context.Context, opts ScheduleLoopOptions) (wait func()) {
	ticker := opts.Ticker
	if ticker == nil {
		ticker = func(every time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(every)
			return t.C, t.Stop
		}
	}
	var wg sync.WaitGroup
	all, _ := rt.Schedules()
	for _, s := range all {
		every := s.Interval
		if opts.Check > 0 && opts.Check < every {
			every = opts.Check
		}
		ticks, stop := ticker(every)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer stop()
			for {
				select {
				case <-ctx.Done():
					return
				case tick := <-ticks:
					run := rt.runSchedule(ctx, s, tick)
					if opts.OnRun != nil {
						opts.OnRun(run)
					}
				}
			}
		}()
	}
	if len(all) > 0 {
		rt.Log.Info("scheduled rules started", "schedules", len(all))
	}
	return wg.Wait
}

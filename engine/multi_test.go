package engine_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// syncBuffer is a log sink several runtimes write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServers starts n runtimes on one database at the same moment, each
// with its own connection pool, as n servers would.
func startServers(t *testing.T, dsn string, defs map[string]string, n int, log *slog.Logger) []*engine.Runtime {
	t.Helper()
	p := enginetest.Load(t, defs)
	rts := make([]*engine.Runtime, n)
	errs := make([]error, n)
	dbs := make([]*engine.DB, n)
	for i := range dbs {
		dbs[i] = enginetest.Connect(t, dsn)
	}
	// Several servers over one database is a PostgreSQL setup: there they
	// start at the same moment, under the migration lock. An SQLite file is
	// one server's (docs/deploy.md); its runtimes start one after another.
	if strings.HasPrefix(dsn, "sqlite:") {
		for i := range n {
			rts[i], errs[i] = engine.Start(context.Background(), dbs[i], p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: log})
		}
	} else {
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range n {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				rts[i], errs[i] = engine.Start(context.Background(), dbs[i], p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: log})
			}()
		}
		start.Done()
		done.Wait()
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("server %d of %d did not start: %v", i+1, n, err)
		}
	}
	return rts
}

// Servers that start together on one fresh PostgreSQL database take turns
// under the migration lock: every platform migration and every table is
// made once, and no server fails on another's half-made table.
func TestServersStartingTogetherMigrateOnce(t *testing.T) {
	if len(enginetest.Dialects(t)) < 2 {
		t.Skip("PostgreSQL not configured: SQLite is one server by design")
	}
	dsn := enginetest.FreshDSN(t, engine.Postgres)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	rts := startServers(t, dsn, testApp, 6, log)

	tables := 0
	for _, a := range rts[0].Project.Apps {
		tables += len(a.Entities)
	}
	if got := strings.Count(logs.String(), `change="create table `); got != tables {
		t.Fatalf("six servers created %d tables, want each of the %d made once; log:\n%s", got, tables, logs.String())
	}
	var versions int
	if err := rts[0].DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_definition_versions`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != 1 {
		t.Fatalf("%d definition versions recorded, want 1", versions)
	}
	// Every server works on the one schema.
	for i, rt := range rts {
		if _, err := rt.List(context.Background(), engine.SystemActor, rt.Project.Apps[0].Name, rt.Project.Apps[0].Entities[0].Name, engine.ListQuery{}); err != nil {
			t.Fatalf("server %d cannot read: %v", i+1, err)
		}
	}
}

// tallyDefs has a schedule without unless: every run that gets through
// makes one more tally per source, so a slot run twice shows at once.
var tallyDefs = map[string]string{"fund/app.yaml": `
app: fund
title: 资金监管
entities:
  allocation:
    title: 资金下达
    fields:
      project: {type: string, required: true}
  tally:
    title: 计数
    fields:
      allocation: {type: ref, entity: allocation, required: true}
      project:    string
schedules:
  count:
    title: 计数
    every: 1h
    entity: allocation
    create:
      entity: tally
      set: {allocation: "src.id", project: "src.project"}
`}

// handTicker hands each loop its own channel, to tick by hand.
type handTicker struct {
	mu sync.Mutex
	ch []chan time.Time
}

func (h *handTicker) ticker(time.Duration) (<-chan time.Time, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan time.Time)
	h.ch = append(h.ch, c)
	return c, func() {}
}

// blockOnCreate holds a run's create until released or its context ends:
// a server caught mid run.
type blockOnCreate struct {
	entered chan struct{}
	release chan struct{}
}

func (b blockOnCreate) Apply(ec engine.EffectContext, ch *engine.Change) error {
	if ch.Action != "create" || ch.Entity.Name != "tally" {
		return nil
	}
	select {
	case b.entered <- struct{}{}:
	default:
	}
	select {
	case <-b.release:
		return nil
	case <-ec.Done():
		return ec.Err()
	}
}

// Four servers whose schedule loops tick at the same moment run each due
// time once: one run makes the tallies, the others find it done. A server
// that dies mid run keeps nothing, and the server waiting on the same due
// time runs it in full.
func TestSchedulesRunOncePerDueTimeAcrossServers(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		dsn := enginetest.FreshDSN(t, d)
		rts := startServers(t, dsn, tallyDefs, 4, enginetest.QuietLogger())
		ctx := context.Background()
		for _, p := range []string{"a", "b", "c"} {
			enginetest.Must(rts[0].Create(ctx, engine.SystemActor, "fund", "allocation", map[string]any{"project": p}))
		}
		tallies := func() int {
			t.Helper()
			return int(*enginetest.Must(rts[1].List(ctx, engine.SystemActor, "fund", "tally", engine.ListQuery{PageSize: 200, Total: true})).Total)
		}

		runs := make(chan *engine.ScheduleRun, 16)
		loopCtx, stop := context.WithCancel(ctx)
		tickers := make([]*handTicker, len(rts))
		var waits []func()
		for i, rt := range rts {
			tickers[i] = &handTicker{}
			waits = append(waits, rt.ServeSchedules(loopCtx, engine.ScheduleLoopOptions{
				Ticker: tickers[i].ticker, OnRun: func(r *engine.ScheduleRun) { runs <- r }}))
		}
		defer func() {
			stop()
			for _, w := range waits {
				w()
			}
		}()
		tickAll := func(at time.Time) (ran []*engine.ScheduleRun) {
			for _, h := range tickers {
				go func() { h.ch[0] <- at }()
			}
			for range tickers {
				if r := <-runs; !r.RanElsewhere {
					ran = append(ran, r)
				}
			}
			return ran
		}

		due := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
		for i, at := range []time.Time{due.Add(time.Minute), due.Add(time.Hour + 59*time.Minute)} {
			ran := tickAll(at)
			if len(ran) != 1 || ran[0].Created != 3 || ran[0].Error != "" {
				t.Fatalf("tick %d on four servers: %d runs did the work (%+v), want one run creating 3 tallies", i+1, len(ran), ran)
			}
			if got, want := tallies(), 3*(i+1); got != want {
				t.Fatalf("after due time %d: %d tallies, want %d", i+1, got, want)
			}
		}
		// A second tick within the same hour finds the slot done everywhere.
		if ran := tickAll(due.Add(time.Hour + 5*time.Minute)); len(ran) != 0 {
			t.Fatalf("a due time that already ran ran again: %+v", ran)
		}

		// Mid run: a fifth server blocks in its first create and dies.
		p := rts[0].Project
		db5 := enginetest.Connect(t, dsn)
		rt5, err := engine.Start(ctx, db5, p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		block := blockOnCreate{entered: make(chan struct{}, 1), release: make(chan struct{})}
		rt5.AddEffect(block)
		ctx5, die := context.WithCancel(ctx)
		h5 := &handTicker{}
		runs5 := make(chan *engine.ScheduleRun, 1)
		wait5 := rt5.ServeSchedules(ctx5, engine.ScheduleLoopOptions{Ticker: h5.ticker, OnRun: func(r *engine.ScheduleRun) { runs5 <- r }})
		third := due.Add(2*time.Hour + time.Minute)
		h5.ch[0] <- third
		<-block.entered
		// Another server ticks the same due time and waits on the claim.
		go func() { tickers[2].ch[0] <- third }()
		time.Sleep(200 * time.Millisecond)
		die()
		dead := <-runs5
		wait5()
		if dead.Error == "" || dead.Created != 0 {
			t.Fatalf("the dying server's run: %+v, want an error and nothing kept", dead)
		}
		taken := <-runs
		if taken.RanElsewhere || taken.Created != 3 {
			t.Fatalf("the waiting server's run of the same due time: %+v, want it to run in full", taken)
		}
		if got := tallies(); got != 9 {
			t.Fatalf("after the dead server's due time: %d tallies, want 9 (each source once more)", got)
		}
		var claims int
		if err := rts[0].DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_schedule_runs WHERE schedule = 'fund.count' AND finished_at IS NOT NULL`).Scan(&claims); err != nil {
			t.Fatal(err)
		}
		if claims != 3 {
			t.Fatalf("%d due times recorded as run, want 3", claims)
		}
	})
}

// A rolling upgrade: servers on new definitions migrate and take over; a
// server still on the old ones refuses every write, with a message that
// says why, and is not ready, while it still serves reads. Restarting it
// on the old definitions does not take the database back; growth migrate
// (TakeOver) does, on purpose.
func TestOldDefinitionsRefuseWritesAfterAnUpgrade(t *testing.T) {
	v1 := tallyDefs
	v2 := map[string]string{"fund/app.yaml": strings.Replace(v1["fund/app.yaml"], "      project: {type: string, required: true}\n",
		"      project: {type: string, required: true}\n      note: string\n", 1)}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		dsn := enginetest.FreshDSN(t, d)
		p1, p2 := enginetest.Load(t, v1), enginetest.Load(t, v2)
		start := func(p *metamodel.Project, opts engine.StartOptions) *engine.Runtime {
			t.Helper()
			opts.Logger = enginetest.QuietLogger()
			return enginetest.Must(engine.Start(ctx, enginetest.Connect(t, dsn), p, opts))
		}
		create := func(rt *engine.Runtime) error {
			_, err := rt.Create(ctx, engine.SystemActor, "fund", "allocation", map[string]any{"project": "p"})
			return err
		}
		refused := func(t *testing.T, rt *engine.Runtime, current *metamodel.Project, reads bool) {
			t.Helper()
			err := create(rt)
			var ue *engine.UnavailableError
			if !errors.As(err, &ue) || ue.Code != "definitions_changed" {
				t.Fatalf("a write on old definitions: %v, want refused as definitions_changed", err)
			}
			for _, want := range []string{rt.Project.Hash[:12], current.Hash[:12], "暂停写入"} {
				if !strings.Contains(ue.Message, want) {
					t.Errorf("the refusal %q does not say %q", ue.Message, want)
				}
			}
			if err := rt.Ready(ctx); !errors.As(err, &ue) {
				t.Errorf("a server on old definitions is ready: %v", err)
			}
			if _, err := rt.List(ctx, engine.SystemActor, "fund", "allocation", engine.ListQuery{}); reads && err != nil {
				t.Errorf("a server on old definitions cannot read: %v", err)
			}
		}

		old := start(p1, engine.StartOptions{Access: engine.OpenAccess{}})
		if err := create(old); err != nil {
			t.Fatal(err)
		}
		if err := old.Ready(ctx); err != nil {
			t.Fatalf("a server on the current definitions is not ready: %v", err)
		}
		upgraded := start(p2, engine.StartOptions{Access: engine.OpenAccess{}})
		if _, err := upgraded.Create(ctx, engine.SystemActor, "fund", "allocation", map[string]any{"project": "p", "note": "new field"}); err != nil {
			t.Fatalf("the upgraded server cannot write: %v", err)
		}
		if err := upgraded.Ready(ctx); err != nil {
			t.Fatalf("the upgraded server is not ready: %v", err)
		}
		t.Run("the old server refuses writes", func(t *testing.T) { refused(t, old, p2, true) })
		t.Run("restarting on the old definitions does not take the database back", func(t *testing.T) {
			restarted := start(p1, engine.StartOptions{Access: engine.OpenAccess{}})
			refused(t, restarted, p2, true)
			if err := create(upgraded); err != nil {
				t.Fatalf("the upgraded server was stopped by an old one restarting: %v", err)
			}
		})
		t.Run("growth migrate on the old definitions rolls back on purpose", func(t *testing.T) {
			back := start(p1, engine.StartOptions{Access: engine.OpenAccess{}, TakeOver: true, AllowDestructive: true})
			if err := create(back); err != nil {
				t.Fatal(err)
			}
			// The new field was archived: the upgraded server's reads of it fail too.
			refused(t, upgraded, p1, false)
		})
	})
}

package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
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
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			rts[i], errs[i] = engine.Start(context.Background(), dbs[i], p, engine.StartOptions{Logger: log})
		}()
	}
	start.Done()
	done.Wait()
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

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine/enginetest"
)

// runQuiet runs a command with its standard error captured, and gives up
// after a minute (a command that should have refused to start but serves
// instead would never return).
func runQuiet(t *testing.T, fn func([]string) int, args ...string) (int, string) {
	t.Helper()
	stderr := capture(t, &os.Stderr)
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out := run(t, fn, args...)
		done <- result{code, out}
	}()
	select {
	case res := <-done:
		return res.code, res.out + stderr()
	case <-time.After(time.Minute):
		stderr()
		t.Fatalf("%v did not return within a minute", args)
		return 0, ""
	}
}

// TestEveryCommandRefusesWhatCheckRefuses: on definitions the metamodel
// alone accepts but growth check refuses — a schedule's where naming no field
// (a filter problem import and seed once skipped), a way round an approval
// tier — every command that loads definitions exits 1 with check's message
// and never opens the database (the SQLite file is not created).
func TestEveryCommandRefusesWhatCheckRefuses(t *testing.T) {
	broken := map[string]struct {
		dir  string
		want string
	}{
		"filter": {
			dir:  enginetest.WriteDefinitions(t, map[string]string{"fund/app.yaml": strings.Replace(rulesApp, `where: "project = 'none'"`, `where: "projet = 'none'"`, 1)}),
			want: `fund/app.yaml:29:12: schedule all: where: at 0: unknown field "projet"`,
		},
		"quorum bypass": {
			dir:  filepath.Join(reviewData, "bypass"),
			want: "grants/app.yaml:19: workflow grant: amount above 1000000.00 needs 2 approvals",
		},
	}
	csv := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(csv, []byte("project\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commands := []struct {
		name string
		fn   func([]string) int
		args []string
	}{
		{"check", runCheck, nil},
		{"serve", runServe, []string{"--addr", "127.0.0.1:0", "--no-schedules"}},
		{"import", runImport, []string{"fund", "allocation", csv}},
		{"seed", runSeed, nil},
		{"run-rules", runRules, nil},
		{"plan", runPlan, nil},
		{"migrate", runMigrate, nil},
		{"user list", runUser, []string{"list"}},
		{"audit verify", runAudit, []string{"verify"}},
		{"ledger verify", runLedger, []string{"verify"}},
		{"files sweep", runFiles, []string{"sweep"}},
		{"exchange exceptions", runExchange, []string{"exceptions"}},
		{"reconcile differences", runReconcile, []string{"differences"}},
	}
	for kind, b := range broken {
		for _, c := range commands {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				dbFile := filepath.Join(t.TempDir(), "growth.db")
				args := c.args
				if c.name == "check" {
					args = []string{b.dir}
				} else {
					args = append(append([]string{}, args...), "--db", "sqlite:"+dbFile, "--definitions", b.dir)
				}
				code, out := runQuiet(t, c.fn, args...)
				if code != 1 || !strings.Contains(out, b.want) {
					t.Errorf("exit %d, want 1 with %q; output:\n%s", code, b.want, out)
				}
				if _, err := os.Stat(dbFile); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the database was opened (%v)", err)
				}
			})
		}
	}
}

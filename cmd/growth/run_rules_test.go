package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

const rulesApp = `
app: fund
title: 资金监管
entities:
  allocation:
    fields:
      project:      {type: string, required: true}
      allocated_on: date
  warning:
    fields:
      allocation: {type: ref, entity: allocation, required: true}
      project:    string
      rule:       {type: string, required: true}
    rules:
      - {assert: "project != 'bad'", message: 项目名称不能为 bad, fields: [project]}
schedules:
  idle:
    title: 长期闲置
    every: 24h
    entity: allocation
    when: "today.Sub(allocated_on).Hours() >= 24 * 90"
    create:
      entity: warning
      set: {allocation: "src.id", project: "src.project", rule: "'idle'"}
      unless: "allocation = $allocation and rule = 'idle'"
  all:
    every: 1h
    entity: allocation
    where: "project = 'none'"
    create:
      entity: warning
      set: {allocation: "src.id", rule: "'all'"}
`

func TestRunRulesCommand(t *testing.T) {
	dir := enginetest.WriteDefinitions(t, map[string]string{"fund/app.yaml": rulesApp})
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "rules.db")
	ctx := context.Background()
	db := enginetest.Must(engine.Open(ctx, dsn))
	rt := enginetest.Must(engine.Start(ctx, db, enginetest.LoadDir(t, dir), engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
	old := engine.Today(time.Now()).AddDate(0, 0, -100).Format(time.DateOnly)
	for _, project := range []string{"ok", "bad"} {
		enginetest.Must(rt.Create(ctx, engine.SystemActor, "fund", "allocation", map[string]any{"project": project, "allocated_on": old}))
	}
	db.Close()

	scenarios := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"every rule: one created, one failure listed", nil, 1, []string{
			"fund.idle 长期闲置 2 2 1 0 0 0 0 1 ",
			"fund.all all 0 0 0 0 0 ",
			"fund.idle: record #2: project: 项目名称不能为 bad",
		}},
		{"one rule by app and name: the warning exists", []string{"--app", "fund", "--rule", "idle"}, 1, []string{"fund.idle 长期闲置 2 2 0 1 0 0 0 1 "}},
		{"a rule by name alone", []string{"--rule", "all"}, 0, []string{"fund.all all 0 0 0 0 0 "}},
		{"an unknown app", []string{"--app", "nope"}, 1, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, out := run(t, runRules, append([]string{"--db", dsn, "--definitions", dir}, sc.args...)...)
			if code != sc.code {
				t.Fatalf("exit %d, want %d; output:\n%s", code, sc.code, out)
			}
			// Columns of Chinese titles do not line up in a terminal's cells: compare words.
			var lines []string
			for _, line := range strings.Split(out, "\n") {
				lines = append(lines, strings.Join(strings.Fields(line), " "))
			}
			words := strings.Join(lines, "\n")
			for _, w := range sc.want {
				if !strings.Contains(words, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestCheckReportsFilterProblems: growth check parses the filters of
// schedules, which the metamodel alone cannot, and run-rules refuses to run.
func TestCheckReportsFilterProblems(t *testing.T) {
	dir := enginetest.WriteDefinitions(t, map[string]string{"fund/app.yaml": strings.Replace(rulesApp, `where: "project = 'none'"`, `where: "projet = 'none'"`, 1)})
	code, out := run(t, runCheck, dir)
	if code != 1 || !strings.Contains(out, `fund/app.yaml:29:12: schedule all: where: at 0: unknown field "projet" (did you mean "project"?)`) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if code, _ := run(t, runRules, "--db", "sqlite:"+filepath.Join(t.TempDir(), "x.db"), "--definitions", dir); code != 1 {
		t.Errorf("run-rules ran with a broken filter: exit %d", code)
	}
}

// TestCheckReportsQuorumBypass: growth check fails on a path round an
// approval tier and names it with file:line.
func TestCheckReportsQuorumBypass(t *testing.T) {
	code, out := run(t, runCheck, filepath.Join(reviewData, "bypass"))
	if code != 1 || !strings.Contains(out, "grants/app.yaml:19: workflow grant: amount above 1000000.00 needs 2 approvals (approve_large at grants/app.yaml:20), but a record with amount from 1000000.01 to 5000000.00 reaches approved with at most 1 approval per step") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if code, out := run(t, runCheck, "../../definitions"); code != 0 {
		t.Errorf("the shipped definitions: exit %d, output:\n%s", code, out)
	}
}

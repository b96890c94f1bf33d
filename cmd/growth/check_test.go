package main

import (
	"strings"
	"testing"
)

// TestCheckPrintsWarnings: growth check shows a warning at its file:line:col,
// marked as a warning, and still succeeds.
func TestCheckPrintsWarnings(t *testing.T) {
	code, out := run(t, runCheck, "../../metamodel/testdata/warn/hidden_computed")
	if code != 0 {
		t.Fatalf("a warning failed check: exit %d\n%s", code, out)
	}
	want := "pay/app.yaml:11:55: warning: role bank may read line.deductions, computed from fields hidden from it (pension, tax)"
	if !strings.Contains(out, want) || !strings.Contains(out, "ok: 1 apps, 1 entities, 0 code sets (0 codes) in ../../metamodel/testdata/warn/hidden_computed, 1 warning(s)") {
		t.Fatalf("output lacks the warning %q:\n%s", want, out)
	}
}

// TestCheckListsFilterProblemsAmongOthers: a misspelt field in a rollup's
// where is reported together with the definitions' other problems, not only
// once they are fixed.
func TestCheckListsFilterProblemsAmongOthers(t *testing.T) {
	code, out := run(t, runCheck, "testdata/rollup_where_among_others")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		`app1/app.yaml:5:84: field batch.total: where: at 0: unknown field "stat"`,
		`app1/app.yaml:6:31: field batch.count: min must be a whole number, got "abc"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

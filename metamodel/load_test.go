package metamodel

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites the expected.txt of every invalid case:
//
//	go test ./metamodel -run TestLoadInvalid -update
//
// Review the diff by eye: each message must say what is wrong and where.
var update = flag.Bool("update", false, "rewrite testdata/invalid/*/expected.txt from the current output")

// caseDirs lists the case folders under testdata/<kind>.
func caseDirs(t testing.TB, kind string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", kind))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no cases under testdata/%s", kind)
	}
	return dirs
}

// TestLoadValid loads every definitions folder under testdata/valid; each must
// load with no problem at all.
func TestLoadValid(t *testing.T) {
	for _, name := range caseDirs(t, "valid") {
		t.Run(name, func(t *testing.T) {
			p, err := Load(filepath.Join("testdata", "valid", name))
			if err != nil {
				t.Fatalf("want no problems, got:\n%v", err)
			}
			if len(p.Apps) == 0 {
				t.Fatal("loaded no apps")
			}
		})
	}
}

// TestLoadInvalid loads every definitions folder under testdata/invalid and
// compares the problems reported, one per line, with the case's expected.txt.
func TestLoadInvalid(t *testing.T) {
	for _, name := range caseDirs(t, "invalid") {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "invalid", name)
			_, err := Load(dir)
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("want a *DefinitionError, got %v", err)
			}
			got := de.Error() + "\n"
			golden := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./metamodel -run TestLoadInvalid -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestLoadInvalidPositions checks that each problem points into the case
// folder with a line, so that an editor can jump to it (app folder names are
// the one problem without a line).
func TestLoadInvalidPositions(t *testing.T) {
	for _, name := range caseDirs(t, "invalid") {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "invalid", name)
			_, err := Load(dir)
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("want a *DefinitionError, got %v", err)
			}
			for _, p := range de.Problems {
				if _, statErr := os.Stat(filepath.Join(dir, filepath.FromSlash(p.Pos.File))); statErr != nil {
					t.Errorf("%s: position names no file of the case: %v", p, statErr)
				}
				if p.Pos.Line == 0 && !strings.HasPrefix(p.Message, "app folder") {
					t.Errorf("%s: no line", p)
				}
			}
		})
	}
}

// TestLoadShippedDefinitions loads the definitions the project ships.
func TestLoadShippedDefinitions(t *testing.T) {
	p, err := Load(filepath.Join("..", "definitions"))
	if err != nil {
		t.Fatalf("the shipped definitions have problems:\n%v", err)
	}
	if p.App("basedata") == nil {
		t.Fatal("app basedata is missing")
	}
	if p.Hash == "" || len(p.Files) == 0 {
		t.Fatalf("hash %q over %d files", p.Hash, len(p.Files))
	}
}

// TestLoadResolves checks what the checker binds in the valid full case:
// references across apps, workflows, code sets and compiled programs.
func TestLoadResolves(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid", "full"))
	if err != nil {
		t.Fatal(err)
	}
	pay := p.App("pay")
	if pay == nil {
		t.Fatal("app pay is missing")
	}
	payment := pay.Entity("payment")
	if payment == nil {
		t.Fatal("entity pay.payment is missing")
	}
	scenarios := []struct {
		name string
		ok   bool
	}{
		{"ref to another app's entity", payment.Field("project").Target == p.Entity(nil, "base.project")},
		{"code field bound to a set of another app", payment.Field("agency").Set == p.CodeSet("agency")},
		{"code field bound to an extension set", payment.Field("func_class").Set.Base == p.CodeSet("func_class")},
		{"workflow bound to its entity", payment.Workflow == pay.Workflow("payment") && pay.Workflow("payment").Target == payment},
		{"computed field compiled", payment.Field("fee").Program != nil},
		{"rule assert and when compiled", payment.Rules[0].AssertProgram != nil && payment.Rules[0].WhenProgram != nil},
		{"guard compiled", pay.Workflow("payment").Transitions[1].GuardProgram != nil},
		{"set values compiled", len(pay.Workflow("payment").Transitions[1].SetPrograms) == 2},
		{"files of the app in order", strings.Join(pay.Files, " ") == "pay/access.yaml pay/app.yaml pay/entities.yaml pay/workflow.yaml"},
		{"app title from app.yaml", pay.Title == "支付"},
		{"field type resolved", payment.Field("amount").Kind == LookupFieldType("money")},
		{"relative entity lookup", p.Entity(pay, "payment") == payment && p.Entity(pay, "nope") == nil && p.Entity(nil, "payment") == nil},
		{"role lookup", pay.Role("clerk") != nil && pay.Role("nobody") == nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if !sc.ok {
				t.Fail()
			}
		})
	}
}

// TestLoadNoApps reports an empty definitions folder rather than serving nothing.
func TestLoadNoApps(t *testing.T) {
	_, err := Load(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no app folders") {
		t.Fatalf("want a no-apps problem, got %v", err)
	}
}

// BenchmarkLoadDefinitions loads and checks the shipped definitions: the cost
// of `growth check` and of every start of `growth serve`.
func BenchmarkLoadDefinitions(b *testing.B) {
	dir := filepath.Join("..", "definitions")
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadWarnings loads every definitions folder under testdata/warn: each
// loads without problems, and its warnings, one per line, match the case's
// expected.txt.
func TestLoadWarnings(t *testing.T) {
	for _, name := range caseDirs(t, "warn") {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "warn", name)
			p, err := Load(dir)
			if err != nil {
				t.Fatalf("warnings must not be problems: %v", err)
			}
			var b strings.Builder
			for _, w := range p.Warnings {
				b.WriteString(w.String() + "\n")
			}
			got := b.String()
			golden := filepath.Join(dir, "expected.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./metamodel -run TestLoadWarnings -update to create it)", err)
			}
			if got != string(want) || got == "" {
				t.Errorf("warnings differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

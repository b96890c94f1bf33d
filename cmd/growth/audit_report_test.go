package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// run runs a subcommand and returns its exit status and standard output.
func run(t *testing.T, fn func([]string) int, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	code := fn(args)
	w.Close()
	os.Stdout = saved
	return code, <-done
}

const reviewData = "../../metamodel/review/testdata"

func TestAuditReportCommand(t *testing.T) {
	seeded := filepath.Join(reviewData, "seeded")
	scenarios := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"markdown findings with positions", []string{seeded}, 0, []string{
			"| high | claims/roles.yaml:6 | role clerk may both create claim and approve it",
			"| high | claims/workflow.yaml:6 | workflow claim: state archived cannot be reached",
			"| medium | claims/workflow.yaml:13 | workflow claim: transition pay has no roles",
			"| clerk 经办 | own | ✓ | ✓ | ✓ |  |  | ✓ | ✓ |  |  |",
			"```mermaid",
		}},
		{"html with drawn diagrams", []string{"--format", "html", "--definitions", seeded}, 0, []string{"<svg", "claims/roles.yaml:6"}},
		{"fail on high findings", []string{seeded, "--fail-on", "high"}, 1, nil},
		{"a higher threshold for large amounts", []string{seeded, "--large-amount", "1e12", "--fail-on", "medium"}, 1, nil},
		{"bad format", []string{seeded, "--format", "pdf"}, 2, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, out := run(t, runAuditReport, sc.args...)
			if code != sc.code {
				t.Errorf("exit status %d, want %d", code, sc.code)
			}
			for _, w := range sc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output has no %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestDiagramCommand(t *testing.T) {
	seeded := filepath.Join(reviewData, "seeded")
	scenarios := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"claims", "claim", "--definitions", seeded}, 0, "stateDiagram-v2"},
		{[]string{"--definitions", seeded, "--format", "dot", "claims", "claim"}, 0, "digraph \"claim\""},
		{[]string{"claims", "claim", "--format", "svg", "--definitions", seeded}, 0, "<svg xmlns"},
		{[]string{"claims", "nope", "--definitions", seeded}, 1, ""},
		{[]string{"claims", "claim", "--format", "png", "--definitions", seeded}, 2, ""},
	}
	for _, sc := range scenarios {
		code, out := run(t, runDiagram, sc.args...)
		if code != sc.code || !strings.Contains(out, sc.want) {
			t.Errorf("growth diagram %s: exit %d, want %d; output %.80q, want %q", strings.Join(sc.args, " "), code, sc.code, out, sc.want)
		}
	}
}

// TestDiffCommand compares two folders, then the same two versions as the
// runtime stored them, and expects the same change list.
func TestDiffCommand(t *testing.T) {
	oldDir, newDir := filepath.Join(reviewData, "diff", "old"), filepath.Join(reviewData, "diff", "new")
	golden, err := os.ReadFile(filepath.Join(reviewData, "golden", "diff.txt"))
	if err != nil {
		t.Fatal(err)
	}
	code, out := run(t, runDiff, oldDir, newDir)
	if code != 1 || !strings.HasSuffix(out, string(golden)) {
		t.Fatalf("diff of folders: exit %d, output:\n%s\nwant the changes of diff.txt", code, out)
	}
	if code, out := run(t, runDiff, newDir, newDir); code != 0 || !strings.HasPrefix(out, "no changes") {
		t.Errorf("a folder against itself: exit %d, %q", code, out)
	}

	dbPath := filepath.Join(t.TempDir(), "growth.db")
	var hashes []string
	for _, dir := range []string{oldDir, newDir} {
		p, err := metamodel.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		db, err := engine.Open(context.Background(), "sqlite:"+dbPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Start(context.Background(), db, p, engine.StartOptions{Logger: enginetest.QuietLogger(), AllowDestructive: true}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		hashes = append(hashes, p.Hash)
	}
	code, out = run(t, runDiff, "--db", "sqlite:"+dbPath, "--list")
	if code != 0 || !strings.Contains(out, hashes[0]) || !strings.Contains(out, hashes[1]) {
		t.Errorf("--list: exit %d, output %q, want both versions", code, out)
	}
	code, out = run(t, runDiff, "--db", "sqlite:"+dbPath, hashes[0][:10], hashes[1][:10])
	if code != 1 || !strings.HasSuffix(out, string(golden)) {
		t.Errorf("diff of stored versions: exit %d, output:\n%s\nwant the changes of diff.txt", code, out)
	}
	if code, _ := run(t, runDiff, "--db", "sqlite:"+dbPath, "ffff0000", hashes[1][:10]); code != 2 {
		t.Errorf("an unknown version: exit %d, want 2", code)
	}
}

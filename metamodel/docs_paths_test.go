package metamodel

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// machinePath is a path only the developers' machines have: an absolute
// home or work folder, or the notes beside the repository.
var machinePath = regexp.MustCompile(`(^|[\s(\x60"'])(/work/|/home/|/Users/|\.\./shared\b|\.\./\.\./shared\b)`)

// TestDocsPointOnlyIntoTheProject: the docs a user reads (docs/, the apps'
// pages, the definitions' READMEs) send them to no path outside the project.
func TestDocsPointOnlyIntoTheProject(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../docs/*.md", "../docs/apps/*.md", "../definitions/*/README.md", "../README.md"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d docs: %v", len(files), files)
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if loc := machinePath.FindIndex(text); loc != nil {
			t.Errorf("%s points outside the project: %q", f, text[loc[0]:min(loc[1]+40, len(text))])
		}
	}
}

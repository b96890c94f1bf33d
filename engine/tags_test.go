package engine_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/growth-gov/growth/metamodel"
)

// TestCheckTagsGolden: growth check (engine.LoadDefinitions) reports, at their
// positions, a tag naming an unknown field or code, tags that name each
// other in a loop, an unknown tag, a criterion that does not parse, and a
// report's tag whose fields the report's entity lacks.
func TestCheckTagsGolden(t *testing.T) {
	src, err := os.ReadFile("testdata/invalid/tags/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = loadErr(t, map[string]string{"t/app.yaml": string(src)})
	var de *metamodel.DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("LoadDefinitions: %v", err)
	}
	var lines []string
	for _, pr := range de.Problems {
		lines = append(lines, pr.String())
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := "testdata/invalid/tags/expected.txt"
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := os.ReadFile(golden)
	if got != string(want) {
		t.Errorf("problems differ from %s (go test ./engine -run TestCheckTagsGolden -update-golden)\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/review"
)

func init() {
	register(command{name: "diagram", summary: "draw a workflow with roles and guards: --format mermaid, dot or svg", run: runDiagram})
}

func runDiagram(args []string) int {
	fs := flag.NewFlagSet("diagram", flag.ContinueOnError)
	format := fs.String("format", "mermaid", "mermaid, dot or svg")
	definitions := fs.String("definitions", "", "definitions folder (env GROWTH_DEFINITIONS; default definitions)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: growth diagram APP WORKFLOW [--format mermaid|dot|svg] [--definitions DIR]")
		fmt.Fprintln(fs.Output(), "Draws the workflow with each transition's roles, not_by, quorum and guard on its edge.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	p, problems, err := loadForReview(*definitions)
	if err != nil {
		return fail("diagram", err)
	}
	warnProblems("diagram", problems)
	if len(pos) == 0 {
		fs.Usage()
		return 2
	}
	a := p.App(pos[0])
	if a == nil {
		var names []string
		for _, a := range p.Apps {
			names = append(names, a.Name)
		}
		return fail("diagram", fmt.Errorf("no app %q; apps: %s", pos[0], strings.Join(names, ", ")))
	}
	var names []string
	for _, w := range a.Workflows {
		names = append(names, w.Name)
	}
	if len(pos) != 2 {
		fmt.Fprintf(os.Stderr, "growth diagram: name a workflow of app %s: %s\n", a.Name, strings.Join(names, ", "))
		return 2
	}
	w := a.Workflow(pos[1])
	if w == nil {
		return fail("diagram", fmt.Errorf("app %s has no workflow %q; its workflows: %s", a.Name, pos[1], strings.Join(names, ", ")))
	}
	switch *format {
	case "mermaid":
		fmt.Print(review.Mermaid(w))
	case "dot":
		fmt.Print(review.DOT(w))
	case "svg":
		fmt.Print(review.SVG(w))
	default:
		fmt.Fprintf(os.Stderr, "growth diagram: --format is mermaid, dot or svg, got %q\n", *format)
		return 2
	}
	return 0
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments (growth diagram APP WF --format svg), and returns the
// positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// loadForReview loads and checks definitions for the auditor's commands.
// Unlike serve, they go on when the definitions have problems: a review of a
// broken definition is still worth having. The problems are returned; a way
// round an approval tier is not one here, the review lists it as a finding.
func loadForReview(dir string) (*metamodel.Project, []metamodel.Problem, error) {
	p, err := engine.LoadDefinitions(definitionsDir(dir))
	var de *metamodel.DefinitionError
	if errors.As(err, &de) && p != nil {
		return p, de.Problems, nil
	}
	var qe *engine.QuorumBypassError
	if errors.As(err, &qe) {
		return p, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return p, nil, nil
}

func warnProblems(cmd string, problems []metamodel.Problem) {
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "growth %s: warning: the definitions have %d problem(s); run growth check to see them\n", cmd, len(problems))
	}
}

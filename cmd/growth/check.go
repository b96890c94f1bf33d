package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

func init() {
	register(command{name: "check", summary: "check definitions and report every problem as file:line:col", run: runCheck})
}

func runCheck(args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: growth check [DIR]   (default: definitions, or $GROWTH_DEFINITIONS)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := definitionsDir("")
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	// The one check every command runs: every problem at once, those of
	// the filters too, even when the definitions have others.
	p, err := engine.LoadDefinitions(dir)
	var de *metamodel.DefinitionError
	if errors.As(err, &de) {
		fmt.Println(de.Error())
		fmt.Fprintf(os.Stderr, "%d problem(s) in %s\n", len(de.Problems), dir)
		return 1
	}
	// A way round an amount tier is a broken control, not a matter of
	// taste: check fails on it like on a problem (audit-report lists it too).
	var qe *engine.QuorumBypassError
	if errors.As(err, &qe) {
		fmt.Println(qe.Error())
		fmt.Fprintf(os.Stderr, "%d way(s) round an approval tier in %s\n", len(qe.Findings), dir)
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "growth check:", err)
		return 1
	}
	// Warnings do not fail check: the definitions run as written.
	for _, w := range p.Warnings {
		fmt.Printf("%s: warning: %s\n", w.Pos, w.Message)
	}
	entities, codes := 0, 0
	for _, a := range p.Apps {
		entities += len(a.Entities)
	}
	for _, cs := range p.CodeSets() {
		codes += cs.Len()
	}
	warnings := ""
	if n := len(p.Warnings); n > 0 {
		warnings = fmt.Sprintf(", %d warning(s)", n)
	}
	fmt.Printf("ok: %d apps, %d entities, %d code sets (%d codes) in %s%s\n", len(p.Apps), entities, len(p.CodeSets()), codes, dir, warnings)
	return 0
}

// definitionsDir picks the definitions folder: the flag, then GROWTH_DEFINITIONS,
// then ./definitions.
func definitionsDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("GROWTH_DEFINITIONS"); env != "" {
		return env
	}
	return "definitions"
}

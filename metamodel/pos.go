package metamodel

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is where a node of a definition was written.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col, the form editors jump to.
func (p Pos) String() string {
	if p.File == "" {
		return "<unknown>"
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with a definition, at a position.
type Problem struct {
	Pos     Pos
	Message string
}

func (p Problem) String() string { return p.Pos.String() + ": " + p.Message }

// Problems collects every problem found in one load, so that an implementer sees
// all of them at once rather than one per run.
type Problems struct {
	List []Problem
}

// Addf records a problem at pos.
func (ps *Problems) Addf(pos Pos, format string, args ...any) {
	ps.List = append(ps.List, Problem{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// Len is the number of problems recorded.
func (ps *Problems) Len() int { return len(ps.List) }

// Err returns nil when nothing was recorded, or an error listing every problem
// sorted by file and position.
func (ps *Problems) Err() error {
	if len(ps.List) == 0 {
		return nil
	}
	sorted := append([]Problem(nil), ps.List...)
	sortProblems(sorted)
	return &DefinitionError{Problems: sorted}
}

// sortProblems sorts problems by file and position, then by text.
func sortProblems(sorted []Problem) {
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Pos, sorted[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		// Problems found by walking a map share a position; order them by text
		// so that the output is the same on every run.
		return sorted[i].Message < sorted[j].Message
	})
}

// DefinitionError is returned by Load when a definition is not valid.
type DefinitionError struct {
	Problems []Problem
}

func (e *DefinitionError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/review"
)

// Load, then check, then serve. Definitions reach a runtime by one path:
// metamodel.Load parses them and checks what the definition language alone
// can see; Check adds what needs the engine (the filters written in the
// definitions, compiled as the runtime compiles them, and the ways round an
// approval tier). LoadDefinitions runs both and is what every command calls;
// NewRuntime runs Check again on the stores it will serve with and needs an
// access checker, so that no runtime serves definitions growth check refuses.

// QuorumBypassError lists the ways round an approval tier in definitions
// that otherwise check (review's quorum_bypass findings): a control that
// does not hold is refused like a problem. Each finding names a file and line.
type QuorumBypassError struct {
	Findings []review.Finding
}

func (e *QuorumBypassError) Error() string {
	lines := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		lines[i] = f.Where() + ": " + f.Message
	}
	return strings.Join(lines, "\n")
}

// LoadDefinitions loads the definitions in dir and checks them (Check). It
// returns every problem at once, those of the metamodel and those of the
// filters, as a *metamodel.DefinitionError sorted by position; on
// definitions without problems, a way round an approval tier as a
// *QuorumBypassError. The project comes back with a DefinitionError when it
// loaded far enough to be read, for the reviewer's commands that go on.
func LoadDefinitions(dir string) (*metamodel.Project, error) {
	p, err := metamodel.Load(dir)
	var de *metamodel.DefinitionError
	if err != nil && !errors.As(err, &de) {
		return nil, err
	}
	if p == nil {
		return nil, err
	}
	ps := &metamodel.Problems{}
	if de != nil {
		ps.List = append(ps.List, de.Problems...)
	}
	// On definitions that did not load, the filters of the entities whose
	// fields all resolved are still checked: every problem at once.
	stores, _ := newStores(SQLite, p)
	checkFilters(p, SQLite, stores, ps)
	if err := ps.Err(); err != nil {
		return p, err
	}
	return p, checkQuorums(p)
}

// Check finds what is wrong in loaded definitions beyond what the metamodel
// checks: every filter the definitions write (the where and sort of export
// and exchange lines, schedules, reports, rollups, generated records and
// data tags), as a *metamodel.DefinitionError with each problem at its
// file:line:col, then the ways round an approval tier (*QuorumBypassError).
// It needs no database: the problems are the same on both dialects.
func Check(p *metamodel.Project) error {
	stores, err := newStores(SQLite, p)
	if err != nil {
		return err
	}
	return check(p, SQLite, stores)
}

// check is Check on the stores of dialect d (NewRuntime's own).
func check(p *metamodel.Project, d Dialect, stores map[string]*entityStore) error {
	ps := &metamodel.Problems{}
	checkFilters(p, d, stores, ps)
	if err := ps.Err(); err != nil {
		return err
	}
	return checkQuorums(p)
}

// checkQuorums refuses a way round an approval tier.
func checkQuorums(p *metamodel.Project) error {
	if found := review.QuorumBypasses(p); len(found) > 0 {
		return &QuorumBypassError{Findings: found}
	}
	return nil
}

// newStores builds the store of every entity of p for dialect d: its
// columns and the SQL of its hot paths. An entity with a field whose type
// did not resolve (definitions that did not load) gets none, and is named in
// the error.
func newStores(d Dialect, p *metamodel.Project) (map[string]*entityStore, error) {
	stores := map[string]*entityStore{}
	var unresolved []string
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			if !resolved(e) {
				unresolved = append(unresolved, e.QualifiedName())
				continue
			}
			stores[e.QualifiedName()] = newEntityStore(d, e)
		}
	}
	if len(unresolved) > 0 {
		return stores, fmt.Errorf("the definitions did not load: fields of unknown type in %s", strings.Join(unresolved, ", "))
	}
	return stores, nil
}

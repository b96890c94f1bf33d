package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// checkFilters adds the problems of the filters written in the definitions
// that the metamodel cannot parse (the filter language and the columns live
// in the engine): the where of export lines, exchange lines, schedules and
// reports, the sort of export lines, the unless of schedules, the where of
// rollup fields, the from where and unless of generated records, and the data
// tags. Each is compiled as the runtime compiles it, against stores of
// dialect d; an entity without a store (one whose fields did not all
// resolve) is left to the metamodel's problems.
func checkFilters(p *metamodel.Project, d Dialect, stores map[string]*entityStore, ps *metamodel.Problems) {
	store := func(e *metamodel.Entity) *entityStore {
		if e == nil {
			return nil
		}
		return stores[e.QualifiedName()]
	}
	check := func(pos metamodel.Pos, what string, e *metamodel.Entity, src string, params bool) {
		s := store(e)
		if s == nil || strings.TrimSpace(src) == "" {
			return
		}
		node, err := filter.Parse(src)
		if err == nil {
			if params {
				err = checkFilterFields(node, s.columnResolver())
			} else {
				_, _, err = filter.Compile(node, s.columnResolver(), binder{d}, 0)
			}
		}
		if err != nil {
			var fe *filter.Error
			if errors.As(err, &fe) {
				ps.Addf(pos, "%s: %s (in %q)", what, fe.Error(), src)
			} else {
				ps.Addf(pos, "%s: %v", what, err)
			}
		}
	}
	for _, a := range p.Apps {
		for _, x := range a.Exports {
			if l := x.Lines; l != nil && store(l.Target) != nil {
				check(l.At["where"], "export "+x.Name+": lines: where", l.Target, l.Where, false)
				if _, err := store(l.Target).definitionOrder(l.Sort); err != nil {
					ps.Addf(l.At["sort"], "export %s: lines: sort: %v", x.Name, err)
				}
			}
		}
		for _, x := range a.Exchanges {
			for _, m := range x.Outbound {
				if l := m.Lines; l != nil {
					check(l.At["where"], "exchange "+x.Name+": outbound "+m.Name+": lines: where", l.Target, l.Where, false)
				}
			}
		}
		for _, s := range a.Schedules {
			check(s.At["where"], "schedule "+s.Name+": where", s.Target, s.Where, false)
			if c := s.Create; c != nil {
				check(c.At["unless"], "schedule "+s.Name+": create: unless", c.Target, c.Unless, true)
			}
		}
		for _, r := range a.Reports {
			s := store(a.Entity(r.Entity))
			if s == nil || strings.TrimSpace(r.Where) == "" {
				continue
			}
			// A report's where may name paths along refs and data tags.
			node, err := filter.Parse(r.Where)
			if err == nil {
				node, err = filter.Expand(node, tagLookup(p), nil)
			}
			if err == nil {
				_, _, err = filter.Compile(node, s.pathResolver(), binder{d}, 0)
			}
			if err != nil {
				ps.Addf(r.At["where"], "report %s: where: %s (in %q)", r.Name, filterMessage(err), r.Where)
			}
		}
	}
	checkTags(p, d, store, ps)
	checkLinkFilters(p, ps, check)
}

// resolved reports whether every field of e has a known type, so that its
// table can be described (a definition that did not load may have others).
func resolved(e *metamodel.Entity) bool {
	for _, f := range e.Fields {
		if f.Kind == nil {
			return false
		}
	}
	return true
}

// checkFilterFields checks that every field a filter names resolves; a
// filter with $names cannot be compiled before its values are known.
func checkFilterFields(n filter.Node, resolve filter.Resolver) error {
	var err error
	field := func(name string, off int) {
		if _, ok := resolve(name); !ok && err == nil {
			err = &filter.Error{Offset: off, Message: fmt.Sprintf("unknown field %q", name)}
		}
	}
	var walk func(filter.Node)
	walk = func(n filter.Node) {
		switch x := n.(type) {
		case *filter.And:
			for _, t := range x.Terms {
				walk(t)
			}
		case *filter.Or:
			for _, t := range x.Terms {
				walk(t)
			}
		case *filter.Not:
			walk(x.Term)
		case *filter.Compare:
			field(x.Field, x.Offset)
		case *filter.In:
			field(x.Field, x.Offset)
		case *filter.Like:
			field(x.Field, x.Offset)
		case *filter.Under:
			field(x.Field, x.Offset)
		case *filter.IsNull:
			field(x.Field, x.Offset)
		}
	}
	walk(n)
	return err
}

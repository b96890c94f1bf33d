package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// CheckFilters checks the filters written in the definitions that the
// metamodel cannot parse (the filter language lives in the engine): the where
// of export lines, schedules and reports, the sort of export lines, the
// unless of schedules, the where of rollup fields and the from where of
// generated records. It returns a *metamodel.DefinitionError listing every
// problem at its file:line:col, or nil. growth check, serve and run-rules call
// it after loading, so that a typo stops them rather than a later run.
func CheckFilters(p *metamodel.Project) error {
	rt := &Runtime{DB: &DB{Dialect: SQLite}}
	ps := &metamodel.Problems{}
	store := func(e *metamodel.Entity) *entityStore { return newEntityStore(rt.DB, e) }
	check := func(pos metamodel.Pos, what string, e *metamodel.Entity, src string, params bool) {
		if e == nil || strings.TrimSpace(src) == "" || !resolved(e) {
			return
		}
		node, err := filter.Parse(src)
		if err == nil {
			s := store(e)
			if params {
				err = checkFilterFields(node, rt.scopeResolver(s))
			} else {
				_, _, err = filter.Compile(node, rt.scopeResolver(s), binder{rt.DB}, 0)
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
			if l := x.Lines; l != nil && l.Target != nil {
				check(l.At["where"], "export "+x.Name+": lines: where", l.Target, l.Where, false)
				if _, err := rt.definitionOrder(store(l.Target), l.Sort); err != nil {
					ps.Addf(l.At["sort"], "export %s: lines: sort: %v", x.Name, err)
				}
			}
		}
		for _, x := range a.Exchanges {
			for _, m := range x.Outbound {
				if l := m.Lines; l != nil && l.Target != nil {
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
			e := a.Entity(r.Entity)
			if e == nil || strings.TrimSpace(r.Where) == "" {
				continue
			}
			// A report's where may name paths along refs and data tags.
			node, err := filter.Parse(r.Where)
			if err == nil {
				node, err = filter.Expand(node, tagLookup(p), nil)
			}
			if err == nil {
				s := store(e)
				_, _, err = filter.Compile(node, func(name string) (filter.Column, bool) {
					return rt.pathColumn(s, name, nil, rt.scopeResolver(s))
				}, binder{rt.DB}, 0)
			}
			if err != nil {
				ps.Addf(r.At["where"], "report %s: where: %s (in %q)", r.Name, filterMessage(err), r.Where)
			}
		}
	}
	checkTags(rt, p, ps)
	checkLinkFilters(p, ps, check)
	return ps.Err()
}

// CheckAll is growth check's whole check: the problems Load found (loadErr)
// and those of the filters, in one list sorted by position, so that an
// implementer sees every problem at once. On definitions that did not load,
// the filters of entities whose fields all resolved are still checked.
func CheckAll(p *metamodel.Project, loadErr error) error {
	var de *metamodel.DefinitionError
	if loadErr != nil && !errors.As(loadErr, &de) {
		return loadErr
	}
	if p == nil {
		return loadErr
	}
	ps := &metamodel.Problems{}
	if de != nil {
		ps.List = append(ps.List, de.Problems...)
	}
	if err := CheckFilters(p); err != nil {
		var fe *metamodel.DefinitionError
		if !errors.As(err, &fe) {
			return err
		}
		ps.List = append(ps.List, fe.Problems...)
	}
	return ps.Err()
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

package engine

import (
	"errors"
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// Data tags (tags: in the definitions) are criteria named once and written
// tag('民生支出') or #民生支出 in a filter. The engine expands them into
// their criteria before compiling a list's or a report's filter; the
// checker (checkFilters) compiles each against its entity and refuses a tag
// that names itself through others.

// tagLookup parses the tags of p on demand.
func tagLookup(p *metamodel.Project) filter.TagLookup {
	return func(name string) (filter.Node, bool) {
		t := p.Tag(name)
		if t == nil {
			return nil, false
		}
		n, err := filter.Parse(t.Where)
		if err != nil {
			return nil, false
		}
		return n, true
	}
}

// expandTags replaces the tags of n; allowed (when not nil) lists the tags n
// itself may name.
func (rt *Runtime) expandTags(n filter.Node, allowed []string) (filter.Node, error) {
	if len(filter.Tags(n)) == 0 {
		return n, nil
	}
	return filter.Expand(n, tagLookup(rt.Project), allowed)
}

// tagField marks the fields of a tag's criterion in a report reader's filter:
// the criterion was written in the definitions, so it may name any field of
// the entity, not only the report's declared filters.
const tagField = "\x00tag:"

// expandReportTags expands the report's tags in a reader's filter, marking
// the fields the tags bring in (tagField).
func (rt *Runtime) expandReportTags(n filter.Node, allowed []string) (filter.Node, error) {
	if len(filter.Tags(n)) == 0 {
		return n, nil
	}
	base := tagLookup(rt.Project)
	return filter.Expand(n, func(name string) (filter.Node, bool) {
		crit, ok := base(name)
		if ok {
			crit = markFields(crit)
		}
		return crit, ok
	}, allowed)
}

func markFields(n filter.Node) filter.Node {
	return filter.MapLeaves(n, func(leaf filter.Node) filter.Node {
		switch x := leaf.(type) {
		case *filter.Compare:
			c := *x
			c.Field = tagField + c.Field
			return &c
		case *filter.In:
			c := *x
			c.Field = tagField + c.Field
			return &c
		case *filter.Like:
			c := *x
			c.Field = tagField + c.Field
			return &c
		case *filter.Under:
			c := *x
			c.Field = tagField + c.Field
			return &c
		case *filter.IsNull:
			c := *x
			c.Field = tagField + c.Field
			return &c
		}
		return leaf
	})
}

// Tags are the data tags that apply to e (declared on it), for list pages.
func (rt *Runtime) Tags(e *metamodel.Entity) []*metamodel.Tag {
	var out []*metamodel.Tag
	for _, a := range rt.Project.Apps {
		for _, t := range a.Tags {
			if t.Target == e {
				out = append(out, t)
			}
		}
	}
	return out
}

// checkTags adds the problems of the project's tags and of the tags reports
// name: a criterion that does not parse or compile on its entity (unknown
// field or code), a tag that names itself through others, a report's tag
// whose fields its entity lacks.
func checkTags(p *metamodel.Project, d Dialect, store func(*metamodel.Entity) *entityStore, ps *metamodel.Problems) {
	lookup := tagLookup(p)
	compile := func(pos metamodel.Pos, what string, e *metamodel.Entity, n filter.Node) {
		s := store(e)
		if s == nil {
			return
		}
		if _, _, err := filter.Compile(n, s.pathResolver(), binder{d}, 0); err != nil {
			ps.Addf(pos, "%s: %s", what, filterMessage(err))
		}
	}
	for _, a := range p.Apps {
		for _, t := range a.Tags {
			if strings.TrimSpace(t.Where) == "" {
				continue
			}
			what := "tag " + t.Name + ": where"
			n, err := filter.Parse(t.Where)
			if err == nil {
				_, err = filter.Expand(&filter.Tag{Name: t.Name}, lookup, nil)
			}
			if err != nil {
				ps.Addf(t.At["where"], "%s: %s (in %q)", what, filterMessage(err), t.Where)
				continue
			}
			if t.Target != nil {
				// The tag's own conditions; the tags it names are checked
				// on their own.
				compile(t.At["where"], what, t.Target, withoutTags(n))
			}
		}
		for _, r := range a.Reports {
			e := a.Entity(r.Entity)
			if e == nil {
				continue
			}
			for i, name := range r.Tags {
				if p.Tag(name) == nil {
					continue // the metamodel reports it
				}
				n, err := filter.Expand(&filter.Tag{Name: name}, lookup, nil)
				if err != nil {
					continue // reported on the tag
				}
				compile(metamodel.ItemPos(r.At, "tags", i), "report "+r.Name+": tags: "+name+" on entity "+e.Name, e, n)
			}
		}
	}
}

func filterMessage(err error) string {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return err.Error()
}

// withoutTags replaces the tags in n by a condition that always compiles.
func withoutTags(n filter.Node) filter.Node {
	return filter.MapLeaves(n, func(leaf filter.Node) filter.Node {
		if x, ok := leaf.(*filter.Tag); ok {
			return &filter.IsNull{Field: "id", Offset: x.Offset}
		}
		return leaf
	})
}

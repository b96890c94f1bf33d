package engine

import (
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// scopeImplied reports whether the filter of a list already keeps every
// record inside the data scope, so that the scope's condition would add
// nothing but work: `agency = '101001'` by a user whose scope is department
// 101. The planner cannot know that one condition implies the other; given
// both, PostgreSQL without fresh statistics intersected the two indexes and
// sorted every matching row (docs/performance.md). Only a comparison that
// every record of the result must pass counts: one of the filter's top-level
// AND terms, `field = 'code'` or (under a subtree scope) `field under 'code'`,
// on the scope's own field.
func scopeImplied(node filter.Node, scope filter.Node, e *metamodel.Entity) bool {
	if node == nil || scope == nil {
		return false
	}
	terms := []filter.Node{node}
	if and, ok := node.(*filter.And); ok {
		terms = and.Terms
	}
	for _, t := range terms {
		if termWithin(t, scope, e) {
			return true
		}
	}
	return false
}

// termWithin reports whether every record term admits is inside scope.
func termWithin(term, scope filter.Node, e *metamodel.Entity) bool {
	field, code, under := "", "", false
	switch t := term.(type) {
	case *filter.Compare:
		if t.Op != filter.Eq || t.Value.Kind != filter.String {
			return false
		}
		field, code = t.Field, t.Value.Text
	case *filter.Under:
		field, code, under = t.Field, t.Code.Text, true
	default:
		return false
	}
	switch s := scope.(type) {
	case *filter.Compare:
		return !under && s.Op == filter.Eq && s.Value.Kind == filter.String && s.Field == field && s.Value.Text == code
	case *filter.Prefix:
		return !under && s.Field == field && strings.HasPrefix(code, s.Code)
	case *filter.Like:
		prefix, ok := likePrefix(s.Pattern.Text)
		return ok && !under && s.Field == field && strings.HasPrefix(code, prefix)
	case *filter.Under:
		return s.Field == field && codeWithin(e, field, code, s.Code.Text)
	}
	return false
}

// codeWithin reports whether code is root or lies below it in the code set
// of field.
func codeWithin(e *metamodel.Entity, field, code, root string) bool {
	f := e.Field(field)
	if f == nil || f.Set == nil {
		return false
	}
	for n := f.Set.Lookup(code); n != nil; n = n.Parent {
		if n.Code.Code == root {
			return true
		}
	}
	return false
}

// likePrefix returns the text a LIKE pattern 'text%' (escape \) asks values
// to start with, or false for any other pattern.
func likePrefix(pattern string) (string, bool) {
	if !strings.HasSuffix(pattern, "%") {
		return "", false
	}
	var b strings.Builder
	body := pattern[:len(pattern)-1]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '\\':
			if i+1 == len(body) {
				return "", false
			}
			i++
			b.WriteByte(body[i])
		case '%', '_':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

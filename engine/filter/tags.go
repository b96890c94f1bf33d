package filter

import (
	"slices"
	"strings"
)

// Tag is a data tag: a named criterion declared once in the definitions
// (tags:) and written tag('民生支出') or #民生支出 in a filter. Expand replaces
// it by its criterion before Compile; Compile refuses a tag left in place.
type Tag struct {
	Name   string
	Offset int
}

func (*Tag) node() {}

// String renders tag('name').
func (n *Tag) String() string { return "tag(" + Value{Kind: String, Text: n.Name}.String() + ")" }

// MaxTagDepth is how deep tags may name other tags.
const MaxTagDepth = 8

// TagLookup gives a tag's criterion, parsed; false for an unknown tag (or one
// not allowed where the filter is used).
type TagLookup func(name string) (Node, bool)

// Expand replaces every tag in n by its criterion, and the tags those name in
// turn. lookup knows every tag; allowed, when not nil, is the tags n itself may
// name (a report's). An unknown or not allowed tag is an error at its offset
// naming the allowed ones; so is a tag that names itself through other tags.
func Expand(n Node, lookup TagLookup, allowed []string) (Node, error) {
	return expand(n, lookup, allowed, nil)
}

func expand(n Node, lookup TagLookup, allowed []string, stack []string) (Node, error) {
	switch x := n.(type) {
	case *And:
		terms, err := expandAll(x.Terms, lookup, allowed, stack)
		return &And{Terms: terms}, err
	case *Or:
		terms, err := expandAll(x.Terms, lookup, allowed, stack)
		return &Or{Terms: terms}, err
	case *Not:
		t, err := expand(x.Term, lookup, allowed, stack)
		return &Not{Term: t}, err
	case *Tag:
		for i, s := range stack {
			if s == x.Name {
				return nil, errorf(x.Offset, "tag %q names itself: %s", x.Name, strings.Join(append(stack[i:], x.Name), " → "))
			}
		}
		if len(stack) >= MaxTagDepth {
			return nil, errorf(x.Offset, "tags name other tags more than %d deep", MaxTagDepth)
		}
		crit, ok := lookup(x.Name)
		if ok && len(stack) == 0 && allowed != nil && !slices.Contains(allowed, x.Name) {
			ok = false // a tag the filter's user may not name here (tags named inside a tag's criterion may)
		}
		if !ok {
			msg := "unknown data tag " + Value{Kind: String, Text: x.Name}.String()
			if len(allowed) > 0 {
				msg += "; the tags here are " + strings.Join(allowed, ", ")
			} else if allowed != nil {
				msg += "; no tags may be used here"
			}
			return nil, errorf(x.Offset, "%s", msg)
		}
		out, err := expand(crit, lookup, allowed, append(stack, x.Name))
		if err != nil {
			if fe, ok := err.(*Error); ok && len(stack) == 0 {
				// Offsets inside a tag's criterion mean nothing in this
				// filter: report at the tag, saying which.
				return nil, errorf(x.Offset, "in tag %q: %s", x.Name, fe.Message)
			}
			return nil, err
		}
		return out, nil
	}
	return n, nil
}

func expandAll(terms []Node, lookup TagLookup, allowed []string, stack []string) ([]Node, error) {
	out := make([]Node, len(terms))
	for i, t := range terms {
		var err error
		if out[i], err = expand(t, lookup, allowed, stack); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Tags lists the names of the tags n names directly.
func Tags(n Node) []string {
	var out []string
	var walk func(Node)
	walk = func(n Node) {
		switch x := n.(type) {
		case *And:
			for _, t := range x.Terms {
				walk(t)
			}
		case *Or:
			for _, t := range x.Terms {
				walk(t)
			}
		case *Not:
			walk(x.Term)
		case *Tag:
			out = append(out, x.Name)
		}
	}
	walk(n)
	return out
}

package filter

import "fmt"

// Params supplies the value of each $name in a filter: a String, Number or
// Bool Value as if it had been written there. ok is false for an unknown name.
type Params func(name string) (v Value, ok bool)

// Bind returns a copy of n with every $name replaced by its value, so that
// Compile binds it as an argument like any literal: a parameter's value never
// becomes SQL text. A name params does not know is an *Error.
func Bind(n Node, params Params) (Node, error) {
	value := func(v Value) (Value, error) {
		if v.Kind != Param {
			return v, nil
		}
		if params == nil {
			return v, errorf(v.Offset, "$%s: this filter takes no parameters", v.Text)
		}
		bound, ok := params(v.Text)
		if !ok {
			return v, errorf(v.Offset, "$%s: no such field to take the value from", v.Text)
		}
		if bound.Kind == Param || bound.Kind == 0 {
			return v, fmt.Errorf("filter: parameter $%s bound to a non-literal", v.Text)
		}
		bound.Offset = v.Offset
		return bound, nil
	}
	switch x := n.(type) {
	case *And:
		terms, err := bindAll(x.Terms, params)
		return &And{Terms: terms}, err
	case *Or:
		terms, err := bindAll(x.Terms, params)
		return &Or{Terms: terms}, err
	case *Not:
		t, err := Bind(x.Term, params)
		return &Not{Term: t}, err
	case *Compare:
		c := *x
		var err error
		c.Value, err = value(x.Value)
		return &c, err
	case *In:
		c := *x
		c.Values = make([]Value, len(x.Values))
		for i, v := range x.Values {
			var err error
			if c.Values[i], err = value(v); err != nil {
				return nil, err
			}
		}
		return &c, nil
	case *Like:
		c := *x
		var err error
		c.Pattern, err = value(x.Pattern)
		return &c, err
	case *Under:
		c := *x
		var err error
		c.Code, err = value(x.Code)
		return &c, err
	case *IsNull, *Prefix, *Tag:
		return x, nil
	}
	return nil, fmt.Errorf("filter: cannot bind a %T", n)
}

func bindAll(terms []Node, params Params) ([]Node, error) {
	out := make([]Node, len(terms))
	for i, t := range terms {
		var err error
		if out[i], err = Bind(t, params); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HasParams reports whether n uses any $name.
func HasParams(n Node) bool {
	found := false
	var walk func(Node)
	check := func(v Value) {
		if v.Kind == Param {
			found = true
		}
	}
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
		case *Compare:
			check(x.Value)
		case *In:
			for _, v := range x.Values {
				check(v)
			}
		case *Like:
			check(x.Pattern)
		case *Under:
			check(x.Code)
		}
	}
	walk(n)
	return found
}

package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Parse parses src into an AST. Errors are *Error with the byte offset of the
// offending token. Parse knows nothing of entities: whether a field exists
// and whether a value suits it is decided by Compile.
func Parse(src string) (Node, error) {
	if len(src) > MaxLength {
		return nil, errorf(MaxLength, "the filter is longer than %d bytes", MaxLength)
	}
	if !utf8.ValidString(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRuneInString(src[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, errorf(off, "the filter is not valid UTF-8")
	}
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, errorf(0, "the filter is empty")
	}
	n, err := p.or("")
	if err != nil {
		return nil, err
	}
	switch {
	case p.tok.kind == tokEOF:
		return n, nil
	case p.tok.kind == tokRParen:
		return nil, errorf(p.tok.off, `unexpected ")" without a matching "("`)
	}
	return nil, errorf(p.tok.off, `expected "and", "or" or the end of the filter, found %s`, p.tok.describe())
}

// parser is a recursive-descent parser over one token of lookahead.
type parser struct {
	lex        lexer
	tok        token
	depth      int // enclosing "(" and "not"
	predicates int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// or parses and ("or" and)*; after names the keyword before it, for messages.
func (p *parser) or(after string) (Node, error) {
	first, err := p.and(after)
	if err != nil {
		return nil, err
	}
	if !p.tok.is("or") {
		return first, nil
	}
	terms := appendOr(nil, first)
	for p.tok.is("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := p.and(`"or"`)
		if err != nil {
			return nil, err
		}
		terms = appendOr(terms, t)
	}
	return &Or{Terms: terms}, nil
}

func (p *parser) and(after string) (Node, error) {
	first, err := p.unary(after)
	if err != nil {
		return nil, err
	}
	if !p.tok.is("and") {
		return first, nil
	}
	terms := appendAnd(nil, first)
	for p.tok.is("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := p.unary(`"and"`)
		if err != nil {
			return nil, err
		}
		terms = appendAnd(terms, t)
	}
	return &And{Terms: terms}, nil
}

// appendAnd and appendOr append t to terms, splicing in the terms of a
// parenthesised group of the same kind, so that "(a and b) and c" and
// "a and b and c" give one tree and the canonical form is unique.
func appendAnd(terms []Node, t Node) []Node {
	if g, ok := t.(*And); ok {
		return append(terms, g.Terms...)
	}
	return append(terms, t)
}

func appendOr(terms []Node, t Node) []Node {
	if g, ok := t.(*Or); ok {
		return append(terms, g.Terms...)
	}
	return append(terms, t)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return errorf(p.tok.off, "the filter nests deeper than %d levels of parentheses and \"not\"", MaxDepth)
	}
	return nil
}

func (p *parser) unary(after string) (Node, error) {
	switch {
	case p.tok.is("not"):
		if err := p.enter(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := p.unary(`"not"`)
		if err != nil {
			return nil, err
		}
		p.depth--
		return &Not{Term: t}, nil
	case p.tok.kind == tokLParen:
		open := p.tok.off
		if err := p.enter(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.or(`"("`)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, errorf(p.tok.off, `expected ")" to close the "(" at %d, found %s`, open, p.tok.describe())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		p.depth--
		return n, nil
	case p.tok.kind == tokTag:
		n := &Tag{Name: p.tok.text, Offset: p.tok.off}
		p.predicates++
		if p.predicates > MaxPredicates {
			return nil, errorf(n.Offset, "the filter has more than %d conditions", MaxPredicates)
		}
		return n, p.advance()
	case p.tok.kind == tokWord:
		return p.predicate()
	}
	if after == "" {
		return nil, errorf(p.tok.off, `expected a condition, found %s`, p.tok.describe())
	}
	return nil, errorf(p.tok.off, `expected a condition after %s, found %s`, after, p.tok.describe())
}

func (p *parser) predicate() (Node, error) {
	field, off := p.tok.text, p.tok.off
	if lower := strings.ToLower(field); lower != field {
		return nil, errorf(off, "field names are lower case: write %q, not %q", lower, field)
	}
	p.predicates++
	if p.predicates > MaxPredicates {
		return nil, errorf(off, "the filter has more than %d conditions", MaxPredicates)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	t := p.tok
	switch {
	case field == "tag" && t.kind == tokLParen:
		// tag('民生支出'): a data tag.
		if err := p.advance(); err != nil {
			return nil, err
		}
		name, err := p.quoted(`the tag's name in quotes after "tag("`)
		if err != nil {
			return nil, err
		}
		if name.Kind != String {
			return nil, errorf(name.Offset, `a tag is named by a quoted string: tag('民生支出')`)
		}
		if p.tok.kind != tokRParen {
			return nil, errorf(p.tok.off, `expected ")" after the tag's name, found %s`, p.tok.describe())
		}
		return &Tag{Name: name.Text, Offset: off}, p.advance()
	case t.kind == tokOp:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.is("null") {
			return nil, nullCompare(p.tok.off, Op(t.text))
		}
		v, err := p.value(fmt.Sprintf("%q", t.text))
		if err != nil {
			return nil, err
		}
		return &Compare{Field: field, Offset: off, Op: Op(t.text), Value: v}, nil
	case t.is("in"):
		values, err := p.list()
		if err != nil {
			return nil, err
		}
		return &In{Field: field, Offset: off, Values: values}, nil
	case t.is("like"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.quoted(`a quoted pattern after "like"`)
		if err != nil {
			return nil, err
		}
		if trailingEscape(v.Text) {
			// Both databases refuse a pattern that ends in its escape
			// character; say so here rather than as a database error.
			return nil, errorf(v.Offset, `the pattern ends with a lone "\"; write "\\" to match a backslash`)
		}
		return &Like{Field: field, Offset: off, Pattern: v}, nil
	case t.is("under"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.quoted(`a quoted code after "under"`)
		if err != nil {
			return nil, err
		}
		return &Under{Field: field, Offset: off, Code: v}, nil
	case t.is("is"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		not := p.tok.is("not")
		if not {
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if !p.tok.is("null") {
			return nil, errorf(p.tok.off, `expected "null" after "is", found %s`, p.tok.describe())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return &IsNull{Field: field, Offset: off, Not: not}, nil
	case t.is("not"):
		return nil, errorf(t.off, `"not" goes before a condition: write not %s ... instead of %s not ...`, field, field)
	}
	return nil, errorf(t.off, `expected an operator (=, !=, <, <=, >, >=, in, like, under or is) after %q, found %s`, field, t.describe())
}

// nullCompare explains that SQL's NULL equals nothing, not even NULL.
func nullCompare(off int, op Op) error {
	switch op {
	case Eq:
		return errorf(off, `use "is null" to find empty values; "= null" matches nothing`)
	case Ne:
		return errorf(off, `use "is not null" to find values that are set; "!= null" matches nothing`)
	}
	return errorf(off, `null cannot be compared with %q; use "is null" or "is not null"`, op)
}

// list parses "(" value ("," value)* ")" after "in".
func (p *parser) list() ([]Value, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokLParen {
		return nil, errorf(p.tok.off, `expected "(" after "in", found %s`, p.tok.describe())
	}
	var values []Value
	after := `"("`
	for {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.is("null") {
			return nil, errorf(p.tok.off, `null cannot be in an "in" list; add "or field is null"`)
		}
		if len(values) == MaxInValues {
			return nil, errorf(p.tok.off, `an "in" list may hold at most %d values`, MaxInValues)
		}
		v, err := p.value(after)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		switch p.tok.kind {
		case tokComma:
			after = `","`
			continue
		case tokRParen:
			if err := p.advance(); err != nil {
				return nil, err
			}
			return values, nil
		}
		return nil, errorf(p.tok.off, `expected "," or ")" in the "in" list, found %s`, p.tok.describe())
	}
}

// value parses a literal and moves past it; after names what precedes it.
func (p *parser) value(after string) (Value, error) {
	t := p.tok
	var v Value
	switch {
	case t.kind == tokString:
		v = Value{Kind: String, Text: t.text, Offset: t.off}
	case t.kind == tokNumber:
		v = Value{Kind: Number, Text: t.text, Offset: t.off}
	case t.kind == tokParam:
		v = Value{Kind: Param, Text: t.text, Offset: t.off}
	case t.is("true"), t.is("false"):
		v = Value{Kind: Bool, Text: strings.ToLower(t.text), Offset: t.off}
	case t.kind == tokEOF:
		return Value{}, errorf(t.off, "expected a value after %s", after)
	case t.kind == tokWord:
		return Value{}, errorf(t.off, "expected a value after %s, found %s (text values are quoted: '%s')", after, t.describe(), t.text)
	default:
		return Value{}, errorf(t.off, "expected a value after %s, found %s", after, t.describe())
	}
	if err := p.advance(); err != nil {
		return Value{}, err
	}
	return v, nil
}

// quoted parses a string literal where the grammar allows no other value.
func (p *parser) quoted(what string) (Value, error) {
	t := p.tok
	if t.kind != tokString && t.kind != tokParam {
		return Value{}, errorf(t.off, "expected %s, found %s", what, t.describe())
	}
	if err := p.advance(); err != nil {
		return Value{}, err
	}
	if t.kind == tokParam {
		return Value{Kind: Param, Text: t.text, Offset: t.off}, nil
	}
	return Value{Kind: String, Text: t.text, Offset: t.off}, nil
}

// trailingEscape reports whether pattern ends in an odd run of backslashes,
// that is with an escape that escapes nothing.
func trailingEscape(pattern string) bool {
	n := 0
	for i := len(pattern) - 1; i >= 0 && pattern[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

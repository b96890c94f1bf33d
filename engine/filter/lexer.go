package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokWord
	tokNumber
	tokString
	tokOp
	tokLParen
	tokRParen
	tokComma
	tokParam
	tokTag
)

// token is one lexeme; text is a word or number as written, a string's
// decoded content, or an operator.
type token struct {
	kind tokenKind
	text string
	off  int
}

// is reports whether t is the keyword kw (given in lower case); keywords are
// case-insensitive.
func (t token) is(kw string) bool { return t.kind == tokWord && strings.EqualFold(t.text, kw) }

// describe names a token in an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the filter"
	case tokString:
		return "the string " + Value{Kind: String, Text: t.text}.String()
	case tokNumber:
		return "the number " + t.text
	case tokParam:
		return "the parameter $" + t.text
	case tokTag:
		return "the tag #" + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// lexer reads tokens on demand, so that the first error reported is the
// leftmost one.
type lexer struct {
	src string
	pos int
}

// lookalikes are characters an input method slips in for ASCII punctuation.
var lookalikes = map[rune]string{
	'（': "(", '）': ")", '，': ",", '＝': "=", '！': "!", '＜': "<", '＞': ">",
	'‘': "'", '’': "'", '“': `"`, '”': `"`, '－': "-",
}

func (l *lexer) next() (token, error) {
	src := l.src
	for l.pos < len(src) {
		if c := src[l.pos]; c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			l.pos++
			continue
		}
		// The ideographic space is what a Chinese keyboard types for a space.
		if strings.HasPrefix(src[l.pos:], "\u3000") {
			l.pos += len("\u3000")
			continue
		}
		break
	}
	start := l.pos
	if start >= len(src) {
		return token{kind: tokEOF, off: start}, nil
	}
	c := src[start]
	switch {
	case isWordStart(c):
		end := start + 1
		// A field of a referenced record is a path: indicator.func_class.
		for end < len(src) && (isWordPart(src[end]) || src[end] == '.' && end+1 < len(src) && isWordStart(src[end+1])) {
			end++
		}
		l.pos = end
		return token{kind: tokWord, text: src[start:end], off: start}, nil
	case c == '-' || isDigit(c):
		return l.number()
	case c == '\'':
		return l.singleQuoted()
	case c == '"':
		return l.doubleQuoted()
	case c == '(':
		l.pos++
		return token{kind: tokLParen, text: "(", off: start}, nil
	case c == ')':
		l.pos++
		return token{kind: tokRParen, text: ")", off: start}, nil
	case c == ',':
		l.pos++
		return token{kind: tokComma, text: ",", off: start}, nil
	case c == '$':
		end := start + 1
		for end < len(src) && isWordPart(src[end]) {
			end++
		}
		if end == start+1 || !isWordStart(src[start+1]) {
			return token{}, errorf(start, `"$" starts a parameter and is followed by a field name, as in $agency`)
		}
		l.pos = end
		return token{kind: tokParam, text: src[start+1 : end], off: start}, nil
	case c == '=' || c == '!' || c == '<' || c == '>':
		return l.operator()
	case c == '#':
		// #民生支出: a data tag, up to a space, parenthesis or comma.
		end := start + 1
		for end < len(src) && !strings.ContainsRune(" \t\r\n(),'\"", rune(src[end])) && !strings.HasPrefix(src[end:], "\u3000") {
			end++
		}
		if end == start+1 {
			return token{}, errorf(start, `"#" starts a data tag and is followed by its name, as in #民生支出`)
		}
		l.pos = end
		return token{kind: tokTag, text: src[start+1 : end], off: start}, nil
	}
	r, _ := utf8.DecodeRuneInString(src[start:])
	if ascii, ok := lookalikes[r]; ok {
		return token{}, errorf(start, "unexpected character %q; use the ASCII %q instead", r, ascii)
	}
	return token{}, errorf(start, "unexpected character %q", r)
}

func (l *lexer) operator() (token, error) {
	start := l.pos
	two := l.src[start:min(start+2, len(l.src))]
	switch two {
	case "!=", "<=", ">=":
		l.pos += 2
		return token{kind: tokOp, text: two, off: start}, nil
	case "==":
		return token{}, errorf(start, `use "=" rather than "=="`)
	case "<>":
		return token{}, errorf(start, `use "!=" rather than "<>"`)
	}
	if l.src[start] == '!' {
		return token{}, errorf(start, `unexpected "!"; the operator is "!=", and negation is "not"`)
	}
	l.pos++
	return token{kind: tokOp, text: l.src[start : start+1], off: start}, nil
}

// number reads -?digits(.digits)? and keeps it as text: a filter never turns
// an amount into a float.
func (l *lexer) number() (token, error) {
	src, start := l.src, l.pos
	end := start
	if src[end] == '-' {
		end++
		if end >= len(src) || !isDigit(src[end]) {
			return token{}, errorf(start, `expected a digit after "-"`)
		}
	}
	for end < len(src) && isDigit(src[end]) {
		end++
	}
	if end < len(src) && src[end] == '.' {
		end++
		if end >= len(src) || !isDigit(src[end]) {
			return token{}, errorf(start, "malformed number %q: expected a digit after the decimal point", src[start:end])
		}
		for end < len(src) && isDigit(src[end]) {
			end++
		}
	}
	if end < len(src) && (isWordPart(src[end]) || src[end] == '.') {
		// 1e5, 12abc, 1.2.3: not a number of this language. Quoting is the
		// way to pass such text to a text field.
		stop := end
		for stop < len(src) && (isWordPart(src[stop]) || src[stop] == '.') {
			stop++
		}
		return token{}, errorf(start, "malformed number %q (write text in quotes)", src[start:stop])
	}
	l.pos = end
	return token{kind: tokNumber, text: src[start:end], off: start}, nil
}

// singleQuoted reads '...' where a doubled quote stands for one; there are no other
// escapes, so a backslash in a like pattern is written as itself.
func (l *lexer) singleQuoted() (token, error) {
	src, start := l.src, l.pos
	var b strings.Builder
	i := start + 1
	for {
		j := strings.IndexByte(src[i:], '\'')
		if j < 0 {
			return token{}, errorf(start, "unterminated string: a ' is missing at the end")
		}
		b.WriteString(src[i : i+j])
		i += j + 1
		if i < len(src) && src[i] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		break
	}
	l.pos = i
	return l.stringToken(b.String(), start)
}

// doubleQuoted reads "..." where \" is a quote and \\ a backslash; any other
// backslash is kept, so "50\%" is the like pattern 50\%.
func (l *lexer) doubleQuoted() (token, error) {
	src, start := l.src, l.pos
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			l.pos = i + 1
			return l.stringToken(b.String(), start)
		case '\\':
			if i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\\') {
				i++
				b.WriteByte(src[i])
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return token{}, errorf(start, `unterminated string: a " is missing at the end`)
}

func (l *lexer) stringToken(text string, start int) (token, error) {
	// PostgreSQL text cannot hold NUL; refusing it here keeps the two
	// databases alike and the error a user's, not a server's.
	if strings.IndexByte(text, 0) >= 0 {
		return token{}, errorf(start, "a string may not contain the NUL character")
	}
	return token{kind: tokString, text: text, off: start}, nil
}

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isWordStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isWordPart(c byte) bool  { return isWordStart(c) || isDigit(c) }

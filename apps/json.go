package apps

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// checkJSON refuses what encoding/json would accept silently but change:
// bytes that are not UTF-8 (stored as U+FFFD), an escaped half of a
// surrogate pair (the same), and a key given twice in one object (the last
// would win). Every JSON body the API reads passes here first. A body that
// is not JSON at all is left to the decoder, whose message says where.
func checkJSON(body []byte) error {
	if !utf8.Valid(body) {
		i := 0
		for i < len(body) {
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		return web.NewError(errcode.Malformed, "请求体不是有效的 UTF-8 文本：第 %d 个字节起无法识别", i+1)
	}
	if err := checkEscapes(body); err != nil {
		return err
	}
	return checkDuplicateKeys(body)
}

// checkEscapes refuses \uD800–\uDFFF escapes that do not form a pair. In
// valid JSON a backslash appears only in strings, as an escape.
func checkEscapes(body []byte) error {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 >= len(body) {
			continue
		}
		if body[i+1] != 'u' {
			i++ // \" \\ \n …: skip the escaped character
			continue
		}
		r, ok := hex4(body, i+2)
		if !ok {
			return nil // not JSON; the decoder says so
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			low, ok := hex4(body, i+8)
			if !ok || body[i+6] != '\\' || body[i+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
				return web.NewError(errcode.Malformed, `请求体第 %d 个字节起的 \u%04X 是不成对的代理项，不是有效的字符`, i+1, r)
			}
			i += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return web.NewError(errcode.Malformed, `请求体第 %d 个字节起的 \u%04X 是不成对的代理项，不是有效的字符`, i+1, r)
		default:
			i += 5
		}
	}
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 16)
	return rune(n), err == nil
}

// checkDuplicateKeys walks the tokens of body and names the first key that
// appears twice in one object, with where the object is ("values.amount").
func checkDuplicateKeys(body []byte) error {
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
		path    string // where this object or array is
		key     string // the key whose value is being read
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // not JSON; the decoder says so
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.object && top.wantKey {
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					return web.NewError(errcode.Malformed, "请求体中的键 %q 出现了不止一次%s；每个键只能给一次", key, where(top.path))
				}
				top.keys[key], top.wantKey, top.key = true, false, key
				continue
			}
		}
		path := ""
		if top != nil {
			if top.object {
				path = join(top.path, top.key)
			} else {
				path = top.path + "[]"
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, wantKey: true, path: path})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func where(path string) errcode.Text {
	if path == "" {
		return errcode.Text{}
	}
	return errcode.Malformed.Format("（在 %s 中）", path)
}

// decodeWellFormed decodes body in one pass when it is what nearly every
// request sends: a UTF-8 JSON object, each key given once, no escaped
// surrogate. It gives what checkJSON then the decoder would give (numbers
// as json.Number, objects as map[string]any, arrays as []any). ok is false
// for anything else, and decodeObject then takes the two passes, whose
// messages say what is wrong and where.
func decodeWellFormed(body []byte) (obj map[string]any, ok bool) {
	if !utf8.Valid(body) {
		return nil, false
	}
	p := onePass{b: body}
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return nil, false
	}
	obj, ok = p.object(0)
	if !ok {
		return nil, false
	}
	p.space()
	return obj, p.i == len(p.b)
}

// onePass reads a JSON text for decodeWellFormed; every method returns
// false on anything it does not take.
type onePass struct {
	b []byte
	i int
}

// maxDepth bounds the nesting decodeWellFormed takes (deeper: two passes).
const maxDepth = 200

func (p *onePass) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *onePass) value(depth int) (any, bool) {
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		m, ok := p.object(depth + 1)
		return m, ok
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *onePass) literal(word string) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

// object reads an object, p.i at its '{'.
func (p *onePass) object(depth int) (map[string]any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.i++
	obj := map[string]any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return obj, true
	}
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		key, ok := p.str()
		if !ok {
			return nil, false
		}
		if _, twice := obj[key]; twice {
			return nil, false
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.space()
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		obj[key] = v
		if end, ok := p.next('}'); !ok {
			return nil, false
		} else if end {
			return obj, true
		}
	}
}

// array reads an array, p.i at its '['.
func (p *onePass) array(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.i++
	arr := []any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return arr, true
	}
	for {
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		arr = append(arr, v)
		if end, ok := p.next(']'); !ok {
			return nil, false
		} else if end {
			return arr, true
		}
	}
}

// next reads what follows a member or an element: a ',' and the space after
// it (more follow), or close (end: the object or array is over); ok is false
// for anything else.
func (p *onePass) next(close byte) (end, ok bool) {
	p.space()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		p.space()
		return false, true
	case close:
		p.i++
		return true, true
	}
	return false, false
}

// str reads a string, p.i at its opening quote.
func (p *onePass) str() (string, bool) {
	p.i++
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escaped reads the rest of a string that holds an escape, p.i at the
// first backslash.
func (p *onePass) escaped(start int) (string, bool) {
	out := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", false
		}
		switch e := p.b[p.i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(p.b, p.i+2)
			if !ok || r >= 0xDC00 && r <= 0xDFFF {
				return "", false
			}
			if r >= 0xD800 && r <= 0xDBFF { // the first half of a pair
				low, ok := hex4(p.b, p.i+8)
				if !ok || p.b[p.i+6] != '\\' || p.b[p.i+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
					return "", false // unpaired: checkEscapes says so
				}
				r = utf16.DecodeRune(r, low)
				p.i += 6
			}
			out = utf8.AppendRune(out, r)
			p.i += 4
		default:
			return "", false
		}
		p.i += 2
	}
	return "", false
}

// number reads a number as JSON writes them, into a json.Number.
func (p *onePass) number() (any, bool) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return json.Number(p.b[start:p.i]), true
}

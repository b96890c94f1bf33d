package apps

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
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

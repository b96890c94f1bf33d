package metamodel

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// The decoder turns a yaml.Node tree into the definition types. yaml.v3's own
// decoder stops at the first unknown key and forgets columns; implementers need
// every problem at once with file:line:col, so the walk is ours. Struct tags:
//
//	yaml:"name"            the key
//	yaml:"name,named"      a mapping of name → item decoded into []*T, keeping
//	                       the written order and setting T.Name from the key
//	yaml:"name,shorthand"  a plain scalar instead of a mapping sets this field
//
// A struct field `Pos Pos` receives the node's position, and `At map[string]Pos`
// the position of every key's value, so the checker can point at the exact value.

type decoder struct {
	file     string
	problems *Problems
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

// addf records a problem about the node called what; at the top of a file what
// is empty and the message stands alone.
func (d *decoder) addf(n *yaml.Node, what, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if what != "" {
		msg = what + ": " + msg
	}
	d.problems.Addf(d.pos(n), "%s", msg)
}

var (
	posType    = reflect.TypeOf(Pos{})
	atType     = reflect.TypeOf(map[string]Pos{})
	yamlNodeTy = reflect.TypeOf(yaml.Node{})
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "an unknown node"
}

// decode fills v (a pointer) from n; what it cannot decode becomes a problem.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), what)
	case reflect.Struct:
		if v.Type() == yamlNodeTy {
			v.Set(reflect.ValueOf(*n))
			return
		}
		d.decodeStruct(n, v, what)
	case reflect.Slice:
		d.decodeSlice(n, v, what, false)
	case reflect.Map:
		d.decodeMap(n, v, what)
	case reflect.Interface:
		if n.Kind != yaml.ScalarNode {
			d.addf(n, what, "expected a single value, got %s", kindName(n))
			return
		}
		var x any
		if err := n.Decode(&x); err != nil {
			d.addf(n, what, "%v", err)
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.decodeScalar(n, v, what)
	}
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind != yaml.ScalarNode {
		d.addf(n, what, "expected a single value, got %s", kindName(n))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if n.Tag == "!!null" {
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		// Only YAML's true and false: strconv.ParseBool would also take 1, t and F.
		b, err := strconv.ParseBool(n.Value)
		if err != nil || n.Tag != "!!bool" {
			d.addf(n, what, "expected true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil || n.Tag == "!!str" {
			d.addf(n, what, "expected a whole number, got %q", n.Value)
			return
		}
		v.SetInt(i)
	default:
		d.addf(n, what, "cannot hold a value of Go kind %s", v.Kind())
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, what string, named bool) {
	elem := v.Type().Elem()
	if named {
		if n.Kind != yaml.MappingNode {
			d.addf(n, what, "expected a mapping of names, got %s", kindName(n))
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				d.addf(k, what, "%q is defined twice", k.Value)
				continue
			}
			seen[k.Value] = true
			item := reflect.New(elem.Elem())
			if f := item.Elem().FieldByName("Name"); f.IsValid() {
				f.SetString(k.Value)
			}
			if f := item.Elem().FieldByName("NamePos"); f.IsValid() {
				f.Set(reflect.ValueOf(d.pos(k)))
			}
			d.decode(val, item, joinWhat(what, k.Value))
			if f := item.Elem().FieldByName("Pos"); f.IsValid() && f.Type() == posType && val.Kind != yaml.MappingNode {
				f.Set(reflect.ValueOf(d.pos(k)))
			}
			v.Set(reflect.Append(v, item))
		}
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" && elem.Kind() == reflect.String {
		// A single value where a list is expected: `from: draft` reads as [draft].
		v.Set(reflect.Append(v, reflect.ValueOf(n.Value).Convert(elem)))
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.addf(n, what, "expected a list, got %s", kindName(n))
		return
	}
	for i, c := range n.Content {
		item := reflect.New(elem)
		d.decode(c, item, fmt.Sprintf("%s[%d]", what, i))
		v.Set(reflect.Append(v, item.Elem()))
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, what, "expected a mapping, got %s", kindName(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		item := reflect.New(v.Type().Elem())
		d.decode(val, item, joinWhat(what, k.Value))
		v.SetMapIndex(reflect.ValueOf(k.Value), item.Elem())
	}
}

type fieldTag struct {
	key       string
	named     bool
	shorthand bool
	index     int
}

// structFields caches the tag layout of each definition type.
var structFields sync.Map // reflect.Type → []fieldTag

func tagsOf(t reflect.Type) []fieldTag {
	if tags, ok := structFields.Load(t); ok {
		return tags.([]fieldTag)
	}
	var tags []fieldTag
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		ft := fieldTag{key: parts[0], index: i}
		for _, opt := range parts[1:] {
			switch opt {
			case "named":
				ft.named = true
			case "shorthand":
				ft.shorthand = true
			}
		}
		tags = append(tags, ft)
	}
	structFields.Store(t, tags)
	return tags
}

// keysOf lists the keys a definition type accepts; the schema generator and the
// "did you mean" hints use it.
func keysOf(t reflect.Type) []string {
	var keys []string
	for _, ft := range tagsOf(t) {
		keys = append(keys, ft.key)
	}
	return keys
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, what string) {
	tags := tagsOf(v.Type())
	if pf := v.FieldByName("Pos"); pf.IsValid() && pf.Type() == posType {
		pf.Set(reflect.ValueOf(d.pos(n)))
	}
	if n.Kind != yaml.MappingNode && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		for _, ft := range tags {
			if ft.shorthand {
				d.decode(n, v.Field(ft.index).Addr(), what)
				d.setAtNode(v, ft.key, n)
				return
			}
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, what, "expected a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		var ft *fieldTag
		for j := range tags {
			if tags[j].key == k.Value {
				ft = &tags[j]
				break
			}
		}
		if ft == nil {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := closest(k.Value, keysOf(v.Type())); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += "; the keys here are " + strings.Join(keysOf(v.Type()), ", ")
			}
			d.addf(k, what, "%s", msg)
			continue
		}
		if seen[k.Value] {
			d.addf(k, what, "key %q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		d.setAtNode(v, k.Value, val)
		f := v.Field(ft.index)
		if ft.named {
			d.decodeSlice(val, f, joinWhat(what, k.Value), true)
			continue
		}
		d.decode(val, f.Addr(), joinWhat(what, k.Value))
	}
}

// setAtNode records the position of the value n of key, and below it the
// positions the checker points at inside it: items of a list (At["states.2"]),
// items of a list of lists (At["layout.1.0"]) and the keys of a mapping
// (At["labels.draft"]).
func (d *decoder) setAtNode(v reflect.Value, key string, n *yaml.Node) {
	d.setAt(v, key, d.pos(n))
	switch n.Kind {
	case yaml.SequenceNode:
		for i, item := range n.Content {
			itemKey := key + "." + strconv.Itoa(i)
			d.setAt(v, itemKey, d.pos(item))
			if item.Kind == yaml.SequenceNode {
				for j, sub := range item.Content {
					d.setAt(v, itemKey+"."+strconv.Itoa(j), d.pos(sub))
				}
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.setAt(v, key+"."+n.Content[i].Value, d.pos(n.Content[i]))
		}
	}
}

func (d *decoder) setAt(v reflect.Value, key string, p Pos) {
	at := v.FieldByName("At")
	if !at.IsValid() || at.Type() != atType {
		return
	}
	if at.IsNil() {
		at.Set(reflect.MakeMap(atType))
	}
	at.SetMapIndex(reflect.ValueOf(key), reflect.ValueOf(p))
}

// closest suggests the known key nearest to a misspelt one, if any is near.
func closest(word string, candidates []string) string {
	best, bestDist := "", len(word)/2+2
	for _, c := range candidates {
		if dist := levenshtein(word, c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func reflectValue(ptr any) reflect.Value { return reflect.ValueOf(ptr) }

// joinWhat names a nested node for messages: entities.payment.fields.amount.
func joinWhat(what, key string) string {
	if what == "" {
		return key
	}
	return what + "." + key
}

package metamodel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// CodeSet is a tree of codes of the basic-data standard (基础数据规范): a national
// set, or a provincial extension that adds codes under a national set's codes.
type CodeSet struct {
	Name        string
	NamePos     Pos
	Pos         Pos
	At          map[string]Pos
	Title       string      `yaml:"title" desc:"Label (zh-CN)."`
	TitleEn     string      `yaml:"title_en" desc:"Label in English."`
	Description string      `yaml:"description" desc:"What the codes classify and where they come from."`
	Standard    string      `yaml:"standard" desc:"national (default) or extension."`
	Extends     string      `yaml:"extends" desc:"extension: the national code set this one adds codes to."`
	Levels      []int       `yaml:"levels" desc:"Digits added per level, for fixed-width hierarchical codes (e.g. [3, 2, 2])."`
	ValidFrom   int         `yaml:"valid_from" desc:"Default first fiscal year a code is valid."`
	ValidTo     int         `yaml:"valid_to" desc:"Default last fiscal year a code is valid."`
	CSV         string      `yaml:"csv" desc:"A CSV file of codes (code,name,parent[,valid_from,valid_to,enabled][,attributes…]), relative to this file."`
	Attributes  []*CodeAttr `yaml:"attributes,named" desc:"Extra values each code carries, such as a mapping to another code set."`
	Codes       []*Code     `yaml:"codes" desc:"Codes written inline."`

	// Resolved by the checker.
	App   *App     `yaml:"-"`
	Base  *CodeSet `yaml:"-"`
	nodes map[string]*CodeNode
	roots []*CodeNode
	// csvFile and csvText are the CSV as read, relative to the project folder.
	csvFile string
	csvText []byte
}

// CodeAttr declares an extra value of each code.
type CodeAttr struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Title   string `yaml:"title" desc:"Label (zh-CN)."`
	CodeSet string `yaml:"codeset" desc:"When set, each value must be a code of this code set."`
	Type    string `yaml:"type" desc:"The values' type: text (default), decimal, money, int, date (2026-01-31) or bool (true/false). Each value is checked at load, and code_attr gives it with this type in expressions."`
}

// AttrTypes are the types a code attribute may declare.
var AttrTypes = []string{"text", "decimal", "money", "int", "date", "bool"}

// AttrType is the declared type of attribute name of cs (or of its base
// set): text when undeclared or untyped.
func (cs *CodeSet) AttrType(name string) string {
	for s := cs; s != nil; s = s.Base {
		for _, a := range s.Attributes {
			if a.Name == name && a.Type != "" {
				return a.Type
			}
		}
	}
	return "text"
}

// Attr is the value of attribute name for the fiscal year (0: the value of
// attrs, whatever the year): the attrs_from entry of the latest year not
// after it that gives the attribute, else attrs.
func (c *Code) Attr(name string, year int) string {
	v := c.Attrs[name]
	if year == 0 {
		return v
	}
	best := 0
	for from, attrs := range c.AttrsFrom {
		y, err := strconv.Atoi(from)
		if err != nil || y > year || y < best {
			continue
		}
		if av, ok := attrs[name]; ok {
			best, v = y, av
		}
	}
	return v
}

// Code is one code as written.
type Code struct {
	Pos       Pos
	Code      string                       `yaml:"code" desc:"The code; quote numeric codes to keep leading zeros."`
	Name      string                       `yaml:"name" desc:"Its name (zh-CN)."`
	Parent    string                       `yaml:"parent" desc:"The parent code, empty for a root."`
	ValidFrom int                          `yaml:"valid_from" desc:"First fiscal year the code is valid."`
	ValidTo   int                          `yaml:"valid_to" desc:"Last fiscal year the code is valid."`
	Enabled   *bool                        `yaml:"enabled" desc:"false to disable the code (default true)."`
	Attrs     map[string]string            `yaml:"attrs" desc:"Values of the set's declared attributes."`
	AttrsFrom map[string]map[string]string `yaml:"attrs_from" desc:"Attribute values that change from a fiscal year on, by year: {2027: {rate: \"50.00\"}}; code_attr with a year reads them."`
}

// CodeNode is a code in the tree of one code set; an extension set has its own
// nodes for its base's codes, since adding a child turns a base leaf into a branch.
type CodeNode struct {
	*Code
	Set      *CodeSet // the set that defines the code (the base set for national codes)
	Parent   *CodeNode
	Children []*CodeNode
	Level    int
}

// Leaf reports whether the code has no children in this set's view.
func (n *CodeNode) Leaf() bool { return len(n.Children) == 0 }

// IsEnabled reports whether the code may be used at all.
func (n *CodeNode) IsEnabled() bool { return n.Enabled == nil || *n.Enabled }

// National reports whether the code belongs to a national standard set.
func (n *CodeNode) National() bool { return n.Set.Standard != "extension" }

// ValidIn reports whether the code is valid in fiscal year year (0 = any year).
func (n *CodeNode) ValidIn(year int) bool {
	if year == 0 {
		return true
	}
	from, to := n.ValidFrom, n.ValidTo
	if from == 0 {
		from = n.Set.ValidFrom
	}
	if to == 0 {
		to = n.Set.ValidTo
	}
	return (from == 0 || year >= from) && (to == 0 || year <= to)
}

// Lookup finds code in this set (and, for an extension, its base), or nil.
func (cs *CodeSet) Lookup(code string) *CodeNode { return cs.nodes[code] }

// Roots lists the top-level codes in order.
func (cs *CodeSet) Roots() []*CodeNode { return cs.roots }

// Len is the number of codes in this set's view.
func (cs *CodeSet) Len() int { return len(cs.nodes) }

// Label is the code set's title, or its name.
func (cs *CodeSet) Label() string {
	if cs.Title != "" {
		return cs.Title
	}
	return cs.Name
}

// Subtree returns code and every code below it, in tree order.
func (cs *CodeSet) Subtree(code string) []string {
	n := cs.nodes[code]
	if n == nil {
		return nil
	}
	var out []string
	var walk func(*CodeNode)
	walk = func(n *CodeNode) {
		out = append(out, n.Code.Code)
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

// Walk visits every code in tree order.
func (cs *CodeSet) Walk(fn func(*CodeNode)) {
	var walk func(*CodeNode)
	walk = func(n *CodeNode) {
		fn(n)
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, r := range cs.roots {
		walk(r)
	}
}

// CheckCode explains why code may not be used by a record of fiscal year year,
// or returns nil. It is the rule "records may only use enabled (leaf) codes
// valid for their year".
func (cs *CodeSet) CheckCode(code string, year int, leafOnly bool) error {
	n := cs.nodes[code]
	switch {
	case n == nil:
		return codeErr(ErrUnknownCode, errcode.UnknownCode, "代码 %s 不在代码集“%s”中", code, errcode.Label(cs.Label(), cs.TitleEn))
	case !n.IsEnabled():
		return codeErr(ErrCodeDisabled, errcode.CodeDisabled, "代码 %s（%s）已停用", code, n.Name)
	case !n.ValidIn(year):
		return codeErr(ErrCodeNotValid, errcode.CodeNotValid, "代码 %s（%s）在 %d 年度无效", code, n.Name, year)
	case leafOnly && !n.Leaf():
		return codeErr(ErrCodeNotLeaf, errcode.CodeNotLeaf, "代码 %s（%s）不是末级代码，请选择其下级", code, n.Name)
	}
	return nil
}

// codeErr is an InputError of a code check, which errors.Is finds sentinel in.
func codeErr(sentinel error, code errcode.Code, format string, args ...any) error {
	t := code.Format(format, args...)
	return &InputError{Code: code, Message: t.Zh, MessageEn: t.En, Sentinel: sentinel}
}

// Errors of code checks, for errors.Is.
var (
	ErrUnknownCode  = errors.New("unknown code")
	ErrCodeDisabled = errors.New("code disabled")
	ErrCodeNotValid = errors.New("code not valid in year")
	ErrCodeNotLeaf  = errors.New("code not a leaf")
)

// loadCSV appends the codes of cs.CSV, read relative to the directory of the
// definition file that declared the set.
func (cs *CodeSet) loadCSV(defDir, projectDir string, ps *Problems) {
	path := filepath.Join(defDir, cs.CSV)
	rel, _ := filepath.Rel(projectDir, path)
	rel = filepath.ToSlash(rel)
	text, err := os.ReadFile(path)
	if err != nil {
		ps.Addf(cs.At["csv"], "code set %s: cannot read CSV %s: %v", cs.Name, cs.CSV, errors.Unwrap(err))
		return
	}
	// The CSV is part of the definition: it is versioned and hashed with the YAML.
	cs.csvFile, cs.csvText = rel, text
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		ps.Addf(Pos{File: rel, Line: 1, Col: 1}, "code set %s: CSV has no header row: %v", cs.Name, err)
		return
	}
	cols := map[string]int{}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		cols[header[i]] = i
	}
	for _, need := range []string{"code", "name"} {
		if _, ok := cols[need]; !ok {
			ps.Addf(Pos{File: rel, Line: 1, Col: 1}, "code set %s: the CSV header (%s) has no column %q; the first row names the columns: code, name, and optionally parent, valid_from, valid_to, enabled and the set's attributes", cs.Name, strings.Join(header, ","), need)
			return
		}
	}
	known := map[string]bool{"code": true, "name": true, "parent": true, "valid_from": true, "valid_to": true, "enabled": true}
	for _, a := range cs.Attributes {
		known[a.Name] = true
	}
	for i, h := range header {
		if !known[h] {
			ps.Addf(Pos{File: rel, Line: 1, Col: i + 1}, "code set %s: unknown CSV column %q (declare it under attributes)", cs.Name, h)
		}
	}
	get := func(rec []string, col string) string {
		if i, ok := cols[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		pos := Pos{File: rel, Line: line, Col: 1}
		if err != nil {
			ps.Addf(pos, "code set %s: %v", cs.Name, err)
			return
		}
		c := &Code{Pos: pos, Code: get(rec, "code"), Name: get(rec, "name"), Parent: get(rec, "parent")}
		for _, yr := range []struct {
			col string
			dst *int
		}{{"valid_from", &c.ValidFrom}, {"valid_to", &c.ValidTo}} {
			if v := get(rec, yr.col); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					ps.Addf(pos, "code set %s: %s %q is not a year", cs.Name, yr.col, v)
				}
				*yr.dst = n
			}
		}
		if v := get(rec, "enabled"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				ps.Addf(pos, "code set %s: enabled %q is not true or false", cs.Name, v)
			}
			c.Enabled = &b
		}
		for _, a := range cs.Attributes {
			if v := get(rec, a.Name); v != "" {
				if c.Attrs == nil {
					c.Attrs = map[string]string{}
				}
				c.Attrs[a.Name] = v
			}
		}
		cs.Codes = append(cs.Codes, c)
	}
}

// levelsText writes levels as they are written in YAML: [3, 2, 2].
func levelsText(levels []int) string {
	parts := make([]string, len(levels))
	for i, w := range levels {
		parts[i] = strconv.Itoa(w)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// baseNote names the base set in a message about an extension's codes.
func (cs *CodeSet) baseNote() string {
	if cs.Base != nil {
		return " nor in " + cs.Base.Name
	}
	return ""
}

// build resolves the tree of cs (its base must be built first) and checks that
// codes are unique, parents exist, widths follow Levels and an extension only adds.
func (cs *CodeSet) build(ps *Problems) {
	cs.nodes = map[string]*CodeNode{}
	if cs.Base != nil {
		// An extension sees its own copy of the base tree.
		cs.Base.Walk(func(b *CodeNode) {
			cs.nodes[b.Code.Code] = &CodeNode{Code: b.Code, Set: b.Set}
		})
	}
	var own []*CodeNode
	for _, c := range cs.Codes {
		if c.Code == "" {
			ps.Addf(c.Pos, "code set %s: a code has no code", cs.Name)
			continue
		}
		if c.Name == "" {
			ps.Addf(c.Pos, "code set %s: code %s has no name", cs.Name, c.Code)
		}
		if prev, dup := cs.nodes[c.Code]; dup {
			switch {
			case prev.Set != cs && c.Enabled != nil && !*c.Enabled:
				ps.Addf(c.Pos, "code set %s: an extension may not disable national code %s (%s) of %s; only the national set can disable its codes", cs.Name, c.Code, prev.Name, prev.Set.Name)
			case prev.Set != cs:
				ps.Addf(c.Pos, "code set %s: an extension may not change national code %s (%s) of %s; it may only add new codes (under national ones)", cs.Name, c.Code, prev.Name, prev.Set.Name)
			default:
				ps.Addf(c.Pos, "code set %s: code %s is defined twice (first at %s)", cs.Name, c.Code, prev.Pos)
			}
			continue
		}
		n := &CodeNode{Code: c, Set: cs}
		cs.nodes[c.Code] = n
		own = append(own, n)
	}
	// Link parents in written order: base codes first, then the set's own.
	var order []*CodeNode
	if cs.Base != nil {
		cs.Base.Walk(func(b *CodeNode) { order = append(order, cs.nodes[b.Code.Code]) })
	}
	order = append(order, own...)
	for _, n := range order {
		if n.Code.Parent == "" {
			cs.roots = append(cs.roots, n)
			continue
		}
		p := cs.nodes[n.Code.Parent]
		if p == nil {
			// An extension whose base could not be resolved (already reported)
			// would report every parent in the base here.
			if cs.Extends == "" || cs.Base != nil {
				ps.Addf(n.Pos, "code set %s: code %s names parent %s, which is not in the set%s", cs.Name, n.Code.Code, n.Code.Parent, cs.baseNote())
			}
			continue
		}
		n.Parent = p
		p.Children = append(p.Children, n)
	}
	// Levels, with a guard against cycles written by hand.
	for _, n := range order {
		level, p := 1, n.Parent
		for p != nil && level <= len(order) {
			level++
			p = p.Parent
		}
		if level > len(order) {
			ps.Addf(n.Pos, "code set %s: code %s is its own ancestor", cs.Name, n.Code.Code)
			continue
		}
		n.Level = level
	}
	levels := cs.Levels
	if len(levels) == 0 && cs.Base != nil {
		levels = cs.Base.Levels
	}
	if len(levels) > 0 {
		for _, n := range own {
			if n.Level == 0 || n.Code.Parent != "" && n.Parent == nil {
				// A cycle or a missing parent is reported already; its level is unknown.
				continue
			}
			if n.Level > len(levels) {
				ps.Addf(n.Pos, "code set %s: code %s is at level %d, but the set has %d levels (levels: %s)", cs.Name, n.Code.Code, n.Level, len(levels), levelsText(levels))
				continue
			}
			width := 0
			for _, w := range levels[:n.Level] {
				width += w
			}
			if len(n.Code.Code) != width {
				ps.Addf(n.Pos, "code set %s: code %s is at level %d, so it should have %d digits (levels: %s)", cs.Name, n.Code.Code, n.Level, width, levelsText(levels))
			} else if n.Parent != nil && !strings.HasPrefix(n.Code.Code, n.Parent.Code.Code) {
				ps.Addf(n.Pos, "code set %s: code %s should start with its parent's code %s", cs.Name, n.Code.Code, n.Parent.Code.Code)
			}
		}
	}
}

// ParseAttr reads an attribute value written as text in its declared type:
// decimal.Decimal for decimal and money (at most 2 decimals), int, time.Time
// for date, bool, and the text itself for text (or no type). An empty value
// is the type's zero. The error says what the value should be.
func ParseAttr(typ, v string) (any, error) {
	v = strings.TrimSpace(v)
	switch typ {
	case "decimal", "money":
		if v == "" {
			return decimal.Zero, nil
		}
		d, err := decimal.NewFromString(v)
		if err != nil || strings.ContainsAny(v, "eE") {
			return nil, fmt.Errorf("a number such as 45.50")
		}
		if typ == "money" && !d.Equal(d.Truncate(2)) {
			return nil, fmt.Errorf("an amount with at most 2 decimals")
		}
		return d, nil
	case "int":
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("a whole number")
		}
		return n, nil
	case "date":
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, fmt.Errorf("a date such as 2026-01-31")
		}
		return t, nil
	case "bool":
		switch v {
		case "", "false":
			return false, nil
		case "true":
			return true, nil
		}
		return nil, fmt.Errorf("true or false")
	}
	return v, nil
}

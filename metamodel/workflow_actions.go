package metamodel

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// NumberAction stamps a number from a sequence on a record when a transition
// fires: `number: {field: pay_no, format: "ZF{year}{seq:6}", per: [year]}`
// gives ZF2026000001, ZF2026000002, … with one counter per year. A record
// keeps the number it was given: firing the transition again (after a
// rejection and a resubmission) does not stamp a second one.
type NumberAction struct {
	Pos    Pos
	At     map[string]Pos
	Field  string   `yaml:"field" desc:"The string field that receives the number (make it readonly and unique)."`
	Format string   `yaml:"format" desc:"The number's pattern: text with {seq} or {seq:N} (the counter, zero-padded to N digits), {field} for a field's value, {yyyy}, {yy}, {mm}, {dd} for the event's date."`
	Per    []string `yaml:"per" desc:"Placeholders of format that each start their own counter, e.g. [year]: numbering restarts at 1 for every year."`

	// Resolved by the checker.
	Target *Field       `yaml:"-"`
	Parts  []NumberPart `yaml:"-"`
	PerRef []NumberPart `yaml:"-"`
	owner  *Entity
}

// NumberPart is one piece of a number format: literal text, a field's value,
// a date part, or the counter.
type NumberPart struct {
	Literal string
	// Field is set for {field}.
	Field *Field
	// Date is yyyy, yy, mm or dd for a date part of the event's date.
	Date string
	// Seq marks the counter; Width is its zero-padded width (0: as is).
	Seq   bool
	Width int
}

// Name is the placeholder's name as written between braces ("" for literals).
func (p NumberPart) Name() string {
	switch {
	case p.Field != nil:
		return p.Field.Name
	case p.Date != "":
		return p.Date
	case p.Seq:
		return "seq"
	}
	return ""
}

// NumberDateParts are the date placeholders of a number format.
var NumberDateParts = []string{"yyyy", "yy", "mm", "dd"}

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// Render builds the number from the values of its placeholders (fields and
// date parts by name) and the counter.
func (n *NumberAction) Render(value func(part NumberPart) string, seq int64) string {
	var b strings.Builder
	for _, p := range n.Parts {
		switch {
		case p.Seq:
			s := strconv.FormatInt(seq, 10)
			if len(s) < p.Width {
				s = strings.Repeat("0", p.Width-len(s)) + s
			}
			b.WriteString(s)
		case p.Literal != "":
			b.WriteString(p.Literal)
		default:
			b.WriteString(value(p))
		}
	}
	return b.String()
}

// CounterName names the counter a number draws from: one per entity field,
// and within it one per combination of the per values.
func (n *NumberAction) CounterName(value func(part NumberPart) string) string {
	name := n.owner.QualifiedName() + "." + n.Field
	for _, p := range n.PerRef {
		name += "|" + p.Name() + "=" + value(p)
	}
	return name
}

// checkWorkflowActions checks what the workflow checker leaves to the
// workflow feature: a transition's number action, and that an event fires
// from each state through at most one transition (the state machine must know
// where an event leads).
func checkWorkflowActions(a *App, w *Workflow, ps *Problems) {
	type key struct{ event, from string }
	first := map[key]*Transition{}
	for _, t := range w.Transitions {
		for i, s := range t.From {
			k := key{t.Event, s}
			if prev := first[k]; prev != nil && prev != t {
				ps.Addf(itemPos(t.At, "from", i), "workflow %s: event %s fires from state %s in two transitions (the other at %s); an event must lead from one state to one place", w.Name, t.Event, s, prev.Pos)
				continue
			}
			first[k] = t
		}
		if t.Number != nil && w.Target != nil {
			checkNumber(w, t, t.Number, ps)
		}
	}
}

func checkNumber(w *Workflow, t *Transition, n *NumberAction, ps *Problems) {
	e := w.Target
	n.owner = e
	where := fmt.Sprintf("workflow %s: transition %s: number", w.Name, t.Event)
	pos := func(key string) Pos {
		if p, ok := n.At[key]; ok {
			return p
		}
		return t.At["number"]
	}
	switch f := e.Field(n.Field); {
	case n.Field == "":
		ps.Addf(pos("field"), "%s needs field: the string field that receives the number", where)
	case f == nil:
		ps.Addf(pos("field"), "%s: field %q is not a field of entity %s%s", where, n.Field, e.Name, suggest(n.Field, fieldNames(e)))
	case !IsShortText(f):
		ps.Addf(pos("field"), "%s: field %s is a %s field; numbers are stamped into string fields", where, f.Name, f.Type)
	default:
		n.Target = f
	}
	if n.Format == "" {
		ps.Addf(pos("format"), "%s needs format, e.g. \"ZF{yyyy}{seq:6}\"", where)
		return
	}
	n.Parts = nil
	seqs := 0
	rest := n.Format
	for rest != "" {
		loc := placeholder.FindStringSubmatchIndex(rest)
		if loc == nil {
			n.Parts = append(n.Parts, NumberPart{Literal: rest})
			break
		}
		if loc[0] > 0 {
			n.Parts = append(n.Parts, NumberPart{Literal: rest[:loc[0]]})
		}
		name := rest[loc[2]:loc[3]]
		rest = rest[loc[1]:]
		switch {
		case name == "seq" || strings.HasPrefix(name, "seq:"):
			seqs++
			part := NumberPart{Seq: true}
			if w, ok := strings.CutPrefix(name, "seq:"); ok {
				width, err := strconv.Atoi(w)
				if err != nil || width < 1 || width > 18 {
					ps.Addf(pos("format"), "%s: {%s}: the counter's width is a whole number from 1 to 18", where, name)
				}
				part.Width = width
			}
			n.Parts = append(n.Parts, part)
		case e.Field(name) != nil:
			f := e.Field(name)
			if !numberPart(f) {
				ps.Addf(pos("format"), "%s: {%s} is a %s field; a number may include string, int, code, enum and ref fields", where, name, f.Type)
			}
			n.Parts = append(n.Parts, NumberPart{Field: f})
		case slices.Contains(NumberDateParts, name):
			n.Parts = append(n.Parts, NumberPart{Date: name})
		default:
			ps.Addf(pos("format"), "%s: {%s} is neither a field of entity %s nor one of seq, seq:N, %s%s", where, name, e.Name, strings.Join(NumberDateParts, ", "), suggest(name, append(fieldNames(e), NumberDateParts...)))
		}
	}
	if seqs != 1 {
		ps.Addf(pos("format"), "%s: format %q must hold the counter {seq} (or {seq:N}) exactly once, found %d", where, n.Format, seqs)
	}
	n.PerRef = nil
	for i, name := range n.Per {
		idx := slices.IndexFunc(n.Parts, func(p NumberPart) bool { return !p.Seq && p.Literal == "" && p.Name() == name })
		if idx < 0 {
			// A counter per value that the number does not show would give two
			// records the same number.
			ps.Addf(itemPos(n.At, "per", i), "%s: per names %q, which format %q does not show; numbers of different %s would collide", where, name, n.Format, name)
			continue
		}
		n.PerRef = append(n.PerRef, n.Parts[idx])
	}
}

// numberPart reports whether a record number may include f's value: a
// short exact value that prints as it is (string, int, code, enum, ref).
func numberPart(f *Field) bool {
	return IsShortText(f) || wholeNumber(f) || f.Is(CodeRef) || f.Is(Choice) || f.Is(RecordRef)
}

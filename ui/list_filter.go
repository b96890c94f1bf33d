package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// A list page offers the entity's declared filters (filters: in the
// definition), the fields whose type asks for a filter on every list (its
// amounts and dates, as ranges), and its workflow state; each field type
// says how it is filtered (metamodel.FilterOf). Each becomes one input or a range of
// two, named f.FIELD, f.FIELD.from and f.FIELD.to in the query string, so a
// filtered list is a plain link and an export repeats the same query. The
// inputs are turned into filter nodes built in Go (never text pasted into
// the filter language), and the engine compiles them to parameterised SQL
// together with the actor's data scope.

// filterInput is one filter control on a list page.
type filterInput struct {
	Name, Label string
	// Kind: text, number, select, range, daterange, code.
	Kind      string
	Value     string
	From, To  string
	Options   []option
	Error     string
	CodeSet   string
	CodeLabel string
	Numeric   bool
	// Plain shows a code filter as a plain input, without the picker
	// (whose search needs a login).
	Plain bool
	Lang  Lang
	// RefURL is a ref filter's record picker.
	RefURL string
}

type option struct {
	Value, Label string
	Selected     bool
	Disabled     bool
}

// queryValues reads a query parameter; it is what list and export share.
type queryValues func(key string) string

// listFilters builds the filter inputs of e for actor and the condition they
// express. Values that a field type cannot parse are reported on their input
// and left out of the condition.
func (u *UI) listFilters(l Lang, actor engine.Actor, e *metamodel.Entity, q queryValues) ([]filterInput, filter.Node, bool) {
	var inputs []filterInput
	var terms []filter.Node
	ok := true
	if w := e.Workflow; w != nil {
		in := filterInput{Name: "f.state", Label: l.T("list.state"), Kind: "select", Value: q("f.state"), Lang: l}
		in.Options = append(in.Options, option{Value: "", Label: l.T("list.any")})
		for _, s := range w.States {
			in.Options = append(in.Options, option{Value: s, Label: StateLabel(w, s), Selected: s == in.Value})
		}
		if in.Value != "" {
			terms = append(terms, &filter.Compare{Field: "state", Op: filter.Eq, Value: text(in.Value)})
		}
		inputs = append(inputs, in)
	}
	for _, f := range filterFields(e) {
		if u.rt.Access.Hidden(actor, e, f.Name) {
			continue
		}
		in, node := fieldFilter(l, f, q, u.opts.Location)
		if in.Error != "" {
			ok = false
		}
		if node != nil {
			terms = append(terms, node)
		}
		inputs = append(inputs, in)
	}
	switch len(terms) {
	case 0:
		return inputs, nil, ok
	case 1:
		return inputs, terms[0], ok
	}
	return inputs, &filter.And{Terms: terms}, ok
}

// filterFields are the fields a list filters on: the declared filters, then
// every field not declared whose type asks for a filter on every list
// (amounts and dates: what finance users look for first, large amounts, a
// month's records). Declaring them in filters: also indexes them.
func filterFields(e *metamodel.Entity) []*metamodel.Field {
	var out []*metamodel.Field
	seen := map[string]bool{}
	for _, name := range e.Filters {
		if f := e.Field(name); f != nil && !seen[name] {
			seen[name] = true
			out = append(out, f)
		}
	}
	for _, f := range e.Fields {
		if !seen[f.Name] && metamodel.FilterOf(f).Always {
			out = append(out, f)
		}
	}
	return out
}

// fieldFilter is one field's filter input and condition.
func fieldFilter(l Lang, f *metamodel.Field, q queryValues, loc *time.Location) (filterInput, filter.Node) {
	key := "f." + f.Name
	in := filterInput{Name: key, Label: l.FieldLabel(f), Value: strings.TrimSpace(q(key)), Lang: l}
	switch kind := metamodel.FilterOf(f).Kind; kind {
	case "range", "daterange":
		return rangeFilter(f, kind, q, in, loc)
	case "select":
		in.Kind = "select"
		in.Options = []option{{Value: "", Label: l.T("list.any")}}
		for _, v := range f.Values {
			in.Options = append(in.Options, option{Value: v.Value, Label: l.EnumLabel(f, v.Value), Selected: v.Value == in.Value})
		}
		if in.Value == "" {
			return in, nil
		}
		return in, &filter.Compare{Field: f.Name, Op: filter.Eq, Value: text(in.Value)}
	case "bool":
		in.Kind = "select"
		in.Options = []option{{Value: "", Label: l.T("list.any")}, {Value: "true", Label: l.T("form.yes"), Selected: in.Value == "true"}, {Value: "false", Label: l.T("form.no"), Selected: in.Value == "false"}}
		if in.Value != "true" && in.Value != "false" {
			return in, nil
		}
		return in, &filter.Compare{Field: f.Name, Op: filter.Eq, Value: filter.Value{Kind: filter.Bool, Text: in.Value}}
	case "code":
		in.Kind = "code"
		if f.Set != nil {
			in.CodeSet = f.Set.Name
			if f.Set.Len() <= smallCodeSet {
				// A small set is a select; a branch code selects its subtree.
				in.Kind = "select"
				in.Options = []option{{Value: "", Label: l.T("list.any")}}
				f.Set.Walk(func(n *metamodel.CodeNode) {
					in.Options = append(in.Options, option{Value: n.Code.Code, Label: strings.Repeat("　", n.Level-1) + n.Code.Code + " " + n.Name, Selected: n.Code.Code == in.Value})
				})
			}
		}
		if in.Value == "" {
			return in, nil
		}
		if f.Set == nil || f.Set.Lookup(in.Value) == nil {
			in.Error = fmt.Sprintf("代码 %s 不存在", in.Value)
			return in, nil
		}
		in.CodeLabel = f.Set.Lookup(in.Value).Name
		// A branch code finds its whole subtree: 205 finds every education code.
		return in, &filter.Under{Field: f.Name, Code: text(in.Value)}
	case "number", "ref":
		in.Kind, in.Numeric = "number", true
		if kind == "ref" && f.Target != nil {
			in.Kind, in.RefURL = "ref", "/ui/ref/"+f.Target.App.Name+"/"+f.Target.Name
		}
		if in.Value == "" {
			return in, nil
		}
		v, err := f.Kind.Parse(f, normalizeNumber(in.Value))
		if err != nil {
			in.Error = metamodel.AsInputError(err).Message
			return in, nil
		}
		return in, &filter.Compare{Field: f.Name, Op: filter.Eq, Value: filter.Value{Kind: filter.Number, Text: fmt.Sprint(v)}}
	default:
		in.Kind = "text"
		if in.Value == "" {
			return in, nil
		}
		return in, &filter.Like{Field: f.Name, Pattern: text("%" + escapeLike(in.Value) + "%")}
	}
}

// rangeFilter is a from–to pair for amounts and decimals (kind range) or
// for dates and times (daterange).
func rangeFilter(f *metamodel.Field, kind string, q queryValues, in filterInput, loc *time.Location) (filterInput, filter.Node) {
	in.Kind, in.Numeric = kind, kind == "range"
	in.From, in.To = strings.TrimSpace(q(in.Name+".from")), strings.TrimSpace(q(in.Name+".to"))
	var terms []filter.Node
	var problems []string
	for _, bound := range []struct {
		text string
		op   filter.Op
	}{{in.From, filter.Ge}, {in.To, filter.Le}} {
		if bound.text == "" {
			continue
		}
		value, op, err := boundValue(f, bound.text, bound.op, loc)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		terms = append(terms, &filter.Compare{Field: f.Name, Op: op, Value: value})
	}
	in.Error = strings.Join(problems, "；")
	switch len(terms) {
	case 0:
		return in, nil
	case 1:
		return in, terms[0]
	}
	return in, &filter.And{Terms: terms}
}

// boundValue parses one end of a range the way the field type parses input.
// A datetime field filtered by dates compares with midnight: a
// "to" date includes its whole day. Dates are midnights in loc.
func boundValue(f *metamodel.Field, raw string, op filter.Op, loc *time.Location) (filter.Value, filter.Op, error) {
	switch f.Kind.Column(f).Kind {
	case metamodel.ColumnDate:
		t, err := time.Parse(time.DateOnly, normalizeNumber(raw))
		if err != nil {
			return filter.Value{}, op, fmt.Errorf("日期格式应为 YYYY-MM-DD，收到 %q", raw)
		}
		return text(t.Format(time.DateOnly)), op, nil
	case metamodel.ColumnTimestamp:
		t, err := time.ParseInLocation(time.DateOnly, normalizeNumber(raw), loc)
		if err != nil {
			return filter.Value{}, op, fmt.Errorf("日期格式应为 YYYY-MM-DD，收到 %q", raw)
		}
		if op == filter.Le {
			t, op = t.AddDate(0, 0, 1), filter.Lt
		}
		return text(t.Format(time.RFC3339)), op, nil
	}
	v, err := f.Kind.Parse(f, normalizeNumber(raw))
	if err != nil {
		return filter.Value{}, op, fmt.Errorf("%s", metamodel.AsInputError(err).Message)
	}
	d, ok := v.(decimal.Decimal)
	if !ok {
		return filter.Value{}, op, fmt.Errorf("%q 不是有效的数字", raw)
	}
	return text(d.String()), op, nil
}

// escapeLike makes a user's text literal inside a like pattern.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// tagFilter is the data-tag picker of a list or report page: a select of the
// tags offered there, and the tag chosen as a condition.
func tagFilter(l Lang, tags []*metamodel.Tag, value string) (filterInput, filter.Node) {
	in := filterInput{Name: "tag", Label: l.T("list.tag"), Kind: "select", Lang: l}
	in.Options = append(in.Options, option{Value: "", Label: l.T("list.any")})
	var node filter.Node
	for _, t := range tags {
		selected := t.Name == value
		in.Options = append(in.Options, option{Value: t.Name, Label: t.Label(), Selected: selected})
		if selected {
			in.Value = value
			node = &filter.Tag{Name: t.Name}
		}
	}
	return in, node
}

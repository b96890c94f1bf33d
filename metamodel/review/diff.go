package review

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// Change is one difference between two versions of the definitions, said in
// business terms: "transition approve now allowed for role treasury", not a
// line of YAML.
type Change struct {
	App string
	// Subject is what changed: "app", "entity payment", "workflow payment",
	// "role clerk", "code set agency", "form payment", "report totals".
	Subject string
	Message string
	// Money is set on changes to how money is held: balances, draws,
	// adjustments, rollup and report conditions, code attributes, quorums.
	Money bool
	// Weakens is set when the change loosens a control; the message then
	// says what can now happen.
	Weakens bool
}

func (c Change) String() string {
	if c.Weakens {
		return c.App + ": " + c.Subject + ": WEAKER: " + c.Message
	}
	return c.App + ": " + c.Subject + ": " + c.Message
}

// Diff lists the changes from old to new, app by app in the new version's
// order (removed apps last); each change is listed once.
func Diff(old, new *metamodel.Project) []Change {
	d := &differ{}
	for _, na := range new.Apps {
		oa := old.App(na.Name)
		if oa == nil {
			d.add(na.Name, "app", "added (%s)", summariseApp(na))
			continue
		}
		d.app(oa, na)
	}
	for _, oa := range old.Apps {
		if new.App(oa.Name) == nil {
			d.add(oa.Name, "app", "removed (%s)", summariseApp(oa))
		}
	}
	return d.out
}

type differ struct {
	out []Change
	// appName is the app being compared.
	appName string
}

func (d *differ) add(app, subject, format string, args ...any) {
	d.out = append(d.out, Change{App: app, Subject: subject, Message: fmt.Sprintf(format, args...)})
}

func summariseApp(a *metamodel.App) string {
	return fmt.Sprintf("%d entities, %d workflows, %d roles, %d code sets", len(a.Entities), len(a.Workflows), len(a.Roles), len(a.CodeSets))
}

// text changes: "title 支付 → 支付申请".
func (d *differ) text(subject, what, old, new string) {
	switch {
	case old == new:
	case old == "":
		d.add(d.appName, subject, "%s set to %s", what, quote(new))
	case new == "":
		d.add(d.appName, subject, "%s removed (was %s)", what, quote(old))
	default:
		d.add(d.appName, subject, "%s changed from %s to %s", what, quote(old), quote(new))
	}
}

// set changes of a list of names: added and removed items, each in one line.
func (d *differ) set(subject string, old, new []string, added, removed string) {
	var plus, minus []string
	for _, v := range new {
		if !slices.Contains(old, v) && !slices.Contains(plus, v) {
			plus = append(plus, v)
		}
	}
	for _, v := range old {
		if !slices.Contains(new, v) && !slices.Contains(minus, v) {
			minus = append(minus, v)
		}
	}
	for _, v := range plus {
		d.add(d.appName, subject, added, v)
	}
	for _, v := range minus {
		d.add(d.appName, subject, removed, v)
	}
}

func quote(s string) string {
	if strings.ContainsAny(s, " <>=!&|()'\"+-*/") {
		return "`" + s + "`"
	}
	return s
}

func (d *differ) app(oa, na *metamodel.App) {
	d.appName = na.Name
	d.text("app", "title", oa.Title, na.Title)
	for _, ne := range na.Entities {
		oe := oa.Entity(ne.Name)
		if oe == nil {
			d.add(d.appName, "entity "+ne.Name, "added (%s, %d fields)", ne.Label(), len(ne.Fields))
			continue
		}
		d.entity(oe, ne)
	}
	for _, oe := range oa.Entities {
		if na.Entity(oe.Name) == nil {
			d.add(d.appName, "entity "+oe.Name, "removed")
		}
	}
	for _, nw := range na.Workflows {
		ow := oa.Workflow(nw.Name)
		if ow == nil {
			d.add(d.appName, "workflow "+nw.Name, "added on entity %s (%d states, %d transitions)", nw.Entity, len(nw.States), len(nw.Transitions))
			continue
		}
		d.workflow(ow, nw)
	}
	for _, ow := range oa.Workflows {
		if na.Workflow(ow.Name) == nil {
			d.add(d.appName, "workflow "+ow.Name, "removed")
		}
	}
	for _, nr := range na.Roles {
		or := oa.Role(nr.Name)
		if or == nil {
			d.add(d.appName, "role "+nr.Name, "added (scope %s; %s)", nr.Scope, grantsText(nr))
			continue
		}
		d.role(or, nr)
	}
	for _, or := range oa.Roles {
		if na.Role(or.Name) == nil {
			d.add(d.appName, "role "+or.Name, "removed (it could %s)", grantsText(or))
		}
	}
	d.codeSets(oa, na)
	d.forms(oa, na)
	d.reports(oa, na)
	d.exchanges(oa, na)
	d.postings(oa, na)
}

func grantsText(r *metamodel.Role) string {
	var parts []string
	for _, g := range r.Can {
		parts = append(parts, strings.Join(g.Actions, ", ")+" "+g.Name)
	}
	if len(parts) == 0 {
		return "no grants"
	}
	return strings.Join(parts, "; ")
}

func (d *differ) entity(oe, ne *metamodel.Entity) {
	subj := "entity " + ne.Name
	d.text(subj, "title", oe.Title, ne.Title)
	d.text(subj, "org_field (data scope)", oe.OrgField, ne.OrgField)
	d.text(subj, "year_field", oe.YearField, ne.YearField)
	for _, nf := range ne.Fields {
		of := oe.Field(nf.Name)
		if of == nil {
			req := ""
			if nf.Required {
				req = ", required"
			}
			d.add(d.appName, subj, "field %s added (%s%s)", nf.Name, nf.Type, req)
			continue
		}
		d.field(subj, of, nf)
	}
	for _, of := range oe.Fields {
		if ne.Field(of.Name) == nil {
			d.add(d.appName, subj, "field %s removed", of.Name)
		}
	}
	d.ledger(subj, oe, ne)
	d.set(subj, groups(oe.Unique), groups(ne.Unique), "now unique together: %s", "no longer unique together: %s")
	d.set(subj, oe.Filters, ne.Filters, "field %s is now a list filter", "field %s is no longer a list filter")
	oldRules, newRules := rulesByKey(oe.Rules), rulesByKey(ne.Rules)
	for _, k := range sortedKeys(newRules, ne.Rules) {
		nr, or := newRules[k], oldRules[k]
		if or == nil {
			d.add(d.appName, subj, "rule %s added: %s (%s)", k, quote(nr.Assert), nr.Message)
			continue
		}
		rs := "rule " + k
		d.text(subj, rs+": assert", or.Assert, nr.Assert)
		d.text(subj, rs+": when", or.When, nr.When)
		d.text(subj, rs+": message", or.Message, nr.Message)
		d.set(subj, or.Fields, nr.Fields, rs+" now shown against field %s", rs+" no longer shown against field %s")
	}
	for _, k := range sortedKeys(oldRules, oe.Rules) {
		if newRules[k] == nil {
			d.add(d.appName, subj, "rule %s removed: %s", k, quote(oldRules[k].Assert))
		}
	}
}

func groups(gs [][]string) []string {
	var out []string
	for _, g := range gs {
		out = append(out, strings.Join(g, ", "))
	}
	return out
}

// rulesByKey keys rules by name, or by their assertion when unnamed.
func rulesByKey(rules []*metamodel.Rule) map[string]*metamodel.Rule {
	out := map[string]*metamodel.Rule{}
	for _, r := range rules {
		out[ruleKey(r)] = r
	}
	return out
}

func ruleKey(r *metamodel.Rule) string {
	if r.Name != "" {
		return r.Name
	}
	return quote(r.Assert)
}

// sortedKeys lists the keys of m in the order of list.
func sortedKeys(m map[string]*metamodel.Rule, list []*metamodel.Rule) []string {
	var out []string
	for _, r := range list {
		if k := ruleKey(r); m[k] != nil && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func (d *differ) field(subj string, of, nf *metamodel.Field) {
	fs := "field " + nf.Name
	if of.Type != nf.Type {
		d.add(d.appName, subj, "%s: type changed from %s to %s", fs, of.Type, nf.Type)
	}
	bools := []struct {
		what     string
		old, new bool
	}{{"required", of.Required, nf.Required}, {"unique", of.Unique, nf.Unique}, {"read-only", of.Readonly, nf.Readonly}, {"limited to leaf codes", of.LeafOnly, nf.LeafOnly}}
	for _, b := range bools {
		switch {
		case !b.old && b.new:
			d.add(d.appName, subj, "%s now %s", fs, b.what)
		case b.old && !b.new:
			d.add(d.appName, subj, "%s no longer %s", fs, b.what)
		}
	}
	d.text(subj, fs+": label", of.Label, nf.Label)
	d.text(subj, fs+": minimum", of.Min, nf.Min)
	d.text(subj, fs+": maximum", of.Max, nf.Max)
	d.text(subj, fs+": pattern", of.Pattern, nf.Pattern)
	d.text(subj, fs+": code set", of.CodeSet, nf.CodeSet)
	d.text(subj, fs+": refers to", of.Entity, nf.Entity)
	d.text(subj, fs+": expression", of.Expr, nf.Expr)
	d.text(subj, fs+": default", fmtAny(of.Default), fmtAny(nf.Default))
	if of.MaxLength != nf.MaxLength {
		d.add(d.appName, subj, "%s: maximum length changed from %d to %d", fs, of.MaxLength, nf.MaxLength)
	}
	if of.Scale != nf.Scale {
		d.add(d.appName, subj, "%s: scale changed from %d to %d", fs, of.Scale, nf.Scale)
	}
	d.rollup(subj, fs, of, nf)
	var ov, nv []string
	for _, v := range of.Values {
		ov = append(ov, v.Value)
	}
	for _, v := range nf.Values {
		nv = append(nv, v.Value)
	}
	d.set(subj, ov, nv, fs+": value %s added", fs+": value %s removed")
}

func fmtAny(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (d *differ) workflow(ow, nw *metamodel.Workflow) {
	subj := "workflow " + nw.Name
	d.text(subj, "title", ow.Title, nw.Title)
	d.text(subj, "entity", ow.Entity, nw.Entity)
	d.text(subj, "initial state", ow.Initial, nw.Initial)
	marked := func(w *metamodel.Workflow) []string {
		var out []string
		for _, s := range w.States {
			var marks []string
			if s == w.Initial {
				marks = append(marks, "initial")
			}
			if slices.Contains(w.Final, s) {
				marks = append(marks, "final")
			}
			if slices.Contains(editable(w), s) {
				marks = append(marks, "editable")
			}
			if len(marks) > 0 {
				s += " (" + strings.Join(marks, ", ") + ")"
			}
			out = append(out, s)
		}
		return out
	}
	var addedStates, removedStates []string
	for _, s := range marked(nw) {
		if !slices.Contains(ow.States, strings.Fields(s)[0]) {
			addedStates = append(addedStates, s)
		}
	}
	for _, s := range marked(ow) {
		if !slices.Contains(nw.States, strings.Fields(s)[0]) {
			removedStates = append(removedStates, s)
		}
	}
	d.set(subj, nil, addedStates, "state %s added", "")
	d.set(subj, removedStates, nil, "", "state %s removed")
	// Final and editable only for states in both versions: a state added or
	// removed is one change already.
	common := func(states []string) []string {
		return slices.DeleteFunc(slices.Clone(states), func(s string) bool {
			return !slices.Contains(ow.States, s) || !slices.Contains(nw.States, s)
		})
	}
	d.set(subj, common(ow.Final), common(nw.Final), "state %s is now final", "state %s is no longer final")
	d.set(subj, common(editable(ow)), common(editable(nw)), "records may now be edited in state %s", "records may no longer be edited in state %s")
	for _, s := range common(nw.States) {
		d.text(subj, "state "+s+": label", ow.Labels[s], nw.Labels[s])
	}
	oldT, newT := transitionsByKey(ow), transitionsByKey(nw)
	for _, t := range nw.Transitions {
		k := keyOf(nw, t)
		ot := oldT[k]
		if ot == nil {
			d.add(d.appName, subj, "transition %s added (%s → %s, %s)", k, strings.Join(t.From, ", "), t.To, rolesText(t.Roles))
			continue
		}
		d.transition(subj, "transition "+k, ot, t)
	}
	for _, t := range ow.Transitions {
		k := keyOf(ow, t)
		if newT[k] == nil {
			d.add(d.appName, subj, "transition %s removed (%s → %s)", k, strings.Join(t.From, ", "), t.To)
		}
	}
}

func editable(w *metamodel.Workflow) []string {
	if len(w.Editable) == 0 && w.Initial != "" {
		return []string{w.Initial}
	}
	return w.Editable
}

func rolesText(roles []string) string {
	if len(roles) == 0 {
		return "no roles"
	}
	return "roles " + strings.Join(roles, ", ")
}

// keyOf names a transition by its event, with its place among the
// transitions of the same event when there are several (approve#2).
func keyOf(w *metamodel.Workflow, t *metamodel.Transition) string {
	n, i := 0, 0
	for _, u := range w.Transitions {
		if u.Event == t.Event {
			n++
			if u == t {
				i = n
			}
		}
	}
	if n == 1 {
		return t.Event
	}
	return fmt.Sprintf("%s#%d", t.Event, i)
}

func transitionsByKey(w *metamodel.Workflow) map[string]*metamodel.Transition {
	out := map[string]*metamodel.Transition{}
	for _, t := range w.Transitions {
		out[keyOf(w, t)] = t
	}
	return out
}

func (d *differ) transition(subj, ts string, ot, nt *metamodel.Transition) {
	d.text(subj, ts+": label", ot.Label, nt.Label)
	d.set(subj, ot.From, nt.From, ts+" now also fires from state %s", ts+" no longer fires from state %s")
	if ot.To != nt.To {
		d.add(d.appName, subj, "%s now leads to state %s (was %s)", ts, nt.To, ot.To)
	}
	switch {
	case len(ot.Roles) == 0 && len(nt.Roles) > 0:
		d.add(d.appName, subj, "%s now limited to %s (was open to every role granted it)", ts, rolesText(nt.Roles))
	case len(ot.Roles) > 0 && len(nt.Roles) == 0:
		d.add(d.appName, subj, "%s now open to every role granted it (was %s)", ts, rolesText(ot.Roles))
	default:
		d.set(subj, ot.Roles, nt.Roles, ts+" now allowed for role %s", ts+" no longer allowed for role %s")
	}
	switch {
	case ot.Guard == nt.Guard:
	case ot.Guard == "":
		d.add(d.appName, subj, "guard on %s added: `%s`", strings.TrimPrefix(ts, "transition "), nt.Guard)
	case nt.Guard == "":
		d.add(d.appName, subj, "guard on %s removed (was `%s`)", strings.TrimPrefix(ts, "transition "), ot.Guard)
	default:
		d.add(d.appName, subj, "guard on %s changed from `%s` to `%s`", strings.TrimPrefix(ts, "transition "), ot.Guard, nt.Guard)
	}
	d.text(subj, ts+": guard message", ot.GuardMessage, nt.GuardMessage)
	d.set(subj, notByText(ot.NotBy), notByText(nt.NotBy), ts+" may no longer be fired by %s", ts+" may again be fired by %s")
	if ot.Quorum.String() != nt.Quorum.String() {
		weaker := quorumWeakening(ot.Quorum, nt.Quorum)
		if ot.Quorum.Tiered() || nt.Quorum.Tiered() {
			d.money(weaker != "", subj, "%s: distinct approvals now `%s` (was `%s`)%s", ts, nt.Quorum, ot.Quorum, weaker)
		} else {
			d.money(weaker != "", subj, "%s now needs %s distinct approvals (was %s)%s", ts, nt.Quorum, ot.Quorum, weaker)
		}
	}
	switch oreq, nreq := ot.Comment == "required", nt.Comment == "required"; {
	case !oreq && nreq:
		d.add(d.appName, subj, "%s now requires a comment", ts)
	case oreq && !nreq:
		d.add(d.appName, subj, "%s no longer requires a comment", ts)
	}
	for _, f := range slices.Sorted(maps.Keys(nt.Set)) {
		switch ov, ok := ot.Set[f]; {
		case !ok:
			d.add(d.appName, subj, "%s now sets field %s to `%s`", ts, f, nt.Set[f])
		case ov != nt.Set[f]:
			d.add(d.appName, subj, "%s sets field %s to `%s` (was `%s`)", ts, f, nt.Set[f], ov)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(ot.Set)) {
		if _, ok := nt.Set[f]; !ok {
			d.add(d.appName, subj, "%s no longer sets field %s", ts, f)
		}
	}
	on, nn := numberText(ot.Number), numberText(nt.Number)
	switch {
	case on == nn:
	case on == "":
		d.add(d.appName, subj, "%s now stamps %s", ts, nn)
	case nn == "":
		d.add(d.appName, subj, "%s no longer stamps %s", ts, on)
	default:
		d.add(d.appName, subj, "%s now stamps %s (was %s)", ts, nn, on)
	}
}

func numberText(n *metamodel.NumberAction) string {
	if n == nil {
		return ""
	}
	s := fmt.Sprintf("%s as %q", n.Field, n.Format)
	if len(n.Per) > 0 {
		s += " counted per " + strings.Join(n.Per, ", ")
	}
	return s
}

func (d *differ) role(or, nr *metamodel.Role) {
	subj := "role " + nr.Name
	d.text(subj, "title", or.Title, nr.Title)
	if or.Scope != nr.Scope {
		d.add(d.appName, subj, "data scope changed from %s to %s", or.Scope, nr.Scope)
	}
	grants := func(r *metamodel.Role) map[string][]string {
		out := map[string][]string{}
		for _, g := range r.Can {
			out[g.Name] = g.Actions
		}
		return out
	}
	og, ng := grants(or), grants(nr)
	var entities []string
	for _, g := range nr.Can {
		entities = append(entities, g.Name)
	}
	for _, g := range or.Can {
		if !slices.Contains(entities, g.Name) {
			entities = append(entities, g.Name)
		}
	}
	for _, e := range entities {
		var plus, minus []string
		for _, a := range ng[e] {
			if !slices.Contains(og[e], a) {
				plus = append(plus, a)
			}
		}
		for _, a := range og[e] {
			if !slices.Contains(ng[e], a) {
				minus = append(minus, a)
			}
		}
		if len(plus) > 0 {
			d.add(d.appName, subj, "may now %s %s", strings.Join(plus, ", "), e)
		}
		if len(minus) > 0 {
			d.add(d.appName, subj, "may no longer %s %s", strings.Join(minus, ", "), e)
		}
	}
	fieldRules := func(r *metamodel.Role) (hidden, readonly []string) {
		for _, fr := range r.Fields {
			for _, f := range fr.Hidden {
				hidden = append(hidden, fr.Name+"."+f)
			}
			for _, f := range fr.Readonly {
				readonly = append(readonly, fr.Name+"."+f)
			}
		}
		return
	}
	oh, oro := fieldRules(or)
	nh, nro := fieldRules(nr)
	d.set(subj, oh, nh, "field %s now hidden from the role", "field %s no longer hidden from the role")
	d.set(subj, oro, nro, "field %s now read-only for the role", "field %s no longer read-only for the role")
}

func (d *differ) codeSets(oa, na *metamodel.App) {
	old := map[string]*metamodel.CodeSet{}
	for _, cs := range oa.CodeSets {
		old[cs.Name] = cs
	}
	seen := map[string]bool{}
	for _, ncs := range na.CodeSets {
		seen[ncs.Name] = true
		ocs := old[ncs.Name]
		subj := "code set " + ncs.Name
		if ocs == nil {
			d.add(d.appName, subj, "added (%s, %d codes)", ncs.Title, len(codes(ncs)))
			continue
		}
		d.text(subj, "title", ocs.Title, ncs.Title)
		oc, nc := codes(ocs), codes(ncs)
		var added, removed, renamed, other []string
		for _, k := range slices.Sorted(maps.Keys(nc)) {
			o, ok := oc[k]
			switch {
			case !ok:
				added = append(added, k)
			case o.Name != nc[k].Name:
				renamed = append(renamed, fmt.Sprintf("%s %s → %s", k, o.Name, nc[k].Name))
			case codeState(o) != codeState(nc[k]):
				other = append(other, fmt.Sprintf("%s (%s → %s)", k, codeState(o), codeState(nc[k])))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(oc)) {
			if _, ok := nc[k]; !ok {
				removed = append(removed, k)
			}
		}
		for _, part := range []struct {
			list []string
			what string
		}{{added, "added"}, {removed, "removed"}, {renamed, "renamed"}, {other, "changed validity, parent or enabled"}} {
			if len(part.list) > 0 {
				d.add(d.appName, subj, "%d code(s) %s: %s", len(part.list), part.what, abbreviate(part.list, 8))
			}
		}
		d.codeAttrs(subj, oc, nc)
	}
	for _, ocs := range oa.CodeSets {
		if !seen[ocs.Name] {
			d.add(d.appName, "code set "+ocs.Name, "removed")
		}
	}
}

// codes are a code set's own codes as written, by code.
func codes(cs *metamodel.CodeSet) map[string]*metamodel.Code {
	out := map[string]*metamodel.Code{}
	for _, c := range cs.Codes {
		out[c.Code] = c
	}
	cs.Walk(func(n *metamodel.CodeNode) {
		if n.Set == cs {
			out[n.Code.Code] = n.Code
		}
	})
	return out
}

func codeState(c *metamodel.Code) string {
	enabled := c.Enabled == nil || *c.Enabled
	return fmt.Sprintf("parent %s, valid %d–%d, enabled %v", c.Parent, c.ValidFrom, c.ValidTo, enabled)
}

func abbreviate(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(", … (%d more)", len(list)-n)
}

func (d *differ) forms(oa, na *metamodel.App) {
	layout := func(f *metamodel.Form) string {
		s := fmt.Sprint(f.Layout)
		for _, sec := range f.Sections {
			s += "|" + sec.Title + fmt.Sprint(sec.Rows)
		}
		return s
	}
	old := map[string]*metamodel.Form{}
	for _, f := range oa.Forms {
		old[f.Name] = f
	}
	seen := map[string]bool{}
	for _, nf := range na.Forms {
		seen[nf.Name] = true
		of := old[nf.Name]
		switch {
		case of == nil:
			d.add(d.appName, "form "+nf.Name, "added")
		case layout(of) != layout(nf) || of.Title != nf.Title:
			d.add(d.appName, "form "+nf.Name, "layout changed")
		}
	}
	for _, of := range oa.Forms {
		if !seen[of.Name] {
			d.add(d.appName, "form "+of.Name, "removed")
		}
	}
}

func (d *differ) reports(oa, na *metamodel.App) {
	old := map[string]*metamodel.Report{}
	for _, r := range oa.Reports {
		old[r.Name] = r
	}
	seen := map[string]bool{}
	for _, nr := range na.Reports {
		seen[nr.Name] = true
		or := old[nr.Name]
		subj := "report " + nr.Name
		if or == nil {
			d.add(d.appName, subj, "added (on %s)", nr.Entity)
			continue
		}
		d.text(subj, "title", or.Title, nr.Title)
		d.text(subj, "entity", or.Entity, nr.Entity)
		d.set(subj, or.GroupBy, nr.GroupBy, "now grouped by %s", "no longer grouped by %s")
		d.set(subj, or.Filters, nr.Filters, "may now be filtered on %s", "may no longer be filtered on %s")
		d.reportWhere(subj, or, nr)
		measure := func(m *metamodel.Measure) string {
			switch {
			case m.Balance != "":
				return fmt.Sprintf("%s = balance %s", m.Name, m.Balance)
			case m.Expr != "":
				return fmt.Sprintf("%s = `%s`", m.Name, m.Expr)
			}
			return fmt.Sprintf("%s = %s(%s)", m.Name, m.Agg, m.Field)
		}
		var om, nm []string
		for _, m := range or.Measures {
			om = append(om, measure(m))
		}
		for _, m := range nr.Measures {
			nm = append(nm, measure(m))
		}
		d.set(subj, om, nm, "measure %s added", "measure %s removed")
	}
	for _, or := range oa.Reports {
		if !seen[or.Name] {
			d.add(d.appName, "report "+or.Name, "removed")
		}
	}
}

// notByText names who not_by excludes, in words.
func notByText(notBy []string) []string {
	var out []string
	for _, nb := range notBy {
		switch nb {
		case "creator":
			out = append(out, "the record's creator")
		case "editors":
			out = append(out, "anyone who created or edited the record")
		case "submitter":
			out = append(out, "whoever submitted the record")
		case "actors":
			out = append(out, "anyone who fired an earlier event on the record")
		case "previous_approver":
			out = append(out, "the previous approver")
		default:
			out = append(out, nb)
		}
	}
	return out
}

// quorumWeakening says in words where a new quorum asks fewer approvals
// than the old one, or "" when it asks as many or more for every amount.
func quorumWeakening(old, new *metamodel.Quorum) string {
	points := []decimal.Decimal{decimal.Zero}
	for _, q := range []*metamodel.Quorum{old, new} {
		if q.Tiered() {
			for _, t := range q.Above {
				points = append(points, t.Threshold.Add(decimal.New(1, -2)))
			}
		}
	}
	slices.SortFunc(points, func(a, b decimal.Decimal) int { return a.Cmp(b) })
	for _, x := range points {
		if n, o := new.ForAmount(x), old.ForAmount(x); n < o {
			by := "a record"
			if !x.IsZero() {
				field := new.By
				if field == "" {
					field = old.By
				}
				by = fmt.Sprintf("a record with %s %s", field, x.StringFixed(2))
			}
			return fmt.Sprintf(": %s now passes with %d approval%s where it needed %d", by, n, plural(n), o)
		}
	}
	return ""
}

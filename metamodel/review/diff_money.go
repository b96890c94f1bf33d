package review

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// The money section of a diff: how accounts open, what draws on them and
// when, how adjustments apply, which records rollups and reports count, and
// the code attributes (rates) computations read. A change that loosens a
// control is marked Weakens and says in words what can now happen:
// "draw on indicator: control strict → none: this account can now be
// overdrawn".

// money records a change of the money section.
func (d *differ) money(weakens bool, subject, format string, args ...any) {
	d.out = append(d.out, Change{App: d.appName, Subject: subject, Message: fmt.Sprintf(format, args...), Money: true, Weakens: weakens})
}

// controlRank orders draw controls from the strictest.
var controlRank = map[string]int{"": 0, "strict": 0, "warn": 1, "none": 2}

func controlName(c string) string {
	if c == "" {
		return "strict"
	}
	return c
}

// controlMeaning is what a draw control lets happen.
var controlMeaning = map[string]string{
	"strict": "an overdraft of this account is refused again",
	"warn":   "an overdraft of this account is now let through with a warning",
	"none":   "this account can now be overdrawn",
}

func (d *differ) ledger(subj string, oe, ne *metamodel.Entity) {
	ob, nb := oe.Balance, ne.Balance
	switch {
	case ob == nil && nb != nil:
		d.money(false, subj, "is now an account: approved for field %s, opens at %s", nb.Amount, openText(nb))
	case ob != nil && nb == nil:
		d.money(true, subj, "is no longer an account (was approved for field %s): nothing drawn on it is held to a balance any more", ob.Amount)
	case ob != nil:
		if ob.Amount != nb.Amount {
			d.money(false, subj, "account: approved amount now from field %s (was %s)", nb.Amount, ob.Amount)
		}
		if o, n := openText(ob), openText(nb); o != n {
			earlier := eventDepth(ne, nb.OpenOn) < eventDepth(oe, ob.OpenOn)
			what := ""
			if earlier {
				what = ": its money can now be drawn before " + o
			}
			d.money(earlier, subj, "account now opens at %s (was %s)%s", n, o, what)
		}
	}

	od, nd := drawsByOn(oe), drawsByOn(ne)
	for _, n := range ne.Draws {
		o := od[n.On]
		ds := "draw on " + n.On
		if o == nil {
			d.money(false, subj, "%s added: %s", ds, drawText(n))
			continue
		}
		if o.Amount != n.Amount {
			d.money(false, subj, "%s: amount now from field %s (was %s)", ds, n.Amount, o.Amount)
		}
		if oc, nc := controlName(o.Control), controlName(n.Control); oc != nc {
			d.money(controlRank[nc] > controlRank[oc], subj, "%s: control %s → %s: %s", ds, oc, nc, controlMeaning[nc])
		}
		d.events(subj, ds, "reserve_on", o.ReserveOn, n.ReserveOn, true, "money is no longer set aside at %s", "money is now set aside at %s")
		d.events(subj, ds, "consume_on", o.ConsumeOn, n.ConsumeOn, true, "money is no longer taken as spent at %s", "money is now taken as spent at %s")
		d.events(subj, ds, "release_on", o.ReleaseOn, n.ReleaseOn, false, "a reservation is no longer given back at %s", "a reservation is now given back at %s")
		d.events(subj, ds, "refund_on", o.RefundOn, n.RefundOn, false, "spent money is no longer given back at %s", "spent money is now given back at %s")
		for _, f := range n.Match {
			if !slices.Contains(o.Match, f) {
				d.money(false, subj, "%s: field %s must now match the account's", ds, f)
			}
		}
		for _, f := range o.Match {
			if !slices.Contains(n.Match, f) {
				d.money(true, subj, "%s: field %s no longer has to match the account's: a record may now draw on an account of another %s", ds, f, f)
			}
		}
		switch {
		case o.When == n.When:
		case o.When == "":
			d.money(true, subj, "%s: now draws only when `%s`: records outside it take nothing from the account", ds, n.When)
		case n.When == "":
			d.money(false, subj, "%s: now draws on every record (was only when `%s`)", ds, o.When)
		default:
			d.money(true, subj, "%s: draws only when `%s` (was `%s`): records that drew before may now take nothing", ds, n.When, o.When)
		}
	}
	for _, o := range oe.Draws {
		if nd[o.On] == nil {
			d.money(true, subj, "draw on %s removed (was %s): records no longer take money from the account", o.On, drawText(o))
		}
	}

	oa, na := oe.Adjusts, ne.Adjusts
	switch {
	case oa == nil && na != nil:
		d.money(false, subj, "now adjusts the account in field %s: %s", na.Account, adjustText(na))
	case oa != nil && na == nil:
		d.money(false, subj, "no longer adjusts an account (was %s)", adjustText(oa))
	case oa != nil:
		for _, c := range []struct{ what, o, n string }{{"account field", oa.Account, na.Account}, {"kind", oa.Kind, na.Kind}, {"amount field", oa.Amount, na.Amount}, {"receiving account field", oa.To, na.To}} {
			if c.o != c.n {
				d.money(false, subj, "adjustment: %s now %s (was %s)", c.what, orNone(c.n), orNone(c.o))
			}
		}
		if o, n := strings.Join(oa.ApplyOn, ", "), strings.Join(na.ApplyOn, ", "); o != n {
			earlier := eventDepth(ne, na.ApplyOn) < eventDepth(oe, oa.ApplyOn)
			what := ""
			if earlier {
				what = ": the account now changes before " + o
			}
			d.money(earlier, subj, "adjustment now takes effect at %s (was %s)%s", orNone(n), orNone(o), what)
		}
	}
}

// events compares one list of draw events. Removing an event from a list
// that takes money (take) weakens; adding one to a list that gives money
// back weakens.
func (d *differ) events(subj, ds, key string, old, new []string, take bool, removed, added string) {
	for _, ev := range new {
		if !slices.Contains(old, ev) {
			d.money(!take, subj, "%s: %s %s added: "+added, ds, key, ev, ev)
		}
	}
	for _, ev := range old {
		if !slices.Contains(new, ev) {
			d.money(take, subj, "%s: %s %s removed: "+removed, ds, key, ev, ev)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func openText(b *metamodel.Balance) string {
	if len(b.OpenOn) == 0 {
		return "create"
	}
	return strings.Join(b.OpenOn, ", ")
}

func drawsByOn(e *metamodel.Entity) map[string]*metamodel.Draw {
	out := map[string]*metamodel.Draw{}
	for _, dr := range e.Draws {
		out[dr.On] = dr
	}
	return out
}

func drawText(dr *metamodel.Draw) string {
	parts := []string{"amount " + dr.Amount, "control " + controlName(dr.Control)}
	for _, l := range []struct {
		key    string
		events []string
	}{{"reserve_on", dr.ReserveOn}, {"consume_on", dr.ConsumeOn}, {"release_on", dr.ReleaseOn}, {"refund_on", dr.RefundOn}} {
		if len(l.events) > 0 {
			parts = append(parts, l.key+" "+strings.Join(l.events, ", "))
		}
	}
	if len(dr.Match) > 0 {
		parts = append(parts, "match "+strings.Join(dr.Match, ", "))
	}
	if dr.When != "" {
		parts = append(parts, "when `"+dr.When+"`")
	}
	return strings.Join(parts, "; ")
}

func adjustText(a *metamodel.Adjust) string {
	s := fmt.Sprintf("kind %s, amount %s, at %s", a.Kind, a.Amount, strings.Join(a.ApplyOn, ", "))
	if a.To != "" {
		s += ", to " + a.To
	}
	return s
}

// eventDepth is how far into e's workflow the earliest of events can fire:
// 0 for create (or no event: on create), else one more than the number of
// transitions from the initial state to the event's from-state. An event
// the workflow does not know counts as very late.
func eventDepth(e *metamodel.Entity, events []string) int {
	if len(events) == 0 || slices.Contains(events, metamodel.CreateEvent) {
		return 0
	}
	w := e.Workflow
	if w == nil {
		return 1 << 20
	}
	depth := map[string]int{w.Initial: 0}
	queue := []string{w.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, t := range w.Transitions {
			if _, seen := depth[t.To]; slices.Contains(t.From, s) && !seen {
				depth[t.To] = depth[s] + 1
				queue = append(queue, t.To)
			}
		}
	}
	best := 1 << 20
	for _, t := range w.Transitions {
		if !slices.Contains(events, t.Event) {
			continue
		}
		for _, s := range t.From {
			if dep, ok := depth[s]; ok && dep+1 < best {
				best = dep + 1
			}
		}
	}
	return best
}

// rollup compares what a rollup field counts.
func (d *differ) rollup(subj, fs string, of, nf *metamodel.Field) {
	if metamodel.RollupOf(of) == nil && metamodel.RollupOf(nf) == nil {
		return
	}
	for _, c := range []struct{ what, o, n string }{{"aggregate", of.Agg, nf.Agg}, {"field aggregated", of.Of, nf.Of}, {"via", of.Via, nf.Via}} {
		if c.o != c.n {
			d.money(false, subj, "%s: rollup %s now %s (was %s)", fs, c.what, orNone(c.n), orNone(c.o))
		}
	}
	switch o, n := of.Where, nf.Where; {
	case o == n:
	case o == "":
		d.money(true, subj, "%s: now counts only records where `%s` (was every record): the others no longer count", fs, n)
	case n == "":
		d.money(false, subj, "%s: now counts every record (was only where `%s`)", fs, o)
	case narrows(o, n):
		d.money(true, subj, "%s: now counts only records where `%s` (was `%s`): fewer records count", fs, n, o)
	default:
		d.money(true, subj, "%s: counts records where `%s` (was `%s`): records that counted before may no longer count", fs, n, o)
	}
}

// narrows reports whether condition n is o with more terms (o and …).
func narrows(o, n string) bool {
	n = strings.TrimSpace(n)
	return strings.HasPrefix(n, o+" and ") || strings.HasPrefix(n, o+" && ") || strings.HasPrefix(n, "("+o+") and ")
}

// reportWhere compares a report's fixed condition.
func (d *differ) reportWhere(subj string, or, nr *metamodel.Report) {
	switch o, n := or.Where, nr.Where; {
	case o == n:
	case o == "":
		d.money(false, subj, "now counts only records where `%s` (was every record)", n)
	case n == "":
		d.money(true, subj, "fixed condition `%s` removed: the report now counts every record, including those it left out", o)
	case narrows(o, n):
		d.money(false, subj, "now counts only records where `%s` (was `%s`)", n, o)
	default:
		d.money(true, subj, "counts records where `%s` (was `%s`): records it left out may now count", n, o)
	}
}

// codeAttrs lists the codes whose attributes (a rate, an account) changed.
func (d *differ) codeAttrs(subj string, oc, nc map[string]*metamodel.Code) {
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(nc)) {
		o, ok := oc[k]
		if !ok {
			continue
		}
		n := nc[k]
		for _, a := range slices.Sorted(maps.Keys(mergeKeys(o.Attrs, n.Attrs))) {
			if o.Attrs[a] != n.Attrs[a] {
				changed = append(changed, fmt.Sprintf("%s %s %s → %s", k, a, orNone(o.Attrs[a]), orNone(n.Attrs[a])))
			}
		}
	}
	if len(changed) > 0 {
		d.money(false, subj, "%d code attribute(s) changed: %s", len(changed), abbreviate(changed, 20))
	}
}

func mergeKeys(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// DiffText writes changes one a line. When some change how money is held,
// those come first under "money controls", with how many weaken a control,
// and the rest under "other changes".
func DiffText(changes []Change) string {
	var money, other []string
	weaker := 0
	for _, c := range changes {
		if c.Money {
			money = append(money, c.String())
			if c.Weakens {
				weaker++
			}
		} else {
			other = append(other, c.String())
		}
	}
	var b strings.Builder
	if len(money) > 0 {
		fmt.Fprintf(&b, "money controls (%d change(s), %d weaken a control):\n", len(money), weaker)
		for _, l := range money {
			b.WriteString("  " + l + "\n")
		}
		if len(other) > 0 {
			b.WriteString("other changes:\n")
		}
		for _, l := range other {
			b.WriteString("  " + l + "\n")
		}
		return b.String()
	}
	for _, l := range other {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// MoneyControl is one way app a holds money, for the audit report.
type MoneyControl struct {
	Entity, Control, Detail string
	Pos                     metamodel.Pos
}

// MoneyControls lists the money controls of a, entity by entity, then its
// reports, then its exchanges and postings.
func MoneyControls(a *metamodel.App) []MoneyControl {
	var out []MoneyControl
	for _, e := range a.Entities {
		if b := e.Balance; b != nil {
			out = append(out, MoneyControl{e.Name, "account", fmt.Sprintf("approved for field %s; opens at %s", b.Amount, openText(b)), posOr(b.Pos, e.NamePos)})
		}
		for _, dr := range e.Draws {
			out = append(out, MoneyControl{e.Name, "draws on " + dr.On, drawText(dr), posOr(dr.Pos, e.NamePos)})
		}
		if ad := e.Adjusts; ad != nil {
			out = append(out, MoneyControl{e.Name, "adjusts " + ad.Account, adjustText(ad), posOr(ad.Pos, e.NamePos)})
		}
		for _, f := range e.Fields {
			if metamodel.RollupOf(f) != nil && f.Where != "" {
				of := f.Of
				if of == "" {
					of = "*"
				}
				out = append(out, MoneyControl{e.Name, "rollup " + f.Name, fmt.Sprintf("%s(%s) of %s via %s where `%s`", f.Agg, of, f.Entity, f.Via, f.Where), f.Pos})
			}
		}
		if w := e.Workflow; w != nil {
			for _, t := range w.Transitions {
				if t.Quorum.Tiered() {
					out = append(out, MoneyControl{e.Name, "approvals for " + t.Event, t.Quorum.String(), posOr(t.At["quorum"], t.Pos)})
				}
			}
		}
	}
	for _, cs := range a.CodeSets {
		if len(cs.Attributes) == 0 {
			continue
		}
		all := codes(cs)
		for _, attr := range cs.Attributes {
			var vals []string
			for _, k := range slices.Sorted(maps.Keys(all)) {
				if v := all[k].Attrs[attr.Name]; v != "" {
					vals = append(vals, k+" "+v)
				}
			}
			detail := strings.Join(vals, ", ")
			if len(vals) > 30 {
				sum := sha256.Sum256([]byte(detail))
				detail = fmt.Sprintf("%d codes carry it (values digest %x; growth diff lists each change)", len(vals), sum[:6])
			}
			out = append(out, MoneyControl{"code set " + cs.Name, "attribute " + attr.Name, detail, posOr(attr.NamePos, cs.NamePos)})
		}
	}
	for _, r := range a.Reports {
		if r.Where != "" {
			out = append(out, MoneyControl{r.Entity, "report " + r.Name, "counts only `" + r.Where + "`", posOr(r.At["where"], r.NamePos)})
		}
	}
	return append(out, exchangeControls(a)...)
}

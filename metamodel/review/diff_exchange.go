package review

import (
	"fmt"
	"slices"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// The exchange and posting parts of the money section: whom Growth trusts
// to sign the messages that move records (a party's signature kind and key),
// which event an inbound message fires, the totals an outbound message is
// checked against, and which events post which vouchers. A change that lets
// money move with less checked, or without its voucher, is marked Weakens:
// "outbound transfers: total total no longer checked against field total".

// exchanges compares the exchanges of an app.
func (d *differ) exchanges(oa, na *metamodel.App) {
	for _, nx := range na.Exchanges {
		subj := "exchange " + nx.Name
		ox := findExchange(oa, nx.Name)
		if ox == nil {
			d.money(len(nx.Inbound) > 0, subj, "added: party signing with %s, key %s; %s%s", nx.SignatureKind(), nx.KeyName(), messagesText(nx), inboundPower(nx))
			continue
		}
		d.exchange(subj, ox, nx)
	}
	for _, ox := range oa.Exchanges {
		if findExchange(na, ox.Name) == nil {
			d.money(false, "exchange "+ox.Name, "removed (it had %s): no more messages are exchanged with the party", messagesText(ox))
		}
	}
}

func findExchange(a *metamodel.App, name string) *metamodel.Exchange {
	for _, x := range a.Exchanges {
		if x.Name == name {
			return x
		}
	}
	return nil
}

func messagesText(x *metamodel.Exchange) string {
	var parts []string
	for _, m := range x.Outbound {
		parts = append(parts, fmt.Sprintf("outbound %s at %s.%s", m.Name, m.Entity, m.Event))
	}
	for _, m := range x.Inbound {
		parts = append(parts, fmt.Sprintf("inbound %s fires %s.%s", m.Name, m.Entity, m.Event))
	}
	if len(parts) == 0 {
		return "no messages"
	}
	return strings.Join(parts, ", ")
}

// inboundPower says what a new party's inbound messages can do.
func inboundPower(x *metamodel.Exchange) string {
	if len(x.Inbound) == 0 {
		return ""
	}
	return ": a message signed with the party's key now moves records"
}

func (d *differ) exchange(subj string, ox, nx *metamodel.Exchange) {
	if o, n := ox.SignatureKind(), nx.SignatureKind(); o != n {
		d.money(false, subj, "signature %s → %s: the party's messages are now checked with its %s key, and ours to it signed with our %s key", o, n, n, n)
	}
	if o, n := ox.KeyName(), nx.KeyName(); o != n {
		d.money(true, subj, "the party's key is now the one imported as %s (was %s): whoever holds that key is trusted as the party; compare its fingerprint (growth keys show %s) with the party", n, o, n)
	}
	for _, nm := range nx.Inbound {
		ms := "inbound " + nm.Name
		om := findInbound(ox, nm.Name)
		if om == nil {
			d.money(true, subj, "%s added: a message from the party now fires %s on %s", ms, nm.Event, nm.Entity)
			continue
		}
		if om.Entity != nm.Entity || om.Event != nm.Event {
			d.money(true, subj, "%s now fires %s on %s (was %s on %s): the party's message now does something else", ms, nm.Event, nm.Entity, om.Event, om.Entity)
		}
		if o, n := orID(om.Ref), orID(nm.Ref); o != n {
			d.money(false, subj, "%s: finds its record by field %s (was %s)", ms, n, o)
		}
		ov, nv := fieldMap(om.Values), fieldMap(nm.Values)
		for _, k := range slices.Sorted(mapKeys(nv)) {
			if o, ok := ov[k]; !ok || o != nv[k] {
				d.money(true, subj, "%s: body key %s now sets field %s: the party now writes that field", ms, k, nv[k])
			}
		}
		for _, k := range slices.Sorted(mapKeys(ov)) {
			if _, ok := nv[k]; !ok {
				d.money(false, subj, "%s: body key %s no longer sets field %s", ms, k, ov[k])
			}
		}
	}
	for _, om := range ox.Inbound {
		if findInbound(nx, om.Name) == nil {
			d.money(false, subj, "inbound %s removed: the party's message no longer fires %s on %s", om.Name, om.Event, om.Entity)
		}
	}
	for _, nm := range nx.Outbound {
		ms := "outbound " + nm.Name
		om := findOutbound(ox, nm.Name)
		if om == nil {
			d.money(false, subj, "%s added: sent at %s.%s", ms, nm.Entity, nm.Event)
			continue
		}
		if om.Entity != nm.Entity || om.Event != nm.Event {
			d.money(false, subj, "%s now sent at %s.%s (was %s.%s)", ms, nm.Entity, nm.Event, om.Entity, om.Event)
		}
		d.outbound(subj, ms, om, nm)
	}
	for _, om := range ox.Outbound {
		if findOutbound(nx, om.Name) == nil {
			d.money(false, subj, "outbound %s removed: %s.%s no longer sends it", om.Name, om.Entity, om.Event)
		}
	}
}

// outbound compares the body of one outbound message: its fields, lines and
// totals.
func (d *differ) outbound(subj, ms string, om, nm *metamodel.OutboundMessage) {
	of, nf := fieldMap(om.Fields), fieldMap(nm.Fields)
	for _, k := range slices.Sorted(mapKeys(nf)) {
		if o, ok := of[k]; !ok || o != nf[k] {
			d.money(false, subj, "%s: body key %s now from field %s", ms, k, nf[k])
		}
	}
	for _, k := range slices.Sorted(mapKeys(of)) {
		if _, ok := nf[k]; !ok {
			d.money(false, subj, "%s: body key %s (field %s) no longer sent", ms, k, of[k])
		}
	}
	ol, nl := om.Lines, nm.Lines
	switch {
	case ol == nil && nl != nil:
		d.money(false, subj, "%s: now carries lines of %s", ms, nl.Entity)
	case ol != nil && nl == nil:
		d.money(true, subj, "%s: no longer carries its lines of %s: the party pays without the list", ms, ol.Entity)
	case ol != nil:
		if ol.Entity != nl.Entity || ol.Via != nl.Via {
			d.money(false, subj, "%s: lines now of %s via %s (was %s via %s)", ms, nl.Entity, nl.Via, ol.Entity, ol.Via)
		}
		switch o, n := ol.Where, nl.Where; {
		case o == n:
		case o == "":
			d.money(true, subj, "%s: now sends only lines where `%s` (was every line): the others are left out", ms, n)
		case n == "":
			d.money(false, subj, "%s: now sends every line (was only where `%s`)", ms, o)
		default:
			d.money(true, subj, "%s: sends lines where `%s` (was `%s`): lines sent before may be left out", ms, n, o)
		}
	}
	for _, ot := range om.Totals {
		nt := findTotal(nm, ot.Name)
		switch {
		case ot.Equals != "" && (nt == nil || nt.Equals == ""):
			d.money(true, subj, "%s: total %s no longer checked against field %s: a message whose lines do not add up to it is now sent", ms, ot.Name, ot.Equals)
		case nt == nil:
			d.money(false, subj, "%s: total %s removed", ms, ot.Name)
		case ot.Equals != nt.Equals:
			d.money(false, subj, "%s: total %s now checked against field %s (was %s)", ms, ot.Name, nt.Equals, orNone(ot.Equals))
		}
		if nt != nil && (ot.Sum != nt.Sum || ot.Count != nt.Count) {
			d.money(false, subj, "%s: total %s is now %s (was %s)", ms, ot.Name, totalText(nt), totalText(ot))
		}
	}
	for _, nt := range nm.Totals {
		if findTotal(om, nt.Name) == nil {
			d.money(false, subj, "%s: total %s added: %s", ms, nt.Name, totalText(nt))
		}
	}
}

func totalText(t *metamodel.MessageTotal) string {
	s := "count of lines"
	if !t.Count {
		s = "sum of " + t.Sum
	}
	if t.Equals != "" {
		s += ", equals field " + t.Equals
	}
	return s
}

func findInbound(x *metamodel.Exchange, name string) *metamodel.InboundMessage {
	for _, m := range x.Inbound {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func findOutbound(x *metamodel.Exchange, name string) *metamodel.OutboundMessage {
	for _, m := range x.Outbound {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func findTotal(m *metamodel.OutboundMessage, name string) *metamodel.MessageTotal {
	for _, t := range m.Totals {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func fieldMap(fs []*metamodel.ExchangeField) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[f.Name] = f.Field
	}
	return out
}

func mapKeys(m map[string]string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func orID(s string) string {
	if s == "" {
		return "id"
	}
	return s
}

// postings compares the postings of an app. Postings have no names: one is
// known by its entity and summary (and its place among those alike).
func (d *differ) postings(oa, na *metamodel.App) {
	op, np := postingKeys(oa.Postings), postingKeys(na.Postings)
	for _, k := range np.order {
		n := np.by[k]
		subj := "posting " + k
		o := op.by[k]
		if o == nil {
			d.money(false, subj, "added: at %s.%s, %s", n.Entity, strings.Join(n.On, ", "), postingText(n))
			continue
		}
		d.posting(subj, o, n)
	}
	for _, k := range op.order {
		if np.by[k] == nil {
			o := op.by[k]
			d.money(true, "posting "+k, "removed (was %s): %s no longer posts this voucher: the money it entered now moves without an entry in the books", postingText(o), eventsText(o.Entity, o.On))
		}
	}
}

type postingIndex struct {
	order []string
	by    map[string]*metamodel.Posting
}

func postingKeys(ps []*metamodel.Posting) postingIndex {
	idx := postingIndex{by: map[string]*metamodel.Posting{}}
	seen := map[string]int{}
	for _, p := range ps {
		k := p.Entity
		if p.Summary != "" {
			k += " " + p.Summary
		}
		seen[k]++
		if seen[k] > 1 {
			k = fmt.Sprintf("%s #%d", k, seen[k])
		}
		idx.order = append(idx.order, k)
		idx.by[k] = p
	}
	return idx
}

func eventsText(entity string, events []string) string {
	parts := make([]string, len(events))
	for i, ev := range events {
		parts[i] = entity + "." + ev
	}
	return strings.Join(parts, ", ")
}

func (d *differ) posting(subj string, o, n *metamodel.Posting) {
	for _, ev := range o.On {
		if !slices.Contains(n.On, ev) {
			d.money(true, subj, "%s.%s no longer posts this voucher: the event moves money without an entry in the books", o.Entity, ev)
		}
	}
	for _, ev := range n.On {
		if !slices.Contains(o.On, ev) {
			d.money(false, subj, "%s.%s now posts this voucher too", n.Entity, ev)
		}
	}
	if o.Chart != n.Chart {
		d.money(false, subj, "now posts to chart %s (was %s)", n.Chart, o.Chart)
	}
	if ol, nl := linesText(o), linesText(n); ol != nl {
		d.money(false, subj, "lines now %s (was %s): the money is entered in other accounts", nl, ol)
	}
	switch {
	case o.When == n.When:
	case o.When == "":
		d.money(true, subj, "now posts only when `%s`: events outside it move money without an entry in the books", n.When)
	case n.When == "":
		d.money(false, subj, "now posts at every event (was only when `%s`)", o.When)
	default:
		d.money(true, subj, "posts only when `%s` (was `%s`): events that posted before may post nothing", n.When, o.When)
	}
	if o.Date != n.Date {
		d.money(false, subj, "voucher date now from field %s (was %s)", orNone(n.Date), orNone(o.Date))
	}
	for _, k := range slices.Sorted(mapKeys(o.Dimensions)) {
		if nv, ok := n.Dimensions[k]; !ok {
			d.money(false, subj, "dimension %s (field %s) no longer recorded on the lines", k, o.Dimensions[k])
		} else if nv != o.Dimensions[k] {
			d.money(false, subj, "dimension %s now from field %s (was %s)", k, nv, o.Dimensions[k])
		}
	}
	for _, k := range slices.Sorted(mapKeys(n.Dimensions)) {
		if _, ok := o.Dimensions[k]; !ok {
			d.money(false, subj, "dimension %s now recorded from field %s", k, n.Dimensions[k])
		}
	}
}

func linesText(p *metamodel.Posting) string {
	parts := make([]string, len(p.Lines))
	for i, l := range p.Lines {
		if l.Debit != "" {
			parts[i] = "debit " + l.Debit + " " + l.Amount
		} else {
			parts[i] = "credit " + l.Credit + " " + l.Amount
		}
	}
	return strings.Join(parts, ", ")
}

func postingText(p *metamodel.Posting) string {
	s := "chart " + p.Chart + ": " + linesText(p)
	if p.When != "" {
		s += "; when `" + p.When + "`"
	}
	return s
}

// exchangeControls lists, for the audit report, the parties an app trusts
// and what their messages do, the totals its messages are checked against,
// and the vouchers its events post.
func exchangeControls(a *metamodel.App) []MoneyControl {
	var out []MoneyControl
	for _, x := range a.Exchanges {
		who := "exchange " + x.Name
		out = append(out, MoneyControl{who, "party", fmt.Sprintf("signs with %s; key imported as %s", x.SignatureKind(), x.KeyName()), posOr(x.NamePos, x.Pos)})
		for _, m := range x.Inbound {
			out = append(out, MoneyControl{who, "inbound " + m.Name, fmt.Sprintf("fires %s on %s, found by %s", m.Event, m.Entity, orID(m.Ref)), posOr(m.NamePos, m.Pos)})
		}
		for _, m := range x.Outbound {
			var checks []string
			for _, t := range m.Totals {
				if t.Equals != "" {
					checks = append(checks, fmt.Sprintf("total %s = field %s", t.Name, t.Equals))
				}
			}
			detail := "sent at " + m.Entity + "." + m.Event
			if len(checks) > 0 {
				detail += "; checked: " + strings.Join(checks, ", ")
			} else if m.Lines != nil {
				detail += "; its lines are checked against no total"
			}
			out = append(out, MoneyControl{who, "outbound " + m.Name, detail, posOr(m.NamePos, m.Pos)})
		}
	}
	idx := postingKeys(a.Postings)
	for _, k := range idx.order {
		p := idx.by[k]
		out = append(out, MoneyControl{p.Entity, "posting at " + strings.Join(p.On, ", "), postingText(p), p.Pos})
	}
	return out
}

package metamodel

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Exchanges are the counterparties Growth trades signed messages with over
// the broker (a bank, the treasury, the tax bureau, another level's Growth),
// and the messages of each: outbound ones that a workflow event produces
// (written in the event's transaction, published after it commits) and
// inbound ones that fire a workflow event on the record they refer to. The
// engine builds and applies them; docs/exchange.md describes the envelope.

// ExchangeSignatures are the signature algorithms a party may use.
var ExchangeSignatures = []string{"ed25519", "sm2"}

// ExchangeFormats are the body formats of an outbound message.
var ExchangeFormats = []string{"json"}

// Exchange is one counterparty and the messages exchanged with it.
type Exchange struct {
	Name      string
	NamePos   Pos
	Pos       Pos
	At        map[string]Pos
	Title     string             `yaml:"title" desc:"Label (zh-CN)."`
	Kind      string             `yaml:"kind" desc:"What the party is, in your words (bank, treasury, tax bureau, provincial finance bureau); shown to users."`
	Signature string             `yaml:"signature" desc:"ed25519 (default) or sm2 (SM2 with SM3): the algorithm the party signs with, and Growth signs with for it."`
	Key       string             `yaml:"key" desc:"The name its public key or certificate is imported under (growth keys import NAME FILE); default the exchange's name."`
	Outbound  []*OutboundMessage `yaml:"outbound,named" desc:"Messages Growth sends the party, by message type: each produced by a workflow event."`
	Inbound   []*InboundMessage  `yaml:"inbound,named" desc:"Messages the party sends Growth, by message type: each fires a workflow event on the record it refers to."`
	Peer      *ExchangePeer      `yaml:"peer" desc:"The party is another Growth installation on the same broker (a finance bureau of another fiscal level): what Growth sends it goes straight to that installation's inbound subjects."`

	App *App `yaml:"-"`
}

// subjectToken is one token of a NATS subject as Growth uses them.
var subjectToken = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ExchangePeer addresses a party that is itself a Growth installation.
type ExchangePeer struct {
	Pos    Pos
	At     map[string]Pos
	Prefix string `yaml:"prefix" desc:"The other installation's subject prefix (its --exchange-prefix): messages go to PREFIX.AS.in.TYPE."`
	As     string `yaml:"as" desc:"The name the other installation's definitions give us (its exchange for us): our messages carry it as their party."`
}

// KeyName is the name the party's public key is stored under.
func (x *Exchange) KeyName() string {
	if x.Key != "" {
		return x.Key
	}
	return x.Name
}

// SignatureKind is the party's algorithm, ed25519 when none is given.
func (x *Exchange) SignatureKind() string {
	if x.Signature != "" {
		return x.Signature
	}
	return "ed25519"
}

// OutboundMessage is a message type Growth sends when an event fires.
type OutboundMessage struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Entity  string           `yaml:"entity" desc:"The entity whose records produce the message (of this app, or app.entity)."`
	Event   string           `yaml:"event" desc:"The workflow event that produces it: the message is written in the event's transaction, so an event that fails sends nothing."`
	Ref     string           `yaml:"ref" desc:"The field whose value the message refers to the record by (the party quotes it back in its replies); default id. Another field must be unique."`
	Format  string           `yaml:"format" desc:"The body's format: json (default)."`
	Export  string           `yaml:"export" desc:"An export (exports:) of the same entity whose file travels in the body as file: {name, media_type, encoding, content (base64)}, rendered in the event's transaction; a file that cannot be made refuses the event."`
	Fields  []*ExchangeField `yaml:"fields,named" desc:"The body: each key from a field of the record (or id, state), e.g. {amount: amount, payee: payee_name}. Money travels as text (\"1234.56\")."`
	Lines   *MessageLines    `yaml:"lines" desc:"The records of another entity that travel in the body as a list (the transfers of a batch): {entity, via, key, fields}."`
	Totals  []*MessageTotal  `yaml:"totals,named" desc:"Totals over the lines, by body key: {sum: field} (or the field alone) or {count: true}; equals names a field of the record the sum must equal, or the event is refused."`

	Target   *Entity `yaml:"-"`
	RefField *Field  `yaml:"-"` // nil: the record id
	File     *Export `yaml:"-"` // the export named by Export
}

// MessageLines are the records that travel in an outbound message's body.
type MessageLines struct {
	Pos    Pos
	At     map[string]Pos
	Entity string           `yaml:"entity" desc:"The entity of the lines (of this app, or app.entity)."`
	Via    string           `yaml:"via" desc:"The ref field of the lines that points at the record the message is about."`
	Where  string           `yaml:"where" desc:"Which lines, in the filter language (docs/filter.md), e.g. net > 0."`
	Key    string           `yaml:"key" desc:"The body key of the list; default lines."`
	Fields []*ExchangeField `yaml:"fields,named" desc:"Each line's keys, each from a field of the line (or id)."`

	Target *Entity `yaml:"-"`
	ViaRef *Field  `yaml:"-"`
}

// BodyKey is the body key of the list of lines.
func (l *MessageLines) BodyKey() string {
	if l.Key != "" {
		return l.Key
	}
	return "lines"
}

// MessageTotal is one total over an outbound message's lines.
type MessageTotal struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Sum     string `yaml:"sum,shorthand" desc:"The money, decimal or int field of the lines summed."`
	Count   bool   `yaml:"count" desc:"true: the number of lines."`
	Equals  string `yaml:"equals" desc:"A field of the record the total must equal (a batch's total): a message whose lines do not add up is not sent, and the event is refused."`

	SumField    *Field `yaml:"-"`
	EqualsField *Field `yaml:"-"`
}

// InboundMessage is a message type the party sends, and what it does.
type InboundMessage struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Entity  string           `yaml:"entity" desc:"The entity whose record the message refers to (of this app, or app.entity)."`
	Event   string           `yaml:"event" desc:"The workflow event fired on that record. A record in a state the event cannot fire from, or no record, makes the message an exception, never a silent drop."`
	Ref     string           `yaml:"ref" desc:"The field matched against the message's ref to find the record; default id. Another field must be unique."`
	Values  []*ExchangeField `yaml:"values,named" desc:"Values the message carries: each key of the body into a field the event takes as input (listed in the transition's input), e.g. {paid_date: paid_on, serial: bank_serial}."`
	Comment string           `yaml:"comment" desc:"The key of the body whose text becomes the event's comment (a bank's reason for returning a payment)."`

	Target   *Entity `yaml:"-"`
	RefField *Field  `yaml:"-"` // nil: the record id
}

// ExchangeField maps one key of a message body to a field.
type ExchangeField struct {
	Name    string
	NamePos Pos
	Pos     Pos
	At      map[string]Pos
	Field   string `yaml:"field,shorthand" desc:"The field of the record."`
}

// Exchange returns the exchange called name in any app, or nil. Exchange
// names are one namespace across the project: a party has one key.
func (p *Project) Exchange(name string) *Exchange {
	for _, a := range p.Apps {
		for _, x := range a.Exchanges {
			if x.Name == name {
				return x
			}
		}
	}
	return nil
}

// Exchanges lists every exchange of every app.
func (p *Project) Exchanges() []*Exchange {
	var out []*Exchange
	for _, a := range p.Apps {
		out = append(out, a.Exchanges...)
	}
	return out
}

// Outbound returns the outbound message type called name, or nil.
func (x *Exchange) OutboundMessage(name string) *OutboundMessage {
	for _, m := range x.Outbound {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// InboundMessage returns the inbound message type called name, or nil.
func (x *Exchange) InboundMessage(name string) *InboundMessage {
	for _, m := range x.Inbound {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func mergeExchanges(app *App, f *file, ps *Problems) {
	if app.names == nil {
		app.names = map[string]Pos{}
	}
	for _, x := range f.Exchanges {
		if prev, dup := app.names["exchange "+x.Name]; dup {
			ps.Addf(x.NamePos, "exchange %s is defined twice (first at %s)", x.Name, prev)
			continue
		}
		app.names["exchange "+x.Name] = x.NamePos
		x.App = app
		app.Exchanges = append(app.Exchanges, x)
	}
}

// checkExchanges runs once workflows are bound to their entities.
func checkExchanges(p *Project, ps *Problems) {
	seen := map[string]*Exchange{}
	for _, a := range p.Apps {
		for _, x := range a.Exchanges {
			checkName("exchange", x.Name, x.NamePos, ps)
			if prev := seen[x.Name]; prev != nil && prev.App != a {
				ps.Addf(x.NamePos, "exchange %s is defined in app %s too (%s); a party is one exchange", x.Name, prev.App.Name, prev.NamePos)
			}
			seen[x.Name] = x
			checkExchange(p, a, x, ps)
		}
	}
}

func checkExchange(p *Project, a *App, x *Exchange, ps *Problems) {
	where := "exchange " + x.Name
	if x.Signature != "" && !slices.Contains(ExchangeSignatures, x.Signature) {
		ps.Addf(x.At["signature"], "%s: signature must be one of %s, got %q", where, strings.Join(ExchangeSignatures, ", "), x.Signature)
	}
	if x.Key != "" && !namePattern.MatchString(x.Key) {
		ps.Addf(x.At["key"], "%s: key %q: %s", where, x.Key, nameRule)
	}
	if len(x.Outbound) == 0 && len(x.Inbound) == 0 {
		ps.Addf(x.NamePos, "%s: needs outbound or inbound messages", where)
	}
	if x.Peer != nil {
		if !subjectToken.MatchString(x.Peer.Prefix) {
			ps.Addf(x.Peer.At["prefix"], "%s: peer: prefix %q: the other installation's subject prefix, letters, digits, _ and - only", where, x.Peer.Prefix)
		}
		if !namePattern.MatchString(x.Peer.As) {
			ps.Addf(x.Peer.At["as"], "%s: peer: as %q: the name the other installation gives us; %s", where, x.Peer.As, nameRule)
		}
	}
	types := map[string]Pos{}
	for _, m := range x.Outbound {
		checkName("message type", m.Name, m.NamePos, ps)
		types[m.Name] = m.NamePos
		mw := fmt.Sprintf("%s: outbound %s", where, m.Name)
		m.Target = exchangeEvent(p, a, mw, m.Entity, m.Event, m.Pos, m.At, ps)
		if m.Format != "" && !slices.Contains(ExchangeFormats, m.Format) {
			ps.Addf(m.At["format"], "%s: format must be one of %s, got %q", mw, strings.Join(ExchangeFormats, ", "), m.Format)
		}
		if m.Target == nil {
			continue
		}
		m.RefField = exchangeRef(m.Target, mw, m.Ref, m.At, ps)
		if len(m.Fields) == 0 {
			ps.Addf(m.NamePos, "%s: needs fields: the body of the message", mw)
		}
		for _, f := range m.Fields {
			checkName("body key", f.Name, f.NamePos, ps)
			if f.Field == "" || slices.Contains(SystemFields, f.Field) {
				continue
			}
			if m.Target.Field(f.Field) == nil {
				ps.Addf(f.Pos, "%s: fields: %s names field %q, which entity %s does not have%s", mw, f.Name, f.Field, m.Target.Name, suggest(f.Field, append(fieldNames(m.Target), SystemFields...)))
			}
		}
		checkMessageLines(p, a, m, mw, ps)
		if m.Export != "" {
			m.File = messageExport(p, m, mw, ps)
			if i := slices.IndexFunc(m.Fields, func(f *ExchangeField) bool { return f.Name == "file" }); i >= 0 {
				ps.Addf(m.Fields[i].NamePos, "%s: body key file holds the file of export %s; give this key another name", mw, m.Export)
			}
		}
	}
	for _, m := range x.Inbound {
		checkName("message type", m.Name, m.NamePos, ps)
		if prev, dup := types[m.Name]; dup {
			ps.Addf(m.NamePos, "%s: message type %s is both outbound (%s) and inbound; give each its own name", where, m.Name, prev)
		}
		mw := fmt.Sprintf("%s: inbound %s", where, m.Name)
		m.Target = exchangeEvent(p, a, mw, m.Entity, m.Event, m.Pos, m.At, ps)
		if m.Target == nil {
			continue
		}
		m.RefField = exchangeRef(m.Target, mw, m.Ref, m.At, ps)
		var inputs []string
		for _, t := range m.Target.Workflow.Transitions {
			if t.Event == m.Event {
				inputs = append(inputs, t.Input...)
			}
		}
		for _, f := range m.Values {
			checkName("body key", f.Name, f.NamePos, ps)
			switch {
			case m.Target.Field(f.Field) == nil:
				ps.Addf(f.Pos, "%s: values: %s names field %q, which entity %s does not have%s", mw, f.Name, f.Field, m.Target.Name, suggest(f.Field, fieldNames(m.Target)))
			case !slices.Contains(inputs, f.Field):
				ps.Addf(f.Pos, "%s: values: %s goes into field %s, which event %s does not take; list it in the transition's input", mw, f.Name, f.Field, m.Event)
			}
		}
		if m.Comment != "" && !namePattern.MatchString(m.Comment) {
			ps.Addf(m.At["comment"], "%s: comment %q must be a key of the body: %s", mw, m.Comment, nameRule)
		}
	}
}

// checkMessageLines checks an outbound message's lines and totals.
func checkMessageLines(p *Project, a *App, m *OutboundMessage, mw string, ps *Problems) {
	l := m.Lines
	if l == nil {
		for _, t := range m.Totals {
			ps.Addf(t.NamePos, "%s: totals: %s sums the lines, and the message has no lines", mw, t.Name)
		}
		return
	}
	lw := mw + ": lines"
	if l.Entity == "" {
		ps.Addf(l.Pos, "%s: entity is missing: the entity whose records are the lines", lw)
		return
	}
	if l.Target = p.Entity(a, l.Entity); l.Target == nil {
		ps.Addf(l.At["entity"], "%s: entity %q does not exist%s", lw, l.Entity, entityHint(p, a, l.Entity))
		return
	}
	switch f := l.Target.Field(l.Via); {
	case l.Via == "":
		ps.Addf(l.Pos, "%s: via is missing: the ref field of %s that points at the %s record", lw, l.Target.Name, m.Target.Name)
	case f == nil:
		ps.Addf(l.At["via"], "%s: via names field %q, which entity %s does not have%s", lw, l.Via, l.Target.Name, suggest(l.Via, fieldNames(l.Target)))
	case !f.Is(RecordRef) || f.Target != m.Target:
		ps.Addf(l.At["via"], "%s: via field %s must be a ref to %s", lw, f.Name, m.Target.QualifiedName())
	default:
		l.ViaRef = f
	}
	if l.Key != "" && !namePattern.MatchString(l.Key) {
		ps.Addf(l.At["key"], "%s: key %q: %s", lw, l.Key, nameRule)
	}
	if len(l.Fields) == 0 {
		ps.Addf(l.Pos, "%s: needs fields: the keys of each line", lw)
	}
	for _, f := range l.Fields {
		checkName("body key", f.Name, f.NamePos, ps)
		if f.Field != "id" && l.Target.Field(f.Field) == nil {
			ps.Addf(f.Pos, "%s: fields: %s names field %q, which entity %s does not have%s", lw, f.Name, f.Field, l.Target.Name, suggest(f.Field, fieldNames(l.Target)))
		}
	}
	numeric := func(f *Field) bool {
		return f != nil && IsNumber(f)
	}
	for _, t := range m.Totals {
		tw := fmt.Sprintf("%s: totals: %s", mw, t.Name)
		checkName("body key", t.Name, t.NamePos, ps)
		switch {
		case t.Count && t.Sum != "":
			ps.Addf(t.Pos, "%s: give sum or count, not both", tw)
		case !t.Count && t.Sum == "":
			ps.Addf(t.Pos, "%s: needs sum (a field of the lines) or count: true", tw)
		case t.Sum != "":
			if t.SumField = l.Target.Field(t.Sum); t.SumField == nil {
				ps.Addf(t.Pos, "%s: sum names field %q, which entity %s does not have%s", tw, t.Sum, l.Target.Name, suggest(t.Sum, fieldNames(l.Target)))
			} else if !numeric(t.SumField) {
				ps.Addf(t.Pos, "%s: sum names %s field %s; it must be a money, decimal or int field", tw, t.SumField.Type, t.Sum)
				t.SumField = nil
			}
		}
		if t.Equals != "" {
			if t.EqualsField = m.Target.Field(t.Equals); t.EqualsField == nil {
				ps.Addf(t.At["equals"], "%s: equals names field %q, which entity %s does not have%s", tw, t.Equals, m.Target.Name, suggest(t.Equals, fieldNames(m.Target)))
			} else if !numeric(t.EqualsField) {
				ps.Addf(t.At["equals"], "%s: equals names %s field %s; it must be a money, decimal or int field", tw, t.EqualsField.Type, t.Equals)
				t.EqualsField = nil
			}
		}
	}
}

// exchangeEvent resolves a message's entity and event: the entity must exist
// and have a workflow with that event.
func exchangeEvent(p *Project, a *App, where, entity, event string, pos Pos, at map[string]Pos, ps *Problems) *Entity {
	if entity == "" {
		ps.Addf(pos, "%s: entity is missing", where)
		return nil
	}
	e := p.Entity(a, entity)
	if e == nil {
		ps.Addf(at["entity"], "%s: entity %q does not exist%s", where, entity, entityHint(p, a, entity))
		return nil
	}
	if e.Workflow == nil {
		ps.Addf(at["entity"], "%s: entity %s has no workflow, so no event can produce or receive a message", where, e.Name)
		return nil
	}
	if event == "" {
		ps.Addf(pos, "%s: event is missing: the workflow event of %s", where, e.Name)
		return nil
	}
	var events []string
	for _, t := range e.Workflow.Transitions {
		events = append(events, t.Event)
	}
	if !slices.Contains(events, event) {
		ps.Addf(at["event"], "%s: workflow %s has no event %q%s", where, e.Workflow.Name, event, suggest(event, events))
		return nil
	}
	return e
}

// exchangeRef resolves the field a message refers to its record by.
func exchangeRef(e *Entity, where, ref string, at map[string]Pos, ps *Problems) *Field {
	if ref == "" || ref == "id" {
		return nil
	}
	f := e.Field(ref)
	if f == nil {
		ps.Addf(at["ref"], "%s: ref names field %q, which entity %s does not have%s", where, ref, e.Name, suggest(ref, fieldNames(e)))
		return nil
	}
	unique := f.Unique
	for _, group := range e.Unique {
		if len(group) == 1 && group[0] == ref {
			unique = true
		}
	}
	if !unique {
		ps.Addf(at["ref"], "%s: ref field %s must be unique (unique: true) to find one record", where, ref)
	}
	return f
}

// messageExport finds the export an outbound message carries: one declared
// for the message's entity.
func messageExport(p *Project, m *OutboundMessage, mw string, ps *Problems) *Export {
	var names []string
	for _, a := range p.Apps {
		for _, x := range a.Exports {
			if x.Target != m.Target {
				continue
			}
			if x.Name == m.Export {
				return x
			}
			names = append(names, x.Name)
		}
	}
	ps.Addf(m.At["export"], "%s: export %q is not an export of entity %s%s", mw, m.Export, m.Target.Name, suggest(m.Export, names))
	return nil
}

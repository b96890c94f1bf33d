package metamodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/vm"
)

// The ledger constructs say how money moves between records, in general
// terms: an entity with a balance is an account others may draw on; an entity
// with draws takes money from the account its ref field names, at workflow
// events; an entity that adjusts changes an account's approved amount (or
// freezes part of it) when its own workflow says so. The engine keeps every
// movement as an appended ledger row and refuses any that would overdraw.

// CreateEvent may be listed among workflow events: it means "when the record
// is created", so that entities without a workflow can open and draw too.
const CreateEvent = "create"

// Controls are how strictly a draw is held to the available amount: strict
// refuses an overdraft, warn lets it through with a warning, none records it.
var Controls = []string{"strict", "warn", "none"}

// Balance makes every record of an entity an account: approved is its amount
// field once the account opens.
type Balance struct {
	Pos    Pos
	At     map[string]Pos
	Amount string   `yaml:"amount,shorthand" desc:"The money field whose value the account is approved for when it opens."`
	OpenOn []string `yaml:"open_on" desc:"Workflow events at which the account opens (create = on create); default: on create."`

	// AmountField is resolved by the checker.
	AmountField *Field `yaml:"-"`
}

// Opens reports whether the account opens at event.
func (b *Balance) Opens(event string) bool {
	if len(b.OpenOn) == 0 {
		return event == CreateEvent
	}
	return slices.Contains(b.OpenOn, event)
}

// Draw says that a record takes money from the account its ref field On
// names: reserved at one event, consumed at another, given back at others.
type Draw struct {
	Pos       Pos
	At        map[string]Pos
	On        string   `yaml:"on" desc:"The ref field naming the record drawn on; its entity must declare a balance."`
	Amount    string   `yaml:"amount" desc:"The money field holding how much is drawn."`
	ReserveOn []string `yaml:"reserve_on" desc:"Events at which the amount is reserved (set aside, no longer available); create = on create."`
	ConsumeOn []string `yaml:"consume_on" desc:"Events at which the amount is consumed (spent): from the reservation, or straight from what is available."`
	ReleaseOn []string `yaml:"release_on" desc:"Events at which a reservation is given back (reject, cancel)."`
	RefundOn  []string `yaml:"refund_on" desc:"Events at which a consumed amount is given back (refund); a reservation still held is released."`
	Match     []string `yaml:"match" desc:"Fields that must be equal on this record and on the record drawn on (the element combination)."`
	When      string   `yaml:"when" desc:"Only draw when this expression is true, e.g. plan != 0."`
	Control   string   `yaml:"control" desc:"strict (default): an overdraft is refused; warn: let through with a warning; none: recorded only."`

	// Resolved by the checker.
	OnField     *Field      `yaml:"-"`
	AmountField *Field      `yaml:"-"`
	Target      *Entity     `yaml:"-"`
	WhenProgram *vm.Program `yaml:"-"`
}

// Strict reports whether an overdraft must be refused.
func (d *Draw) Strict() bool { return d.Control == "" || d.Control == "strict" }

// Adjust says that a record changes an account when one of ApplyOn fires:
// increase (追加), decrease (追减), transfer to another account (调剂),
// change to an account of another element combination (变更), freeze or
// unfreeze part of it.
type Adjust struct {
	Pos     Pos
	At      map[string]Pos
	Account string   `yaml:"account" desc:"The ref field naming the account adjusted; its entity must declare a balance."`
	Kind    string   `yaml:"kind" desc:"An enum field whose values are adjustment kinds, or one fixed kind (increase, decrease, transfer, change, freeze, unfreeze: docs/ledger.md)."`
	Amount  string   `yaml:"amount" desc:"The money field holding how much; must be positive."`
	To      string   `yaml:"to" desc:"transfer, change: the ref field naming the account that receives the amount."`
	ApplyOn []string `yaml:"apply_on" desc:"Events at which the adjustment takes effect (create = on create)."`

	// Resolved by the checker.
	AccountField *Field  `yaml:"-"`
	KindField    *Field  `yaml:"-"`
	FixedKind    string  `yaml:"-"`
	AmountField  *Field  `yaml:"-"`
	ToField      *Field  `yaml:"-"`
	Target       *Entity `yaml:"-"`
}

// Applies reports whether the adjustment takes effect at event.
func (a *Adjust) Applies(event string) bool { return slices.Contains(a.ApplyOn, event) }

// checkLedger resolves and checks every balance, draw and adjustment; it runs
// once fields are set up and workflows are bound to their entities.
func checkLedger(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			if e.Balance != nil {
				checkBalance(e, ps)
			}
			for i, d := range e.Draws {
				checkDraw(p, e, i, d, ps)
			}
			if e.Adjusts != nil {
				checkAdjust(p, e, e.Adjusts, ps)
			}
		}
	}
}

func checkBalance(e *Entity, ps *Problems) {
	b := e.Balance
	where := "entity " + e.Name + ": balance"
	b.AmountField = moneyField(e, where, "amount", b.Amount, b.At, b.Pos, ps)
	checkEvents(e, where, "open_on", b.OpenOn, b.At, ps)
}

func checkDraw(p *Project, e *Entity, i int, d *Draw, ps *Problems) {
	where := fmt.Sprintf("entity %s: draws[%d]", e.Name, i)
	d.OnField, d.Target = accountRef(e, where, "on", d.On, d.At, d.Pos, ps)
	d.AmountField = moneyField(e, where, "amount", d.Amount, d.At, d.Pos, ps)
	for j, other := range e.Draws[:i] {
		if other.On == d.On && d.On != "" {
			ps.Addf(d.At["on"], "%s: draws[%d] already draws on %s; one draw per ref field", where, j, d.On)
		}
	}
	if len(d.ReserveOn) == 0 && len(d.ConsumeOn) == 0 {
		ps.Addf(d.Pos, "%s: give reserve_on or consume_on: the events at which money is taken", where)
	}
	lists := []struct {
		key    string
		events []string
	}{{"reserve_on", d.ReserveOn}, {"consume_on", d.ConsumeOn}, {"release_on", d.ReleaseOn}, {"refund_on", d.RefundOn}}
	seen := map[string]string{}
	for _, l := range lists {
		checkEvents(e, where, l.key, l.events, d.At, ps)
		for j, ev := range l.events {
			if prev, dup := seen[ev]; dup {
				ps.Addf(itemPos(d.At, l.key, j), "%s: event %s is already listed under %s; an event does one thing to a draw", where, ev, prev)
				continue
			}
			seen[ev] = l.key
		}
	}
	if d.Control != "" && !slices.Contains(Controls, d.Control) {
		ps.Addf(d.At["control"], "%s: control must be one of %s, got %q%s", where, strings.Join(Controls, ", "), d.Control, suggest(d.Control, Controls))
	}
	if d.Target != nil {
		for j, name := range d.Match {
			pos := itemPos(d.At, "match", j)
			mine, theirs := e.Field(name), d.Target.Field(name)
			switch {
			case mine == nil:
				ps.Addf(pos, "%s: match names field %q, which entity %s does not have%s", where, name, e.Name, suggest(name, fieldNames(e)))
			case theirs == nil:
				ps.Addf(pos, "%s: match names field %q, which entity %s (drawn on) does not have%s", where, name, d.Target.Name, suggest(name, fieldNames(d.Target)))
			case mine.Type != theirs.Type:
				ps.Addf(pos, "%s: match field %s is %s here but %s on %s; matched fields must have the same type", where, name, mine.Type, theirs.Type, d.Target.Name)
			case mine.Is(CodeRef) && mine.CodeSet != theirs.CodeSet:
				ps.Addf(pos, "%s: match field %s uses code set %s here but %s on %s", where, name, mine.CodeSet, theirs.CodeSet, d.Target.Name)
			}
		}
	}
	if d.When != "" {
		env := Env(e, false)
		if prog, err := CompileBool(d.When, env); err != nil {
			ps.Addf(d.At["when"], "%s: when does not compile: %s", where, exprError(err, env))
		} else {
			d.WhenProgram = prog
		}
	}
}

func checkAdjust(p *Project, e *Entity, a *Adjust, ps *Problems) {
	where := "entity " + e.Name + ": adjusts"
	a.AccountField, a.Target = accountRef(e, where, "account", a.Account, a.At, a.Pos, ps)
	a.AmountField = moneyField(e, where, "amount", a.Amount, a.At, a.Pos, ps)
	known := AdjustKindNames()
	needsTo := false // a kind that may be used moves money to a second account
	switch f := e.Field(a.Kind); {
	case a.Kind == "":
		ps.Addf(a.Pos, "%s: kind is missing: an enum field, or one of %s", where, strings.Join(known, ", "))
	case f != nil:
		if !f.Is(Choice) {
			ps.Addf(a.At["kind"], "%s: kind field %s must be an enum whose values are %s", where, f.Name, strings.Join(known, ", "))
			break
		}
		a.KindField = f
		for _, v := range f.Values {
			k, ok := AdjustKindOf(v.Value)
			if !ok {
				ps.Addf(v.Pos, "%s: kind field %s has value %q, which is not an adjustment kind (%s)", where, f.Name, v.Value, strings.Join(known, ", "))
			} else if k.In != "" {
				needsTo = true
			}
		}
	default:
		if k, ok := AdjustKindOf(a.Kind); ok {
			a.FixedKind = a.Kind
			needsTo = k.In != ""
			break
		}
		ps.Addf(a.At["kind"], "%s: kind %q is neither a field of %s nor an adjustment kind (%s)%s", where, a.Kind, e.Name, strings.Join(known, ", "), suggest(a.Kind, append(fieldNames(e), known...)))
	}
	if a.To != "" {
		var target *Entity
		a.ToField, target = accountRef(e, where, "to", a.To, a.At, a.Pos, ps)
		if target != nil && a.Target != nil && target != a.Target {
			ps.Addf(a.At["to"], "%s: to refers to %s but account to %s; a transfer moves money between accounts of one entity", where, target.Name, a.Target.Name)
		}
		if a.To == a.Account {
			ps.Addf(a.At["to"], "%s: to and account are the same field; a transfer needs a second ref field", where)
		}
	} else if needsTo {
		var transfers []string
		for _, k := range AdjustKinds {
			if k.In != "" {
				transfers = append(transfers, k.Kind)
			}
		}
		ps.Addf(a.Pos, "%s: kinds %s need to: the ref field naming the account that receives the amount", where, strings.Join(transfers, " and "))
	}
	if len(a.ApplyOn) == 0 {
		ps.Addf(a.Pos, "%s: apply_on is missing: the events at which the adjustment takes effect (create = on create)", where)
	}
	checkEvents(e, where, "apply_on", a.ApplyOn, a.At, ps)
}

// accountRef resolves key's ref field, which must name an entity with a balance.
func accountRef(e *Entity, where, key, name string, at map[string]Pos, pos Pos, ps *Problems) (*Field, *Entity) {
	if name == "" {
		ps.Addf(pos, "%s: %s is missing: the ref field naming the account", where, key)
		return nil, nil
	}
	f := e.Field(name)
	switch {
	case f == nil:
		ps.Addf(at[key], "%s: %s names field %q, which entity %s does not have%s", where, key, name, e.Name, suggest(name, fieldNames(e)))
		return nil, nil
	case !f.Is(RecordRef):
		ps.Addf(at[key], "%s: %s field %s must be a ref field (it is %s)", where, key, name, f.Type)
		return nil, nil
	case f.Target == nil:
		return nil, nil // the ref's own problem is reported already
	case f.Target.Balance == nil:
		ps.Addf(at[key], "%s: %s refers to entity %s, which declares no balance (add balance: {amount: …} to it)", where, key, f.Target.Name)
		return f, nil
	}
	return f, f.Target
}

// moneyField resolves key's field, which must be a money field.
func moneyField(e *Entity, where, key, name string, at map[string]Pos, pos Pos, ps *Problems) *Field {
	if name == "" {
		ps.Addf(pos, "%s: %s is missing: the money field holding the amount", where, key)
		return nil
	}
	f := e.Field(name)
	switch {
	case f == nil:
		ps.Addf(at[key], "%s: %s names field %q, which entity %s does not have%s", where, key, name, e.Name, suggest(name, fieldNames(e)))
		return nil
	case !f.ValueField().Is(Money):
		ps.Addf(at[key], "%s: %s field %s must be a money field (it is %s)", where, key, name, f.Type)
		return nil
	}
	return f
}

// checkEvents checks that each event is create or an event of e's workflow.
func checkEvents(e *Entity, where, key string, events []string, at map[string]Pos, ps *Problems) {
	known := []string{CreateEvent}
	if e.Workflow != nil {
		for _, t := range e.Workflow.Transitions {
			if t.Event != "" && !slices.Contains(known, t.Event) {
				known = append(known, t.Event)
			}
		}
	}
	for i, ev := range events {
		if slices.Contains(known, ev) {
			continue
		}
		hint := fmt.Sprintf("; entity %s has no workflow, so only create applies", e.Name)
		if e.Workflow != nil {
			hint = suggest(ev, known)
		}
		ps.Addf(itemPos(at, key, i), "%s: %s: %q is not an event of %s (events: %s)%s", where, key, ev, e.Name, strings.Join(known, ", "), hint)
	}
}

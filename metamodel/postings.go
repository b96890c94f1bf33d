package metamodel

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/vm"
	"github.com/shopspring/decimal"
)

// Postings say what the books record when records change, in general terms:
// at a workflow event of an entity, one accounting voucher whose lines debit
// and credit accounts of a chart of accounts (a code set whose codes carry a
// balance direction) with amounts computed from the record, each line tagged
// with auxiliary dimensions taken from the record's fields. The engine posts
// the voucher in the event's own transaction and refuses one whose debits and
// credits differ; the checker refuses what it can see will not balance.

// DirectionAttr is the attribute of a chart's codes that holds each account's
// balance direction: DebitDirection or CreditDirection.
const DirectionAttr = "direction"

// The balance directions of accounts.
const (
	DebitDirection  = "借"
	CreditDirection = "贷"
)

// Posting is one voucher posted when an event of Entity fires.
type Posting struct {
	Pos        Pos
	At         map[string]Pos
	Entity     string            `yaml:"entity" desc:"The entity whose events post the voucher (entity, or app.entity)."`
	On         []string          `yaml:"on" desc:"Workflow events at which the voucher is posted (create = on create)."`
	Chart      string            `yaml:"chart" desc:"The code set of accounts (chart of accounts) the lines post to; its codes carry a direction attribute, 借 or 贷."`
	Summary    string            `yaml:"summary" desc:"The voucher's summary (摘要)."`
	Date       string            `yaml:"date" desc:"A date field of the record giving the voucher date, and so its period; default (or when the field is empty): the day of the event."`
	When       string            `yaml:"when" desc:"Only post when this expression over the record is true."`
	Dimensions map[string]string `yaml:"dimensions" desc:"Auxiliary dimensions of every line (agency, functional class, fund nature, project …): dimension name → field of the record."`
	Lines      []*PostingLine    `yaml:"lines" desc:"The voucher's lines: each debits or credits one account with an amount."`

	// Resolved by the checker.
	Target      *Entity           `yaml:"-"`
	ChartSet    *CodeSet          `yaml:"-"`
	DateField   *Field            `yaml:"-"`
	WhenProgram *vm.Program       `yaml:"-"`
	DimFields   map[string]*Field `yaml:"-"`
	// Index is the posting's place among the postings of its app; with the
	// app's name it identifies the posting on the vouchers it posts.
	Index int  `yaml:"-"`
	App   *App `yaml:"-"`
}

// Name identifies the posting on its vouchers: "app/index".
func (p *Posting) Name() string { return fmt.Sprintf("%s/%d", p.App.Name, p.Index) }

// Fires reports whether the posting posts at event.
func (p *Posting) Fires(event string) bool { return slices.Contains(p.On, event) }

// DimensionNames lists the posting's dimensions in name order.
func (p *Posting) DimensionNames() []string {
	names := make([]string, 0, len(p.Dimensions))
	for n := range p.Dimensions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PostingLine is one line of a posting: debit or credit, one account, an amount.
type PostingLine struct {
	Pos     Pos
	At      map[string]Pos
	Debit   string `yaml:"debit" desc:"The account debited: a code of the chart, or a code field of the record holding one."`
	Credit  string `yaml:"credit" desc:"The account credited: a code of the chart, or a code field of the record holding one."`
	Amount  string `yaml:"amount" desc:"The amount: a money field, or an expression over the record's fields giving money. A line whose amount is zero is left out."`
	Summary string `yaml:"summary" desc:"The line's summary; default: the posting's."`

	// Resolved by the checker.
	Side          string      `yaml:"-"` // "debit" or "credit"
	Account       string      `yaml:"-"` // a constant account code
	AccountField  *Field      `yaml:"-"` // or the field holding it
	AmountProgram *vm.Program `yaml:"-"`
	// AmountConst is the amount when it is written as a number (100.00).
	AmountConst *decimal.Decimal `yaml:"-"`
}

// AccountText is what the line names as its account, as written.
func (l *PostingLine) AccountText() string {
	if l.Side == "credit" {
		return l.Credit
	}
	return l.Debit
}

// Postings lists every posting of every app in load order.
func (p *Project) Postings() []*Posting {
	var out []*Posting
	for _, a := range p.Apps {
		out = append(out, a.Postings...)
	}
	return out
}

// Direction is the balance direction of account in chart cs: 借 or 贷 ("" when
// the code has none).
func (cs *CodeSet) Direction(account string) string {
	n := cs.Lookup(account)
	if n == nil {
		return ""
	}
	return n.Attrs[DirectionAttr]
}

// checkPostings resolves and checks every posting; warnings are what the
// checker cannot prove (a posting whose balance only shows at runtime).
func checkPostings(p *Project, ps *Problems) (warnings []Problem) {
	charts := map[*CodeSet]bool{}
	for _, a := range p.Apps {
		for i, po := range a.Postings {
			po.App, po.Index = a, i
			if w := checkPosting(p, a, po, charts, ps); w != nil {
				warnings = append(warnings, *w)
			}
		}
	}
	return warnings
}

func checkPosting(p *Project, a *App, po *Posting, charts map[*CodeSet]bool, ps *Problems) *Problem {
	where := fmt.Sprintf("postings[%d]", po.Index)
	// The entity.
	if po.Entity == "" {
		ps.Addf(po.Pos, "%s: entity is missing: the entity whose events post the voucher", where)
	} else if po.Target = p.Entity(a, po.Entity); po.Target == nil {
		ps.Addf(po.At["entity"], "%s: entity %q is not defined%s", where, po.Entity, entityHint(p, a, po.Entity))
	} else {
		where = fmt.Sprintf("postings[%d] (%s)", po.Index, po.Target.Name)
	}
	// The chart of accounts.
	switch {
	case po.Chart == "":
		ps.Addf(po.Pos, "%s: chart is missing: the code set of accounts the lines post to", where)
	case p.CodeSet(po.Chart) == nil:
		ps.Addf(po.At["chart"], "%s: chart names code set %q, which is not defined%s", where, po.Chart, suggest(po.Chart, codeSetNames(p)))
	default:
		po.ChartSet = p.CodeSet(po.Chart)
		if !charts[po.ChartSet] {
			charts[po.ChartSet] = true
			checkChart(po.ChartSet, po.At["chart"], ps)
		}
	}
	e := po.Target
	if len(po.On) == 0 {
		ps.Addf(po.Pos, "%s: on is missing: the events at which the voucher is posted (create = on create)", where)
	}
	if e == nil {
		return nil
	}
	checkEvents(e, where, "on", po.On, po.At, ps)
	env := Env(e, false)
	if po.When != "" {
		if prog, err := CompileBool(po.When, env); err != nil {
			ps.Addf(po.At["when"], "%s: when does not compile: %s", where, exprError(err, env))
		} else if usesRefs(prog) {
			ps.Addf(po.At["when"], "%s: when: %s", where, postingRefs)
		} else {
			po.WhenProgram = prog
		}
	}
	if po.Date != "" {
		switch f := e.Field(po.Date); {
		case f == nil:
			ps.Addf(po.At["date"], "%s: date names field %q, which entity %s does not have%s", where, po.Date, e.Name, suggest(po.Date, fieldNames(e)))
		case f.Kind == nil || f.Kind.Column(f).Kind != ColumnDate:
			ps.Addf(po.At["date"], "%s: date field %s must be a date field (it is %s)", where, po.Date, f.Type)
		default:
			po.DateField = f
		}
	}
	po.DimFields = map[string]*Field{}
	for _, dim := range po.DimensionNames() {
		name := po.Dimensions[dim]
		pos := itemPos(po.At, "dimensions", dim)
		if !namePattern.MatchString(dim) {
			ps.Addf(pos, "%s: dimension %q: %s", where, dim, nameRule)
		}
		switch f := e.Field(name); {
		case f == nil:
			ps.Addf(pos, "%s: dimension %s names field %q, which entity %s does not have%s", where, dim, name, e.Name, suggest(name, fieldNames(e)))
		case f.Is(Attachment) || f.Is(LongText):
			ps.Addf(pos, "%s: dimension %s: field %s is a %s field; a dimension is a code, ref, string, enum, int or date field", where, dim, name, f.Type)
		default:
			po.DimFields[dim] = f
		}
	}
	if len(po.Lines) == 0 {
		ps.Addf(po.Pos, "%s: lines is missing: the debit and credit lines of the voucher", where)
		return nil
	}
	var debits, credits []string
	amounts := func(side, amount string) {
		if side == "debit" {
			debits = append(debits, amount)
		} else {
			credits = append(credits, amount)
		}
	}
	for j, l := range po.Lines {
		lw := fmt.Sprintf("%s: lines[%d]", where, j)
		switch {
		case l.Debit != "" && l.Credit != "":
			ps.Addf(l.Pos, "%s: give debit or credit, not both: one line moves one account on one side", lw)
			continue
		case l.Debit != "":
			l.Side = "debit"
		case l.Credit != "":
			l.Side = "credit"
		default:
			ps.Addf(l.Pos, "%s: give debit or credit: the account the line posts to", lw)
			continue
		}
		checkLineAccount(e, po, l, lw, ps)
		if l.Amount == "" {
			ps.Addf(l.Pos, "%s: amount is missing: a money field or an expression giving money", lw)
			continue
		}
		if d, err := decimal.NewFromString(strings.TrimSpace(l.Amount)); err == nil {
			switch {
			case d.IsNegative():
				ps.Addf(l.At["amount"], "%s: amount %s is negative; put the line on the other side instead", lw, l.Amount)
			case !d.Equal(d.Round(2)):
				ps.Addf(l.At["amount"], "%s: amount %s has more than two decimals (fen)", lw, l.Amount)
			default:
				l.AmountConst = &d
				amounts(l.Side, l.Amount)
			}
			continue
		}
		prog, err := CompileValue(l.Amount, env)
		if err != nil {
			ps.Addf(l.At["amount"], "%s: amount does not compile: %s", lw, exprError(err, env))
			continue
		}
		if got := prog.Node().Type(); got != nil && got.Kind() != reflect.Interface && got != reflect.TypeOf(decimalZero) {
			ps.Addf(l.At["amount"], "%s: amount gives %s; it must give money (a money field, or an expression over money fields)", lw, typeName(got))
			continue
		}
		if usesRefs(prog) {
			ps.Addf(l.At["amount"], "%s: amount: %s", lw, postingRefs)
			continue
		}
		l.AmountProgram = prog
		amounts(l.Side, l.Amount)
	}
	hasSide := func(side string) bool {
		return slices.ContainsFunc(po.Lines, func(l *PostingLine) bool { return l.Side == side })
	}
	if !hasSide("debit") || !hasSide("credit") {
		ps.Addf(po.At["lines"], "%s: the voucher needs at least one debit and one credit line; debits must equal credits", where)
		return nil
	}
	if len(debits)+len(credits) != len(po.Lines) {
		return nil // a line's own problem is reported
	}
	balanced, known := postingBalances(debits, credits)
	switch {
	case known && !balanced:
		ps.Addf(po.At["lines"], "%s: the lines do not balance: debits %s, credits %s; debits must equal credits", where, strings.Join(debits, " + "), strings.Join(credits, " + "))
	case !known:
		return &Problem{Pos: po.At["lines"], Message: fmt.Sprintf("%s: the checker cannot show that debits (%s) equal credits (%s); every voucher is checked when it is posted, and an event whose voucher does not balance is refused", where, strings.Join(debits, " + "), strings.Join(credits, " + "))}
	}
	return nil
}

// postingRefs says why a posting may not read refs.
const postingRefs = "refs cannot be used in a posting; it reads the record's own fields (copy what it needs onto the record with a transition's set)"

// checkChart checks a chart of accounts: it declares the direction
// attribute, and every code carries 借 or 贷.
func checkChart(cs *CodeSet, pos Pos, ps *Problems) {
	declared := slices.ContainsFunc(cs.Attributes, func(a *CodeAttr) bool { return a.Name == DirectionAttr })
	if !declared {
		ps.Addf(pos, "code set %s is used as a chart of accounts but declares no %s attribute (attributes: {%s: {title: 余额方向}}, each code 借 or 贷)", cs.Name, DirectionAttr, DirectionAttr)
		return
	}
	cs.Walk(func(n *CodeNode) {
		if d := n.Attrs[DirectionAttr]; d != DebitDirection && d != CreditDirection {
			ps.Addf(n.Pos, "code set %s: account %s %s: %s must be %s or %s, got %q", cs.Name, n.Code.Code, n.Name, DirectionAttr, DebitDirection, CreditDirection, d)
		}
	})
}

// AllCodes lists every code of the set in tree order.
func (cs *CodeSet) AllCodes() []string {
	var out []string
	cs.Walk(func(n *CodeNode) { out = append(out, n.Code.Code) })
	return out
}

// checkLineAccount resolves the line's account: a code field of the record
// whose code set is the chart, or a code of the chart that takes postings.
func checkLineAccount(e *Entity, po *Posting, l *PostingLine, where string, ps *Problems) {
	name, pos := l.AccountText(), l.At[l.Side]
	if f := e.Field(name); f != nil {
		switch {
		case !f.Is(CodeRef):
			ps.Addf(pos, "%s: %s names field %s, a %s field; an account field must be a code field of the chart", where, l.Side, name, f.Type)
		case po.ChartSet != nil && f.CodeSet != po.ChartSet.Name:
			ps.Addf(pos, "%s: %s field %s takes codes of %s, not of the chart %s", where, l.Side, name, f.CodeSet, po.ChartSet.Name)
		default:
			l.AccountField = f
		}
		return
	}
	cs := po.ChartSet
	if cs == nil {
		return // the chart's own problem is reported
	}
	n := cs.Lookup(name)
	if n == nil {
		ps.Addf(pos, "%s: %s %q is neither an account of chart %s nor a field of %s%s", where, l.Side, name, cs.Name, e.Name, suggest(name, append(cs.AllCodes(), fieldNames(e)...)))
		return
	}
	if !n.Leaf() {
		ps.Addf(pos, "%s: %s account %s %s has sub-accounts; post to one of them (%s)", where, l.Side, name, n.Name, strings.Join(childCodes(n), ", "))
		return
	}
	if !n.IsEnabled() {
		ps.Addf(pos, "%s: %s account %s %s is disabled", where, l.Side, name, n.Name)
		return
	}
	l.Account = name
}

func childCodes(n *CodeNode) []string {
	var out []string
	for _, c := range n.Children {
		out = append(out, c.Code.Code)
	}
	return out
}

// term is one addend of an amount written as a sum of names and numbers.
var term = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_.]*|[0-9]+(?:\.[0-9]+)?)$`)

// postingBalances says whether debits equal credits when the checker can
// tell (known): when every amount is a number, or when both sides add up the
// same names and numbers in any order.
func postingBalances(debits, credits []string) (balanced, known bool) {
	if d, ok := constantSum(debits); ok {
		if c, ok := constantSum(credits); ok {
			return d.Equal(c), true
		}
	}
	dt, ok1 := terms(debits)
	ct, ok2 := terms(credits)
	if ok1 && ok2 && slices.Equal(dt, ct) {
		return true, true
	}
	return false, false
}

func constantSum(amounts []string) (decimal.Decimal, bool) {
	sum := decimal.Zero
	for _, a := range amounts {
		for _, t := range strings.Split(a, "+") {
			d, err := decimal.NewFromString(strings.TrimSpace(t))
			if err != nil {
				return sum, false
			}
			sum = sum.Add(d)
		}
	}
	return sum, true
}

func terms(amounts []string) ([]string, bool) {
	var out []string
	for _, a := range amounts {
		for _, t := range strings.Split(a, "+") {
			t = strings.TrimSpace(t)
			if !term.MatchString(t) {
				return nil, false
			}
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, true
}

package metamodel

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Quorum is how many distinct approvals a transition needs before it
// happens: a number (quorum: 2), or a number that rises with a money field
// of the record, tier by tier:
//
//	quorum:
//	  by: amount
//	  approvals: 1
//	  above:
//	    - {amount: 1000000, approvals: 2}
//	    - {amount: 10000000, approvals: 3}
//
// reads "one approval; above 1,000,000 two; above 10,000,000 three". A
// record at exactly a tier's amount stays in the tier below.
type Quorum struct {
	Pos       Pos
	At        map[string]Pos
	Approvals int           `yaml:"approvals,shorthand" desc:"Distinct approvals needed (below the first tier when there are tiers); quorum: 2 is short for {approvals: 2}."`
	By        string        `yaml:"by" desc:"The money, decimal or int field of the record the tiers compare (amount)."`
	Above     []*QuorumTier `yaml:"above" desc:"Tiers, by rising amount: a record whose by field is above a tier's amount needs its approvals."`
}

// QuorumTier is one step of a tiered quorum.
type QuorumTier struct {
	Pos       Pos
	At        map[string]Pos
	Amount    string `yaml:"amount" desc:"The amount above which the tier applies (exclusive)."`
	Approvals int    `yaml:"approvals" desc:"Distinct approvals needed above the amount."`

	// Threshold is Amount, parsed by the checker.
	Threshold decimal.Decimal `yaml:"-"`
}

// Tiered reports whether the quorum depends on the record.
func (q *Quorum) Tiered() bool { return q != nil && q.By != "" && len(q.Above) > 0 }

// Base is the approvals a record below every tier needs (at least 1).
func (q *Quorum) Base() int {
	if q == nil {
		return 1
	}
	return max(q.Approvals, 1)
}

// Max is the most approvals any record can need (at least 1).
func (q *Quorum) Max() int {
	n := q.Base()
	if q.Tiered() {
		for _, t := range q.Above {
			n = max(n, t.Approvals)
		}
	}
	return n
}

// ForAmount is the approvals a record whose by field holds v needs: the
// approvals of the highest tier v is above, or the base.
func (q *Quorum) ForAmount(v decimal.Decimal) int {
	n := q.Base()
	if !q.Tiered() {
		return n
	}
	for _, t := range q.Above {
		if v.GreaterThan(t.Threshold) {
			n = max(t.Approvals, 1)
		}
	}
	return n
}

// For is the approvals a record with these field values needs. A by field
// with no value counts as zero.
func (q *Quorum) For(values map[string]any) int {
	if !q.Tiered() {
		return q.Base()
	}
	return q.ForAmount(QuorumValue(values[q.By]))
}

// QuorumValue is a field value as a decimal for a tiered quorum; anything
// not a number counts as zero.
func QuorumValue(v any) decimal.Decimal {
	switch x := v.(type) {
	case decimal.Decimal:
		return x
	case int64:
		return decimal.NewFromInt(x)
	case int:
		return decimal.NewFromInt(int64(x))
	case string:
		if d, err := decimal.NewFromString(x); err == nil {
			return d
		}
	}
	return decimal.Zero
}

// String writes the quorum as a reader would say it: "2", or
// "1; amount > 1000000.00: 2; amount > 10000000.00: 3".
func (q *Quorum) String() string {
	if !q.Tiered() {
		return fmt.Sprint(q.Base())
	}
	parts := []string{fmt.Sprint(q.Base())}
	for _, t := range q.Above {
		parts = append(parts, fmt.Sprintf("%s > %s: %d", q.By, t.Threshold.StringFixed(2), t.Approvals))
	}
	return strings.Join(parts, "; ")
}

// checkQuorum checks a transition's quorum: positive numbers, a by field
// that holds numbers, tiers with amounts that rise.
func checkQuorum(ps *Problems, e *Entity, w *Workflow, t *Transition) {
	q := t.Quorum
	if q == nil {
		return
	}
	what := fmt.Sprintf("workflow %s: transition %s: quorum", w.Name, t.Event)
	if q.Approvals < 0 {
		ps.Addf(posOr(q.At["approvals"], t.At["quorum"]), "%s must be positive", what)
	}
	if q.By == "" && len(q.Above) > 0 {
		ps.Addf(posOr(q.At["above"], q.Pos), "%s: above needs by: the field the tiers compare (by: amount)", what)
	}
	if q.By != "" {
		if e != nil {
			f := e.Field(q.By)
			switch {
			case f == nil:
				ps.Addf(posOr(q.At["by"], q.Pos), "%s: by: %s has no field %q%s", what, e.Name, q.By, suggest(q.By, fieldNames(e)))
			case f.Computed() || !IsNumber(f):
				ps.Addf(posOr(q.At["by"], q.Pos), "%s: by: field %s is %s; tiers compare a money, decimal or int field", what, q.By, f.Type)
			}
		}
		if len(q.Above) == 0 {
			ps.Addf(posOr(q.At["by"], q.Pos), "%s: by: %s without any tier under above:", what, q.By)
		}
	}
	prev, prevN := decimal.Decimal{}, q.Base()
	for i, tier := range q.Above {
		d, err := decimal.NewFromString(strings.ReplaceAll(tier.Amount, ",", ""))
		switch {
		case tier.Amount == "" || err != nil:
			ps.Addf(posOr(tier.At["amount"], tier.Pos), "%s: tier %d needs amount: a number, got %q", what, i+1, tier.Amount)
			continue
		case i > 0 && !d.GreaterThan(prev):
			ps.Addf(posOr(tier.At["amount"], tier.Pos), "%s: tier amounts must rise: %s is not above %s", what, d.String(), prev.String())
		}
		tier.Threshold = d
		if tier.Approvals < 1 {
			ps.Addf(posOr(tier.At["approvals"], tier.Pos), "%s: tier above %s needs approvals: a positive number", what, d.String())
		} else if tier.Approvals < prevN {
			ps.Addf(posOr(tier.At["approvals"], tier.Pos), "%s: the tier above %s asks %d approvals, fewer than the %d below it: larger amounts would need fewer approvers", what, d.String(), tier.Approvals, prevN)
		}
		prev, prevN = d, max(prevN, tier.Approvals)
	}
}

func posOr(p, fallback Pos) Pos {
	if p.File == "" {
		return fallback
	}
	return p
}

package review

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// A workflow that asks more approvers for larger amounts is only as strong
// as its weakest way through. quorumBypasses looks for each tier — a tiered
// quorum's step, or a quorum on a transition whose guard admits only amounts
// above some value — and for every path from the initial state to a final
// state that a record above the tier's amount may take while every step of
// it asks fewer approvals than the tier: the guard-overlap bypass (a
// one-approver step guarded by amount <= 5000000 beside a two-approver step
// for amount > 1000000 lets one person approve 4.9 million).
//
// Amounts are tried at the edges the definitions name (each amount a guard
// compares the field with, and each tier's amount, and one cent above each),
// which is where what a guard admits can change; a guard the analysis cannot
// read is taken to admit the amount, so a bypass is never missed for it.

// tier is one "above amount, at least n approvals" a workflow asks.
type tier struct {
	field     string
	amount    decimal.Decimal
	approvals int
	t         *metamodel.Transition
	pos       metamodel.Pos
}

// maxBypassPaths bounds the paths reported per tier.
const maxBypassPaths = 8

func quorumBypasses(p *metamodel.Project, a *metamodel.App, w *metamodel.Workflow, e *metamodel.Entity) []Finding {
	tiers := workflowTiers(w, e)
	if len(tiers) == 0 {
		return nil
	}
	roles := map[string]bool{}
	for _, ap := range p.Apps {
		for _, r := range ap.Roles {
			roles[r.Name] = true
		}
	}
	var out []Finding
	for _, tr := range tiers {
		f := e.Field(tr.field)
		var max decimal.Decimal
		capped := false
		if f != nil && f.Max != "" {
			if d, err := decimal.NewFromString(f.Max); err == nil {
				max, capped = d, true
			}
		}
		seen := map[string]bool{}
		for _, x := range candidateAmounts(w, tr.field, tiers) {
			if !x.GreaterThan(tr.amount) || (capped && x.GreaterThan(max)) {
				continue
			}
			admits := func(t *metamodel.Transition) bool { return guardAdmits(e, t, roles, tr.field, x) }
			for _, path := range weakPaths(w, tr, x, admits) {
				key := pathKey(path)
				if seen[key] || len(seen) >= maxBypassPaths {
					continue
				}
				seen[key] = true
				out = append(out, bypassFinding(a, w, tr, x, path, max, capped))
			}
		}
	}
	return out
}

// workflowTiers lists the tiers of w: every tier of a tiered quorum, and
// every quorum above one on a transition whose guard admits only amounts
// above a bound.
func workflowTiers(w *metamodel.Workflow, e *metamodel.Entity) []tier {
	var out []tier
	for _, t := range w.Transitions {
		q := t.Quorum
		if q.Tiered() {
			for _, qt := range q.Above {
				if qt.Approvals > q.Base() {
					out = append(out, tier{field: q.By, amount: qt.Threshold, approvals: qt.Approvals, t: t, pos: posOr(qt.Pos, t.Pos)})
				}
			}
			continue
		}
		if q.Base() < 2 || t.Guard == "" {
			continue
		}
		for _, f := range e.Fields {
			if f.Computed() || !metamodel.IsNumber(f) {
				continue
			}
			if lo, ok := lowerBound(t.Guard, f.Name); ok {
				out = append(out, tier{field: f.Name, amount: lo, approvals: q.Base(), t: t, pos: posOr(t.At["guard"], t.Pos)})
			}
		}
	}
	return out
}

// candidateAmounts are the amounts worth trying for field: every constant a
// guard compares it with and every tier's amount, and one cent above each.
func candidateAmounts(w *metamodel.Workflow, field string, tiers []tier) []decimal.Decimal {
	cent := decimal.New(1, -2)
	var out []decimal.Decimal
	add := func(d decimal.Decimal) {
		for _, x := range []decimal.Decimal{d, d.Add(cent)} {
			if !slices.ContainsFunc(out, x.Equal) {
				out = append(out, x)
			}
		}
	}
	for _, tr := range tiers {
		if tr.field == field {
			add(tr.amount)
		}
	}
	for _, t := range w.Transitions {
		if t.Quorum.Tiered() && t.Quorum.By == field {
			for _, qt := range t.Quorum.Above {
				add(qt.Threshold)
			}
		}
		if t.Guard == "" {
			continue
		}
		tree, err := parser.Parse(t.Guard)
		if err != nil {
			continue
		}
		gc := &guardContext{e: w.Target}
		if gc.e == nil {
			gc.e = &metamodel.Entity{}
		}
		ast.Find(tree.Node, func(n ast.Node) bool {
			if a, ok := gc.atomOf(n); ok && a.name == field && a.isNum {
				add(a.num)
			}
			return false
		})
	}
	slices.SortFunc(out, func(a, b decimal.Decimal) int { return a.Cmp(b) })
	return out
}

// guardAdmits reports whether t's guard may hold for a record whose field
// is x: true unless the guard analysis shows it cannot.
func guardAdmits(e *metamodel.Entity, t *metamodel.Transition, roles map[string]bool, field string, x decimal.Decimal) bool {
	if t.Guard == "" {
		return true
	}
	tree, err := parser.Parse("(" + t.Guard + ") && " + field + " == " + x.String())
	if err != nil {
		return true
	}
	gc := &guardContext{e: e, from: t.From, roles: roles}
	never, _ := gc.never(tree.Node)
	return !never
}

// weakPaths are the paths without a repeated state from w's initial state
// to a final state that a record at x may take (every guard admits it) with
// every step asking fewer approvals than tr, and at least one approval step
// on the way.
func weakPaths(w *metamodel.Workflow, tr tier, x decimal.Decimal, admits func(*metamodel.Transition) bool) [][]*metamodel.Transition {
	var out [][]*metamodel.Transition
	var path []*metamodel.Transition
	visited := map[string]bool{}
	var walk func(s string)
	walk = func(s string) {
		if len(out) >= maxBypassPaths {
			return
		}
		if slices.Contains(w.Final, s) && slices.ContainsFunc(path, func(t *metamodel.Transition) bool { return isApproval(w, t) }) {
			out = append(out, slices.Clone(path))
		}
		visited[s] = true
		defer delete(visited, s)
		for _, t := range w.Transitions {
			if !slices.Contains(t.From, s) || visited[t.To] || !admits(t) || approvalsAt(t, tr.field, x) >= tr.approvals {
				continue
			}
			path = append(path, t)
			walk(t.To)
			path = path[:len(path)-1]
		}
	}
	walk(w.Initial)
	return out
}

// approvalsAt is the approvals t asks of a record whose field is x.
func approvalsAt(t *metamodel.Transition, field string, x decimal.Decimal) int {
	if t.Quorum.Tiered() && t.Quorum.By == field {
		return t.Quorum.ForAmount(x)
	}
	return t.Quorum.Max()
}

func pathKey(path []*metamodel.Transition) string {
	var parts []string
	for _, t := range path {
		parts = append(parts, t.Event+"@"+where(t.Pos))
	}
	return strings.Join(parts, " → ")
}

func bypassFinding(a *metamodel.App, w *metamodel.Workflow, tr tier, x decimal.Decimal, path []*metamodel.Transition, max decimal.Decimal, capped bool) Finding {
	var steps []string
	most := 1
	var weak *metamodel.Transition
	hi, hiSet := max, capped
	for _, t := range path {
		n := approvalsAt(t, tr.field, x)
		steps = append(steps, fmt.Sprintf("%s (%s, %d approval%s)", t.Event, where(t.Pos), n, plural(n)))
		most = maxInt(most, n)
		// The step to fix is the one beside the tier's own step (leaving
		// a state it leaves too), else the first approval on the way.
		if slices.ContainsFunc(t.From, func(s string) bool { return slices.Contains(tr.t.From, s) }) && t != tr.t {
			weak = t
		}
		if u, ok := upperBound(t.Guard, tr.field); ok && (!hiSet || u.LessThan(hi)) {
			hi, hiSet = u, true
		}
	}
	if weak == nil {
		for _, t := range path {
			if isApproval(w, t) {
				weak = t
				break
			}
		}
	}
	amounts := fmt.Sprintf("any %s above %s", tr.field, tr.amount.StringFixed(2))
	if hiSet {
		amounts = fmt.Sprintf("%s from %s to %s", tr.field, x.StringFixed(2), hi.StringFixed(2))
	}
	final := path[len(path)-1].To
	fix := fmt.Sprintf("cap %s's guard at %s <= %s or give it the same quorum", weak.Event, tr.field, tr.amount.StringFixed(2))
	var stepsZh []string
	for _, t := range path {
		stepsZh = append(stepsZh, fmt.Sprintf("“%s”（%s，%d 人）", eventTitle(t), where(t.Pos), approvalsAt(t, tr.field, x)))
	}
	label := tr.field
	if f := w.Target.Field(tr.field); w.Target != nil && f != nil {
		label = f.DisplayLabel()
	}
	amountsZh := fmt.Sprintf("%s超过 %s 的任何记录", label, tr.amount.StringFixed(2))
	if hiSet {
		amountsZh = fmt.Sprintf("%s在 %s 至 %s 之间的记录", label, x.StringFixed(2), hi.StringFixed(2))
	}
	zh := fmt.Sprintf("流程“%s”：%s超过 %s 须 %d 人审批（“%s”，%s），但%s经由 %s 到达“%s”时每步至多 %d 人审批；请把“%s”的条件限定为 %s <= %s，或给它同样的会签人数",
		workflowTitle(w), label, tr.amount.StringFixed(2), tr.approvals, eventTitle(tr.t), where(tr.pos), amountsZh, strings.Join(stepsZh, " → "), stateTitle(w, final), most, eventTitle(weak), tr.field, tr.amount.StringFixed(2))
	return Finding{Severity: High, Code: "quorum_bypass", App: a.Name, Pos: weak.Pos, MessageZh: zh,
		Message: fmt.Sprintf("workflow %s: %s above %s needs %d approvals (%s at %s), but a record with %s reaches %s with at most %d approval%s per step: %s; %s",
			w.Name, tr.field, tr.amount.StringFixed(2), tr.approvals, tr.t.Event, where(tr.pos), amounts, final, most, plural(most), strings.Join(steps, " → "), fix)}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// lowerBound is the value guard requires numeric field name to be above or
// at, when the guard bounds it from below on every path.
func lowerBound(guard, name string) (decimal.Decimal, bool) {
	return guardBound(guard, name, true)
}

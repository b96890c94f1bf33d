package review

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// Severity ranks a finding.
type Severity string

// Severities, from the most serious.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

func (s Severity) rank() int { return map[Severity]int{High: 0, Medium: 1, Low: 2}[s] }

// Finding is one thing an auditor should look at, where it is written.
type Finding struct {
	Severity Severity
	// Code is stable for tools: self_approval, same_person_two_steps,
	// transition_without_roles, guard_never_true, unreachable_state, quorum_bypass, overdraft_allowed,
	// dead_end_state, stuck_state, large_amount_without_quorum,
	// grant_without_effect, role_cannot_fire.
	Code    string
	App     string
	Pos     metamodel.Pos
	Message string
	// MessageZh is the finding in Chinese, with the labels of the
	// definitions (role titles, entity and state labels).
	MessageZh string
}

// Where is the finding's file:line.
func (f Finding) Where() string {
	if f.Pos.Line == 0 {
		return f.Pos.File
	}
	return fmt.Sprintf("%s:%d", f.Pos.File, f.Pos.Line)
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s [%s] %s", f.Where(), f.Severity, f.Code, f.Message)
}

// Options tune the findings.
type Options struct {
	// LargeAmount is the amount above which one approver is not enough;
	// zero means DefaultLargeAmount.
	LargeAmount decimal.Decimal
}

// DefaultLargeAmount is 1,000,000 (yuan): above it, approvals should need a
// quorum of two.
var DefaultLargeAmount = decimal.NewFromInt(1_000_000)

// Findings reviews every app of p. Findings come sorted by app, severity,
// file and line.
func Findings(p *metamodel.Project, opts Options) []Finding {
	if opts.LargeAmount.IsZero() {
		opts.LargeAmount = DefaultLargeAmount
	}
	var out []Finding
	for _, a := range p.Apps {
		for _, w := range a.Workflows {
			e := a.Entity(w.Entity)
			out = append(out, workflowFindings(p, a, w, e, opts)...)
		}
	}
	sortFindings(p, out)
	return out
}

// QuorumBypasses are the findings quorum_bypass alone, in Findings' order:
// the ways round an approval tier, which growth check and every command
// that loads definitions refuse (a broken control, not a matter of taste).
func QuorumBypasses(p *metamodel.Project) []Finding {
	var out []Finding
	for _, a := range p.Apps {
		for _, w := range a.Workflows {
			if e := a.Entity(w.Entity); e != nil {
				out = append(out, quorumBypasses(p, a, w, e)...)
			}
		}
	}
	sortFindings(p, out)
	return out
}

// sortFindings orders findings by app, severity, file, line and message.
func sortFindings(p *metamodel.Project, out []Finding) {
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.App != y.App {
			return appIndex(p, x.App) < appIndex(p, y.App)
		}
		if x.Severity != y.Severity {
			return x.Severity.rank() < y.Severity.rank()
		}
		if x.Pos.File != y.Pos.File {
			return x.Pos.File < y.Pos.File
		}
		if x.Pos.Line != y.Pos.Line {
			return x.Pos.Line < y.Pos.Line
		}
		return x.Message < y.Message
	})
}

func appIndex(p *metamodel.Project, name string) int {
	return slices.IndexFunc(p.Apps, func(a *metamodel.App) bool { return a.Name == name })
}

func workflowFindings(p *metamodel.Project, a *metamodel.App, w *metamodel.Workflow, e *metamodel.Entity, opts Options) []Finding {
	var out []Finding
	add := func(sev Severity, code string, pos metamodel.Pos, format string, args ...any) {
		out = append(out, Finding{Severity: sev, Code: code, App: a.Name, Pos: pos, Message: fmt.Sprintf(format, args...)})
	}
	// zh gives the finding just added its Chinese text.
	zh := func(format string, args ...any) { out[len(out)-1].MessageZh = fmt.Sprintf(format, args...) }
	wfZh := "流程“" + workflowTitle(w) + "”"
	st := func(s string) string { return "“" + stateTitle(w, s) + "”" }
	ev := func(t *metamodel.Transition) string { return "“" + eventTitle(t) + "”" }
	ent := "“" + entityTitle(e, w) + "”"
	wf := "workflow " + w.Name

	// States that cannot be reached, cannot be left, or can be left only by
	// events no role may fire.
	reach := reachable(w)
	out2 := map[string][]*metamodel.Transition{}
	for _, t := range w.Transitions {
		for _, s := range t.From {
			out2[s] = append(out2[s], t)
		}
	}
	for i, s := range w.States {
		pos := itemPos(w.At, "states", i)
		if !reach[s] {
			add(High, "unreachable_state", pos, "%s: state %s cannot be reached from the initial state %s: no chain of transitions leads to it", wf, s, w.Initial)
			zh("%s：从初始状态%s无法到达状态%s：没有任何流转通向它", wfZh, st(w.Initial), st(s))
		}
		if slices.Contains(w.Final, s) {
			continue
		}
		if len(out2[s]) == 0 {
			add(High, "dead_end_state", pos, "%s: state %s cannot be left: no transition starts from it and it is not marked final; records would stay there forever", wf, s)
			zh("%s：状态%s无法离开：没有从它出发的流转，也未标为终态，记录会永远停在这里", wfZh, st(s))
			continue
		}
		if e == nil {
			continue
		}
		fireable := slices.ContainsFunc(out2[s], func(t *metamodel.Transition) bool { return len(Firers(p, e, t)) > 0 })
		if !fireable && reach[s] {
			var evs []string
			for _, t := range out2[s] {
				evs = append(evs, t.Event)
			}
			add(Medium, "stuck_state", pos, "%s: no role may move a record out of state %s: its events (%s) are granted to no role the transitions allow", wf, s, strings.Join(evs, ", "))
			zh("%s：没有角色能把记录移出状态%s：它的事件（%s）没有授予流转允许的任何角色", wfZh, st(s), strings.Join(evs, "、"))
		}
	}
	if e == nil {
		return out
	}

	for _, t := range w.Transitions {
		tr := wf + ": transition " + t.Event
		firers := Firers(p, e, t)
		if len(t.Roles) == 0 {
			who := "every role granted it under can: (" + strings.Join(firers, ", ") + ")"
			if len(firers) == 0 {
				who = "every role granted it under can:, and none is, so nobody can fire it"
			}
			add(Medium, "transition_without_roles", t.Pos, "%s has no roles: it is open to %s; list the roles that may fire it", tr, who)
			zh("%s：流转%s未限定角色，凡在 can: 中被授予该事件的角色都可执行；请列出可执行的角色", wfZh, ev(t))
		}
		if never, why := neverTrue(p, e, t); never {
			add(High, "guard_never_true", posOr(t.At["guard"], t.Pos), "%s can never fire: its guard `%s` is never true (%s)", tr, t.Guard, why)
			zh("%s：流转%s永远无法执行：条件 `%s` 永不成立（%s）", wfZh, ev(t), t.Guard, why)
		}
		approval := isApproval(w, t)
		// A role that may create records and approve them.
		if approval {
			for _, ra := range p.Apps {
				for _, r := range ra.Roles {
					g := grantOn(p, ra, r, e)
					if g == nil || !slices.Contains(g.Actions, "create") || !slices.Contains(g.Actions, t.Event) || !Allows(e, r.Name, t.Event) {
						continue
					}
					name := MatrixRow{Role: r, App: ra}.RoleName(e)
					if t.ExcludesCreator() {
						add(Low, "self_approval", g.NamePos, "role %s may both create %s and %s it (%s at %s); not_by: [%s] stops a user approving their own record, but two users of the role can approve each other's", name, e.Name, t.Event, tr, where(t.Pos), strings.Join(t.NotBy, ", "))
						zh("角色“%s”既能新建%s又能%s（%s）；not_by: [%s] 阻止用户审批自己的记录，但同一角色的两个用户仍可互相审批", roleTitle(ra, r), ent, ev(t), where(t.Pos), strings.Join(t.NotBy, ", "))
					} else {
						add(High, "self_approval", g.NamePos, "role %s may both create %s and %s it (%s at %s) and nothing stops a user approving their own record: add not_by: [creator] to the transition or take %s away from the role", name, e.Name, t.Event, tr, where(t.Pos), t.Event)
						zh("角色“%s”既能新建%s又能%s（%s），且没有任何规则阻止用户审批自己的记录：请在该流转加上 not_by: [editors, submitter]，或收回该角色的%s权限", roleTitle(ra, r), ent, ev(t), where(t.Pos), ev(t))
					}
				}
			}
		}
		// Grants and transition roles that do not meet.
		for i, rn := range t.Roles {
			r := a.Role(rn)
			if r == nil {
				continue
			}
			if g := grantOn(p, a, r, e); g == nil || !slices.Contains(g.Actions, t.Event) {
				add(Low, "role_cannot_fire", itemPos(t.At, "roles", i), "%s lists role %s, but the role is not granted %s on %s under can:, so it cannot fire it", tr, rn, t.Event, e.Name)
				zh("%s：流转%s列出了角色“%s”，但该角色在 can: 中未被授予此事件，无法执行", wfZh, ev(t), roleTitle(a, r))
			}
		}
	}
	// Two approval steps in a row that one person may take: the second does
	// not exclude the previous approver and a role may fire both.
	for _, t2 := range w.Transitions {
		if !isApproval(w, t2) || slices.Contains(t2.NotBy, "previous_approver") || slices.Contains(t2.NotBy, "actors") {
			continue
		}
		second := Firers(p, e, t2)
		for _, t1 := range w.Transitions {
			if t1 == t2 || !isApproval(w, t1) || !slices.Contains(t2.From, t1.To) {
				continue
			}
			var both []string
			for _, r := range Firers(p, e, t1) {
				if slices.Contains(second, r) {
					both = append(both, r)
				}
			}
			if len(both) > 0 {
				add(Medium, "same_person_two_steps", t2.Pos, "%s: role %s may fire both %s and then %s, and %s does not exclude the previous approver: one person can take both steps on the same %s; add not_by: [previous_approver] to %s",
					wf, strings.Join(both, ", "), t1.Event, t2.Event, t2.Event, e.Name, t2.Event)
				zh("%s：角色 %s 可先后执行%s和%s，而%s未排除上一步审批人：同一人可在同一笔%s上连办两步；请在%s加上 not_by: [previous_approver]", wfZh, strings.Join(both, "、"), ev(t1), ev(t2), ev(t2), ent, ev(t2))
			}
		}
	}
	// Large amounts approved without a quorum: no approval step of the
	// workflow needs two approvers, and some step lets one person approve an
	// amount above the limit.
	var steps, uncapped []string
	quorum := false
	for _, t := range w.Transitions {
		if !isApproval(w, t) {
			continue
		}
		if t.Quorum.Max() > 1 {
			quorum = true
		}
		steps = append(steps, fmt.Sprintf("%s at %s", t.Event, where(t.Pos)))
		for _, f := range e.Fields {
			if !f.Is(metamodel.Money) {
				continue
			}
			limit, capped := upperBound(t.Guard, f.Name)
			if max, err := decimal.NewFromString(f.Max); err == nil && f.Max != "" && (!capped || max.LessThan(limit)) {
				limit, capped = max, true
			}
			if (!capped || limit.GreaterThan(opts.LargeAmount)) && !slices.Contains(uncapped, e.Name+"."+f.Name) {
				uncapped = append(uncapped, e.Name+"."+f.Name)
			}
		}
	}
	if !quorum && len(uncapped) > 0 {
		add(Medium, "large_amount_without_quorum", w.NamePos, "%s: no approval step needs a quorum, so one approver per step passes any %s above %s (steps: %s); set quorum: 2 on a step, or cap the amount in the guards and route larger ones through a transition with a quorum",
			wf, strings.Join(uncapped, ", "), opts.LargeAmount.StringFixed(2), strings.Join(steps, "; "))
		zh("%s：没有任何审批环节需要会签，每一步一人即可通过超过 %s 的 %s（环节：%s）；请在某一环节设置 quorum（可按金额分级），或在条件中限定金额并把大额转到需会签的流转", wfZh, opts.LargeAmount.StringFixed(2), strings.Join(uncapped, "、"), strings.Join(steps, "；"))
	}
	out = append(out, quorumBypasses(p, a, w, e)...)
	// Draws that let an account be overdrawn.
	for _, dr := range e.Draws {
		switch dr.Control {
		case "none":
			add(Medium, "overdraft_allowed", posOr(dr.At["control"], dr.Pos), "entity %s draws on %s with control none: the account can be overdrawn and nothing warns; use strict (the default) unless overdrafts are meant", e.Name, dr.On)
			zh("%s在 %s 上取数时控制方式为 none：额度可被透支且没有任何提示；除非确实允许透支，请使用 strict（默认）", ent, dr.On)
		case "warn":
			add(Low, "overdraft_allowed", posOr(dr.At["control"], dr.Pos), "entity %s draws on %s with control warn: an overdraft is let through with a warning", e.Name, dr.On)
			zh("%s在 %s 上取数时控制方式为 warn：透支只给出警告并放行", ent, dr.On)
		}
	}
	for _, ra := range p.Apps {
		for _, r := range ra.Roles {
			g := grantOn(p, ra, r, e)
			if g == nil {
				continue
			}
			for _, act := range g.Actions {
				if !Allows(e, r.Name, act) {
					add(Low, "grant_without_effect", g.NamePos, "role %s is granted %s on %s, but the event's transitions allow only other roles: the grant has no effect", r.Name, act, e.Name)
					zh("角色“%s”被授予%s上的 %s，但该事件的流转只允许其他角色：这项授权不起作用", roleTitle(ra, r), ent, act)
				}
			}
		}
	}
	return out
}

// approvalWords mark an event or label as an approval; rejectionWords mark
// the events that send a record back, which are not approvals.
var (
	approvalWords  = regexp.MustCompile(`(?i)approv|review|check|verif|audit|sign|accept|release|审|批|核|签|下达`)
	rejectionWords = regexp.MustCompile(`(?i)reject|return|back|cancel|withdraw|revoke|refund|退|驳|撤|作废|取消`)
)

// isApproval reports whether t is an approval step: not a rejection, and
// named like one (approve, review, 审核, 批准, 签章, …) or guarded against
// self-approval (not_by) or by a quorum.
func isApproval(w *metamodel.Workflow, t *metamodel.Transition) bool {
	if rejectionWords.MatchString(t.Event) || rejectionWords.MatchString(t.Label) || t.To == w.Initial {
		return false
	}
	return len(t.NotBy) > 0 || t.Quorum.Max() > 1 || approvalWords.MatchString(t.Event) || approvalWords.MatchString(t.Label)
}

// reachable marks the states some chain of transitions leads to from the
// initial state.
func reachable(w *metamodel.Workflow) map[string]bool {
	seen := map[string]bool{w.Initial: true}
	queue := []string{w.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, t := range w.Transitions {
			if slices.Contains(t.From, s) && !seen[t.To] {
				seen[t.To] = true
				queue = append(queue, t.To)
			}
		}
	}
	return seen
}

// itemPos is the position of item i of the list under key, or of the key.
func itemPos(at map[string]metamodel.Pos, key string, i int) metamodel.Pos {
	if p, ok := at[fmt.Sprintf("%s.%d", key, i)]; ok {
		return p
	}
	return at[key]
}

func posOr(p, fallback metamodel.Pos) metamodel.Pos {
	if p.File == "" {
		return fallback
	}
	return p
}

// where is a position as file:line.
func where(p metamodel.Pos) string { return Finding{Pos: p}.Where() }

func workflowTitle(w *metamodel.Workflow) string {
	if w.Title != "" {
		return w.Title
	}
	return w.Name
}

func eventTitle(t *metamodel.Transition) string {
	if t.Label != "" {
		return t.Label
	}
	return t.Event
}

func entityTitle(e *metamodel.Entity, w *metamodel.Workflow) string {
	if e != nil {
		return e.Label()
	}
	return w.Entity
}

func roleTitle(a *metamodel.App, r *metamodel.Role) string {
	if r == nil {
		return ""
	}
	if r.Title != "" {
		return r.Title
	}
	return r.Name
}

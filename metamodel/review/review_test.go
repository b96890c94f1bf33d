package review

import (
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// update rewrites the golden files under testdata/golden:
//
//	go test ./metamodel/review -update
//
// Review the diff by eye before committing it.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./metamodel/review -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./metamodel/review -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// loadSeeded loads testdata/seeded, which is meant to have problems.
func loadSeeded(t *testing.T) (*metamodel.Project, []metamodel.Problem) {
	t.Helper()
	p, err := metamodel.Load(filepath.Join("testdata", "seeded"))
	var de *metamodel.DefinitionError
	if !errors.As(err, &de) || p == nil {
		t.Fatalf("testdata/seeded should load with problems (its orphan state), got %v", err)
	}
	return p, de.Problems
}

func load(t *testing.T, dir string) *metamodel.Project {
	t.Helper()
	p, err := metamodel.Load(dir)
	if err != nil {
		t.Fatalf("%s does not load: %v", dir, err)
	}
	return p
}

// TestSeededFindings checks that the audit finds what testdata/seeded was
// seeded with, at the file and line an auditor would open.
func TestSeededFindings(t *testing.T) {
	p, _ := loadSeeded(t)
	findings := Findings(p, Options{})
	scenarios := []struct {
		name     string
		code     string
		where    string
		severity Severity
		says     string
	}{
		{"self-approval", "self_approval", "claims/roles.yaml:6", High, "role clerk may both create claim and approve it"},
		{"orphan state", "unreachable_state", "claims/workflow.yaml:6", High, "state archived cannot be reached from the initial state draft"},
		{"orphan state cannot be left", "dead_end_state", "claims/workflow.yaml:6", High, "state archived cannot be left"},
		{"role-less transition", "transition_without_roles", "claims/workflow.yaml:13", Medium, "transition pay has no roles: it is open to every role granted it under can: (manager)"},
		{"guard never true", "guard_never_true", "claims/workflow.yaml:12", High, "`amount > 5000` and `amount < 1000` cannot all hold"},
		{"large amount, one approver", "large_amount_without_quorum", "claims/workflow.yaml:2", Medium, "no approval step needs a quorum, so one approver per step passes any claim.amount above 1000000.00 (steps: approve at claims/workflow.yaml:11; express at claims/workflow.yaml:12)"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			n := 0
			for _, f := range findings {
				if f.Code == sc.code {
					n++
					if f.Where() != sc.where || f.Severity != sc.severity || !strings.Contains(f.Message, sc.says) {
						t.Errorf("got %s\nwant %s: %s [%s] …%s…", f, sc.where, sc.severity, sc.code, sc.says)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d findings %s, want 1; all findings:\n%s", n, sc.code, findingsText(findings))
			}
		})
	}
	if len(findings) != len(scenarios) {
		t.Errorf("%d findings, want %d:\n%s", len(findings), len(scenarios), findingsText(findings))
	}
}

// TestLargeAmounts checks when one approver per step is reported: not when a
// step needs a quorum, not when the guards cap the amount below the limit.
func TestLargeAmounts(t *testing.T) {
	old := load(t, filepath.Join("testdata", "diff", "old")) // approve: amount <= 10000, no quorum
	new := load(t, filepath.Join("testdata", "diff", "new")) // approve: quorum 2
	scenarios := []struct {
		name  string
		p     *metamodel.Project
		limit int64
		want  bool
	}{
		{"guard caps below the limit", old, 1_000_000, false},
		{"guard caps above the limit", old, 5_000, true},
		{"a step needs a quorum", new, 5_000, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := false
			for _, f := range Findings(sc.p, Options{LargeAmount: decimal.NewFromInt(sc.limit)}) {
				got = got || f.Code == "large_amount_without_quorum"
			}
			if got != sc.want {
				t.Errorf("reported %v, want %v", got, sc.want)
			}
		})
	}
}

func findingsText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

// TestSeededReport compares the whole report and the diagrams with golden
// files: what an auditor reads.
func TestSeededReport(t *testing.T) {
	p, problems := loadSeeded(t)
	r := NewReport(p, problems, Options{})
	golden(t, "seeded.findings.txt", findingsText(r.Findings))
	golden(t, "seeded.report.md", r.Markdown())
	w := p.App("claims").Workflow("claim")
	golden(t, "seeded.claim.mmd", Mermaid(w))
	golden(t, "seeded.claim.dot", DOT(w))
	golden(t, "seeded.claim.svg", SVG(w))
	html := r.HTML()
	for _, want := range []string{"<!DOCTYPE html>", "<svg", "claims/roles.yaml:6", `<td class="high">high</td>`} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML report has no %q", want)
		}
	}
}

// TestSVGIsWellFormed parses the SVG of every workflow of the test
// definitions and checks that each state and event is drawn.
func TestSVGIsWellFormed(t *testing.T) {
	p, _ := loadSeeded(t)
	for _, proj := range []*metamodel.Project{p, load(t, filepath.Join("testdata", "diff", "new"))} {
		for _, a := range proj.Apps {
			for _, w := range a.Workflows {
				svg := SVG(w)
				dec := xml.NewDecoder(strings.NewReader(svg))
				for {
					_, err := dec.Token()
					if err != nil {
						if err.Error() != "EOF" {
							t.Fatalf("%s: SVG is not well-formed XML: %v", w.Name, err)
						}
						break
					}
				}
				for _, s := range w.States {
					if !strings.Contains(svg, ">"+s+"</text>") {
						t.Errorf("%s: state %s is not drawn", w.Name, s)
					}
				}
				for _, tr := range w.Transitions {
					if !strings.Contains(svg, ">"+tr.Event) {
						t.Errorf("%s: event %s is not drawn", w.Name, tr.Event)
					}
				}
			}
		}
	}
}

// TestDiff lists the changes between two versions of a workflow: each change
// once, in business terms.
func TestDiff(t *testing.T) {
	old := load(t, filepath.Join("testdata", "diff", "old"))
	new := load(t, filepath.Join("testdata", "diff", "new"))
	changes := Diff(old, new)
	var lines []string
	seen := map[string]bool{}
	for _, c := range changes {
		s := c.String()
		if seen[s] {
			t.Errorf("listed twice: %s", s)
		}
		seen[s] = true
		lines = append(lines, s)
	}
	golden(t, "diff.txt", strings.Join(lines, "\n")+"\n")
	for _, want := range []string{
		"claims: workflow claim: transition approve now allowed for role director",
		"claims: workflow claim: guard on approve changed from `amount <= 10000` to `amount <= 50000`",
		"claims: entity claim: field purpose now required",
		"claims: workflow claim: transition approve now needs 2 distinct approvals (was 1)",
		"claims: workflow claim: transition approve may no longer be fired by the record's creator",
		"claims: role manager: may now reject, export claim",
		"claims: role cashier: may no longer archive claim",
		"claims: workflow claim: state archived (final) removed",
	} {
		if !seen[want] {
			t.Errorf("missing change: %s", want)
		}
	}
	// Every change is about something that differs: the reverse diff has as
	// many changes, and a version compared with itself has none.
	if back := Diff(new, old); len(back) != len(changes) {
		t.Errorf("reverse diff has %d changes, forward %d:\n%v", len(back), len(changes), back)
	}
	if same := Diff(new, new); len(same) != 0 {
		t.Errorf("a version differs from itself: %v", same)
	}
}

func TestNeverTrue(t *testing.T) {
	p := load(t, filepath.Join("testdata", "diff", "new"))
	e := p.App("claims").Entity("claim")
	scenarios := []struct {
		guard string
		never bool
		why   string
	}{
		{"false", true, "constant false"},
		{"amount > 5000 && amount < 1000", true, "cannot all hold"},
		{"amount <= 1000 && amount > 1000", true, ""},
		{"amount < 0", true, "field amount is at least 0"},
		{"amount == 5 && amount != 5", true, ""},
		{"state == 'paid'", true, "only evaluated in state submitted"},
		{"state in ['draft', 'paid']", true, ""},
		{"kind == 'wire'", true, "enum field kind takes only travel, meal, training"},
		{"'auditor' in actor.roles", true, "no app defines a role auditor"},
		{"amount > 10 && (false || amount < 5)", true, ""},
		{"amount > 5000 || amount < 1000", false, ""},
		{"amount >= 1000 && amount <= 1000", false, ""},
		{"state == 'submitted'", false, ""},
		{"'manager' in actor.roles", false, ""},
		{"not (kind in ['travel', 'meal', 'training'])", true, ""},
		{"kind != 'travel' && kind != 'meal'", false, ""},
		{"amount * 2 > 10 && amount < 1", false, ""}, // arithmetic is not analysed
		{"actor.name != created_by", false, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.guard, func(t *testing.T) {
			tr := &metamodel.Transition{Event: "approve", From: []string{"submitted"}, To: "approved", Guard: sc.guard}
			never, why := neverTrue(p, e, tr)
			if never != sc.never || !strings.Contains(why, sc.why) {
				t.Errorf("never = %v (%s), want %v (…%s…)", never, why, sc.never, sc.why)
			}
		})
	}
}

func TestMatrix(t *testing.T) {
	p := load(t, filepath.Join("testdata", "diff", "new"))
	m := Matrices(p, p.App("claims"))[0]
	cells := map[string]string{}
	for _, row := range m.Rows {
		var got []string
		for _, act := range m.Actions {
			switch {
			case row.Allowed[act]:
				got = append(got, act)
			case row.Blocked[act]:
				got = append(got, "!"+act)
			}
		}
		cells[row.Role.Name] = strings.Join(got, " ")
	}
	want := map[string]string{
		"clerk":    "create read update submit",
		"manager":  "read export approve reject",
		"director": "read approve",
		"cashier":  "read pay",
	}
	for role, w := range want {
		if cells[role] != w {
			t.Errorf("%s may %q, want %q", role, cells[role], w)
		}
	}
}

func TestIsApproval(t *testing.T) {
	w := &metamodel.Workflow{Initial: "draft"}
	scenarios := []struct {
		t    metamodel.Transition
		want bool
	}{
		{metamodel.Transition{Event: "approve", To: "approved"}, true},
		{metamodel.Transition{Event: "agency_review", Label: "单位审核通过", To: "reviewed"}, true},
		{metamodel.Transition{Event: "sign", Label: "签章", To: "signed"}, true},
		{metamodel.Transition{Event: "go", To: "next", NotBy: []string{"creator"}}, true},
		{metamodel.Transition{Event: "reject", Label: "退回", To: "rejected", Comment: "required"}, false},
		{metamodel.Transition{Event: "treasury_reject", To: "rejected", NotBy: []string{"creator"}}, false},
		{metamodel.Transition{Event: "submit", Label: "提交", To: "submitted"}, false},
		{metamodel.Transition{Event: "recall", Label: "审批撤回", To: "draft"}, false},
	}
	for _, sc := range scenarios {
		if got := isApproval(w, &sc.t); got != sc.want {
			t.Errorf("isApproval(%s %s) = %v, want %v", sc.t.Event, sc.t.Label, got, sc.want)
		}
	}
}

// TestSamePersonTwoSteps checks the finding for two approval steps in a row
// that one role may take, and that not_by: [previous_approver] clears it.
func TestSamePersonTwoSteps(t *testing.T) {
	const app = `app: flow
entities:
  doc:
    fields: {amount: {type: money, max: 1000}}
workflows:
  doc:
    entity: doc
    initial: draft
    states: [draft, checked, released]
    final: [released]
    transitions:
      - {event: check, from: draft, to: checked, roles: [office]}
      - {event: release, from: checked, to: released, roles: [office]NOTBY}
roles:
  office: {scope: all, can: {doc: [create, read, check, release]}}
`
	scenarios := []struct {
		name  string
		notBy string
		want  string
	}{
		{"one role takes both steps", "", "flow/app.yaml:13: medium [same_person_two_steps] workflow doc: role office may fire both check and then release"},
		{"previous approver excluded", ", not_by: [previous_approver, creator]", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "flow"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "flow", "app.yaml"), []byte(strings.Replace(app, "NOTBY", sc.notBy, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range Findings(load(t, dir), Options{}) {
				if f.Code == "same_person_two_steps" {
					got = append(got, f.String())
				}
			}
			switch {
			case sc.want == "" && len(got) > 0:
				t.Errorf("unexpected finding: %v", got)
			case sc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], sc.want)):
				t.Errorf("findings %v, want one starting %q", got, sc.want)
			}
		})
	}
}

// TestDiffShippedWorkflow changes one shipped workflow in memory the way a
// new version would, and expects each change listed exactly once.
func TestDiffShippedWorkflow(t *testing.T) {
	dir := filepath.Join("..", "..", "definitions")
	old, new := load(t, dir), load(t, dir)
	var app *metamodel.App
	var w *metamodel.Workflow
	for _, a := range new.Apps {
		if len(a.Workflows) > 0 && len(a.Roles) > 1 {
			app, w = a, a.Workflows[0]
			break
		}
	}
	if w == nil {
		t.Skip("no shipped workflow yet")
	}
	var tr *metamodel.Transition
	for _, x := range w.Transitions {
		if len(x.Roles) > 0 {
			tr = x
			break
		}
	}
	var extra string // a role of the app the transition does not list
	for _, r := range app.Roles {
		if !slices.Contains(tr.Roles, r.Name) {
			extra = r.Name
			break
		}
	}
	e := app.Entity(w.Entity)
	var optional *metamodel.Field
	for _, f := range e.Fields {
		if !f.Required && f.Type != "computed" {
			optional = f
			break
		}
	}
	oldGuard := tr.Guard
	tr.Roles = append(slices.Clone(tr.Roles), extra)
	tr.Guard = "amount <= 50000"
	tr.Quorum = &metamodel.Quorum{Approvals: 2}
	w.States = append(slices.Clone(w.States), "on_hold")
	optional.Required = true

	prefix := app.Name + ": workflow " + w.Name + ": "
	guardLine := prefix + "guard on " + tr.Event + " added: `amount <= 50000`"
	if oldGuard != "" {
		guardLine = prefix + "guard on " + tr.Event + " changed from `" + oldGuard + "` to `amount <= 50000`"
	}
	want := []string{
		app.Name + ": entity " + e.Name + ": field " + optional.Name + " now required",
		prefix + "state on_hold added",
		prefix + "transition " + tr.Event + " now allowed for role " + extra,
		guardLine,
		prefix + "transition " + tr.Event + " now needs 2 distinct approvals (was 1)",
	}
	var got []string
	for _, c := range Diff(old, new) {
		got = append(got, c.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestQuorumBypass finds the guard-overlap bypass of issue 13 and a side
// door round a tiered quorum, each path with file:line, and nothing in the
// shipped definitions.
func TestQuorumBypass(t *testing.T) {
	p := load(t, filepath.Join("testdata", "bypass"))
	var got []string
	for _, f := range Findings(p, Options{}) {
		if f.Code == "quorum_bypass" {
			got = append(got, f.String())
		}
	}
	want := []string{
		"grants/app.yaml:19: high [quorum_bypass] workflow grant: amount above 1000000.00 needs 2 approvals (approve_large at grants/app.yaml:20), but a record with amount from 1000000.01 to 5000000.00 reaches approved with at most 1 approval per step: submit (grants/app.yaml:18, 1 approval) → approve (grants/app.yaml:19, 1 approval); cap approve's guard at amount <= 1000000.00 or give it the same quorum",
		"grants/app.yaml:40: high [quorum_bypass] workflow subsidy: amount above 10000000.00 needs 3 approvals (approve at grants/app.yaml:39), but a record with amount from 10000000.01 to 20000000.00 reaches approved with at most 2 approvals per step: submit (grants/app.yaml:28, 1 approval) → fast_track (grants/app.yaml:40, 2 approvals); cap fast_track's guard at amount <= 10000000.00 or give it the same quorum",
	}
	if !slices.Equal(got, want) {
		t.Errorf("quorum_bypass findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	shipped := load(t, filepath.Join("..", "..", "definitions"))
	for _, f := range Findings(shipped, Options{}) {
		if f.Code == "quorum_bypass" {
			t.Errorf("shipped definitions: %s", f)
		}
	}
}

// TestFindingsInChinese: every finding of the seeded, bypass and shipped
// definitions has its Chinese text, with the labels of the definitions.
func TestFindingsInChinese(t *testing.T) {
	seeded, _ := loadSeeded(t)
	for _, p := range []*metamodel.Project{seeded, load(t, filepath.Join("testdata", "bypass")), load(t, filepath.Join("..", "..", "definitions"))} {
		for _, f := range Findings(p, Options{}) {
			if f.MessageZh == "" || !strings.ContainsFunc(f.MessageZh, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("%s has no Chinese text: %q", f, f.MessageZh)
			}
		}
	}
	for _, f := range Findings(load(t, filepath.Join("testdata", "bypass")), Options{}) {
		if f.Code == "quorum_bypass" && strings.Contains(f.Message, "workflow grant") {
			want := "流程“grant”：amount超过 1000000.00 须 2 人审批（“approve_large”，grants/app.yaml:20），但amount在 1000000.01 至 5000000.00 之间的记录经由 “submit”（grants/app.yaml:18，1 人） → “approve”（grants/app.yaml:19，1 人） 到达“approved”时每步至多 1 人审批；请把“approve”的条件限定为 amount <= 1000000.00，或给它同样的会签人数"
			if f.MessageZh != want {
				t.Errorf("quorum_bypass in Chinese:\n%s\nwant\n%s", f.MessageZh, want)
			}
		}
	}
}

package metamodel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ledgerDefs is a small valid project: an account entity with a balance, a
// spend that draws on it along a workflow, and an adjustment entity.
// Scenarios replace one marked line to break it.
const ledgerDefs = `app: fund
entities:
  account:
    fields:
      agency: {type: string}
      year: int
      amount: money
    balance: {amount: amount, open_on: [create]}   #BALANCE
  spend:
    fields:
      account: {type: ref, entity: account}
      agency: {type: string}
      year: int
      amount: money
      note: string
    draws:
      - {on: account, amount: amount, reserve_on: [submit], consume_on: [pay], release_on: [reject], refund_on: [refund], match: [agency], when: "amount > 0"}   #DRAW
  adjustment:
    fields:
      account: {type: ref, entity: account}
      target: {type: ref, entity: account}
      kind: {type: enum, values: [increase, decrease, transfer]}   #KIND
      amount: money
    adjusts: {account: account, kind: kind, amount: amount, to: target, apply_on: [create]}   #ADJUST
workflows:
  spend:
    entity: spend
    initial: draft
    states: [draft, submitted, paid, rejected, refunded]
    final: [refunded]
    transitions:
      - {event: submit, from: [draft, rejected], to: submitted}
      - {event: reject, from: [submitted], to: rejected}
      - {event: pay, from: [submitted], to: paid}
      - {event: refund, from: [paid], to: refunded}
`

func loadLedgerDefs(t *testing.T, replace map[string]string) error {
	t.Helper()
	text := ledgerDefs
	for marker, line := range replace {
		lines := strings.Split(text, "\n")
		found := false
		for i, l := range lines {
			if strings.HasSuffix(l, "#"+marker) {
				lines[i] = line
				found = true
			}
		}
		if !found {
			t.Fatalf("marker %s not in ledgerDefs", marker)
		}
		text = strings.Join(lines, "\n")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "fund"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fund", "app.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	return err
}

func TestLedgerChecks(t *testing.T) {
	scenarios := []struct {
		name    string
		replace map[string]string
		want    []string // substrings of the problems; none means it loads
	}{
		{name: "valid"},
		{name: "balance on a non-money field",
			replace: map[string]string{"BALANCE": "    balance: {amount: year}"},
			want:    []string{"fund/app.yaml:8:", "entity account: balance: amount field year must be a money field (it is int)"}},
		{name: "open_on an unknown event",
			replace: map[string]string{"BALANCE": "    balance: {amount: amount, open_on: [release]}"},
			want:    []string{`open_on: "release" is not an event of account (events: create); entity account has no workflow, so only create applies`}},
		{name: "draw on a field that is not a ref",
			replace: map[string]string{"DRAW": "      - {on: note, amount: amount, reserve_on: [submit]}"},
			want:    []string{"draws[0]: on field note must be a ref field (it is string)"}},
		{name: "draw on an entity without a balance",
			replace: map[string]string{"BALANCE": "", "ADJUST": ""},
			want:    []string{"draws[0]: on refers to entity account, which declares no balance"}},
		{name: "draw amount misspelt",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amout, reserve_on: [submit]}"},
			want:    []string{`draws[0]: amount names field "amout", which entity spend does not have (did you mean amount?)`}},
		{name: "draw event not in the workflow",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amount, reserve_on: [submitt]}"},
			want:    []string{`reserve_on: "submitt" is not an event of spend`, "did you mean submit?"}},
		{name: "draw with neither reserve nor consume",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amount, release_on: [reject]}"},
			want:    []string{"give reserve_on or consume_on"}},
		{name: "one event in two lists",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amount, reserve_on: [submit], consume_on: [submit]}"},
			want:    []string{"event submit is already listed under reserve_on"}},
		{name: "match field missing on the account",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amount, reserve_on: [submit], match: [note]}"},
			want:    []string{`match names field "note", which entity account (drawn on) does not have`}},
		{name: "match field of another type",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amount, reserve_on: [submit], match: [year, agency]}", "BALANCE": "    balance: amount"},
			want:    nil},
		{name: "when does not compile",
			replace: map[string]string{"DRAW": `      - {on: account, amount: amount, reserve_on: [submit], when: "amount > "}`},
			want:    []string{"draws[0]: when does not compile"}},
		{name: "unknown control",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amount, reserve_on: [submit], control: strong}"},
			want:    []string{`control must be one of strict, warn, none, got "strong"`}},
		{name: "adjust kind enum with a value that is no kind",
			replace: map[string]string{"KIND": "      kind: {type: enum, values: [increase, move]}"},
			want:    []string{`kind field kind has value "move", which is not an adjustment kind`}},
		{name: "transfer without to",
			replace: map[string]string{"ADJUST": "    adjusts: {account: account, kind: kind, amount: amount, apply_on: [create]}"},
			want:    []string{"kinds transfer and change need to"}},
		{name: "fixed kind, no apply_on",
			replace: map[string]string{"ADJUST": "    adjusts: {account: account, kind: increase, amount: amount}"},
			want:    []string{"adjusts: apply_on is missing"}},
		{name: "unknown fixed kind",
			replace: map[string]string{"ADJUST": "    adjusts: {account: account, kind: increse, amount: amount, apply_on: [create]}"},
			want:    []string{`kind "increse" is neither a field of adjustment nor an adjustment kind`, "did you mean increase?"}},
		{name: "unknown key under a draw",
			replace: map[string]string{"DRAW": "      - {on: account, amount: amount, reserve_on: [submit], relase_on: [reject]}"},
			want:    []string{`unknown key "relase_on" (did you mean "release_on"?)`}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := loadLedgerDefs(t, sc.replace)
			if len(sc.want) == 0 {
				if err != nil {
					t.Fatalf("want no problems, got:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want problems %q, got none", sc.want)
			}
			for _, w := range sc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems do not say %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLedgerResolved(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "fund"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fund", "app.yaml"), []byte(ledgerDefs), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := p.App("fund")
	d := a.Entity("spend").Draws[0]
	if d.Target != a.Entity("account") || d.OnField.Name != "account" || d.AmountField.Name != "amount" || d.WhenProgram == nil || !d.Strict() {
		t.Errorf("draw not resolved: %+v", d)
	}
	adj := a.Entity("adjustment").Adjusts
	if adj.KindField == nil || adj.ToField == nil || adj.Target != a.Entity("account") || !adj.Applies("create") {
		t.Errorf("adjustment not resolved: %+v", adj)
	}
	if b := a.Entity("account").Balance; b.AmountField == nil || !b.Opens("create") || b.Opens("submit") {
		t.Errorf("balance not resolved: %+v", b)
	}
}

package metamodel

import (
	"slices"
	"strings"
	"testing"
)

// TestLedgerKindTables checks the tables against themselves: kinds are
// unique, every adjustment kind writes movements the movement table has,
// every row is named in both languages, and what one unit of a movement does
// is a single step of one or two amounts.
func TestLedgerKindTables(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range LedgerMovements {
		if seen[m.Kind] || m.Kind == "" {
			t.Errorf("movement kind %q is empty or repeated", m.Kind)
		}
		seen[m.Kind] = true
		if m.Label == "" || m.LabelEn == "" {
			t.Errorf("movement %s is not named in both languages", m.Kind)
		}
		steps := 0
		for _, d := range []int64{m.Approved, m.Reserved, m.Consumed, m.Frozen} {
			if d < -1 || d > 1 {
				t.Errorf("movement %s moves an amount by %d units per unit", m.Kind, d)
			}
			if d != 0 {
				steps++
			}
		}
		if steps == 0 || steps > 2 {
			t.Errorf("movement %s changes %d amounts", m.Kind, steps)
		}
	}
	names := map[string]bool{}
	for _, k := range AdjustKinds {
		if names[k.Kind] || k.Kind == "" {
			t.Errorf("adjustment kind %q is empty or repeated", k.Kind)
		}
		names[k.Kind] = true
		if _, ok := LedgerMovementOf(k.Movement); !ok {
			t.Errorf("adjustment kind %s writes movement %q, which is not in LedgerMovements", k.Kind, k.Movement)
		}
		if _, ok := LedgerMovementOf(k.In); k.In != "" && !ok {
			t.Errorf("adjustment kind %s writes movement %q on the receiving account, which is not in LedgerMovements", k.Kind, k.In)
		}
		if k.OpensTo && k.In == "" {
			t.Errorf("adjustment kind %s opens a receiving account it does not move money to", k.Kind)
		}
		if k.Label == "" || k.LabelEn == "" {
			t.Errorf("adjustment kind %s is not named in both languages", k.Kind)
		}
	}
}

// TestLedgerKindAddedInOnePlace: a movement and an adjustment kind added to
// the tables are known to the checker, as an enum value of an adjustment's
// kind field and as a fixed kind that needs a to field.
func TestLedgerKindAddedInOnePlace(t *testing.T) {
	movements, kinds := LedgerMovements, AdjustKinds
	defer func() { LedgerMovements, AdjustKinds = movements, kinds }()
	LedgerMovements = append(slices.Clone(movements), LedgerMovement{Kind: "lend-out", Approved: -1, Label: "借出", LabelEn: "lend out"}, LedgerMovement{Kind: "lend-in", Approved: 1, Label: "借入", LabelEn: "lend in"})
	AdjustKinds = append(slices.Clone(kinds), AdjustKind{Kind: "lend", Movement: "lend-out", In: "lend-in", Strict: true, Label: "借调", LabelEn: "lend"})

	scenarios := []struct {
		name    string
		replace map[string]string
		want    []string
	}{
		{name: "the new kind as an enum value",
			replace: map[string]string{"KIND": "      kind: {type: enum, values: [increase, lend]}"}},
		{name: "the new kind fixed, without to",
			replace: map[string]string{"ADJUST": "    adjusts: {account: account, kind: lend, amount: amount, apply_on: [create]}"},
			want:    []string{"kinds transfer and change and lend need to"}},
		{name: "a kind that is still unknown",
			replace: map[string]string{"KIND": "      kind: {type: enum, values: [increase, borrow]}"},
			want:    []string{`has value "borrow", which is not an adjustment kind (increase, decrease, transfer, change, freeze, unfreeze, lend)`}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := loadLedgerDefs(t, sc.replace)
			switch {
			case len(sc.want) == 0 && err != nil:
				t.Fatalf("want no problems, got:\n%v", err)
			case len(sc.want) > 0 && err == nil:
				t.Fatalf("want problems %q, got none", sc.want)
			}
			for _, w := range sc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems do not say %q:\n%v", w, err)
				}
			}
		})
	}
	if !slices.Contains(LedgerMovementKinds(), "lend-in") {
		t.Errorf("LedgerMovementKinds() = %v", LedgerMovementKinds())
	}
}

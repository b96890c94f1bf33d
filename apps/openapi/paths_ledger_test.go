package openapi

import (
	"fmt"
	"slices"
	"testing"

	"github.com/growth-gov/growth/metamodel"
)

// fundApp has an account (balance), a record that draws on it, one that
// adjusts it, one that does neither, and reports of every kind of measure.
var fundApp = map[string]string{"fund/app.yaml": `
app: fund
entities:
  grant:
    fields:
      agency: {type: string, required: true}
      amount: {type: money, required: true}
      rate:   {type: decimal, scale: 4}
      opened: date
    balance: {amount: amount}
  spend:
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
      pieces: int
    draws:
      - {on: grant, amount: amount, reserve_on: [create]}
  topup:
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
    adjusts: {account: grant, kind: increase, amount: amount, apply_on: [create]}
  note:
    fields:
      text: string
reports:
  grants:
    title: 额度
    public: true
    entity: grant
    group_by: [agency, opened]
    filters: [agency, amount]
    measures:
      - {name: n, label: 笔数, agg: count}
      - {name: total, agg: sum, field: amount}
      - {name: top_rate, agg: max, field: rate}
      - {name: first, agg: min, field: opened}
      - {name: free, balance: available}
      - {name: share, expr: "free / total * 100", scale: 1}
  spends:
    entity: spend
    measures:
      - {name: pieces, agg: sum, field: pieces}
      - {name: average, expr: "pieces / 2"}
`}

func TestLedgerPaths(t *testing.T) {
	data, doc := generate(t, loadProject(t, fundApp))
	validate(t, data)
	paths := at(t, doc, "paths")
	scenarios := []struct {
		entity          string
		balance, ledger bool
		defaultSide     string
	}{
		{"grant", true, true, "account"},
		{"spend", false, true, "source"},
		{"topup", false, true, "source"},
		{"note", false, false, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.entity, func(t *testing.T) {
			base := "/api/fund/" + sc.entity + "/{id}"
			if _, has := paths[base+"/balance"]; has != sc.balance {
				t.Errorf("balance path present = %v, want %v", has, sc.balance)
			}
			if _, has := paths[base+"/ledger"]; has != sc.ledger {
				t.Fatalf("ledger path present = %v, want %v", has, sc.ledger)
			}
			if !sc.ledger {
				return
			}
			for _, p := range at(t, paths, base+"/ledger", "get")["parameters"].([]any) {
				param := p.(map[string]any)
				if param["name"] == "side" {
					if got := param["schema"].(map[string]any)["default"]; got != sc.defaultSide {
						t.Errorf("side defaults to %v, want %s", got, sc.defaultSide)
					}
				}
			}
		})
	}
	entry := at(t, doc, "components", "schemas", "LedgerEntry", "properties")
	if at(t, entry, "amount")["pattern"] != `^-?[0-9]+\.[0-9]{2}$` {
		t.Errorf("ledger amounts are not two-decimal strings: %v", entry["amount"])
	}
}

// TestLedgerEntryKindsFollowTheTable: the kinds a ledger entry may have are
// the movement table's, sorted; a movement added to the table is in the
// document with nothing else changed.
func TestLedgerEntryKindsFollowTheTable(t *testing.T) {
	kinds := func() []string {
		_, doc := generate(t, loadProject(t, fundApp))
		var out []string
		for _, k := range at(t, doc, "components", "schemas", "LedgerEntry", "properties", "kind")["enum"].([]any) {
			out = append(out, fmt.Sprint(k))
		}
		return out
	}
	if got, want := kinds(), slices.Sorted(slices.Values(metamodel.LedgerMovementKinds())); !slices.Equal(got, want) {
		t.Errorf("kinds %v, want the table's %v", got, want)
	}
	movements := metamodel.LedgerMovements
	defer func() { metamodel.LedgerMovements = movements }()
	metamodel.LedgerMovements = append(slices.Clone(movements), metamodel.LedgerMovement{Kind: "bonus", Approved: 1, Label: "奖励", LabelEn: "bonus"})
	if got := kinds(); !slices.Contains(got, "bonus") || len(got) != len(movements)+1 {
		t.Errorf("kinds with a movement added: %v", got)
	}
}

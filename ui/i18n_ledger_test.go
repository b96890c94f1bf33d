package ui_test

import (
	"slices"
	"testing"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/ui"
)

// TestMovementLabelsFromTheTable: a ledger row's kind is named from the
// movement table in the page's language, a movement added to the table
// included; a kind the table lacks shows as a missing message.
func TestMovementLabelsFromTheTable(t *testing.T) {
	movements := metamodel.LedgerMovements
	defer func() { metamodel.LedgerMovements = movements }()
	metamodel.LedgerMovements = append(slices.Clone(movements), metamodel.LedgerMovement{Kind: "bonus", Approved: 1, Label: "奖励", LabelEn: "bonus award"})
	scenarios := []struct {
		lang       ui.Lang
		kind, want string
	}{
		{ui.Chinese, "open", "开立"},
		{ui.English, "open", "open"},
		{ui.Chinese, "transfer-in", "调入"},
		{ui.English, "transfer-in", "transfer in"},
		{ui.Chinese, "bonus", "奖励"},
		{ui.English, "bonus", "bonus award"},
		{ui.English, "nothing", "⟦ledger.nothing⟧"},
	}
	for _, sc := range scenarios {
		if got := sc.lang.MovementLabel(sc.kind); got != sc.want {
			t.Errorf("%s %s: %q, want %q", sc.lang, sc.kind, got, sc.want)
		}
	}
}

package metamodel

// The ledger's two tables of kinds, read by the checker, the engine (balance
// updates, adjustments, ledger verify), the OpenAPI document and the web UI:
// adding a movement or an adjustment kind is adding one row here.

// LedgerMovement is a kind of ledger row: what one unit of its amount does to
// an account's four amounts (approved, reserved, consumed, frozen; available
// is approved − reserved − consumed − frozen), and its name for people.
type LedgerMovement struct {
	Kind                                 string
	Approved, Reserved, Consumed, Frozen int64
	// Label and LabelEn name the movement in the UI's two languages; the
	// engine's messages use Label too ("可用余额不足：可用 …，追减 …").
	Label, LabelEn string
}

// LedgerMovements are the kinds of ledger rows, in the order people read
// them (docs/ledger.md).
var LedgerMovements = []LedgerMovement{
	{Kind: "open", Approved: 1, Label: "开立", LabelEn: "open"},
	{Kind: "increase", Approved: 1, Label: "追加", LabelEn: "increase"},
	{Kind: "decrease", Approved: -1, Label: "追减", LabelEn: "decrease"},
	{Kind: "transfer-in", Approved: 1, Label: "调入", LabelEn: "transfer in"},
	{Kind: "transfer-out", Approved: -1, Label: "调出", LabelEn: "transfer out"},
	{Kind: "reserve", Reserved: 1, Label: "预占", LabelEn: "reserve"},
	{Kind: "consume", Reserved: -1, Consumed: 1, Label: "使用", LabelEn: "consume"},
	{Kind: "release", Reserved: -1, Label: "释放", LabelEn: "release"},
	{Kind: "refund", Consumed: -1, Label: "退回", LabelEn: "refund"},
	{Kind: "freeze", Frozen: 1, Label: "冻结", LabelEn: "freeze"},
	{Kind: "unfreeze", Frozen: -1, Label: "解冻", LabelEn: "unfreeze"},
}

// LedgerMovementOf returns the movement of kind, if there is one.
func LedgerMovementOf(kind string) (LedgerMovement, bool) {
	for _, m := range LedgerMovements {
		if m.Kind == kind {
			return m, true
		}
	}
	return LedgerMovement{}, false
}

// LedgerMovementKinds lists the movement kinds in table order.
func LedgerMovementKinds() []string {
	out := make([]string, len(LedgerMovements))
	for i, m := range LedgerMovements {
		out[i] = m.Kind
	}
	return out
}

// AdjustKind is what an adjustment of one kind does: the movement it writes on
// the account it adjusts and, for a transfer, the one it writes on the
// receiving account (the adjustment's to field).
type AdjustKind struct {
	Kind string
	// Movement is written on the adjusted account.
	Movement string
	// In, when set, is written on the receiving account: the kind needs a
	// to field.
	In string
	// OpensTo opens the receiving account at zero first when it is not open
	// yet (变更: money moved to an account of another element combination).
	OpensTo bool
	// Strict refuses an adjustment that would leave available below zero;
	// otherwise it goes through with a note on its ledger row.
	Strict bool
	// Label and LabelEn name the kind in the UI's two languages.
	Label, LabelEn string
}

// AdjustKinds are the kinds of adjustment (metamodel.Adjust), in the order
// docs/ledger.md gives them.
var AdjustKinds = []AdjustKind{
	{Kind: "increase", Movement: "increase", Strict: true, Label: "追加", LabelEn: "increase"},
	{Kind: "decrease", Movement: "decrease", Strict: true, Label: "追减", LabelEn: "decrease"},
	{Kind: "transfer", Movement: "transfer-out", In: "transfer-in", Strict: true, Label: "调剂", LabelEn: "transfer"},
	{Kind: "change", Movement: "transfer-out", In: "transfer-in", OpensTo: true, Strict: true, Label: "变更", LabelEn: "change"},
	{Kind: "freeze", Movement: "freeze", Strict: true, Label: "冻结", LabelEn: "freeze"},
	{Kind: "unfreeze", Movement: "unfreeze", Strict: true, Label: "解冻", LabelEn: "unfreeze"},
}

// AdjustKindOf returns the adjustment kind named kind, if there is one.
func AdjustKindOf(kind string) (AdjustKind, bool) {
	for _, k := range AdjustKinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return AdjustKind{}, false
}

// AdjustKindNames lists the adjustment kinds in table order.
func AdjustKindNames() []string {
	out := make([]string, len(AdjustKinds))
	for i, k := range AdjustKinds {
		out[i] = k.Kind
	}
	return out
}

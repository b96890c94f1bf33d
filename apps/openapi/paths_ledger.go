package openapi

import (
	"slices"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// The ledger of a record (docs/ledger.md): the balance of an entity that
// declares one, and the ledger rows of any record that moves money, on its
// own account (side account) or caused by it (side source).

// ledgerKinds are the kinds of ledger rows (metamodel.LedgerMovements),
// sorted.
func ledgerKinds() []string {
	return slices.Sorted(slices.Values(metamodel.LedgerMovementKinds()))
}

// Ledger paging: rows per page when page_size is not given; larger sizes
// than maxPageSize are cut to it.
const defaultLedgerPageSize = 50

// amountSchema is an amount of money as the ledger sends it: always two
// decimals, "1000.00".
func amountSchema(description string) *schema {
	return &schema{Type: "string", Pattern: `^-?[0-9]+\.[0-9]{2}$`, Example: "1000.00", Description: description}
}

// keepsLedger reports whether records of e have ledger rows: it is an account,
// draws on one, or adjusts one.
func keepsLedger(e *metamodel.Entity) bool {
	return e.Balance != nil || len(e.Draws) > 0 || e.Adjusts != nil
}

// addLedgerPaths adds the balance of an entity with a balance, and the
// ledger rows of one that keeps a ledger.
func (b *builder) addLedgerPaths(e *metamodel.Entity) error {
	if !keepsLedger(e) {
		return nil
	}
	tags := []string{e.App.Name}
	label := e.Label()
	if e.Balance != nil {
		balance := &operation{
			Tags:        tags,
			Summary:     "Balance of " + label,
			Description: "The amounts of the record's account: approved, reserved, consumed, frozen and what is available (approved − reserved − consumed − frozen). Read with the same checks as getting the record.",
			OperationID: operationID("balance", e),
			Responses:   responses("200", "The balance.", ref("Balance"), "401", "403", "404", "500"),
		}
		if err := b.add(recordPath(e)+"/balance", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: balance}); err != nil {
			return err
		}
	}
	side := "account"
	if e.Balance == nil {
		side = "source"
	}
	var what []string
	if e.Balance != nil {
		what = append(what, "`account`: the movements of the record's own account")
	}
	what = append(what, "`source`: the movements the record caused (its draws and adjustments)")
	ledger := &operation{
		Tags:        tags,
		Summary:     "Ledger of " + label,
		Description: "The ledger rows of the record, oldest first. Read with the same checks as getting the record.",
		OperationID: operationID("ledger", e),
		Parameters: []*parameter{
			paramRef(paramPage),
			{Name: "page_size", In: "query", Description: "Rows per page; more than 200 is taken as 200.",
				Schema: &schema{Type: "integer", Format: "int32", Minimum: ptr(int64(1)), Default: defaultLedgerPageSize}},
			{Name: "side", In: "query", Description: "Which rows: " + strings.Join(what, "; ") + ".",
				Schema: &schema{Type: "string", Enum: []string{"account", "source"}, Default: side}},
		},
		Responses: responses("200", "One page of ledger rows.", ref("LedgerPage"), "400", "401", "403", "404", "500"),
	}
	return b.add(recordPath(e)+"/ledger", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: ledger})
}

// addLedgerSchemas adds the shared schemas of balances and ledger rows.
func addLedgerSchemas(schemas *ordered[*schema]) {
	schemas.Set("Account", &schema{
		Type:        "object",
		Description: "A record whose entity declares a balance: the account money is drawn from.",
		Required:    []string{"app", "entity", "id"},
		Properties: orderedOf(
			"app", &schema{Type: "string"},
			"entity", &schema{Type: "string"},
			"id", &schema{Type: "integer", Format: "int64"},
		),
	})
	schemas.Set("Balance", &schema{
		Type:     "object",
		Required: []string{"account", "open", "approved", "reserved", "consumed", "frozen", "available"},
		Properties: orderedOf(
			"account", ref("Account"),
			"open", &schema{Type: "boolean", Description: "false until the account's open event has fired; its amounts are then 0.00."},
			"approved", amountSchema("What the account is funded with."),
			"reserved", amountSchema("Set aside by draws not yet consumed."),
			"consumed", amountSchema("Spent."),
			"frozen", amountSchema("Held by freezes."),
			"available", amountSchema("approved − reserved − consumed − frozen; negative only after an overdraft a draw's control let through."),
		),
	})
	schemas.Set("LedgerEntry", &schema{
		Type:     "object",
		Required: []string{"id", "account", "kind", "amount", "source", "event", "actor", "at", "idempotency_key", "note"},
		Properties: orderedOf(
			"id", &schema{Type: "integer", Format: "int64"},
			"account", ref("Account"),
			"kind", &schema{Type: "string", Enum: ledgerKinds(), Description: "What the movement does to the account (docs/ledger.md)."},
			"amount", amountSchema(""),
			"source", &schema{
				Type:        "object",
				Description: "The record whose event made the movement, at the version it had.",
				Required:    []string{"app", "entity", "id", "version"},
				Properties: orderedOf(
					"app", &schema{Type: "string"},
					"entity", &schema{Type: "string"},
					"id", &schema{Type: "integer", Format: "int64"},
					"version", &schema{Type: "integer", Format: "int64"},
				),
			},
			"event", &schema{Type: "string", Description: "The workflow event (or create) that made the movement."},
			"actor", &schema{Type: "string"},
			"at", &schema{Type: "string", Format: "date-time"},
			"idempotency_key", &schema{Type: "string", Description: "The Idempotency-Key of the request that made it; empty when none was sent."},
			"note", &schema{Type: "string"},
		),
	})
	schemas.Set("LedgerPage", &schema{
		Type:     "object",
		Required: []string{"items", "page", "page_size", "has_more", "side"},
		Properties: orderedOf(
			"items", &schema{Type: "array", Items: ref("LedgerEntry")},
			"page", &schema{Type: "integer", Format: "int32", Minimum: ptr(int64(1))},
			"page_size", &schema{Type: "integer", Format: "int32", Minimum: ptr(int64(1)), Maximum: ptr(int64(maxPageSize))},
			"has_more", &schema{Type: "boolean"},
			"side", &schema{Type: "string", Enum: []string{"account", "source"}},
		),
	})
}

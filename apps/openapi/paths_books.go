package openapi

import "github.com/growth-gov/growth/metamodel"

// The accounting books (apps/books.go, docs/books.md): vouchers, periods,
// reversing vouchers, trial balance, general and detail ledger. The server
// mounts them when the definitions declare postings.

// booksTag groups the operations of the books.
const booksTag = "books"

// HasBooks reports whether the project posts vouchers, so that the server
// mounts the books routes and the document describes them.
func HasBooks(p *metamodel.Project) bool { return len(p.Postings()) > 0 }

// addBooksPaths adds the books' routes.
func (b *builder) addBooksPaths() error {
	tags := []string{booksTag}
	admin := " Needs the " + adminRole + " role (403 otherwise)."
	period := &parameter{Name: "period", In: "query", Description: "An accounting period, YYYY-MM (default: this month).", Schema: &schema{Type: "string", Pattern: `^[0-9]{4}-(0[1-9]|1[0-2])$`}}
	chart := &parameter{Name: "chart", In: "query", Description: "The chart of accounts (a code set); default: the one the postings use.", Schema: &schema{Type: "string"}}
	account := &parameter{Name: "account", In: "query", Required: true, Description: "An account code of the chart; its sub-accounts are included.", Schema: &schema{Type: "string"}}
	number := &parameter{Name: "number", In: "path", Required: true, Description: "The voucher's number, 2026-01-0001 (the # written -), or its id.", Schema: &schema{Type: "string"}}
	ops := []struct {
		path string
		item *pathItem
	}{
		{"/api/books/periods", &pathItem{Get: &operation{Tags: tags, Summary: "Accounting periods", OperationID: "books_periods",
			Description: "The periods that have vouchers or are closed, with their voucher counts." + admin,
			Responses:   responses("200", "The periods.", ref("BookPeriods"), "401", "403", "500")}}},
		{"/api/books/periods/{period}/close", &pathItem{
			Parameters: []*parameter{{Name: "period", In: "path", Required: true, Description: "The period, YYYY-MM.", Schema: &schema{Type: "string"}}},
			Post: &operation{Tags: tags, Summary: "Close a period", OperationID: "books_close",
				Description: "Nothing posts into a closed period afterwards: an event whose voucher would be dated in it fails (409 period_closed). Closing twice is refused (409)." + admin,
				Responses:   responses("200", "The period is closed.", &schema{Type: "object"}, "401", "403", "409", "422", "500")}}},
		{"/api/books/vouchers", &pathItem{Get: &operation{Tags: tags, Summary: "Vouchers", OperationID: "books_vouchers",
			Description: "Vouchers with their lines, in number order." + admin,
			Parameters: []*parameter{period,
				{Name: "app", In: "query", Description: "The app of the record that posted them.", Schema: &schema{Type: "string"}},
				{Name: "entity", In: "query", Description: "The entity of the record that posted them.", Schema: &schema{Type: "string"}},
				{Name: "record", In: "query", Description: "The id of the record that posted them.", Schema: &schema{Type: "integer", Format: "int64"}}},
			Responses: responses("200", "The vouchers.", &schema{Type: "object", Properties: orderedOf("vouchers", &schema{Type: "array", Items: ref("Voucher")})}, "401", "403", "422", "500")}}},
		{"/api/books/vouchers/{number}", &pathItem{Parameters: []*parameter{number}, Get: &operation{Tags: tags, Summary: "A voucher", OperationID: "books_voucher",
			Description: "One voucher with its lines." + admin,
			Responses:   responses("200", "The voucher.", ref("Voucher"), "401", "403", "404", "422", "500")}}},
		{"/api/books/vouchers/{number}/reverse", &pathItem{Parameters: []*parameter{number}, Post: &operation{Tags: tags, Summary: "Reverse a voucher", OperationID: "books_reverse",
			Description: "Posts a reversing voucher: the same accounts, amounts and dimensions on the opposite sides, dated date (default today) in an open period. A voucher is reversed once (409 voucher_reversed); a reversing voucher is not reversed (409 voucher_reversal)." + admin,
			RequestBody: &requestBody{Content: jsonBody(&schema{Type: "object", Properties: orderedOf("date", &schema{Type: "string", Format: "date"})})},
			Responses:   responses("201", "The reversing voucher.", ref("Voucher"), "400", "401", "403", "404", "409", "422", "500")}}},
		{"/api/books/trial-balance", &pathItem{Get: &operation{Tags: tags, Summary: "Trial balance (试算平衡表)", OperationID: "books_trial_balance",
			Description: "Every account with a balance or movement up to the period: opening balance, the period's debits and credits, closing balance; the totals of the top-level accounts and whether they balance." + admin,
			Parameters:  []*parameter{period, chart},
			Responses:   responses("200", "The trial balance.", ref("TrialBalance"), "401", "403", "422", "500")}}},
		{"/api/books/ledger", &pathItem{Get: &operation{Tags: tags, Summary: "General ledger (总账)", OperationID: "books_ledger",
			Description: "An account's opening balance for the year, each month's debits and credits with the year-to-date sums and the balance, and the closing balance." + admin,
			Parameters:  []*parameter{account, {Name: "year", In: "query", Description: "The year, YYYY (default: this year).", Schema: &schema{Type: "string"}}, chart},
			Responses:   responses("200", "The general ledger.", &schema{Type: "object"}, "401", "403", "422", "500")}}},
		{"/api/books/detail", &pathItem{Get: &operation{Tags: tags, Summary: "Detail ledger (明细账)", OperationID: "books_detail",
			Description: "An account's lines over periods from … to, with the opening balance, the running balance and the closing balance; dim.NAME=VALUE keeps the lines of one dimension value (dim.agency=104001)." + admin,
			Parameters: []*parameter{account,
				{Name: "from", In: "query", Description: "The first period, YYYY-MM (default: January of to's year).", Schema: &schema{Type: "string"}},
				{Name: "to", In: "query", Description: "The last period, YYYY-MM (default: this month).", Schema: &schema{Type: "string"}}, chart},
			Responses: responses("200", "The detail ledger.", &schema{Type: "object"}, "401", "403", "422", "500")}}},
	}
	for _, op := range ops {
		if err := b.add(op.path, op.item); err != nil {
			return err
		}
	}
	return nil
}

// addBooksSchemas adds the voucher and trial balance bodies.
func addBooksSchemas(schemas *ordered[*schema]) {
	schemas.Set("BookPeriods", &schema{Type: "object", Required: []string{"periods"}, Properties: orderedOf("periods", &schema{Type: "array", Items: &schema{
		Type: "object", Required: []string{"period", "vouchers", "closed"},
		Properties: orderedOf("period", &schema{Type: "string"}, "vouchers", &schema{Type: "integer", Format: "int64"}, "closed", &schema{Type: "boolean"},
			"closed_at", &schema{Type: "string"}, "closed_by", &schema{Type: "string"})}})})
	schemas.Set("Voucher", &schema{
		Type: "object", Title: "Voucher",
		Required: []string{"id", "number", "chart", "period", "date", "summary", "source", "actor", "lines"},
		Properties: orderedOf(
			"id", &schema{Type: "integer", Format: "int64"},
			"number", &schema{Type: "string", Example: "2026-01#0001", Description: "The period and the voucher's number in it."},
			"chart", &schema{Type: "string"},
			"period", &schema{Type: "string"},
			"date", &schema{Type: "string", Format: "date"},
			"summary", &schema{Type: "string"},
			"source", &schema{Type: "object", Description: "The record and event that posted it.", Properties: orderedOf(
				"app", &schema{Type: "string"}, "entity", &schema{Type: "string"}, "id", &schema{Type: "integer", Format: "int64"},
				"version", &schema{Type: "integer", Format: "int64"}, "event", &schema{Type: "string"}, "posting", &schema{Type: "string"})},
			"actor", &schema{Type: "string"},
			"reverses", &schema{Type: "integer", Format: "int64", Description: "The id of the voucher this one reverses."},
			"lines", &schema{Type: "array", Items: &schema{Type: "object", Required: []string{"no", "account", "debit", "credit"}, Properties: orderedOf(
				"no", &schema{Type: "integer"}, "account", &schema{Type: "string"},
				"debit", amountSchema("Debit amount."), "credit", amountSchema("Credit amount."),
				"dims", &schema{Type: "object", Nullable: true, AdditionalProperties: &schema{Type: "string"}, Description: "Auxiliary dimensions: name → value."},
				"summary", &schema{Type: "string"})}},
		),
	})
	row := func() *schema {
		return &schema{Type: "object", Properties: orderedOf(
			"account", &schema{Type: "string"}, "name", &schema{Type: "string"}, "direction", &schema{Type: "string", Description: "借 or 贷."}, "level", &schema{Type: "integer"},
			"opening_debit", amountSchema(""), "opening_credit", amountSchema(""), "debit", amountSchema(""), "credit", amountSchema(""),
			"closing_debit", amountSchema(""), "closing_credit", amountSchema(""))}
	}
	schemas.Set("TrialBalance", &schema{Type: "object", Required: []string{"chart", "period", "rows", "total", "balanced"}, Properties: orderedOf(
		"chart", &schema{Type: "string"}, "period", &schema{Type: "string"}, "rows", &schema{Type: "array", Items: row()}, "total", row(),
		"balanced", &schema{Type: "boolean", Description: "Whether the totals' debits equal their credits."})})
}

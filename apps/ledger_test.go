package apps_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var ledgerApp = map[string]string{"fund/app.yaml": `
app: fund
entities:
  grant:
    title: 额度
    fields:
      agency: {type: string, label: 单位, required: true}
      amount: {type: money, label: 金额, required: true}
    balance: {amount: amount}
  spend:
    title: 支出
    fields:
      grant:  {type: ref, entity: grant, required: true}
      agency: {type: string, label: 单位, required: true}
      amount: {type: money, label: 金额, required: true}
    draws:
      - {on: grant, amount: amount, reserve_on: [create], match: [agency]}
`}

// multipartFile builds a multipart body with one file field.
func multipartFile(t *testing.T, name, content string) (string, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write([]byte(content))
	w.Close()
	return buf.String(), map[string]string{"Content-Type": w.FormDataContentType()}
}

func TestLedgerAPI(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, ledgerApp))
		rt.Access = engine.OpenAccess{}
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		apitest.Run(t, app, apitest.Scenario{Name: "grant", Method: "POST", Path: "/api/fund/grant", Body: map[string]any{"agency": "101001", "amount": "10000.00"}, Status: 201})
		good, goodHeaders := multipartFile(t, "spends.csv", "grant,单位,金额\n1,101001,100.00\n1,101001,\"2,000.00\"\n")
		bad, badHeaders := multipartFile(t, "spends.csv", "grant,单位,金额\n1,101001,100.00\n1,101002,1.00\n1,101001,99999.00\n")
		key := map[string]string{"Idempotency-Key": "retry-1"}
		scenarios := []apitest.Scenario{
			{Name: "draw", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101001", "amount": "1000.00"}, Headers: key, Status: 201, Want: map[string]any{"id": 1}},
			{Name: "retry with the same key", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101001", "amount": "1000.00"}, Headers: key, Status: 201, Want: map[string]any{"id": 1}},
			{Name: "balance", Method: "GET", Path: "/api/fund/grant/1/balance", Status: 200,
				Want: map[string]any{"open": true, "approved": "10000.00", "reserved": "1000.00", "consumed": "0.00", "frozen": "0.00", "available": "9000.00"}},
			{Name: "overdraft", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101001", "amount": "9000.01"}, Status: 409,
				Want: map[string]any{"error.code": "insufficient_balance", "error.message": "额度 #1 可用余额不足：可用 9,000.00，申请 9,000.01", "error.field_codes.amount.0": "insufficient_balance"}},
			{Name: "elements differ", Method: "POST", Path: "/api/fund/spend", Body: map[string]any{"grant": 1, "agency": "101002", "amount": "1.00"}, Status: 422,
				Want: map[string]any{"error.field_codes.agency.0": "mismatch"}},
			{Name: "ledger of the account", Method: "GET", Path: "/api/fund/grant/1/ledger", Status: 200,
				Want: map[string]any{"items.#": 2, "items.0.kind": "open", "items.0.amount": "10000.00", "items.1.kind": "reserve", "items.1.source.entity": "spend", "items.1.source.id": 1, "items.1.idempotency_key": "retry-1", "side": "account"}},
			{Name: "ledger paged", Method: "GET", Path: "/api/fund/grant/1/ledger?page=2&page_size=1", Status: 200, Want: map[string]any{"items.#": 1, "items.0.kind": "reserve", "has_more": false}},
			{Name: "ledger of a drawing record", Method: "GET", Path: "/api/fund/spend/1/ledger", Status: 200, Want: map[string]any{"items.#": 1, "items.0.account.id": 1, "side": "source"}},
			{Name: "no balance on a spend", Method: "GET", Path: "/api/fund/spend/1/balance", Status: 404},
			{Name: "no such grant", Method: "GET", Path: "/api/fund/grant/99/balance", Status: 404},
			{Name: "bad page", Method: "GET", Path: "/api/fund/grant/1/ledger?page=0", Status: 400},
			{Name: "half-valid import", Method: "POST", Path: "/api/fund/spend/import", Body: bad, Headers: badHeaders, Status: 422,
				Want: map[string]any{"error.code": "import_rejected", "error.rows.#": 2, "error.rows.0.line": 3, "error.rows.0.fields.agency.0.code": "mismatch", "error.rows.1.line": 4, "error.rows.1.fields.amount.0.code": "insufficient_balance"}},
			{Name: "good import", Method: "POST", Path: "/api/fund/spend/import", Body: good, Headers: goodHeaders, Status: 200, Want: map[string]any{"imported": 2, "total": 2, "columns.1": "agency"}},
			{Name: "balance after import", Method: "GET", Path: "/api/fund/grant/1/balance", Status: 200, Want: map[string]any{"reserved": "3100.00", "available": "6900.00"}},
			{Name: "import without a file", Method: "POST", Path: "/api/fund/spend/import", Body: map[string]any{}, Status: 400},
		}
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}

		// Streamed progress: lines of {"done", "total"}, then the report.
		stream, streamHeaders := multipartFile(t, "spends.csv", "grant,agency,amount\n1,101001,1.00\n1,101001,2.00\n1,101001,3.00\n")
		streamHeaders["Accept"] = "application/x-ndjson"
		status, _, raw := apitest.Do(t, app, "POST", "/api/fund/spend/import", stream, streamHeaders)
		lines := strings.Split(strings.TrimSpace(raw), "\n")
		if status != 200 || len(lines) != 4 {
			t.Fatalf("streamed import: status %d, %d lines: %s", status, len(lines), raw)
		}
		var last struct {
			Report struct{ Imported int } `json:"report"`
		}
		if err := json.Unmarshal([]byte(lines[3]), &last); err != nil || last.Report.Imported != 3 || lines[2] != `{"done":3,"total":3}` {
			t.Errorf("streamed lines %q: want progress to 3 of 3, then a report of 3 imported (%v)", lines, err)
		}
		if r, err := rt.DB.VerifyLedger(t.Context()); err != nil || !r.OK() {
			t.Errorf("ledger verify: %v %v", err, fmt.Sprint(r))
		}
	})
}

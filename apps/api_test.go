package apps_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var crudApp = map[string]string{"demo/app.yaml": `
app: demo
title: 测试
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
      - {code: "102", name: 教育厅}
      - {code: "102001", name: 教育厅本级, parent: "102"}
entities:
  grant:
    title: 拨款
    org_field: agency
    filters: [year]
    fields:
      year:   {type: int, required: true, label: 年度}
      agency: {type: code, codeset: org, leaf_only: true, required: true, label: 单位}
      amount: {type: money, required: true, min: 0, label: 金额}
      purpose: {type: string, max_length: 50, label: 用途}
    rules:
      - assert: "amount <= 1000000 || purpose != ''"
        message: 一百万元以上的拨款须写明用途
        fields: [purpose]
`}

func TestRecordAPI(t *testing.T) {
	p := enginetest.Load(t, crudApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		for i, agency := range []string{"101001", "101001", "102001"} {
			apitest.Run(t, app, apitest.Scenario{Name: "seed", Method: "POST", Path: "/api/demo/grant",
				Body: map[string]any{"year": 2025 + i%2, "agency": agency, "amount": "1000.10"}, Status: 201})
		}
		scenarios := []apitest.Scenario{
			{Name: "create", Method: "POST", Path: "/api/demo/grant", Body: `{"year": 2026, "agency": "102001", "amount": "1234567.89", "purpose": "校舍维修"}`, Status: 201,
				Want: map[string]any{"id": 4, "version": 1, "amount": "1234567.89", "_labels.agency": "教育厅本级"}},
			{Name: "get", Method: "GET", Path: "/api/demo/grant/4", Status: 200, Want: map[string]any{"purpose": "校舍维修", "year": 2026}},
			{Name: "get missing", Method: "GET", Path: "/api/demo/grant/99", Status: 404, Want: map[string]any{"error.code": "not_found"}},
			{Name: "get bad id", Method: "GET", Path: "/api/demo/grant/abc", Status: 404},
			{Name: "unknown entity", Method: "GET", Path: "/api/demo/nothing", Status: 404, Want: map[string]any{"error.code": "not_found"}},
			{Name: "list filter", Method: "GET", Path: "/api/demo/grant?filter=" + q("agency under '101' and year = 2026") + "&total=true", Status: 200,
				Want: map[string]any{"items.#": 1, "total": 1, "items.0.agency": "101001", "has_more": false}},
			{Name: "list sort and page", Method: "GET", Path: "/api/demo/grant?sort=-amount,id&page=1&page_size=2", Status: 200,
				Want: map[string]any{"items.#": 2, "items.0.id": 4, "items.1.id": 1, "has_more": true}},
			{Name: "list page 2", Method: "GET", Path: "/api/demo/grant?sort=-amount,id&page=2&page_size=2", Status: 200,
				Want: map[string]any{"items.#": 2, "items.0.id": 2, "items.1.id": 3, "has_more": false}},
			{Name: "money compare in filter", Method: "GET", Path: "/api/demo/grant?filter=" + q("amount >= '1000000.00'"), Status: 200, Want: map[string]any{"items.#": 1}},
			{Name: "SQL in a filter value stays a value", Method: "GET", Path: "/api/demo/grant?filter=" + q("purpose = 'x'' or 1=1 --'"), Status: 200, Want: map[string]any{"items.#": 0}},
			{Name: "filter on unknown field", Method: "GET", Path: "/api/demo/grant?filter=" + q("amout > 1"), Status: 400,
				Want: map[string]any{"error.code": "malformed"}},
			{Name: "malformed filter", Method: "GET", Path: "/api/demo/grant?filter=" + q("year = "), Status: 400, Want: map[string]any{"error.code": "malformed"}},
			{Name: "bad sort", Method: "GET", Path: "/api/demo/grant?sort=nope", Status: 400, Want: map[string]any{"error.fields.sort.0": `unknown field "nope"`}},
			{Name: "page size too big", Method: "GET", Path: "/api/demo/grant?page_size=1000", Status: 400},
			{Name: "unknown field", Method: "POST", Path: "/api/demo/grant", Body: `{"year": 2026, "agency": "101001", "amount": "1.00", "colour": "red"}`, Status: 400,
				Want: map[string]any{"error.code": "malformed", "error.field_codes.colour.0": "unknown_field"}},
			{Name: "not JSON", Method: "POST", Path: "/api/demo/grant", Body: `{"year": `, Status: 400, Want: map[string]any{"error.code": "malformed"}},
			{Name: "not an object", Method: "POST", Path: "/api/demo/grant", Body: `[1,2]`, Status: 400},
			{Name: "money as float", Method: "POST", Path: "/api/demo/grant", Body: `{"year": 2026, "agency": "101001", "amount": 12.5}`, Status: 422,
				Want: map[string]any{"error.code": "validation", "error.field_codes.amount.0": "type"}},
			{Name: "over-precise money", Method: "POST", Path: "/api/demo/grant", Body: `{"year": 2026, "agency": "101001", "amount": "1.001"}`, Status: 422,
				Want: map[string]any{"error.fields.amount.0": "最多 2 位小数"}},
			{Name: "non-leaf code", Method: "POST", Path: "/api/demo/grant", Body: `{"year": 2026, "agency": "101", "amount": "1.00"}`, Status: 422,
				Want: map[string]any{"error.field_codes.agency.0": "code_not_leaf"}},
			{Name: "missing required", Method: "POST", Path: "/api/demo/grant", Body: `{"agency": "101001"}`, Status: 422,
				Want: map[string]any{"error.field_codes.year.0": "required", "error.field_codes.amount.0": "required"}},
			{Name: "rule", Method: "POST", Path: "/api/demo/grant", Body: `{"year": 2026, "agency": "101001", "amount": "2000000.00"}`, Status: 422,
				Want: map[string]any{"error.fields.purpose.0": "一百万元以上的拨款须写明用途"}},
			{Name: "patch without version", Method: "PATCH", Path: "/api/demo/grant/1", Body: `{"amount": "5.00"}`, Status: 400, Want: map[string]any{"error.field_codes.version.0": "required"}},
			{Name: "patch", Method: "PATCH", Path: "/api/demo/grant/1", Body: `{"version": 1, "amount": "5.00"}`, Status: 200, Want: map[string]any{"version": 2, "amount": "5.00"}},
			{Name: "stale patch", Method: "PATCH", Path: "/api/demo/grant/1", Body: `{"version": 1, "amount": "6.00"}`, Status: 409, Want: map[string]any{"error.code": "stale"}},
			{Name: "delete without version", Method: "DELETE", Path: "/api/demo/grant/1", Status: 400},
			{Name: "stale delete", Method: "DELETE", Path: "/api/demo/grant/1?version=1", Status: 409},
			{Name: "delete", Method: "DELETE", Path: "/api/demo/grant/1?version=2", Status: 204},
			{Name: "deleted", Method: "GET", Path: "/api/demo/grant/1", Status: 404},
			{Name: "openapi", Method: "GET", Path: "/api/openapi.json", Status: 200, Want: map[string]any{"openapi": "3.0.3"}},
			{Name: "health", Method: "GET", Path: "/healthz", Status: 200},
		}
		for _, sc := range scenarios {
			t.Run(sc.Name, func(t *testing.T) { apitest.Run(t, app, sc) })
		}
		t.Run("oversized body", func(t *testing.T) {
			// fasthttp refuses the body before routing, so this goes over a real socket.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = app.Listener(ln) }()
			t.Cleanup(func() { _ = app.Shutdown() })
			// A JSON body just over the limit is read and refused before routing.
			body := `{"purpose": "` + strings.Repeat("x", apps.MaxBodyBytes) + `"}`
			resp, err := http.Post("http://"+ln.Addr().String()+"/api/demo/grant", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 413 || !strings.Contains(string(raw), `"too_large"`) {
				t.Fatalf("status %d, body %s", resp.StatusCode, raw)
			}
			// Nor may any body exceed the server's upload limit, multipart or not.
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /api/demo/grant HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n-", 1<<30)
			big, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			big.Body.Close()
			if big.StatusCode != 413 {
				t.Fatalf("a 1 GiB announced upload: status %d", big.StatusCode)
			}
		})
		t.Run("an import file over 1 MiB", func(t *testing.T) {
			// Multipart uploads may exceed the JSON limit: a 1.2 MiB CSV of
			// 1,200 rows (each padded with blanks, which the import trims).
			var csv strings.Builder
			csv.WriteString("year,agency,amount,purpose\n")
			for i := 0; i < 1200; i++ {
				fmt.Fprintf(&csv, "2027,102001,1.00,%s\n", strings.Repeat(" ", 1000))
			}
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			part, _ := mw.CreateFormFile("file", "grants.csv")
			part.Write([]byte(csv.String()))
			mw.Close()
			if body.Len() <= apps.MaxBodyBytes {
				t.Fatalf("test file of %d bytes is not over the limit", body.Len())
			}
			req := httptest.NewRequest("POST", "/api/demo/grant/import", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(string(raw), `"imported":1200`) {
				t.Fatalf("status %d: %.300s", resp.StatusCode, raw)
			}
			apitest.Run(t, app, apitest.Scenario{Name: "imported", Method: "GET", Path: "/api/demo/grant?total=true&filter=year%20%3D%202027", Status: 200, Want: map[string]any{"total": 1200}})
		})
		// Nothing the refused requests sent was written.
		apitest.Run(t, app, apitest.Scenario{Name: "count", Method: "GET", Path: "/api/demo/grant?total=true&filter=year%20%3C%202027", Status: 200, Want: map[string]any{"total": 3}})
		rep := enginetest.Must(rt.DB.VerifyAudit(t.Context()))
		if !rep.OK() || rep.Rows != 6+1200 {
			t.Fatalf("audit: %+v (want 4 creates, 1 update, 1 delete, 1,200 imported)", rep)
		}
		if p := enginetest.Must(rt.VerifyProof(t.Context())); !p.OK() {
			t.Fatalf("records against the audit trail: %v %v", p.Problems, p.Ledger.Problems)
		}
	})
}

func q(s string) string {
	return strings.NewReplacer(" ", "%20", "'", "%27", "=", "%3D", ">", "%3E", "<", "%3C", "-", "%2D").Replace(s)
}

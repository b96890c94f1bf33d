package openapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gofiber/fiber/v2"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/apps/openapi"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// apiApp exercises every kind of route: an account with a balance and a file
// field, a record that draws on it through a workflow with a guard and a
// quorum, lines exported as a bank file, reports of every kind of measure
// (one public), and roles to log in with.
var apiApp = map[string]string{"fund/app.yaml": `
app: fund
title: 资金
codesets:
  agency:
    title: 预算单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
roles:
  clerk: {title: 经办, scope: own_org, can: {grant: [create, read, update], spend: [create, read, update, submit, export], line: [create, read, delete]}}
  board: {title: 审批, scope: all, can: {grant: [read], spend: [read, approve, reject], line: [read]}}
entities:
  grant:
    title: 额度
    org_field: agency
    filters: [agency]
    fields:
      agency: {type: code, codeset: agency, label: 单位, required: true}
      amount: {type: money, label: 金额, required: true}
      scan:   {type: file, label: 批文, types: [pdf]}
    balance: {amount: amount}
  spend:
    title: 支出
    org_field: agency
    filters: [agency, kind]
    fields:
      grant:   {type: ref, entity: grant, required: true}
      agency:  {type: code, codeset: agency, label: 单位, required: true}
      kind:    {type: enum, label: 类别, default: goods, values: [{value: goods, label: 货物}, {value: service, label: 服务}]}
      amount:  {type: money, label: 金额, required: true}
      pieces:  {type: int, default: 1}
      paid_on: {type: date}
    draws:
      - {on: grant, amount: amount, reserve_on: [create], consume_on: [approve], release_on: [reject], match: [agency]}
  line:
    title: 明细
    org_field: agency
    fields:
      spend:  {type: ref, entity: spend, required: true}
      agency: {type: code, codeset: agency, required: true}
      payee: {type: string, required: true}
      net:   {type: money, required: true}
workflows:
  spend:
    entity: spend
    initial: draft
    states: [draft, submitted, approved, rejected]
    final: [approved]
    editable: [draft, rejected]
    labels: {draft: 草稿, submitted: 已提交, approved: 已批准, rejected: 已退回}
    transitions:
      - {event: submit, label: 提交, from: [draft, rejected], to: submitted, roles: [clerk], guard: "amount <= 5000", guard_message: 超过五千元不能提交}
      - {event: approve, label: 批准, from: [submitted], to: approved, roles: [board], quorum: 2}
      - {event: reject, label: 退回, from: [submitted], to: rejected, roles: [board], comment: required}
exports:
  bank:
    title: 银行文件
    entity: spend
    lines: {entity: line, via: spend}
    columns: [{title: 收款人, expr: "line.payee"}, {title: 金额, expr: "line.net"}]
    total: {expr: "line.net", equals: amount}
reports:
  by_agency:
    title: 支出汇总
    entity: spend
    group_by: [agency, kind, state]
    filters: [agency, kind]
    measures:
      - {name: n, label: 笔数, agg: count}
      - {name: total, label: 金额, agg: sum, field: amount}
      - {name: largest, agg: max, field: amount}
      - {name: pieces, agg: sum, field: pieces}
      - {name: first_paid, agg: min, field: paid_on}
      - {name: average, expr: "total / n", scale: 4}
  balances:
    title: 额度余额
    public: true
    entity: grant
    group_by: [agency]
    filters: [agency]
    measures:
      - {name: approved, balance: approved}
      - {name: available, balance: available}
      - {name: used, expr: "(approved - available) / approved * 100"}
`}

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

// client sends requests to the server and holds every accepted request and
// every answer to the served document.
type client struct {
	t      *testing.T
	app    *fiber.App
	router routers.Router
	token  string
}

// as is the client acting with a bearer token ("" for none).
func (c client) as(token string) client {
	c.token = token
	return c
}

// upload is a multipart/form-data body.
type upload struct {
	contentType string
	data        []byte
}

// multipartBody puts content in file field "file", named name, plus fields.
func multipartBody(t *testing.T, name string, content []byte, fields map[string]string) upload {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	w.Close()
	return upload{w.FormDataContentType(), buf.Bytes()}
}

// do sends method path with body (nil, raw JSON text, an upload, or a value
// sent as JSON) and headers (name, value pairs); it fails unless the status
// is status, the request is one the document accepts when the server did,
// and the answer, its status and headers included, is one the document
// describes. It returns the decoded JSON answer and the raw one.
func (c client) do(method, path string, body any, status int, headers ...string) (any, string) {
	t := c.t
	t.Helper()
	var data []byte
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		data, contentType = []byte(b), "application/json"
	case upload:
		data, contentType = b.data, b.contentType
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
		contentType = "application/json"
	}
	request := func() *http.Request {
		r := httptest.NewRequest(method, path, bytes.NewReader(data))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if c.token != "" {
			r.Header.Set("Authorization", "Bearer "+c.token)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		return r
	}
	resp, err := c.app.Test(request(), -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, raw)
	}
	var decoded any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&decoded) != nil {
		decoded = nil
	}

	check := request()
	route, params, err := c.router.FindRoute(check)
	if err != nil {
		t.Errorf("%s %s: not in the document: %v", method, path, err)
		return decoded, string(raw)
	}
	ctx := context.Background()
	input := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: authenticate, MultiError: true}}
	if status < 300 {
		if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
			t.Errorf("%s %s: the server accepted a request the document refuses:\n%v", method, path, err)
		}
	}
	options := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
	case "application/x-ndjson":
		options.ExcludeResponseBody = true
		c.checkLines(route, resp.StatusCode, raw)
	default:
		// Files: the document says binary, which any bytes are.
		options.ExcludeResponseBody = true
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header, Options: options}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s: the answer is not what the document describes:\n%v\nanswer: %s", method, path, err, raw)
	}
	return decoded, string(raw)
}

// checkLines checks each line of a streamed answer against the schema of
// the document's application/x-ndjson content.
func (c client) checkLines(route *routers.Route, status int, raw []byte) {
	t := c.t
	t.Helper()
	r := route.Operation.Responses.Status(status)
	var mt *openapi3.MediaType
	if r != nil {
		mt = r.Value.Content.Get("application/x-ndjson")
	}
	if mt == nil {
		t.Errorf("%s %s: the document has no application/x-ndjson answer of status %d", route.Method, route.Path, status)
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Errorf("%s %s: line %q is not JSON", route.Method, route.Path, sc.Text())
			continue
		}
		if err := mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse()); err != nil {
			t.Errorf("%s %s: line %s is not what the document describes: %v", route.Method, route.Path, sc.Text(), err)
		}
	}
}

// authenticate accepts the security schemes of the document as a server
// would, by the credential's presence: the test checks that a request the
// server answered without a token is documented as public.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearerAuth":
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			return nil
		}
	case "sessionCookie":
		if _, err := r.Cookie(openapi.SessionCookie); err == nil {
			return nil
		}
	}
	return errors.New("no credential for " + in.SecuritySchemeName)
}

// get follows a dotted path in a decoded answer; it fails the test when the
// path leads nowhere.
func get(t *testing.T, v any, path string) any {
	t.Helper()
	got, ok := apitest.Get(v, path)
	if !ok {
		t.Fatalf("no %s in %v", path, v)
	}
	return got
}

// want checks dotted paths of a decoded answer.
func want(t *testing.T, v any, values map[string]any) {
	t.Helper()
	for path, w := range values {
		if got := get(t, v, path); !apitest.Equal(got, w) {
			t.Errorf("%s = %v, want %v", path, got, w)
		}
	}
}

// TestAnswersMatchTheDocument drives every route of apiApp through the real
// server, logged in as its users, with successes and the errors clients
// meet, and checks each request the server accepted and each answer against
// the document it serves.
func TestAnswersMatchTheDocument(t *testing.T) {
	p := enginetest.Load(t, apiApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, users := newServer(t, rt)
		users.Policy = engine.LoginPolicy{MaxFailures: 2, Window: time.Hour, SessionTTL: time.Hour}
		if _, err := users.Add(t.Context(), engine.Actor{User: "test"}, engine.NewUser{Name: "root", Password: "root-password", Roles: []string{"admin"}}); err != nil {
			t.Fatal(err)
		}
		doc := servedDocument(t, app)
		router, err := legacy.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		anon := client{t: t, app: app, router: router}
		login := func(name, password string) client {
			t.Helper()
			out, _ := anon.do("POST", "/api/auth/login", map[string]any{"username": name, "password": password}, 200)
			return anon.as(get(t, out, "token").(string))
		}

		// Users: log in, the current user, administration.
		root := login("root", "root-password")
		want(t, first(root.do("GET", "/api/auth/me", nil, 200)), map[string]any{"name": "root", "roles.0": "admin"})
		for _, u := range []map[string]any{
			{"name": "clerk", "display_name": "经办", "password": "clerk-password", "roles": []string{"fund.clerk"}, "org": "101001"},
			{"name": "b1", "password": "board-password", "roles": []string{"fund.board"}},
			{"name": "b2", "password": "board-password", "roles": []string{"fund.board"}, "enabled": true},
			{"name": "nobody", "password": "nobody-password"},
		} {
			root.do("POST", "/api/admin/users", u, 201)
		}
		root.do("POST", "/api/admin/users", map[string]any{"name": "clerk", "password": "clerk-password"}, 409)
		root.do("POST", "/api/admin/users", map[string]any{"name": "x", "password": "short"}, 422)
		root.do("POST", "/api/admin/users", map[string]any{"name": "x", "colour": "red"}, 400)
		want(t, first(root.do("GET", "/api/admin/users", nil, 200)), map[string]any{"items.#": 5})
		want(t, first(root.do("PATCH", "/api/admin/users/clerk", map[string]any{"display_name": "经办员"}, 200)), map[string]any{"org_name": "财政厅本级"})
		root.do("PATCH", "/api/admin/users/ghost", map[string]any{"display_name": "鬼"}, 404)
		root.do("PATCH", "/api/admin/users/root", map[string]any{"enabled": false}, 403)
		anon.do("POST", "/api/auth/login", map[string]any{"username": "", "password": ""}, 400)
		anon.do("POST", "/api/auth/login", map[string]any{"username": "nobody", "password": "wrong-password"}, 401)
		anon.do("POST", "/api/auth/login", map[string]any{"username": "nobody", "password": "wrong-password"}, 401)
		anon.do("POST", "/api/auth/login", map[string]any{"username": "nobody", "password": "nobody-password"}, 429)
		clerk, b1, b2 := login("clerk", "clerk-password"), login("b1", "board-password"), login("b2", "board-password")
		clerk.do("GET", "/api/admin/users", nil, 403)
		anon.do("GET", "/api/fund/grant", nil, 401)
		anon.do("GET", "/api/auth/me", nil, 401)

		// Records, files and the balance.
		clerk.do("POST", "/api/fund/grant", map[string]any{"agency": "101001", "amount": "10000.00"}, 201)
		file, _ := clerk.do("POST", "/api/files", multipartBody(t, "批文.pdf", pdf, nil), 201)
		clerk.do("POST", "/api/files", multipartBody(t, "批文.pdf", []byte("not a pdf"), nil), 422)
		want(t, first(clerk.do("PATCH", "/api/fund/grant/1", map[string]any{"version": 1, "scan": get(t, file, "id")}, 200)), map[string]any{"_files.scan.name": "批文.pdf"})
		clerk.do("GET", fmt.Sprintf("/api/files/%v", get(t, file, "id")), nil, 200)
		clerk.do("GET", "/api/files/99", nil, 404)
		want(t, first(clerk.do("GET", "/api/fund/grant?total=true&filter=agency%20under%20'101'&sort=-id", nil, 200)),
			map[string]any{"total": 1, "page_size": openapi.DefaultPageSize})
		clerk.do("GET", "/api/fund/grant?page_size=1000", nil, 400)
		clerk.do("GET", "/api/fund/grant/1", nil, 200)
		clerk.do("GET", "/api/fund/grant/99", nil, 404)
		want(t, first(clerk.do("GET", "/api/fund/grant/1/balance", nil, 200)), map[string]any{"open": true, "available": "10000.00"})
		want(t, first(clerk.do("GET", "/api/fund/grant/1/ledger", nil, 200)), map[string]any{"side": "account", "items.0.kind": "open", "page_size": openapi.DefaultLedgerPageSize})
		clerk.do("GET", "/api/fund/grant/1/ledger?side=nope", nil, 400)

		// Draws through the workflow: a guard, a quorum, the history.
		spend := map[string]any{"grant": 1, "agency": "101001", "amount": "1000.00", "paid_on": "2026-03-01"}
		clerk.do("POST", "/api/fund/spend", spend, 201, "Idempotency-Key", "spend-1")
		clerk.do("POST", "/api/fund/spend", spend, 201, "Idempotency-Key", "spend-1")
		clerk.do("POST", "/api/fund/spend", map[string]any{"grant": 1, "agency": "101001", "kind": "service", "amount": "6000.00"}, 201)
		clerk.do("POST", "/api/fund/spend", map[string]any{"grant": 1, "agency": "101001", "amount": "5000.00"}, 409)
		clerk.do("POST", "/api/fund/spend", map[string]any{"grant": 1, "agency": "101001", "amount": "-1"}, 422)
		clerk.do("POST", "/api/fund/spend", `{"grant": `, 400)
		want(t, first(clerk.do("GET", "/api/fund/spend/2/events", nil, 200)), map[string]any{"events.0.available": false, "events.0.reason": "超过五千元不能提交"})
		clerk.do("POST", "/api/fund/spend/2/events/submit", nil, 422)
		clerk.do("POST", "/api/fund/spend/1/events/submit", map[string]any{"comment": "请审批"}, 200)
		clerk.do("POST", "/api/fund/spend/1/events/launch", nil, 404)
		clerk.do("PATCH", "/api/fund/spend/1", map[string]any{"version": 2, "amount": "1.00"}, 409)
		want(t, first(b1.do("GET", "/api/fund/spend/1/events", nil, 200)), map[string]any{"state": "submitted", "events.0.quorum": 2})
		want(t, first(b1.do("POST", "/api/fund/spend/1/events/approve", nil, 200)), map[string]any{"_approvals.count": 1, "_approvals.quorum": 2})
		want(t, first(b1.do("GET", "/api/fund/spend/1/events", nil, 200)), map[string]any{"events.0.available": false, "events.0.approvals": 1})
		want(t, first(b1.do("GET", "/api/fund/spend/1/history", nil, 200)), map[string]any{"pending.#": 1, "items.0.event": "create", "items.0.from": ""})
		b1.do("POST", "/api/fund/spend/1/events/approve", nil, 409)
		b2.do("POST", "/api/fund/spend/1/events/reject", map[string]any{"comment": ""}, 422)
		want(t, first(b2.do("POST", "/api/fund/spend/1/events/approve", map[string]any{"comment": nil}, 200)), map[string]any{"state": "approved"})
		want(t, first(b2.do("GET", "/api/fund/spend/1/history", nil, 200)), map[string]any{"pending.#": 0, "items.2.approvals.#": 2})
		want(t, first(b2.do("GET", "/api/fund/spend/1/changes", nil, 200)), map[string]any{"items.0.action": "create", "items.0.actor": "clerk",
			"items.2.action": "approve", "items.2.partial": true, "items.2.changes.#": 0, "items.3.action": "approve", "items.3.actor": "b2"})
		clerk.do("GET", "/api/fund/grant/1/changes", nil, 200)
		clerk.do("GET", "/api/fund/grant/99/changes", nil, 404)
		want(t, first(clerk.do("GET", "/api/fund/spend/1/ledger", nil, 200)), map[string]any{"side": "source", "items.1.kind": "consume"})
		clerk.do("GET", "/api/fund/spend/1/history", nil, 200)
		b1.do("DELETE", "/api/fund/spend/3", nil, 400)

		// Exports.
		clerk.do("POST", "/api/fund/line", map[string]any{"spend": 1, "agency": "101001", "payee": "张三", "net": "600.00"}, 201)
		clerk.do("POST", "/api/fund/line", map[string]any{"spend": 1, "agency": "101001", "payee": "李四", "net": "400.00"}, 201)
		clerk.do("POST", "/api/fund/line", map[string]any{"spend": 2, "agency": "101001", "payee": "王五", "net": "1.00"}, 201)
		clerk.do("GET", "/api/fund/spend/1/exports/bank", nil, 200)
		clerk.do("GET", "/api/fund/spend/2/exports/bank", nil, 409)
		b1.do("GET", "/api/fund/spend/1/exports/bank", nil, 403)
		clerk.do("DELETE", "/api/fund/line/3?version=1", nil, 204)
		clerk.do("DELETE", "/api/fund/line/2", nil, 400)

		// Imports: at once, refused, streamed.
		csv := "grant,agency,kind,amount\n1,101001,goods,10.00\n1,101001,service,20.00\n"
		want(t, first(clerk.do("POST", "/api/fund/spend/import", multipartBody(t, "spends.csv", []byte(csv), nil), 200)), map[string]any{"imported": 2})
		want(t, first(clerk.do("POST", "/api/fund/spend/import", multipartBody(t, "spends.csv", []byte("grant,agency,amount\n1,101002,1.00\n1,101001,x\n"), nil), 422)),
			map[string]any{"error.code": "import_rejected", "error.rows.#": 2})
		clerk.do("POST", "/api/fund/spend/import", multipartBody(t, "spends.csv", []byte("nothing,here\n1,2\n"), map[string]string{"format": "csv"}), 422)
		clerk.do("POST", "/api/fund/spend/import", map[string]any{}, 400)
		b1.do("POST", "/api/fund/spend/import", multipartBody(t, "spends.csv", []byte(csv), nil), 403)
		_, stream := clerk.do("POST", "/api/fund/spend/import", multipartBody(t, "spends.csv", []byte(csv), nil), 200, "Accept", "application/x-ndjson")
		if !strings.Contains(stream, `"report"`) {
			t.Errorf("streamed import ended without a report: %s", stream)
		}
		_, stream = clerk.do("POST", "/api/fund/spend/import", multipartBody(t, "spends.csv", []byte("grant,agency,amount\n1,101002,1.00\n"), nil), 200, "Accept", "application/x-ndjson")
		if !strings.Contains(stream, `"import_rejected"`) {
			t.Errorf("streamed refused import ended without its error: %s", stream)
		}

		// Reports, with and without a token.
		report, _ := b1.do("GET", "/api/reports/fund/by_agency", nil, 200)
		want(t, report, map[string]any{"columns.0.kind": "group", "rows.0._labels.agency": "财政厅本级", "totals.agency": nil})
		b1.do("GET", "/api/reports/fund/by_agency?filter=kind%20%3D%20'goods'", nil, 200)
		b1.do("GET", "/api/reports/fund/by_agency?filter=amount%20%3E%201", nil, 400)
		root.do("GET", "/api/reports/fund/by_agency", nil, 403)
		want(t, first(anon.do("GET", "/api/public/reports/fund/balances", nil, 200)), map[string]any{"rows.0.approved": "10000.00"})
		anon.do("GET", "/api/public/reports/fund/balances?filter=nope%20%3D%201", nil, 400)

		// Logging out ends the token.
		clerk.do("POST", "/api/auth/logout", nil, 204)
		clerk.do("GET", "/api/auth/me", nil, 401)
		anon.do("POST", "/api/auth/logout", nil, 403)
	})
}

// first is the first of two results.
func first(v any, _ string) any { return v }

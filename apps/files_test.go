package apps_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var partBApp = map[string]string{"aid/app.yaml": `
app: aid
title: 救灾资金
entities:
  batch:
    title: 发放批次
    fields:
      month: {type: string, required: true}
      total: {type: money, label: 合计}
      scan:  {type: file, label: 审批单, max_size: 2KB, types: [pdf]}
      other: {type: file, label: 其他附件}
  payout:
    title: 发放明细
    fields:
      batch:   {type: ref, entity: batch, required: true}
      village: string
      person:  string
      account: string
      amount:  money
exports:
  bank:
    title: 银行文件
    entity: batch
    lines: {entity: payout, via: batch}
    encoding: gbk
    format: fixed
    filename: "'代发' + record.month + '.txt'"
    columns:
      - {title: 账号, expr: "line.account", width: 12}
      - {title: 户名, expr: "line.person", width: 8}
      - {title: 金额, expr: "line.amount", width: 10, align: right}
    total: {expr: "line.amount", equals: total}
reports:
  disclosure:
    title: 发放公示
    public: true
    entity: payout
    group_by: [village]
    measures:
      - {name: people, label: 人数, agg: count}
      - {name: total, label: 金额, agg: sum, field: amount}
  ledger:
    title: 内部台账
    entity: payout
    group_by: [person]
    measures: [{name: total, agg: sum, field: amount}]
`}

// userHeader authenticates test requests: X-User names the user, and a
// request without it is refused, as with real authentication.
func userHeader(c *fiber.Ctx) (engine.Actor, error) {
	if u := c.Get("X-User"); u != "" {
		return engine.Actor{User: u}, nil
	}
	return engine.Actor{}, fmt.Errorf("%w: 请先登录", engine.ErrUnauthorized)
}

// uploadBody is a request body with one file in field, and its content type.
func uploadBody(t *testing.T, field, name, contentType string, data []byte) ([]byte, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, name))
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	return body.Bytes(), w.FormDataContentType()
}

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

func TestFilesExportsAndPublicReportsAPI(t *testing.T) {
	p := enginetest.Load(t, partBApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: userHeader})
		if err != nil {
			t.Fatal(err)
		}
		alice := map[string]string{"X-User": "alice"}
		upload := func(user, name, contentType string, data []byte) apitest.Scenario {
			body, ct := uploadBody(t, "file", name, contentType, data)
			return apitest.Scenario{Method: "POST", Path: "/api/files", Body: body, Headers: map[string]string{"X-User": user, "Content-Type": ct}}
		}
		up := upload("alice", "审批单.pdf", "application/pdf", pdf)
		up.Name, up.Status, up.Want = "upload", 201, map[string]any{"id": 1, "name": "审批单.pdf", "size": len(pdf), "content_type": "application/pdf"}
		apitest.Run(t, app, up)
		bobs := upload("bob", "bob.pdf", "", pdf)
		bobs.Name, bobs.Status = "bob's upload", 201
		apitest.Run(t, app, bobs)
		fake := upload("alice", "假的.pdf", "application/pdf", []byte("not a pdf at all"))
		fake.Name, fake.Status, fake.Want = "content that is not what the name says", 422, map[string]any{"error.field_codes.file.0": "content_mismatch"}
		noFile := upload("alice", "x.pdf", "", pdf)
		noFile.Body = bytes.Replace(noFile.Body.([]byte), []byte(`name="file"`), []byte(`name="other"`), 1)
		noFile.Name, noFile.Status = "no field file", 400
		anonymous := upload("", "x.pdf", "", pdf)
		anonymous.Headers = map[string]string{"Content-Type": anonymous.Headers["Content-Type"]}
		anonymous.Name, anonymous.Status = "uploads need a login", 401

		scenarios := []apitest.Scenario{fake, noFile, anonymous,
			{Name: "a record with a file", Method: "POST", Path: "/api/aid/batch", Headers: alice, Body: map[string]any{"month": "2026-05", "total": "1500.50", "scan": 1}, Status: 201,
				Want: map[string]any{"scan": 1, "_files.scan.name": "审批单.pdf", "_files.scan.size": len(pdf)}},
			{Name: "get shows _files", Method: "GET", Path: "/api/aid/batch/1", Headers: alice, Status: 200, Want: map[string]any{"_files.scan.content_type": "application/pdf"}},
			{Name: "list shows _files", Method: "GET", Path: "/api/aid/batch", Headers: alice, Status: 200, Want: map[string]any{"items.0._files.scan.id": 1}},
			{Name: "no _files without file fields", Method: "POST", Path: "/api/aid/payout", Headers: alice,
				Body: map[string]any{"batch": 1, "village": "东村", "person": "张三", "account": "622200001111", "amount": "1000.00"}, Status: 201},
			{Name: "second line", Method: "POST", Path: "/api/aid/payout", Headers: alice,
				Body: map[string]any{"batch": 1, "village": "西村", "person": "李四", "account": "622200002222", "amount": "500.50"}, Status: 201},
			// After the records above: PostgreSQL spends an id on a refused insert.
			{Name: "another user's file", Method: "POST", Path: "/api/aid/batch", Headers: alice, Body: map[string]any{"month": "2026-05", "scan": 2}, Status: 422,
				Want: map[string]any{"error.field_codes.scan.0": "file_not_found"}},
			{Name: "a file nobody attached, for another user", Method: "GET", Path: "/api/files/2", Headers: alice, Status: 404},
			{Name: "a file that does not exist", Method: "GET", Path: "/api/files/99", Headers: alice, Status: 404},
			{Name: "downloads need a login", Method: "GET", Path: "/api/files/1", Status: 401},
			{Name: "an export that does not exist", Method: "GET", Path: "/api/aid/batch/1/exports/nope", Headers: alice, Status: 404},
			{Name: "an export needs a login", Method: "GET", Path: "/api/aid/batch/1/exports/bank", Status: 401},
			{Name: "public report, no login", Method: "GET", Path: "/api/public/reports/aid/disclosure", Status: 200,
				Want: map[string]any{"rows.#": 2, "rows.0.village": "东村", "rows.0.people": 1, "totals.total": "1500.50", "columns.#": 3}},
			{Name: "a report that is not public", Method: "GET", Path: "/api/public/reports/aid/ledger", Status: 404, Want: map[string]any{"error.code": "not_found"}},
			{Name: "a public filter on a field the report does not show", Method: "GET", Path: "/api/public/reports/aid/disclosure?filter=" + q("person = '张三'"), Status: 400},
		}
		for _, sc := range scenarios {
			t.Run(sc.Name, func(t *testing.T) { apitest.Run(t, app, sc) })
		}
		t.Run("download", func(t *testing.T) {
			resp := send(t, app, "GET", "/api/files/1", "alice")
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !bytes.Equal(data, pdf) || resp.Header.Get("Content-Type") != "application/pdf" ||
				resp.Header.Get("Content-Disposition") != `attachment; filename="___.pdf"; filename*=UTF-8''%E5%AE%A1%E6%89%B9%E5%8D%95.pdf` ||
				resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("status %d, headers %v, %d bytes", resp.StatusCode, resp.Header, len(data))
			}
		})
		t.Run("export", func(t *testing.T) {
			resp := send(t, app, "GET", "/api/aid/batch/1/exports/bank", "alice")
			data, _ := io.ReadAll(resp.Body)
			text, _ := simplifiedchinese.GBK.NewDecoder().Bytes(data)
			want := "622200001111张三       1000.00\r\n622200002222李四        500.50\r\n"
			if resp.StatusCode != 200 || string(text) != want || resp.Header.Get("Content-Type") != "text/plain; charset=GBK" ||
				resp.Header.Get("X-Export-Lines") != "2" || resp.Header.Get("X-Export-Total") != "1500.50" || len(resp.Header.Get("X-Content-SHA256")) != 64 {
				t.Fatalf("status %d, headers %v, body %q", resp.StatusCode, resp.Header, text)
			}
		})
		t.Run("an export whose total disagrees is 409", func(t *testing.T) {
			apitest.Run(t, app, apitest.Scenario{Method: "PATCH", Path: "/api/aid/batch/1", Headers: alice, Body: map[string]any{"version": 1, "total": "1500.00"}, Status: 200})
			apitest.Run(t, app, apitest.Scenario{Method: "GET", Path: "/api/aid/batch/1/exports/bank", Headers: alice, Status: 409,
				Want: map[string]any{"error.code": "export_total", "error.message": "文件合计 1500.50 与发放批次 #1 的合计 1500.00 不符，未生成文件"}})
		})
		t.Run("a file over the field's max_size is 422 naming the field", func(t *testing.T) {
			big := upload("alice", "大.pdf", "", append(append([]byte{}, pdf...), make([]byte, 3000)...))
			big.Status = 201
			id := apitest.Run(t, app, big).(map[string]any)["id"]
			apitest.Run(t, app, apitest.Scenario{Method: "POST", Path: "/api/aid/batch", Headers: alice, Body: map[string]any{"month": "2026-06", "scan": id}, Status: 422,
				Want: map[string]any{"error.field_codes.scan.0": "file_too_large"}})
		})
		rep := enginetest.Must(rt.DB.VerifyAudit(context.Background()))
		if !rep.OK() {
			t.Fatalf("audit: %+v", rep)
		}
	})
}

// send does one request as user and returns the raw response.
func send(t *testing.T, app *fiber.App, method, path, user string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("X-User", user)
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

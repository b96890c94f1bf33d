package apps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

var recordJSONDefs = map[string]string{"rj/app.yaml": `
app: rj
title: 编码
codesets:
  org:
    title: 单位
    codes:
      - {code: "101", name: "财政厅<本级>&"}
      - {code: "102", name: "教育厅"}
entities:
  claim:
    title: 报销单
    fields:
      agency:  {type: code, codeset: org, label: 单位}
      title:   {type: string, label: 标题}
      note:    text
      amount:  money
      qty:     int
      paid:    bool
      due:     date
      at:      datetime
      level:   {type: enum, values: [red, blue]}
      invoice: {type: file, label: 发票}
      sheet:   {type: file, label: 明细表}
      secret:  {type: string, label: 内部备注}
      total:   {type: computed, expr: "amount * qty", returns: money}
workflows:
  claim:
    entity: claim
    initial: draft
    states: [draft, done]
    final: [done]
    labels: {draft: "草稿<&>"}
    transitions:
      - {event: finish, from: draft, to: done, roles: [clerk]}
roles:
  clerk:
    title: 经办
    scope: all
    can:
      claim: [create, read, update, finish]
  viewer:
    title: 查看
    scope: all
    can:
      claim: [read]
    fields:
      claim: {hidden: [secret, sheet, level]}
`}

// TestRecordAnswersAreWhatEncodingJSONGave: the answers of create, update,
// get and list (the record API writes them itself) are byte for byte what
// encoding/json gives for the map the API used to build — engine.RecordJSON
// with "_files" — for a reader who sees every field and one from whom some
// are hidden, with texts that need escaping, files, a workflow state, empty
// fields, and the list's page, has_more and total.
func TestRecordAnswersAreWhatEncodingJSONGave(t *testing.T) {
	p := enginetest.Load(t, recordJSONDefs)
	e := p.App("rj").Entity("claim")
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("clerk", "", "rj.clerk")
		s.addUser("viewer", "", "rj.viewer")
		clerk, viewer := s.login("clerk"), s.login("viewer")
		actors := map[string]engine.Actor{"clerk": {User: "clerk", Roles: []string{"rj.clerk"}}, "viewer": {User: "viewer", Roles: []string{"rj.viewer"}}}
		headers := map[string]map[string]string{"clerk": clerk, "viewer": viewer}
		ctx := context.Background()

		var fileIDs []any
		for _, name := range []string{"发票<1>&\u2028.pdf", `"quoted" \ name.pdf`} {
			body, ct := uploadBody(t, "file", name, "application/pdf", pdf)
			h := map[string]string{"Content-Type": ct}
			for k, v := range clerk {
				h[k] = v
			}
			got := apitest.Run(t, s.app, apitest.Scenario{Name: "upload", Method: "POST", Path: "/api/files", Body: body, Headers: h, Status: 201})
			id, _ := apitest.Get(got, "id")
			fileIDs = append(fileIDs, id)
		}

		// want is encoding/json over the map the API built for rec.
		want := func(who string, rec *engine.Record) map[string]any {
			out := engine.RecordJSON(e, rec, s.rt.HiddenFor(actors[who], e))
			files := fiber.Map{}
			for _, f := range e.Fields {
				if id, ok := out[f.Name].(int64); ok && f.Is(metamodel.Attachment) {
					infos, err := s.rt.FileInfos(ctx, []int64{id})
					if err != nil {
						t.Fatal(err)
					}
					if infos[id] != nil {
						files[f.Name] = apps.FileJSON(infos[id])
					}
				}
			}
			out["_files"] = files
			return out
		}
		same := func(what string, raw string, out any) {
			t.Helper()
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal([]byte(raw), b) {
				t.Errorf("%s:\n got %s\nwant %s", what, raw, b)
			}
		}
		record := func(id int64) *engine.Record {
			t.Helper()
			return enginetest.Must(s.rt.Get(ctx, engine.SystemActor, "rj", "claim", id))
		}

		bodies := []map[string]any{
			{"title": "<b>粗体</b> & \"引号\" \\ \u2028\u2029 \t\n\x01", "agency": "101", "amount": "1234.5", "qty": 3, "paid": true,
				"due": "2026-12-06", "at": "2026-12-06T18:30:00+08:00", "level": "red", "invoice": fileIDs[0], "sheet": fileIDs[1], "secret": "内部 <秘密>", "note": "多行\r\n文本"},
			{"title": "空的"},
			{"title": "only a file", "sheet": fileIDs[0], "agency": "102", "amount": "-0.01", "qty": -2, "paid": false},
		}
		var ids []int64
		for i, body := range bodies {
			status, _, raw := apitest.Do(t, s.app, "POST", "/api/rj/claim", body, clerk)
			if status != 201 {
				t.Fatalf("create %d: %d %s", i, status, raw)
			}
			var created struct{ ID int64 }
			if err := json.Unmarshal([]byte(raw), &created); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, created.ID)
			same(fmt.Sprintf("create %d", i), raw, want("clerk", record(created.ID)))
		}
		status, _, raw := apitest.Do(t, s.app, "PATCH", fmt.Sprintf("/api/rj/claim/%d", ids[1]), map[string]any{"version": 1, "note": "改<过>", "invoice": fileIDs[1]}, clerk)
		if status != 200 {
			t.Fatalf("update: %d %s", status, raw)
		}
		same("update", raw, want("clerk", record(ids[1])))
		if status, _, raw := apitest.Do(t, s.app, "POST", fmt.Sprintf("/api/rj/claim/%d/events/finish", ids[2]), map[string]any{}, clerk); status != 200 {
			t.Fatalf("finish: %d %s", status, raw)
		}

		req := httptest.NewRequest("GET", "/api/rj/claim", nil)
		req.Header.Set("Authorization", clerk["Authorization"])
		resp, err := s.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "application/json" {
			t.Errorf("list: status %d, Content-Type %q; want 200, application/json", resp.StatusCode, ct)
		}

		for who, h := range headers {
			for _, id := range ids {
				status, _, raw := apitest.Do(t, s.app, "GET", fmt.Sprintf("/api/rj/claim/%d", id), nil, h)
				if status != 200 {
					t.Fatalf("get: %d %s", status, raw)
				}
				same(fmt.Sprintf("get %d as %s", id, who), raw, want(who, record(id)))
			}
			for _, q := range []engine.ListQuery{{}, {PageSize: 2, Total: true}, {Page: 2, PageSize: 2, Total: true}, {Filter: "title = 'nothing'"}} {
				path := "/api/rj/claim?sort=-id"
				q.Sort = "-id"
				if q.PageSize > 0 {
					path += fmt.Sprintf("&page_size=%d", q.PageSize)
				}
				if q.Page > 0 {
					path += fmt.Sprintf("&page=%d", q.Page)
				}
				if q.Total {
					path += "&total=true"
				}
				if q.Filter != "" {
					path += "&filter=title%20%3D%20%27nothing%27"
				}
				status, _, raw := apitest.Do(t, s.app, "GET", path, nil, h)
				if status != 200 {
					t.Fatalf("list %s: %d %s", path, status, raw)
				}
				res := enginetest.Must(s.rt.List(ctx, actors[who], "rj", "claim", q))
				items := make([]map[string]any, len(res.Items))
				for i, rec := range res.Items {
					items[i] = want(who, rec)
				}
				out := fiber.Map{"items": items, "page": res.Page, "page_size": res.PageSize, "has_more": res.HasMore}
				if res.Total != nil {
					out["total"] = *res.Total
				}
				same(fmt.Sprintf("list %s as %s", path, who), raw, out)
			}
		}
	})
}

package apps_test

import (
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var uploadRoleDefs = map[string]string{"att/app.yaml": `
app: att
title: 附件
entities:
  claim:
    title: 报销单
    fields:
      title:   string
      invoice: {type: file, label: 发票, max_size: 1KB, types: [pdf]}
roles:
  clerk:
    title: 经办
    scope: all
    can:
      claim: [create, read, update]
  checker:
    title: 查看
    scope: all
    can:
      claim: [read]
`}

// TestUploadNeedsAFileField: POST /api/files is for users who may write a
// file field; anyone else logged in gets 403, and nothing is stored.
func TestUploadNeedsAFileField(t *testing.T) {
	p := enginetest.Load(t, uploadRoleDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("clerk", "", "att.clerk")
		s.addUser("checker", "", "att.checker")
		upload := func(who map[string]string) apitest.Scenario {
			body, ct := uploadBody(t, "file", "发票.pdf", "application/pdf", pdf)
			h := map[string]string{"Content-Type": ct}
			for k, v := range who {
				h[k] = v
			}
			return apitest.Scenario{Method: "POST", Path: "/api/files", Body: body, Headers: h}
		}
		checker := upload(s.login("checker"))
		checker.Name, checker.Status = "a reader of claims may not upload", 403
		checker.Want = map[string]any{"error.code": "forbidden", "error.message": "您没有可填写附件的字段，不能上传文件"}
		apitest.Run(t, s.app, checker)
		clerk := upload(s.login("clerk"))
		clerk.Name, clerk.Status, clerk.Want = "a clerk who fills in invoices may", 201, map[string]any{"name": "发票.pdf"}
		apitest.Run(t, s.app, clerk)
		var n int
		if err := s.rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_files`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d files stored, %v; want the clerk's only", n, err)
		}
	})
}

package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// uploadDefs: who may write a file field. A clerk creates claims with an
// invoice; a checker may only read them; an approver writes the approval
// scan only as the input of an event; a viewer sees the invoice read-only.
var uploadDefs = map[string]string{"att/app.yaml": `
app: att
title: 附件
entities:
  claim:
    title: 报销单
    fields:
      title:   string
      invoice: {type: file, label: 发票, max_size: 1MB, types: [pdf]}
      scan:    {type: file, label: 批件, types: [pdf]}
  note:
    title: 便签
    fields:
      text: string
workflows:
  claim:
    entity: claim
    initial: draft
    states: [draft, approved]
    final: [approved]
    transitions:
      - {event: approve, from: [draft], to: approved, roles: [approver], input: [scan]}
roles:
  clerk:
    title: 经办
    scope: all
    can:
      claim: [create, read, update]
    fields:
      claim: {readonly: [scan]}
  checker:
    title: 查看
    scope: all
    can:
      claim: [read]
      note: [create, read, update]
  approver:
    title: 审批
    scope: all
    can:
      claim: [read, approve]
  editor:
    title: 编辑（附件只读）
    scope: all
    can:
      claim: [update, read]
    fields:
      claim: {readonly: [invoice, scan]}
`}

func startUploads(t *testing.T, d engine.Dialect) *engine.Runtime {
	t.Helper()
	p := enginetest.Load(t, uploadDefs)
	rt := enginetest.Start(t, d, p, engine.OpenAccess{})
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	rt.Access = access
	return rt
}

func TestUploadNeedsAFileFieldToWrite(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := startUploads(t, d)
		ctx := context.Background()
		for _, sc := range []struct {
			role string
			may  bool
		}{
			{"att.clerk", true},    // creates claims with an invoice
			{"att.approver", true}, // the approval scan, as the event's input
			{"att.checker", false}, // reads claims, writes only notes
			{"att.editor", false},  // updates claims, but their files are read-only to it
			{"other.clerk", false}, // a role of nothing here
		} {
			actor := engine.Actor{User: "u-" + sc.role, Roles: []string{sc.role}}
			_, err := rt.UploadFile(ctx, actor, "发票.pdf", "application/pdf", pdfBytes)
			var fe *engine.ForbiddenError
			switch {
			case sc.may && err != nil:
				t.Errorf("%s: %v", sc.role, err)
			case !sc.may && (!errors.As(err, &fe) || fe.Message != "您没有可填写附件的字段，不能上传文件"):
				t.Errorf("%s: %v, want forbidden", sc.role, err)
			}
		}
		var n int
		if err := rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_files`).Scan(&n); err != nil || n != 2 {
			t.Errorf("%d files stored, %v; want the two allowed uploads only", n, err)
		}
	})
}

func TestUploadQuotaAndSweep(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := startUploads(t, d)
		rt.UploadQuota = 2 << 20 // the largest max_size is the default 10 MB, so the quota is that
		ctx := context.Background()
		clerk := engine.Actor{User: "clerk", Roles: []string{"att.clerk"}}
		other := engine.Actor{User: "other", Roles: []string{"att.clerk"}}
		pdf := func(n int) []byte { return append(append([]byte{}, pdfBytes...), make([]byte, n)...) }

		// Unattached uploads add up to the quota, then the next is refused.
		first := enginetest.Must(rt.UploadFile(ctx, clerk, "a.pdf", "", pdf(6<<20)))
		second := enginetest.Must(rt.UploadFile(ctx, clerk, "b.pdf", "", pdf(3<<20)))
		_, err := rt.UploadFile(ctx, clerk, "c.pdf", "", pdf(2<<20))
		var ve *engine.ValidationError
		if !errors.As(err, &ve) || ve.Fields["file"][0].Code != "quota" ||
			!strings.Contains(ve.Fields["file"][0].Message, "将超过每人 10 MB 的上限") {
			t.Fatalf("over the quota: %v", err)
		}
		// Another user has a quota of their own.
		enginetest.Must(rt.UploadFile(ctx, other, "a.pdf", "", pdf(6<<20)))

		// Attaching a file frees its room, and it stays attached when the
		// record later holds another file.
		small := enginetest.Must(rt.UploadFile(ctx, clerk, "small.pdf", "", pdf(10)))
		claim, err := rt.Create(ctx, clerk, "att", "claim", map[string]any{"title": "差旅", "invoice": small.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.UploadFile(ctx, clerk, "c.pdf", "", pdf(2<<20)); err == nil {
			t.Fatal("a small attached file should not have made room for 2 MiB")
		}
		third := enginetest.Must(rt.UploadFile(ctx, clerk, "small2.pdf", "", pdf(10)))
		if _, err := rt.Update(ctx, clerk, "att", "claim", claim.ID, claim.Version, map[string]any{"invoice": third.ID}); err != nil {
			t.Fatal(err)
		}

		// Nothing younger than a day is swept.
		if young, err := rt.SweepFiles(ctx, 0); err != nil || len(young) != 0 {
			t.Fatalf("sweep of young files: %+v, %v", young, err)
		}
		// Once old enough (here: any age), the sweep deletes the unattached
		// uploads, and only them.
		swept, err := rt.SweepFiles(ctx, time.Nanosecond)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, f := range swept {
			ids = append(ids, f.ID)
		}
		if len(ids) != 3 || ids[0] != first.ID || ids[1] != second.ID {
			t.Fatalf("swept %+v; want a.pdf, b.pdf of clerk and a.pdf of other", swept)
		}
		for _, id := range []int64{small.ID, third.ID} {
			if _, _, err := rt.OpenFile(ctx, clerk, id); err != nil {
				t.Errorf("file #%d, once attached, was swept: %v", id, err)
			}
		}
		if _, _, err := rt.OpenFile(ctx, clerk, first.ID); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("swept file #%d: %v", first.ID, err)
		}
		// The room is back, and the sweep is in the audit trail.
		enginetest.Must(rt.UploadFile(ctx, clerk, "c.pdf", "", pdf(9<<20)))
		if rep := enginetest.Must(rt.DB.VerifyAudit(ctx)); !rep.OK() {
			t.Fatalf("audit %+v", rep)
		}
		var n int
		if err := rt.DB.Read.QueryRow(`SELECT COUNT(*) FROM growth_audit WHERE app = 'growth' AND entity = 'files' AND action = 'sweep'`).Scan(&n); err != nil || n != 3 {
			t.Errorf("%d sweep audit rows, %v", n, err)
		}
	})
}

// TestServeFileSweep: growth serve sweeps on a schedule; the first sweep runs
// when it starts.
func TestServeFileSweep(t *testing.T) {
	rt := startUploads(t, engine.SQLite)
	clerk := engine.Actor{User: "clerk", Roles: []string{"att.clerk"}}
	f := enginetest.Must(rt.UploadFile(context.Background(), clerk, "a.pdf", "", pdfBytes))
	ctx, cancel := context.WithCancel(context.Background())
	wait := rt.ServeFileSweep(ctx, time.Hour, time.Nanosecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, err := rt.OpenFile(context.Background(), clerk, f.ID)
		if errors.Is(err, engine.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled sweep did not delete the old upload: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wait()
}

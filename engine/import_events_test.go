package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// The approved budget is imported as approved: the platform may fire the
// events a record already went through elsewhere, with their effects; a
// user's upload may not.
func TestImportWithEvents(t *testing.T) {
	p := enginetest.Load(t, reportDefs)
	file := "year,agency,amount,_events\n2026,101001,1000.00,release\n2026,102001,250.50,\n"
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		ctx := context.Background()
		rep, err := rt.Import(ctx, engine.SystemActor, "rep", "budget", strings.NewReader(file), "csv", nil)
		if err != nil {
			t.Fatalf("import: %v %+v", err, rep)
		}
		released := enginetest.Must(rt.Get(ctx, engine.SystemActor, "rep", "budget", rep.IDs[0]))
		draft := enginetest.Must(rt.Get(ctx, engine.SystemActor, "rep", "budget", rep.IDs[1]))
		if released.State != "released" || draft.State != "draft" {
			t.Fatalf("states %s, %s; want released, draft", released.State, draft.State)
		}
		bal := enginetest.Must(rt.Balance(ctx, engine.SystemActor, "rep", "budget", rep.IDs[0]))
		if !bal.Open || bal.Amounts.Approved != 100000 {
			t.Fatalf("balance after imported release: %+v", bal)
		}
		h := enginetest.Must(rt.History(ctx, engine.SystemActor, "rep", "budget", rep.IDs[0]))
		if len(h.Items) < 2 || h.Items[len(h.Items)-1].Comment != "导入：已在来源系统中完成" {
			t.Fatalf("history of the imported release: %+v", h.Items)
		}

		// A wrong event lists the row and changes nothing.
		_, err = rt.Import(ctx, engine.SystemActor, "rep", "budget", strings.NewReader("year,agency,amount,_events\n2026,101001,5.00,release\n2026,101001,6.00,approve\n"), "csv", nil)
		var rej *engine.ImportRejectedError
		if !errors.As(err, &rej) || len(rej.Report.Errors) != 1 || rej.Report.Errors[0].Line != 3 {
			if rej != nil {
				t.Logf("%+v", rej.Report.Errors)
			}
			t.Fatalf("bad event: err = %v", err)
		}
		// A user may not skip the approvals.
		_, err = rt.Import(ctx, clerk, "rep", "budget", strings.NewReader(file), "csv", nil)
		if !errors.As(err, &rej) || !strings.Contains(rej.Report.Errors[0].Fields[engine.FileField][0].Message, "只能由平台导入") {
			t.Fatalf("user import with _events: err = %v", err)
		}
		list := enginetest.Must(rt.List(ctx, engine.SystemActor, "rep", "budget", engine.ListQuery{Total: true}))
		if *list.Total != 2 {
			t.Fatalf("%d budgets after refused imports, want 2", *list.Total)
		}
		if r := enginetest.Must(rt.VerifyLedger(ctx)); !r.OK() {
			t.Fatalf("ledger: %v", r)
		}
	})
}

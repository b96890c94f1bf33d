package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

func TestAuditVerifyDetectsTampering(t *testing.T) {
	p := enginetest.Load(t, testApp)
	scenarios := []struct {
		name   string
		tamper string // SQL run by hand on the audit table
		want   string
	}{
		{"edited row", `UPDATE growth_audit SET actor = 'mallory' WHERE chain_seq = 2 AND chain = 'demo.grant#01'`, "row id 2 (sequence 2, update demo.grant #1) was edited"},
		{"edited changes", `UPDATE growth_audit SET changes = '{}' WHERE chain_seq = 1 AND chain = 'demo.grant#01'`, "sequence 1, create demo.grant #1) was edited"},
		{"deleted middle row", `DELETE FROM growth_audit WHERE chain_seq = 2 AND chain = 'demo.grant#01'`, "has sequence 3, expected 2"},
		{"deleted last row", `DELETE FROM growth_audit WHERE chain_seq = 3 AND chain = 'demo.grant#01'`, "the last row is sequence 2, but the head says 3"},
		{"rewritten hash", `UPDATE growth_audit SET hash = 'x' WHERE chain_seq = 2 AND chain = 'demo.grant#01'`, "was edited"},
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				rt := enginetest.Start(t, d, p, engine.OpenAccess{})
				ctx := context.Background()
				rec := enginetest.Must(rt.Create(ctx, clerk, "demo", "grant", validGrant()))
				rec = enginetest.Must(rt.Update(ctx, clerk, "demo", "grant", rec.ID, 1, map[string]any{"used": "10.00"}))
				enginetest.Must(rt.Update(ctx, clerk, "demo", "grant", rec.ID, 2, map[string]any{"used": "20.00"}))
				ok := enginetest.Must(rt.DB.VerifyAudit(ctx))
				if !ok.OK() || ok.Rows != 3 {
					t.Fatalf("intact chain: %+v", ok)
				}
				if _, err := rt.DB.Write.ExecContext(ctx, sc.tamper); err != nil {
					t.Fatal(err)
				}
				rep := enginetest.Must(rt.DB.VerifyAudit(ctx))
				if rep.OK() {
					t.Fatal("tampering not detected")
				}
				if !strings.Contains(strings.Join(rep.Broken, "\n"), sc.want) {
					t.Fatalf("report %q does not name %q", rep.Broken, sc.want)
				}
			})
		}
	})
}

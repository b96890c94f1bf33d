package engine_test

import (
	"context"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var refReportDefs = map[string]string{"buy/app.yaml": `
app: buy
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
  supplier:
    org_field: agency
    title_fields: [name]
    fields:
      account_no: {type: string, required: true}
      name:       {type: string, required: true}
      agency:     {type: code, codeset: org, required: true}
  contract:
    fields:
      supplier: {type: ref, entity: supplier, required: true}
      amount:   {type: money, required: true}
reports:
  by_supplier:
    entity: contract
    group_by: [supplier]
    measures:
      - {name: total, agg: sum, field: amount}
roles:
  buyer:
    scope: own_org
    can: {supplier: [read], contract: [read]}
  auditor:
    scope: all
    can: {contract: [read]}
  clerk:
    scope: all
    can: {supplier: [read], contract: [read]}
    fields:
      supplier: {hidden: [name]}
`}

// TestReportGroupsRefByName: a report grouped by a ref field labels each
// group with the name of the record it points at (the entity's
// title_field), read as the reader: a supplier the reader may not see, or
// whose name is hidden from the reader, is shown by its id only.
func TestReportGroupsRefByName(t *testing.T) {
	p := enginetest.Load(t, refReportDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		access, err := engine.NewRoleAccess(p)
		if err != nil {
			t.Fatal(err)
		}
		rt.Access = access
		ctx := context.Background()
		own := enginetest.Must(rt.Create(ctx, engine.SystemActor, "buy", "supplier", map[string]any{"account_no": "6222", "name": "成都某办公用品有限公司", "agency": "101001"}))
		other := enginetest.Must(rt.Create(ctx, engine.SystemActor, "buy", "supplier", map[string]any{"account_no": "6333", "name": "绵阳某建筑公司", "agency": "102001"}))
		for _, c := range []struct {
			s      int64
			amount string
		}{{own.ID, "100.00"}, {own.ID, "50.00"}, {other.ID, "70.00"}} {
			enginetest.Must(rt.Create(ctx, engine.SystemActor, "buy", "contract", map[string]any{"supplier": c.s, "amount": c.amount}))
		}
		labels := func(actor engine.Actor) map[int64]string {
			t.Helper()
			res, err := rt.Report(ctx, actor, "buy", "by_supplier", "")
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]string{}
			for _, row := range res.Rows {
				out[row.Values["supplier"].(int64)] = row.Labels["supplier"]
			}
			return out
		}
		buyer := engine.Actor{User: "b", Org: "101001", Roles: []string{"buy.buyer"}}
		auditor := engine.Actor{User: "a", Org: "101001", Roles: []string{"buy.auditor"}}
		clerk := engine.Actor{User: "c", Org: "101001", Roles: []string{"buy.clerk"}}
		if got := labels(engine.SystemActor); got[own.ID] != "成都某办公用品有限公司" || got[other.ID] != "绵阳某建筑公司" {
			t.Errorf("system: labels %v, want the suppliers' names", got)
		}
		// The buyer reads contracts of its own agency's scope: no contract
		// carries an agency, so it sees them all, but only its own supplier.
		if got := labels(buyer); got[own.ID] != "成都某办公用品有限公司" || got[other.ID] != "" {
			t.Errorf("buyer: labels %v, want only its own agency's supplier named", got)
		}
		if got := labels(auditor); got[own.ID] != "" || got[other.ID] != "" {
			t.Errorf("auditor, who may not read suppliers: labels %v, want none", got)
		}
		if got := labels(clerk); got[own.ID] != "" || got[other.ID] != "" {
			t.Errorf("clerk, from whom the name is hidden: labels %v, want none", got)
		}
	})
}

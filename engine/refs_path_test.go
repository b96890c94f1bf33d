package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var refPathDefs = map[string]string{"buy/app.yaml": `
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
    fields:
      name:        {type: string, required: true}
      agency:      {type: code, codeset: org, required: true}
      account_no:  string
      blacklisted: {type: bool, default: false}
  plan:
    fields:
      amount: {type: money, required: true}
    balance: {amount: amount, open_on: [create]}
  contract:
    fields:
      supplier: {type: ref, entity: supplier, required: true}
      plan:     {type: ref, entity: plan, required: true}
  payment:
    org_field: agency
    fields:
      agency:   {type: code, codeset: org, required: true}
      contract: {type: ref, entity: contract, required: true}
      amount:   {type: money, required: true}
      payee_account: {type: computed, returns: string, expr: "refs.contract.refs.supplier.account_no"}
    rules:
      - name: blacklisted
        assert: "!refs.contract.refs.supplier.blacklisted"
        message: 供应商已列入黑名单
      - name: over_plan
        assert: "amount <= balance(refs.contract.refs.plan).available"
        message: 超过用款计划的可用余额
        fields: [amount]
  reservation:
    fields:
      plan:   {type: ref, entity: plan, required: true}
      amount: {type: money, required: true}
      left:   {type: computed, expr: "refs.plan.balance.available"}
    draws:
      - {on: plan, amount: amount, consume_on: [create]}
roles:
  clerk:
    scope: own_org
    can: {supplier: [read], plan: [read], contract: [read], payment: [create, read]}
`}

// TestRefPathsAndBalances: a rule reads two records deep
// (refs.contract.refs.supplier) and an account's balance figures
// (balance(refs.contract.refs.plan).available), so that an amount over the
// plan's balance is a validation error at create, on both databases. A
// record deeper in the chain that the user may not see reads as empty: its
// content decides no message the user gets, while the system reads it.
func TestRefPathsAndBalances(t *testing.T) {
	p := enginetest.Load(t, refPathDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		access, err := engine.NewRoleAccess(p)
		if err != nil {
			t.Fatal(err)
		}
		rt.Access = access
		ctx := context.Background()
		sys := engine.SystemActor
		clerk := engine.Actor{User: "c", Org: "101001", Roles: []string{"buy.clerk"}}
		own := enginetest.Must(rt.Create(ctx, sys, "buy", "supplier", map[string]any{"name": "甲", "agency": "101001", "account_no": "6222001", "blacklisted": true}))
		other := enginetest.Must(rt.Create(ctx, sys, "buy", "supplier", map[string]any{"name": "乙", "agency": "102001", "account_no": "6333", "blacklisted": true}))
		clean := enginetest.Must(rt.Create(ctx, sys, "buy", "supplier", map[string]any{"name": "丙", "agency": "101001", "account_no": "6444"}))
		plan := enginetest.Must(rt.Create(ctx, sys, "buy", "plan", map[string]any{"amount": "1000.00"}))
		enginetest.Must(rt.Create(ctx, sys, "buy", "reservation", map[string]any{"plan": plan.ID, "amount": "400.00"}))
		contract := func(s int64) int64 {
			return enginetest.Must(rt.Create(ctx, sys, "buy", "contract", map[string]any{"supplier": s, "plan": plan.ID})).ID
		}
		cOwn, cOther, cClean := contract(own.ID), contract(other.ID), contract(clean.ID)
		refused := func(actor engine.Actor, c int64, amount string) map[string][]engine.FieldError {
			t.Helper()
			_, err := rt.Create(ctx, actor, "buy", "payment", map[string]any{"agency": "101001", "contract": c, "amount": amount})
			var ve *engine.ValidationError
			if err == nil {
				return nil
			}
			if !errors.As(err, &ve) {
				t.Fatalf("payment on contract %d: %v", c, err)
			}
			return ve.Fields
		}
		// Two records deep: the computed field copies the supplier's account.
		rec := enginetest.Must(rt.Create(ctx, clerk, "buy", "payment", map[string]any{"agency": "101001", "contract": cClean, "amount": "100.00"}))
		if rec.Values["payee_account"] != "6444" {
			t.Errorf("payee_account %v, want the supplier's 6444", rec.Values["payee_account"])
		}
		// The plan has 1000.00 - 400.00 = 600.00 available: 600.01 is a
		// validation error on amount, at create.
		if f := refused(clerk, cClean, "600.01"); len(f["amount"]) != 1 || f["amount"][0].Message != "超过用款计划的可用余额" {
			t.Errorf("over the plan's balance: %v", f)
		}
		if f := refused(clerk, cClean, "600.00"); f != nil {
			t.Errorf("within the plan's balance: %v", f)
		}
		// The user's own agency's blacklisted supplier is refused.
		if f := refused(clerk, cOwn, "1.00"); len(f["_record"]) != 1 || f["_record"][0].Message != "供应商已列入黑名单" {
			t.Errorf("own blacklisted supplier: %v", f)
		}
		// Another agency's supplier is not the user's to see: nothing about
		// it shows, the payment's copy of its account stays empty.
		if f := refused(clerk, cOther, "1.00"); f != nil {
			t.Errorf("another agency's supplier decides a message: %v", f)
		}
		list := enginetest.Must(rt.List(ctx, sys, "buy", "payment", engine.ListQuery{}))
		for _, r := range list.Items {
			if r.Values["contract"] == cOther && r.Values["payee_account"] != nil && r.Values["payee_account"] != "" {
				t.Errorf("the hidden supplier's account leaked into the payment: %v", r.Values["payee_account"])
			}
		}
		// The system reads the whole chain.
		if f := refused(sys, cOther, "1.00"); len(f["_record"]) != 1 || !strings.Contains(f["_record"][0].Message, "黑名单") {
			t.Errorf("the system's payment on a blacklisted supplier: %v", f)
		}
	})
}

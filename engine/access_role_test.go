package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// accessDefs: two sibling agencies (101001, 101002) under a department (101),
// another department's agency (102001), and one role per data scope. App
// "other" defines a role with the same name, "clerk", to show that roles are
// qualified by app.
var accessDefs = map[string]string{
	"grants/app.yaml": `
app: grants
title: 拨款
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 教育厅}
      - {code: "101001", name: 教育厅本级, parent: "101"}
      - {code: "101002", name: 教育考试院, parent: "101"}
      - {code: "102", name: 民政厅}
      - {code: "102001", name: 民政厅本级, parent: "102"}
entities:
  grant:
    title: 拨款
    org_field: agency
    fields:
      agency:          {type: code, codeset: org, required: true, label: 单位}
      amount:          {type: money, required: true, label: 金额}
      purpose:         {type: string, label: 用途}
      secret_note:     {type: string, label: 内部备注}
      approved_amount: {type: money, label: 核定金额}
      memo:            {type: ref, entity: memo, label: 通知}
  memo:
    title: 通知
    fields:
      text: {type: string, required: true, label: 内容}
workflows:
  grant:
    entity: grant
    initial: draft
    states: [draft, submitted, approved]
    final: [approved]
    transitions:
      - {event: submit, from: [draft], to: submitted, roles: [clerk]}
      - {event: approve, from: [submitted], to: approved, roles: [department]}
roles:
  clerk:
    title: 单位经办
    scope: own_org
    can:
      grant: [create, read, update, delete, submit, approve]
      memo: [read]
    fields:
      grant: {hidden: [secret_note], readonly: [approved_amount]}
  department:
    title: 主管部门
    scope: org_subtree
    can:
      grant: [read, update, export, approve]
      memo: [read]
  auditor:
    title: 审计
    scope: all
    can:
      grant: [read, export]
      memo: [read, export]
  author:
    title: 撰稿
    scope: own
    can:
      memo: [create, read, update, delete]
`,
	"other/app.yaml": `
app: other
title: 其他
entities:
  note:
    title: 便签
    fields:
      text: {type: string}
roles:
  clerk:
    title: 便签经办
    scope: all
    can:
      note: [create, read]
      grants.memo: [read]
`,
}

func accessProject(t testing.TB) (*metamodel.Project, *engine.RoleAccess) {
	t.Helper()
	p := enginetest.Load(t, accessDefs)
	a, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, a
}

func accActor(user, org string, roles ...string) engine.Actor {
	return engine.Actor{User: user, Org: org, Roles: roles}
}

func TestRoleAccessCan(t *testing.T) {
	p, a := accessProject(t)
	grant := p.Entity(nil, "grants.grant")
	memo := p.Entity(nil, "grants.memo")
	note := p.Entity(nil, "other.note")
	scenarios := []struct {
		name   string
		roles  []string
		entity *metamodel.Entity
		action string
		want   bool
	}{
		{"clerk creates", []string{"grants.clerk"}, grant, "create", true},
		{"clerk may not export", []string{"grants.clerk"}, grant, "export", false},
		{"clerk submits", []string{"grants.clerk"}, grant, "submit", true},
		{"clerk is granted approve, but the transition names department only", []string{"grants.clerk"}, grant, "approve", false},
		{"department approves", []string{"grants.department"}, grant, "approve", true},
		{"department may not create", []string{"grants.department"}, grant, "create", false},
		{"auditor reads", []string{"grants.auditor"}, grant, "read", true},
		{"auditor may not update", []string{"grants.auditor"}, grant, "update", false},
		{"auditor may not delete", []string{"grants.auditor"}, grant, "delete", false},
		{"an unqualified role name grants nothing", []string{"clerk"}, grant, "read", false},
		{"another app's clerk is not this app's clerk", []string{"other.clerk"}, grant, "read", false},
		{"a role may be granted another app's entity", []string{"other.clerk"}, memo, "read", true},
		{"union of roles", []string{"grants.auditor", "other.clerk"}, note, "create", true},
		{"admin manages users, not records", []string{engine.AdminRole}, grant, "read", false},
		{"the platform itself may do everything", []string{engine.SystemRole}, grant, "delete", true},
		{"no roles, no rights", nil, memo, "read", false},
		{"unknown action", []string{"grants.clerk"}, grant, "launch", false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if got := a.Can(accActor("u", "101001", sc.roles...), sc.entity, sc.action); got != sc.want {
				t.Errorf("Can(%v, %s, %s) = %v, want %v", sc.roles, sc.entity.QualifiedName(), sc.action, got, sc.want)
			}
		})
	}
}

func TestRoleAccessScope(t *testing.T) {
	p, a := accessProject(t)
	grant := p.Entity(nil, "grants.grant")
	memo := p.Entity(nil, "grants.memo")
	scenarios := []struct {
		name   string
		actor  engine.Actor
		entity *metamodel.Entity
		want   string // the filter, "" for every record
	}{
		{"own_org is the actor's org", accActor("c1", "101001", "grants.clerk"), grant, "agency = '101001'"},
		{"org_subtree is the actor's org and below", accActor("d1", "101", "grants.department"), grant, "agency like '101%'"},
		{"org_subtree of an agency without units is the agency", accActor("d2", "101001", "grants.department"), grant, "agency = '101001'"},
		{"all", accActor("a1", "", "grants.auditor"), grant, ""},
		{"own is the actor's records", accActor("w1", "101001", "grants.author"), memo, "created_by = 'w1'"},
		{"no org, no records", accActor("c2", "", "grants.clerk"), grant, "id is null"},
		{"an org of no tree of the entity owns no records", accActor("c3", "510000000", "grants.clerk"), grant, "id is null"},
		{"a role that may not read adds nothing", accActor("x", "101001", "other.clerk"), grant, "id is null"},
		{"union of two roles, the same condition once", accActor("c4", "101001", "grants.clerk", "grants.department"), grant, "agency = '101001'"},
		{"union of two roles", accActor("c4", "101", "grants.clerk", "grants.department"), grant, "agency = '101' or agency like '101%'"},
		{"all wins a union", accActor("c5", "101001", "grants.clerk", "grants.auditor"), grant, ""},
		{"an entity without org_field is read whole by org scopes", accActor("c6", "101001", "grants.clerk"), memo, ""},
		{"the platform sees everything", engine.SystemActor, grant, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := ""
			if n := a.Scope(sc.actor, sc.entity); n != nil {
				got = n.String()
			}
			if got != sc.want {
				t.Errorf("Scope = %q, want %q", got, sc.want)
			}
		})
	}
}

func TestRoleAccessSees(t *testing.T) {
	p, a := accessProject(t)
	grant := p.Entity(nil, "grants.grant")
	memo := p.Entity(nil, "grants.memo")
	rec := func(agency, by string) *engine.Record {
		return &engine.Record{CreatedBy: by, Values: map[string]any{"agency": agency}}
	}
	scenarios := []struct {
		name   string
		actor  engine.Actor
		entity *metamodel.Entity
		action string
		rec    *engine.Record
		want   bool
	}{
		{"clerk updates own agency's record", accActor("c1", "101001", "grants.clerk"), grant, "update", rec("101001", "x"), true},
		{"clerk may not update the sibling agency's", accActor("c1", "101001", "grants.clerk"), grant, "update", rec("101002", "x"), false},
		{"department updates below it", accActor("d1", "101", "grants.department"), grant, "update", rec("101002", "x"), true},
		{"department may not update another department's", accActor("d1", "101", "grants.department"), grant, "update", rec("102001", "x"), false},
		{"auditor has no write scope", accActor("a1", "", "grants.auditor"), grant, "update", rec("101001", "x"), false},
		{"author deletes own memo", accActor("w1", "", "grants.author"), memo, "delete", &engine.Record{CreatedBy: "w1"}, true},
		{"author may not delete another's memo", accActor("w1", "", "grants.author"), memo, "delete", &engine.Record{CreatedBy: "w2"}, false},
		// With two roles the write scope is that of the role allowed to write:
		// department may update below 101, but only clerk (own_org) may delete.
		{"clerk+department update the sibling's", accActor("c7", "101001", "grants.clerk", "grants.department"), grant, "update", rec("101002", "x"), false},
		{"clerk+auditor still write only own org", accActor("c8", "101001", "grants.clerk", "grants.auditor"), grant, "delete", rec("101002", "x"), false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if got := a.SeesFor(sc.actor, sc.entity, sc.action, sc.rec); got != sc.want {
				t.Errorf("SeesFor = %v, want %v", got, sc.want)
			}
		})
	}
}

func TestRoleAccessFieldRules(t *testing.T) {
	p, a := accessProject(t)
	grant := p.Entity(nil, "grants.grant")
	scenarios := []struct {
		name            string
		roles           []string
		field           string
		hidden, readOnl bool
	}{
		{"clerk: hidden field", []string{"grants.clerk"}, "secret_note", true, true},
		{"clerk: read-only field", []string{"grants.clerk"}, "approved_amount", false, true},
		{"clerk: plain field", []string{"grants.clerk"}, "amount", false, false},
		{"auditor sees everything and writes nothing", []string{"grants.auditor"}, "secret_note", false, true},
		{"with auditor, clerk sees the hidden field but still cannot write it", []string{"grants.clerk", "grants.auditor"}, "secret_note", false, true},
		{"with department, approved_amount becomes writable", []string{"grants.clerk", "grants.department"}, "approved_amount", false, false},
		{"a role without grants on the entity hides nothing of it", []string{"other.clerk"}, "secret_note", false, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			actor := accActor("u", "101001", sc.roles...)
			if got := a.Hidden(actor, grant, sc.field); got != sc.hidden {
				t.Errorf("Hidden(%s) = %v, want %v", sc.field, got, sc.hidden)
			}
			if got := a.ReadOnly(actor, grant, sc.field); got != sc.readOnl {
				t.Errorf("ReadOnly(%s) = %v, want %v", sc.field, got, sc.readOnl)
			}
		})
	}
}

func TestRoleAccessPermissions(t *testing.T) {
	_, a := accessProject(t)
	got := map[engine.Permission]bool{}
	for _, perm := range a.Permissions() {
		got[perm] = true
	}
	for _, want := range []engine.Permission{
		{App: "grants", Role: "clerk", Scope: "own_org", Entity: "grants.grant", Action: "submit"},
		{App: "grants", Role: "department", Scope: "org_subtree", Entity: "grants.grant", Action: "approve"},
		{App: "other", Role: "clerk", Scope: "all", Entity: "grants.memo", Action: "read"},
	} {
		if !got[want] {
			t.Errorf("policy lacks %+v", want)
		}
	}
	if bad := (engine.Permission{App: "grants", Role: "clerk", Scope: "own_org", Entity: "grants.grant", Action: "approve"}); got[bad] {
		t.Errorf("policy has %+v, which the transition's roles exclude", bad)
	}
	if !a.HasRole("grants.clerk") || !a.HasRole(engine.AdminRole) || a.HasRole("clerk") || a.HasRole(engine.SystemRole) {
		t.Error("HasRole: want grants.clerk and admin, not clerk or system")
	}
}

func TestActorRolesIn(t *testing.T) {
	actor := accActor("u", "", "grants.clerk", "other.clerk", "admin", "grants.auditor")
	if got := actor.RolesIn("grants"); len(got) != 2 || got[0] != "clerk" || got[1] != "auditor" {
		t.Errorf("RolesIn(grants) = %v, want [clerk auditor]", got)
	}
}

// TestDataScopeInTheRuntime drives the runtime with RoleAccess on both
// databases: sibling agencies do not see each other, the department sees
// both, the auditor reads all and writes nothing, ids guessed across
// agencies find nothing.
func TestDataScopeInTheRuntime(t *testing.T) {
	p, access := accessProject(t)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, access)
		ctx := context.Background()
		clerk1 := accActor("c1", "101001", "grants.clerk")
		clerk2 := accActor("c2", "101002", "grants.clerk")
		dept := accActor("d1", "101", "grants.department")
		auditor := accActor("a1", "", "grants.auditor")
		author := accActor("w1", "", "grants.author")

		mine := enginetest.Must(rt.Create(ctx, clerk1, "grants", "grant", map[string]any{"agency": "101001", "amount": "10.00"}))
		sibling := enginetest.Must(rt.Create(ctx, clerk2, "grants", "grant", map[string]any{"agency": "101002", "amount": "20.00"}))
		elsewhere := enginetest.Must(rt.Create(ctx, engine.SystemActor, "grants", "grant", map[string]any{"agency": "102001", "amount": "30.00"}))
		theirMemo := enginetest.Must(rt.Create(ctx, engine.SystemActor, "grants", "memo", map[string]any{"text": "x"}))
		ownMemo := enginetest.Must(rt.Create(ctx, author, "grants", "memo", map[string]any{"text": "y"}))

		listIDs := func(actor engine.Actor, entity string) []int64 {
			t.Helper()
			res, err := rt.List(ctx, actor, "grants", entity, engine.ListQuery{Sort: "id"})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range res.Items {
				ids = append(ids, r.ID)
			}
			return ids
		}
		lists := []struct {
			name   string
			actor  engine.Actor
			entity string
			want   []int64
		}{
			{"clerk sees own agency only", clerk1, "grant", []int64{mine.ID}},
			{"sibling clerk sees its own only", clerk2, "grant", []int64{sibling.ID}},
			{"department sees both agencies below it", dept, "grant", []int64{mine.ID, sibling.ID}},
			{"auditor sees all", auditor, "grant", []int64{mine.ID, sibling.ID, elsewhere.ID}},
			{"author sees own memos", author, "memo", []int64{ownMemo.ID}},
			{"clerk reads all memos (no org_field)", clerk1, "memo", []int64{theirMemo.ID, ownMemo.ID}},
		}
		for _, l := range lists {
			if got := listIDs(l.actor, l.entity); !equalIDs(got, l.want) {
				t.Errorf("%s: list = %v, want %v", l.name, got, l.want)
			}
		}

		errs := []struct {
			name string
			err  error
			want error
		}{
			{"get across agencies is not found", errOf(rt.Get(ctx, clerk1, "grants", "grant", sibling.ID)), engine.ErrNotFound},
			{"guessed id of another department is not found", errOf(rt.Get(ctx, dept, "grants", "grant", elsewhere.ID)), engine.ErrNotFound},
			{"update across agencies is forbidden", errOf(rt.Update(ctx, clerk1, "grants", "grant", sibling.ID, 1, map[string]any{"amount": "1.00"})), engine.ErrForbidden},
			{"delete across agencies is forbidden", rt.Delete(ctx, clerk1, "grants", "grant", sibling.ID, 1), engine.ErrForbidden},
			{"create for a sibling agency is forbidden", errOf(rt.Create(ctx, clerk1, "grants", "grant", map[string]any{"agency": "101002", "amount": "1.00"})), engine.ErrForbidden},
			{"moving a record out of scope is forbidden", errOf(rt.Update(ctx, clerk1, "grants", "grant", mine.ID, 1, map[string]any{"agency": "101002"})), engine.ErrForbidden},
			{"auditor may not update", errOf(rt.Update(ctx, auditor, "grants", "grant", mine.ID, 1, map[string]any{"amount": "1.00"})), engine.ErrForbidden},
			{"auditor may not delete", rt.Delete(ctx, auditor, "grants", "grant", mine.ID, 1), engine.ErrForbidden},
			{"author may not read another's memo", errOf(rt.Get(ctx, author, "grants", "memo", theirMemo.ID)), engine.ErrNotFound},
		}
		for _, e := range errs {
			if !errors.Is(e.err, e.want) {
				t.Errorf("%s: err = %v, want %v", e.name, e.err, e.want)
			}
		}

		// Field rules: writing a hidden or read-only field is refused, naming it.
		for _, field := range []string{"secret_note", "approved_amount"} {
			_, err := rt.Update(ctx, clerk1, "grants", "grant", mine.ID, 1, map[string]any{field: "1"})
			var ve *engine.ValidationError
			if !errors.As(err, &ve) || ve.Fields[field] == nil {
				t.Errorf("clerk writing %s: err = %v, want a validation error naming it", field, err)
			}
		}
		// A filter on a hidden field does not resolve.
		var bq *engine.BadQueryError
		if _, err := rt.List(ctx, clerk1, "grants", "grant", engine.ListQuery{Filter: "secret_note = 'x'"}); !errors.As(err, &bq) {
			t.Errorf("filter on a hidden field: err = %v, want a bad query", err)
		}
		// The department may update a record below it.
		if _, err := rt.Update(ctx, dept, "grants", "grant", sibling.ID, 1, map[string]any{"approved_amount": "15.00"}); err != nil {
			t.Errorf("department updating 101002: %v", err)
		}
		// A reference to a record the actor may not read is refused like a missing one.
		outOfScope := enginetest.Must(rt.Create(ctx, engine.SystemActor, "grants", "memo", map[string]any{"text": "z"}))
		_, err := rt.Create(ctx, accActor("w2", "101001", "grants.author", "grants.clerk"), "grants", "grant", map[string]any{"agency": "101001", "amount": "1.00", "memo": outOfScope.ID})
		if err != nil {
			t.Errorf("clerk reads every memo, so may refer to one: %v", err)
		}
		_, err = rt.Update(ctx, accActor("c1", "101001", "grants.clerk"), "grants", "grant", mine.ID, 1, map[string]any{"memo": int64(999999)})
		var ve *engine.ValidationError
		if !errors.As(err, &ve) || ve.Fields["memo"] == nil {
			t.Errorf("reference to a missing memo: err = %v, want a validation error on memo", err)
		}
	})
}

func TestRefToRecordOutOfScopeLooksMissing(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"r/app.yaml": `
app: r
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 甲}
      - {code: "101001", name: 甲本级, parent: "101"}
      - {code: "101002", name: 甲下属, parent: "101"}
entities:
  budget:
    org_field: agency
    fields:
      agency: {type: code, codeset: org, required: true}
  spend:
    org_field: agency
    fields:
      agency: {type: code, codeset: org, required: true}
      budget: {type: ref, entity: budget, required: true}
roles:
  clerk:
    scope: own_org
    can:
      budget: [read]
      spend: [create, read]
  payer:
    scope: own_org
    can:
      spend: [create, read]
`})
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, access)
		ctx := context.Background()
		own := enginetest.Must(rt.Create(ctx, engine.SystemActor, "r", "budget", map[string]any{"agency": "101001"}))
		other := enginetest.Must(rt.Create(ctx, engine.SystemActor, "r", "budget", map[string]any{"agency": "101002"}))
		clerk := accActor("c1", "101001", "r.clerk")
		if _, err := rt.Create(ctx, clerk, "r", "spend", map[string]any{"agency": "101001", "budget": own.ID}); err != nil {
			t.Errorf("reference within scope: %v", err)
		}
		codes := map[string]string{}
		for name, id := range map[string]int64{"out of scope": other.ID, "missing": 999999} {
			_, err := rt.Create(ctx, clerk, "r", "spend", map[string]any{"agency": "101001", "budget": id})
			var ve *engine.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields["budget"]) == 0 {
				t.Fatalf("%s: err = %v, want a validation error on budget", name, err)
			}
			codes[name] = string(ve.Fields["budget"][0].Code)
		}
		if codes["out of scope"] != codes["missing"] || codes["missing"] != "ref_not_found" {
			t.Errorf("out-of-scope and missing references answer differently: %v", codes)
		}
		_, err := rt.Create(ctx, accActor("p1", "101001", "r.payer"), "r", "spend", map[string]any{"agency": "101001", "budget": own.ID})
		var ve *engine.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields["budget"]) == 0 || ve.Fields["budget"][0].Code != "ref_forbidden" {
			t.Errorf("reference by a role that may not read budgets: err = %v, want ref_forbidden", err)
		}
	})
}

func errOf[T any](_ T, err error) error { return err }

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSubtreeScopeShapes: a subtree is queried by equality, by prefix or by
// the list of its codes, whichever suits its size (docs/performance.md).
func TestSubtreeScopeShapes(t *testing.T) {
	var codes strings.Builder
	for d := 1; d <= 10; d++ {
		fmt.Fprintf(&codes, "      - {code: \"%03d\", name: 部门%d}\n", d, d)
		for a := 1; a <= 20; a++ {
			fmt.Fprintf(&codes, "      - {code: \"%03d%03d\", name: 单位%d-%d, parent: \"%03d\"}\n", d, a, d, a, d)
		}
	}
	codes.WriteString("      - {code: \"001001001\", name: 下属一, parent: \"001001\"}\n      - {code: \"001001002\", name: 下属二, parent: \"001001\"}\n")
	codes.WriteString("      - {code: \"X1\", name: 非前缀编码}\n      - {code: \"Y7\", name: 非前缀下级, parent: \"X1\"}\n")
	p := enginetest.Load(t, map[string]string{"s/app.yaml": `
app: s
codesets:
  org:
    title: 单位
    codes:
` + codes.String() + `
entities:
  item:
    org_field: agency
    fields:
      agency: {type: code, codeset: org, required: true}
roles:
  dept: {scope: org_subtree, can: {item: [read]}}
`})
	a, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	item := p.Entity(nil, "s.item")
	for _, sc := range []struct{ org, want string }{
		{"001", "agency like '001%'"},       // 23 of 214 codes: a prefix
		{"001002", "agency = '001002'"},     // nothing below: equality
		{"001001", "agency under '001001'"}, // 3 of 214 codes: the list
		{"X1", "agency under 'X1'"},         // codes below do not extend X1
	} {
		if got := a.Scope(accActor("d", sc.org, "s.dept"), item).String(); got != sc.want {
			t.Errorf("org_subtree of %s: %q, want %q", sc.org, got, sc.want)
		}
	}
	// Whatever the shape, the same records are in scope, on both databases.
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, a)
		ctx := context.Background()
		for _, code := range []string{"001", "001001", "001001001", "001002", "002001", "X1", "Y7"} {
			enginetest.Must(rt.Create(ctx, engine.SystemActor, "s", "item", map[string]any{"agency": code}))
		}
		for _, sc := range []struct {
			org  string
			want int
		}{{"001", 4}, {"001001", 2}, {"001002", 1}, {"X1", 2}, {"002", 1}} {
			res, err := rt.List(ctx, accActor("d", sc.org, "s.dept"), "s", "item", engine.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Items) != sc.want {
				t.Errorf("org_subtree of %s lists %d records, want %d", sc.org, len(res.Items), sc.want)
			}
		}
	})
}

package ui_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestAuditorPage on the shipped definitions, on both databases: an app's
// auditor sees that app only (its findings, diagrams and toxic combinations),
// in Chinese with the labels of the definitions, and in English when asked;
// the insider holding the clerk, reviewer and treasury roles of the payment
// app is listed among the real users with toxic combinations.
func TestAuditorPage(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "pay-auditor", "", "payment.auditor")
		s.addUser(t, "root", "", engine.AdminRole)
		s.addUser(t, "insider", "104001", "payment.agency_clerk", "payment.agency_reviewer", "payment.treasury")
		s.addUser(t, "clerk", "104001", "payment.agency_clerk")

		b := s.browser(t)
		b.login("pay-auditor")
		b.get("/ui/audit").want(t, "the payment auditor's page", 200,
			"不相容岗位组合（实际用户）", "insider", "支付申请：新建（单位经办）、修改（单位经办）、提交（单位经办）", "签章（国库支付中心）", "not_by: [editors, submitter, actors]（“签章”）在同一笔记录上拒绝",
			"流程“用款计划审批”：没有任何审批环节需要会签", "/ui/audit/diagram/payment/payment")
		page := b.get("/ui/audit")
		page.lacks(t, "the payment auditor's page", "/ui/audit/diagram/indicator/", "?app=indicator", "workflow plan:")
		b.get("/ui/audit?app=indicator").want(t, "another app's audit page", http.StatusForbidden, "您只能审计自己负责的应用")
		b.get("/ui/audit/diagram/indicator/indicator").want(t, "another app's diagram", http.StatusForbidden)
		b.get("/ui/audit/diagram/payment/payment").want(t, "the payment diagram in Chinese", 200, "不得由录入或修改人、提交人、经手过前序环节的人执行", "会签 1 人；支付金额超过 1000000.00 2 人", "角色：国库支付中心")
		b.get("/ui/audit?lang=en").want(t, "the page in English", 200, "Toxic combinations (real users)", "workflow plan: no approval step needs a quorum")
		b.get("/ui/audit/diagram/payment/payment").want(t, "the diagram in English", 200, "not by editors, submitter, actors")

		root := s.browser(t)
		root.login("root")
		root.get("/ui/audit?app=indicator").want(t, "an admin audits every app", 200, "/ui/audit/diagram/indicator/indicator")
	})
}

// TestFieldHistoryOnRecordPage: a record's page lists its writes from the
// audit trail, field by field — who, when, which action, before → after —
// and leaves out fields hidden from the reader, on both databases.
func TestFieldHistoryOnRecordPage(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"hr/app.yaml": `
app: hr
title: 人事
entities:
  person:
    title: 人员
    fields:
      name:   {type: string, label: 姓名, label_en: Name, required: true}
      salary: {type: money, label: 工资, label_en: Salary}
roles:
  clerk:
    scope: all
    can:
      person: [create, read, update]
    fields:
      person: {hidden: [salary]}
  manager:
    scope: all
    can:
      person: [create, read, update]
`})
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "", "hr.clerk")
		s.addUser(t, "manager", "", "hr.manager")
		ctx := context.Background()
		manager := engine.Actor{User: "manager", Roles: []string{"hr.manager"}}
		rec, err := s.rt.Create(ctx, manager, "hr", "person", map[string]any{"name": "张三", "salary": "8765.43"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.rt.Update(ctx, manager, "hr", "person", rec.ID, 1, map[string]any{"name": "张叁", "salary": "9765.43"}); err != nil {
			t.Fatal(err)
		}
		m := s.browser(t)
		m.login("manager")
		m.get("/ui/hr/person/1").want(t, "the manager's record page", 200, "字段变更记录", "变更前", "变更后",
			`<td>姓名</td><td class="before">张三</td><td class="after">张叁</td>`,
			`<td>工资</td><td class="before">8765.43</td><td class="after">9765.43</td>`,
			`<td>工资</td><td class="before">—</td><td class="after">8765.43</td>`, ">修改<", ">创建<")
		m.get("/ui/hr/person/1?lang=en").want(t, "in English", 200, "Field history", `<td>Salary</td><td class="before">8765.43</td>`)
		c := s.browser(t)
		c.login("clerk")
		page := c.get("/ui/hr/person/1")
		page.want(t, "the clerk's record page", 200, "字段变更记录", `<td class="before">张三</td>`)
		page.lacks(t, "the clerk's record page", "8765.43", "9765.43", "工资")
	})
}

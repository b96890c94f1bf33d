package apps_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

var workflowApp = map[string]string{"wf/app.yaml": `
app: wf
title: 流程测试
entities:
  request:
    title: 申请
    fields:
      year:    {type: int, required: true, default: 2026}
      amount:  {type: money, required: true}
      req_no:  {type: string, readonly: true}
workflows:
  request:
    entity: request
    initial: draft
    states: [draft, submitted, reviewed, approved, rejected]
    final: [approved]
    editable: [draft, rejected]
    labels: {draft: 草稿, submitted: 已提交, reviewed: 已复核, approved: 已批准, rejected: 已退回}
    transitions:
      - {event: submit, label: 提交, from: [draft, rejected], to: submitted, roles: [clerk], number: {field: req_no, format: "SQ{year}{seq:3}", per: [year]}}
      - {event: review, label: 复核, from: submitted, to: reviewed, roles: [reviewer], not_by: [creator], guard: "amount <= 50000", guard_message: 超过五万元不能复核}
      - {event: approve, label: 批准, from: reviewed, to: approved, roles: [board], quorum: 2}
      - {event: reject, label: 退回, from: [submitted, reviewed], to: rejected, roles: [reviewer, board], comment: required}
roles:
  clerk:    {scope: all, can: {request: [create, read, update, submit]}}
  reviewer: {scope: all, can: {request: [read, review, reject]}}
  board:    {scope: all, can: {request: [read, approve, reject]}}
  auditor:  {scope: all, can: {request: [read, review]}}
  outsider: {scope: own, can: {request: [read, create]}}
`}

// headerActor reads the acting user from test headers; real authentication
// is not part of these tests.
func headerActor(c *fiber.Ctx) (engine.Actor, error) {
	var roles []string
	if r := c.Get("X-Test-Roles"); r != "" {
		roles = strings.Split(r, ",")
	}
	return engine.Actor{User: c.Get("X-Test-User"), Roles: roles}, nil
}

// grantsByRole grants what the actor's roles grant under can:; a role with
// scope own sees only its own records. It stands in for the access feature.
type grantsByRole struct{ engine.OpenAccess }

func (grantsByRole) Can(actor engine.Actor, e *metamodel.Entity, action string) bool {
	for _, name := range actor.Roles {
		if r := e.App.Role(name); r != nil {
			for _, g := range r.Can {
				if g.Name == e.Name && slices.Contains(g.Actions, action) {
					return true
				}
			}
		}
	}
	return false
}

func (grantsByRole) Scope(actor engine.Actor, e *metamodel.Entity) filter.Node {
	if slices.Equal(actor.Roles, []string{"outsider"}) {
		return &filter.Compare{Field: "created_by", Op: filter.Eq, Value: filter.Value{Kind: filter.String, Text: actor.User}}
	}
	return nil
}

func as(user, roles string) map[string]string {
	return map[string]string{"X-Test-User": user, "X-Test-Roles": roles}
}

func TestWorkflowAPI(t *testing.T) {
	p := enginetest.Load(t, workflowApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, grantsByRole{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: headerActor})
		if err != nil {
			t.Fatal(err)
		}
		clerk, reviewer := as("c1", "clerk"), as("r1", "reviewer")
		for _, amount := range []string{"100.00", "60000.00"} {
			apitest.Run(t, app, apitest.Scenario{Name: "seed", Method: "POST", Path: "/api/wf/request", Body: map[string]any{"amount": amount}, Headers: clerk, Status: 201})
		}
		scenarios := []apitest.Scenario{
			{Name: "events of a draft", Method: "GET", Path: "/api/wf/request/1/events", Headers: clerk, Status: 200,
				Want: map[string]any{"state": "draft", "state_label": "草稿", "events.#": 1, "events.0.event": "submit", "events.0.available": true, "events.0.to_label": "已提交"}},
			{Name: "submit", Method: "POST", Path: "/api/wf/request/1/events/submit", Headers: clerk, Status: 200,
				Want: map[string]any{"state": "submitted", "_labels.state": "已提交", "req_no": "SQ2026001", "version": 2}},
			{Name: "submit the other", Method: "POST", Path: "/api/wf/request/2/events/submit", Body: `{"comment": "请审核"}`, Headers: clerk, Status: 200,
				Want: map[string]any{"req_no": "SQ2026002"}},
			{Name: "edit after submit", Method: "PATCH", Path: "/api/wf/request/1", Body: `{"version": 2, "amount": "5.00"}`, Headers: clerk, Status: 409,
				Want: map[string]any{"error.code": "state"}},
			{Name: "wrong state", Method: "POST", Path: "/api/wf/request/1/events/approve", Headers: as("b1", "board"), Status: 409,
				Want: map[string]any{"error.code": "state", "error.message": "申请 #1 当前状态为“已提交”，不能执行“批准”（仅可在“已复核”状态下执行）"}},
			{Name: "role not on the transition", Method: "POST", Path: "/api/wf/request/1/events/review", Headers: as("a1", "auditor"), Status: 403,
				Want: map[string]any{"error.code": "forbidden"}},
			{Name: "not granted", Method: "POST", Path: "/api/wf/request/1/events/review", Headers: clerk, Status: 403},
			{Name: "creator may not review", Method: "POST", Path: "/api/wf/request/1/events/review", Headers: as("c1", "clerk,reviewer"), Status: 403,
				Want: map[string]any{"error.message": "不能审批自己创建的记录"}},
			{Name: "reject needs a comment", Method: "POST", Path: "/api/wf/request/1/events/reject", Body: `{"comment": ""}`, Headers: reviewer, Status: 422,
				Want: map[string]any{"error.code": "validation", "error.fields.comment.0": "“退回”须填写意见"}},
			{Name: "guard fails", Method: "POST", Path: "/api/wf/request/2/events/review", Headers: reviewer, Status: 422,
				Want: map[string]any{"error.message": "超过五万元不能复核", "error.field_codes._record.0": "guard"}},
			{Name: "guard shown in the events", Method: "GET", Path: "/api/wf/request/2/events", Headers: reviewer, Status: 200,
				Want: map[string]any{"events.0.event": "review", "events.0.available": false, "events.0.reason": "超过五万元不能复核", "events.1.event": "reject"}},
			{Name: "unknown body key", Method: "POST", Path: "/api/wf/request/1/events/review", Body: `{"note": "x"}`, Headers: reviewer, Status: 400,
				Want: map[string]any{"error.code": "malformed"}},
			{Name: "unknown event", Method: "POST", Path: "/api/wf/request/1/events/launch", Headers: reviewer, Status: 404},
			{Name: "review", Method: "POST", Path: "/api/wf/request/1/events/review", Body: `{"comment": "无误"}`, Headers: reviewer, Status: 200,
				Want: map[string]any{"state": "reviewed"}},
			{Name: "first of two approvals", Method: "POST", Path: "/api/wf/request/1/events/approve", Headers: as("b1", "board"), Status: 200,
				Want: map[string]any{"state": "reviewed", "version": 3, "_approvals.count": 1, "_approvals.quorum": 2, "_approvals.approvers": []string{"b1"}}},
			{Name: "same approver again", Method: "POST", Path: "/api/wf/request/1/events/approve", Headers: as("b1", "board"), Status: 409,
				Want: map[string]any{"error.message": "您已就“批准”审批过（1/2），须由其他人审批"}},
			{Name: "second approval", Method: "POST", Path: "/api/wf/request/1/events/approve", Body: `{"comment": "同意"}`, Headers: as("b2", "board"), Status: 200,
				Want: map[string]any{"state": "approved", "version": 4}},
			{Name: "history", Method: "GET", Path: "/api/wf/request/1/history", Headers: reviewer, Status: 200,
				Want: map[string]any{"items.#": 4, "items.0.event": "create", "items.0.to": "draft", "items.0.actor": "c1",
					"items.2.event": "review", "items.2.from": "submitted", "items.2.to": "reviewed", "items.2.actor": "r1", "items.2.comment": "无误",
					"items.3.approvals.#": 2, "items.3.approvals.0.approver": "b1", "items.3.actor": "b2", "items.3.def_version": p.Hash, "pending.#": 0}},
			{Name: "history out of scope", Method: "GET", Path: "/api/wf/request/1/history", Headers: as("o1", "outsider"), Status: 404},
			{Name: "events out of scope", Method: "GET", Path: "/api/wf/request/1/events", Headers: as("o1", "outsider"), Status: 404},
			{Name: "history without read", Method: "GET", Path: "/api/wf/request/1/history", Headers: as("x", "nobody"), Status: 403},
		}
		for _, sc := range scenarios {
			apitest.Run(t, app, sc)
		}
	})
}

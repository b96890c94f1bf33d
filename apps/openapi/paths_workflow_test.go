package openapi

import (
	"slices"
	"testing"
)

func TestWorkflowSchemas(t *testing.T) {
	quorumApp := map[string]string{"wf/app.yaml": `
app: wf
entities:
  request:
    fields:
      amount: money
  memo:
    fields:
      text: string
workflows:
  request:
    entity: request
    initial: draft
    states: [draft, submitted, approved]
    final: [approved]
    transitions:
      - {event: submit, from: [draft], to: submitted}
      - {event: approve, from: [submitted], to: approved, quorum: 2}
  memo:
    entity: memo
    initial: draft
    states: [draft, sent]
    final: [sent]
    transitions:
      - {event: send, from: [draft], to: sent}
`}
	data, doc := generate(t, loadProject(t, quorumApp))
	validate(t, data)
	schemas := at(t, doc, "components", "schemas")
	fire := func(entity string) string {
		s := at(t, doc, "paths", "/api/wf/"+entity+"/{id}/events/{event}", "post", "responses", "200", "content", "application/json", "schema")
		return s["$ref"].(string)
	}
	if got := fire("request"); got != "#/components/schemas/wf.request.Fired" {
		t.Errorf("firing on a workflow with a quorum answers %s, want wf.request.Fired", got)
	}
	if got := fire("memo"); got != "#/components/schemas/wf.memo" {
		t.Errorf("firing on a workflow without a quorum answers %s, want the record", got)
	}
	if _, has := schemas["wf.memo.Fired"]; has {
		t.Error("a workflow without a quorum has a Fired schema")
	}
	fired := at(t, schemas, "wf.request.Fired")["allOf"].([]any)
	if len(fired) != 2 || at(t, fired[1].(map[string]any), "properties", "_approvals")["$ref"] != "#/components/schemas/ApprovalProgress" {
		t.Errorf("Fired = %v, want the record and _approvals", fired)
	}
	scenarios := []struct {
		schema   string
		path     []string
		required []string
	}{
		{"wf.request.Events", nil, []string{"state", "state_label", "events"}},
		{"wf.request.Events", []string{"properties", "events", "items"}, []string{"event", "label", "to", "to_label", "comment_required", "available"}},
		{"wf.request.History", nil, []string{"items", "pending"}},
		{"wf.request.History", []string{"properties", "items", "items"}, []string{"id", "event", "label", "from", "to", "from_label", "to_label", "actor", "at", "comment", "def_version"}},
		{"ApprovalProgress", nil, []string{"event", "count", "quorum", "approvers"}},
		{"Approval", nil, []string{"event", "approver", "at", "comment", "def_version"}},
	}
	for _, sc := range scenarios {
		s := at(t, schemas, append([]string{sc.schema}, sc.path...)...)
		if got := stringList(s["required"]); !slices.Equal(got, sc.required) {
			t.Errorf("%s %v: required = %v, want %v", sc.schema, sc.path, got, sc.required)
		}
	}
	params := at(t, doc, "paths", "/api/wf/request/{id}/events/{event}", "post")["parameters"].([]any)
	if params[0].(map[string]any)["$ref"] != "#/components/parameters/Idempotency-Key" {
		t.Errorf("firing takes no Idempotency-Key: %v", params)
	}
}

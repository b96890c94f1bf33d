package openapi

import (
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// addWorkflowPaths adds, for an entity with a workflow, firing an event, the
// events open to a record, and a record's history.
func (b *builder) addWorkflowPaths(e *metamodel.Entity) error {
	w := e.Workflow
	tags := []string{e.App.Name}
	label := e.Label()

	fired := ref(recordName(e))
	if hasQuorum(w) {
		fired = ref(firedName(e))
	}
	fire := &operation{
		Tags:        tags,
		Summary:     "Fire a workflow event on " + label,
		Description: fireDescription(w),
		OperationID: operationID("fire", e),
		Parameters:  []*parameter{paramRef(paramIdempotency)},
		RequestBody: &requestBody{
			Description: "Optional unless the event requires a comment.",
			Content:     jsonBody(ref("EventInput")),
		},
		Responses: responses("200", "The record after the event.", fired, "400", "401", "403", "404", "409", "413", "422", "500"),
	}
	eventParam := &parameter{
		Name: "event", In: "path", Required: true, Description: "The event to fire.",
		Schema: &schema{Type: "string", Enum: eventNames(w)},
	}
	if err := b.add(recordPath(e)+"/events/{event}", &pathItem{Parameters: []*parameter{paramRef(paramID), eventParam}, Post: fire}); err != nil {
		return err
	}

	events := &operation{
		Tags:        tags,
		Summary:     "Events open to " + label,
		Description: "The record's state, and the events the caller may fire on it in that state: those the caller's roles, the transition's roles and its not_by allow. An event whose guard fails now, that a record pointing at this one blocks, or that the caller has already approved towards its quorum is listed with available false and the reason, so that a client can show a disabled button.",
		OperationID: operationID("events", e),
		Responses:   responses("200", "The events.", ref(eventsName(e)), "401", "403", "404", "500"),
	}
	if err := b.add(recordPath(e)+"/events", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: events}); err != nil {
		return err
	}

	history := &operation{
		Tags:        tags,
		Summary:     "History of " + label,
		Description: "Every transition of the record, oldest first, from its creation (event create), each with the approvals that led to it; and the approvals collected towards a quorum not reached yet.",
		OperationID: operationID("history", e),
		Responses:   responses("200", "The history.", ref(historyName(e)), "401", "403", "404", "500"),
	}
	return b.add(recordPath(e)+"/history", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: history})
}

// addWorkflowSchemas adds the bodies of the fire, events and history
// operations.
func addWorkflowSchemas(schemas *ordered[*schema], e *metamodel.Entity) {
	w := e.Workflow
	states := append([]string(nil), w.States...)
	if hasQuorum(w) {
		schemas.Set(firedName(e), &schema{
			Description: "The record after an event; after an approval that does not reach its quorum yet, the record unchanged with _approvals.",
			AllOf: []*schema{ref(recordName(e)), {
				Type:       "object",
				Properties: orderedOf("_approvals", ref("ApprovalProgress")),
			}},
		})
	}
	schemas.Set(eventsName(e), &schema{
		Type:     "object",
		Required: []string{"state", "state_label", "events"},
		Properties: orderedOf(
			"state", &schema{Type: "string", Enum: states},
			"state_label", &schema{Type: "string", Description: "The state's label, or its name."},
			"events", &schema{
				Type: "array",
				Items: &schema{
					Type:     "object",
					Required: []string{"event", "label", "to", "to_label", "comment_required", "available"},
					Properties: orderedOf(
						"event", &schema{Type: "string", Enum: eventNames(w)},
						"label", &schema{Type: "string", Description: "The button label."},
						"to", &schema{Type: "string", Enum: states, Description: "The state the record moves to."},
						"to_label", &schema{Type: "string"},
						"comment_required", &schema{Type: "boolean"},
						"available", &schema{Type: "boolean", Description: "Whether the caller can fire it now; when false, reason says why."},
						"reason", &schema{Type: "string", Description: "Why the event is not available; present only then."},
						"quorum", &schema{Type: "integer", Description: "Distinct approvals the event needs; present only for an event with a quorum."},
						"approvals", &schema{Type: "integer", Description: "Approvals collected so far towards the quorum; left out while there are none."},
						"input", &schema{Type: "array", Items: &schema{Type: "string"}, Description: "Fields the caller fills in with the event (sent as values); present only for events that take some."},
					),
				},
			},
		),
	})
	// History rows keep what happened under the definition in force then
	// (def_version), so their events and states are not limited to today's.
	schemas.Set(historyName(e), &schema{
		Type:     "object",
		Required: []string{"items", "pending"},
		Properties: orderedOf(
			"items", &schema{
				Type: "array",
				Items: &schema{
					Type:     "object",
					Required: []string{"id", "event", "label", "from", "to", "from_label", "to_label", "actor", "at", "comment", "def_version"},
					Properties: orderedOf(
						"id", &schema{Type: "integer", Format: "int64"},
						"event", &schema{Type: "string", Description: "The event, or create for the record's creation."},
						"label", &schema{Type: "string"},
						"from", &schema{Type: "string", Description: "Empty for create."},
						"to", &schema{Type: "string"},
						"from_label", &schema{Type: "string"},
						"to_label", &schema{Type: "string"},
						"actor", &schema{Type: "string", Description: "The user who fired the event."},
						"at", &schema{Type: "string", Format: "date-time"},
						"comment", &schema{Type: "string", Description: "Empty when none was given."},
						"def_version", &schema{Type: "string", Description: "The definition version (hash) in force when the event fired."},
						"approvals", &schema{Type: "array", Items: ref("Approval"),
							Description: "The approvals the transition ended: those that reached its quorum, and any that lapsed because another event fired; left out when none."},
					),
				},
			},
			"pending", &schema{Type: "array", Items: ref("Approval"), Description: "Approvals towards a quorum not reached yet."},
		),
	})
}

// addApprovalSchemas adds the shared schemas of quorum approvals.
func addApprovalSchemas(schemas *ordered[*schema]) {
	schemas.Set("Approval", &schema{
		Type:        "object",
		Description: "One user's approval towards an event's quorum.",
		Required:    []string{"event", "approver", "at", "comment", "def_version"},
		Properties: orderedOf(
			"event", &schema{Type: "string"},
			"approver", &schema{Type: "string"},
			"at", &schema{Type: "string", Format: "date-time"},
			"comment", &schema{Type: "string"},
			"def_version", &schema{Type: "string"},
		),
	})
	schemas.Set("ApprovalProgress", &schema{
		Type:        "object",
		Description: "An approval was recorded, but the event's quorum is not reached yet: the record did not change.",
		Required:    []string{"event", "count", "quorum", "approvers"},
		Properties: orderedOf(
			"event", &schema{Type: "string"},
			"count", &schema{Type: "integer", Description: "Distinct approvals so far."},
			"quorum", &schema{Type: "integer", Description: "Approvals the event needs."},
			"approvers", &schema{Type: "array", Items: &schema{Type: "string"}},
		),
	})
}

// hasQuorum reports whether some transition of w needs several approvals.
func hasQuorum(w *metamodel.Workflow) bool {
	for _, t := range w.Transitions {
		if t.Quorum.Max() > 1 {
			return true
		}
	}
	return false
}

// eventNames lists the workflow's events once each, in definition order (one
// event may have several transitions from different states).
func eventNames(w *metamodel.Workflow) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range w.Transitions {
		if !seen[t.Event] {
			seen[t.Event] = true
			out = append(out, t.Event)
		}
	}
	return out
}

// fireDescription tabulates the workflow's transitions for people reading the
// document.
func fireDescription(w *metamodel.Workflow) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Moves the record through workflow %s. The caller needs a role the event allows, and the record must be in a state the event fires from.\n\n", w.Name)
	quorum := hasQuorum(w)
	header, rule := "| event | label | from | to | roles | comment |", "| --- | --- | --- | --- | --- | --- |"
	if quorum {
		sb.WriteString("An event with a quorum needs that many distinct approvals: until the last one, firing it records an approval and answers the unchanged record with _approvals.\n\n")
		header, rule = header+" quorum |", rule+" --- |"
	}
	sb.WriteString(header + "\n" + rule + "\n")
	for _, t := range w.Transitions {
		comment := t.Comment
		if comment == "" {
			comment = "optional"
		}
		fmt.Fprintf(&sb, "| `%s` | %s | %s | %s | %s | %s |", t.Event, t.Label, strings.Join(t.From, ", "), t.To, strings.Join(t.Roles, ", "), comment)
		if quorum {
			fmt.Fprintf(&sb, " %s |", t.Quorum)
		}
		sb.WriteString("\n")
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

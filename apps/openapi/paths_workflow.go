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

	fire := &operation{
		Tags:        tags,
		Summary:     "Fire a workflow event on " + label,
		Description: fireDescription(w),
		OperationID: operationID("fire", e),
		RequestBody: &requestBody{
			Description: "Optional unless the event requires a comment.",
			Content:     jsonBody(ref("EventInput")),
		},
		Responses: responses("200", "The record after the event.", ref(recordName(e)), "400", "401", "403", "404", "409", "413", "422", "500"),
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
		Description: "The workflow events that can be fired on the record in its current state.",
		OperationID: operationID("events", e),
		Responses:   responses("200", "The events.", ref(eventsName(e)), "401", "403", "404", "500"),
	}
	if err := b.add(recordPath(e)+"/events", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: events}); err != nil {
		return err
	}

	history := &operation{
		Tags:        tags,
		Summary:     "History of " + label,
		Description: "Every event fired on the record, oldest first.",
		OperationID: operationID("history", e),
		Responses:   responses("200", "The history.", ref(historyName(e)), "401", "403", "404", "500"),
	}
	return b.add(recordPath(e)+"/history", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: history})
}

// addWorkflowSchemas adds the bodies of the events and history operations.
func addWorkflowSchemas(schemas *ordered[*schema], e *metamodel.Entity) {
	w := e.Workflow
	states := append([]string(nil), w.States...)
	schemas.Set(eventsName(e), &schema{
		Type:     "object",
		Required: []string{"events"},
		Properties: orderedOf("events", &schema{
			Type: "array",
			Items: &schema{
				Type:     "object",
				Required: []string{"event", "label", "to", "comment_required"},
				Properties: orderedOf(
					"event", &schema{Type: "string", Enum: eventNames(w)},
					"label", &schema{Type: "string", Description: "The button label."},
					"to", &schema{Type: "string", Enum: states, Description: "The state the record moves to."},
					"comment_required", &schema{Type: "boolean"},
				),
			},
		}),
	})
	// History rows keep what happened under the definition in force then
	// (def_version), so their events and states are not limited to today's.
	schemas.Set(historyName(e), &schema{
		Type:     "object",
		Required: []string{"items"},
		Properties: orderedOf("items", &schema{
			Type: "array",
			Items: &schema{
				Type:     "object",
				Required: []string{"event", "to", "actor", "at"},
				Properties: orderedOf(
					"event", &schema{Type: "string"},
					"from", &schema{Type: "string", Nullable: true},
					"to", &schema{Type: "string"},
					"actor", &schema{Type: "string", Description: "The user who fired the event."},
					"at", &schema{Type: "string", Format: "date-time"},
					"comment", &schema{Type: "string", Nullable: true},
					"def_version", &schema{Type: "string", Description: "The definition version (hash) in force when the event fired."},
				),
			},
		}),
	})
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
	sb.WriteString("| event | label | from | to | roles | comment |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, t := range w.Transitions {
		comment := t.Comment
		if comment == "" {
			comment = "optional"
		}
		fmt.Fprintf(&sb, "| `%s` | %s | %s | %s | %s | %s |\n", t.Event, t.Label, strings.Join(t.From, ", "), t.To, strings.Join(t.Roles, ", "), comment)
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

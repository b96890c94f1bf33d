package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// FieldChange is one field's value before and after a write.
type FieldChange struct {
	Field  string `json:"field"`
	Label  string `json:"label"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// FieldWrite is one audited write of a record with the fields it changed:
// its creation, an edit, a workflow event (with the fields it set), or an
// approval towards a quorum (no field changes).
type FieldWrite struct {
	Action string `json:"action"`
	// Label is the event's label, or 新建, 修改, 删除, 导入.
	Label   string        `json:"label"`
	Actor   string        `json:"actor"`
	At      time.Time     `json:"at"`
	Changes []FieldChange `json:"changes"` // never null
	Comment string        `json:"comment,omitempty"`
	// Partial marks an approval towards a quorum not reached by it.
	Partial bool `json:"partial,omitempty"`
}

// MarshalJSON writes times as RFC 3339 in UTC like the rest of the API.
func (w FieldWrite) MarshalJSON() ([]byte, error) {
	type plain FieldWrite
	return json.Marshal(struct {
		plain
		At string `json:"at"`
	}{plain(w), w.At.UTC().Format(time.RFC3339)})
}

// FieldHistory is what the audit trail says was written to record id, field
// by field, oldest first: who, when, by which action or event, each changed
// field before → after. It is read through the access rules like the record
// itself, and fields hidden from the actor are left out.
func (rt *Runtime) FieldHistory(ctx context.Context, actor Actor, app, entity string, id int64) ([]FieldWrite, error) {
	rec, err := rt.Get(ctx, actor, app, entity, id)
	if err != nil {
		return nil, err
	}
	e, err := rt.Entity(app, entity)
	if err != nil {
		return nil, err
	}
	ph := rt.DB.Placeholder
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT action, actor, at, changes FROM growth_audit WHERE app = `+ph(1)+` AND entity = `+ph(2)+
		` AND record_id = `+ph(3)+` ORDER BY chain_seq`, app, entity, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	out := []FieldWrite{}
	for rows.Next() {
		w := FieldWrite{Changes: []FieldChange{}}
		var at any
		var raw string
		if err := rows.Scan(&w.Action, &w.Actor, &at, &raw); err != nil {
			return nil, err
		}
		if w.At, err = scanTime(at); err != nil {
			return nil, err
		}
		if strings.HasPrefix(w.Action, "export:") {
			continue
		}
		var changes map[string][2]any
		if raw != "" {
			if err := json.Unmarshal([]byte(raw), &changes); err != nil {
				return nil, fmt.Errorf("audit changes of %s #%d: %w", e.Label(), rec.ID, err)
			}
		}
		if c, ok := changes["_comment"]; ok {
			w.Comment = fmt.Sprint(c[1])
		}
		for name, ba := range changes {
			f := e.Field(name)
			if f == nil || rt.Access.Hidden(actor, e, name) {
				continue
			}
			w.Changes = append(w.Changes, FieldChange{Field: name, Label: f.DisplayLabel(), Before: ba[0], After: ba[1]})
		}
		order := map[string]int{}
		for i, f := range e.Fields {
			order[f.Name] = i
		}
		sort.Slice(w.Changes, func(i, j int) bool { return order[w.Changes[i].Field] < order[w.Changes[j].Field] })
		switch w.Action {
		case "create":
			w.Label = "新建"
		case "update":
			w.Label = "修改"
		case "delete":
			w.Label = "删除"
		case RollupAction:
			w.Label = "汇总重算"
		default:
			w.Label = w.Action
			if e.Workflow != nil {
				w.Label = eventLabel(e.Workflow, w.Action)
			}
			if _, ok := changes["_approvals"]; ok {
				w.Partial = true
				w.Label += "（会签）"
			}
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

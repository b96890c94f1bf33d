package engine

import (
	"time"

	"github.com/growth-gov/growth/metamodel"
)

// RecordJSON renders a record for the API: system fields, each field in its
// JSON form (money as "1234.56"), and under "_labels" the names of code and
// enum values, so that clients need not look codes up. hidden names fields
// this reader may not see; they are left out entirely.
func RecordJSON(e *metamodel.Entity, rec *Record, hidden func(string) bool) map[string]any {
	out := make(map[string]any, len(e.Fields)+8)
	out["id"] = rec.ID
	out["version"] = rec.Version
	if e.Workflow != nil {
		out["state"] = rec.State
	}
	out["created_by"] = rec.CreatedBy
	out["created_at"] = rec.CreatedAt.UTC().Format(time.RFC3339)
	out["updated_at"] = rec.UpdatedAt.UTC().Format(time.RFC3339)
	labels := map[string]string{}
	for _, f := range e.Fields {
		if hidden != nil && hidden(f.Name) {
			continue
		}
		v := rec.Values[f.Name]
		if v == nil {
			out[f.Name] = nil
			continue
		}
		out[f.Name] = f.Kind.JSON(f, v)
		if label, ok := metamodel.ValueLabel(f, v, false); ok {
			labels[f.Name] = label
		}
	}
	if e.Workflow != nil {
		labels["state"] = stateLabel(e.Workflow, rec.State)
	}
	out["_labels"] = labels
	return out
}

package openapi

import (
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// Component schema names. A record is "{app}.{entity}": the dot cannot occur in
// a name, so no two entities share a schema name, as "{app}_{entity}" could
// ("a_b" + "c" and "a" + "b_c"). Derived schemas add a suffix after a second dot.
func recordName(e *metamodel.Entity) string  { return e.App.Name + "." + e.Name }
func inputName(e *metamodel.Entity) string   { return recordName(e) + ".Input" }
func patchName(e *metamodel.Entity) string   { return recordName(e) + ".Patch" }
func pageName(e *metamodel.Entity) string    { return recordName(e) + ".Page" }
func eventsName(e *metamodel.Entity) string  { return recordName(e) + ".Events" }
func historyName(e *metamodel.Entity) string { return recordName(e) + ".History" }
func firedName(e *metamodel.Entity) string   { return recordName(e) + ".Fired" }

// addEntitySchemas adds the schemas of entity e: the record as the API sends
// it, the bodies of create and update, and the list page.
func addEntitySchemas(schemas *ordered[*schema], e *metamodel.Entity, shown func(*metamodel.Field) bool) {
	schemas.Set(recordName(e), recordSchema(e, shown))
	schemas.Set(inputName(e), inputSchema(e, shown))
	schemas.Set(patchName(e), patchSchema(e, shown))
	schemas.Set(pageName(e), pageSchema(e))
}

// recordSchema is a record as the API sends it: system properties, then the
// fields in definition order, then the labels of its codes. Only the system
// properties are required: a role may have fields hidden from it.
func recordSchema(e *metamodel.Entity, shown func(*metamodel.Field) bool) *schema {
	props := newOrdered[*schema]()
	props.Set("id", &schema{Type: "integer", Format: "int64", ReadOnly: true, Description: "The record's id, unique within the entity."})
	props.Set("version", &schema{Type: "integer", Format: "int64", ReadOnly: true, Description: "Incremented by every change; send it back with an update or delete so that a stale change is refused (409)."})
	required := []string{"id", "version"}
	if w := e.Workflow; w != nil {
		props.Set("state", stateSchema(w))
		required = append(required, "state")
	}
	for _, f := range e.Fields {
		if shown(f) {
			props.Set(f.Name, fieldSchema(f, shown))
		}
	}
	props.Set("created_by", &schema{Type: "string", ReadOnly: true, Description: "The user who created the record."})
	props.Set("created_at", &schema{Type: "string", Format: "date-time", ReadOnly: true})
	props.Set("updated_at", &schema{Type: "string", Format: "date-time", ReadOnly: true})
	required = append(required, "created_by", "created_at", "updated_at")
	props.Set("_labels", labelsSchema(e, shown))
	if files := filesSchema(e, shown); files != nil {
		props.Set("_files", files)
	}
	return &schema{
		Type:        "object",
		Title:       e.Label(),
		Description: joinText(e.Description, "A "+e.QualifiedName()+" record. A field without a value is null; fields hidden from the caller's role are left out."),
		Properties:  props,
		Required:    required,
	}
}

// stateSchema is the workflow state of a record, with the states' labels.
func stateSchema(w *metamodel.Workflow) *schema {
	s := &schema{Type: "string", Enum: append([]string(nil), w.States...), ReadOnly: true}
	var labels []string
	for _, st := range w.States {
		if l := w.Labels[st]; l != "" {
			labels = append(labels, fmt.Sprintf("`%s`: %s", st, l))
		}
	}
	s.Description = "Where the record is in workflow " + w.Name + "; changed only by firing events."
	if len(labels) > 0 {
		s.Description += " States: " + strings.Join(labels, "; ") + "."
	}
	return s
}

// labelsSchema describes _labels, the display names of the record's code and
// enum values (and of its workflow state) by field name, so that a client
// need not look codes up. A field without a value has no label.
func labelsSchema(e *metamodel.Entity, shown func(*metamodel.Field) bool) *schema {
	props := newOrdered[*schema]()
	what := "code and enum values"
	if e.Workflow != nil {
		props.Set("state", &schema{Type: "string", ReadOnly: true})
		what = "workflow state and its " + what
	}
	for _, f := range e.Fields {
		if metamodel.HasLabels(f) && shown(f) {
			props.Set(f.Name, &schema{Type: "string", Title: f.Label, ReadOnly: true})
		}
	}
	return &schema{
		Type:        "object",
		Description: "Display labels of the record's " + what + ", by field name.",
		ReadOnly:    true,
		Properties:  props,
	}
}

// writable lists the fields a client may send: not read-only, not computed.
func writable(e *metamodel.Entity, shown func(*metamodel.Field) bool) []*metamodel.Field {
	var out []*metamodel.Field
	for _, f := range e.Fields {
		if !f.Readonly && !f.Computed() && shown(f) {
			out = append(out, f)
		}
	}
	return out
}

// inputSchema is the body of a create: every writable field, the required
// ones without a default required. Unknown fields are refused (400).
func inputSchema(e *metamodel.Entity, shown func(*metamodel.Field) bool) *schema {
	props := newOrdered[*schema]()
	var required []string
	for _, f := range writable(e, shown) {
		props.Set(f.Name, fieldSchema(f, shown))
		if f.Required && f.Default == nil {
			required = append(required, f.Name)
		}
	}
	return &schema{
		Type:                 "object",
		Title:                e.Label() + " (create)",
		Description:          "The fields of a new " + e.QualifiedName() + " record. A field left out takes its default; unknown and read-only fields are refused (400).",
		Properties:           props,
		Required:             required,
		AdditionalProperties: false,
	}
}

// patchSchema is the body of an update: any writable fields, and the version
// the change is based on.
func patchSchema(e *metamodel.Entity, shown func(*metamodel.Field) bool) *schema {
	props := newOrdered[*schema]()
	props.Set("version", &schema{Type: "integer", Format: "int64", Minimum: ptr(int64(1)), Description: "The version the change is based on; a stale version is refused (409)."})
	for _, f := range writable(e, shown) {
		s := fieldSchema(f, shown)
		// A field left out of an update keeps its value; a default here would
		// invite generated clients to send it and overwrite that value.
		s.Default = nil
		props.Set(f.Name, s)
	}
	return &schema{
		Type:                 "object",
		Title:                e.Label() + " (update)",
		Description:          "The fields to change on a " + e.QualifiedName() + " record; those left out keep their value, null clears an optional field. Unknown and read-only fields are refused (400).",
		Properties:           props,
		Required:             []string{"version"},
		AdditionalProperties: false,
	}
}

// pageSchema is one page of a list.
func pageSchema(e *metamodel.Entity) *schema {
	props := newOrdered[*schema]()
	props.Set("items", &schema{Type: "array", Items: ref(recordName(e))})
	props.Set("page", &schema{Type: "integer", Format: "int32", Minimum: ptr(int64(1))})
	props.Set("page_size", &schema{Type: "integer", Format: "int32", Minimum: ptr(int64(1)), Maximum: ptr(int64(maxPageSize))})
	props.Set("has_more", &schema{Type: "boolean", Description: "Whether a later page has records."})
	props.Set("total", &schema{Type: "integer", Format: "int64", Description: "Every record matching the filter; present only when total=true was asked."})
	return &schema{
		Type:       "object",
		Title:      e.Label() + " (page)",
		Properties: props,
		Required:   []string{"items", "page", "page_size", "has_more"},
	}
}

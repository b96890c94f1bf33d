package openapi

import (
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// collectionPath is /api/{app}/{entity}; recordPath adds /{id}.
func collectionPath(e *metamodel.Entity) string { return "/api/" + e.App.Name + "/" + e.Name }
func recordPath(e *metamodel.Entity) string     { return collectionPath(e) + "/{id}" }

// operationID is "{verb}_{app}_{entity}".
func operationID(verb string, e *metamodel.Entity) string {
	return verb + "_" + e.App.Name + "_" + e.Name
}

// jsonBody is a response or request content of one JSON schema.
func jsonBody(s *schema) map[string]*mediaType {
	return map[string]*mediaType{"application/json": {Schema: s}}
}

// addRecordPaths adds list, create, get, update and delete of entity e.
func (b *builder) addRecordPaths(e *metamodel.Entity) error {
	tags := []string{e.App.Name}
	label := e.Label()

	list := &operation{
		Tags:        tags,
		Summary:     "List " + label,
		Description: "One page of " + e.QualifiedName() + " records the caller may see, filtered and sorted.",
		OperationID: operationID("list", e),
		Parameters: []*parameter{
			{Name: "filter", In: "query", Description: filterDescription(e), Schema: &schema{Type: "string"}},
			{Name: "sort", In: "query", Description: "Comma-separated fields to sort by; a `-` prefix sorts that field descending, e.g. `-updated_at,id`.",
				Schema: &schema{Type: "string"}},
			paramRef(paramPage), paramRef(paramPageSize), paramRef(paramTotal),
		},
		Responses: responses("200", "One page of records.", ref(pageName(e)), "400", "401", "403", "500"),
	}

	if len(e.Search) > 0 {
		list.Parameters = append(list.Parameters, &parameter{Name: "q", In: "query",
			Description: "Text found as a substring of any of `" + strings.Join(e.Search, "`, `") + "` (case-insensitive on PostgreSQL); `%` and `_` match themselves.",
			Schema:      &schema{Type: "string", MaxLength: ptr(100)}})
	}

	create := &operation{
		Tags:        tags,
		Summary:     "Create " + label,
		Description: createDescription(e),
		OperationID: operationID("create", e),
		Parameters:  []*parameter{paramRef(paramIdempotency)},
		RequestBody: &requestBody{Required: true, Content: jsonBody(ref(inputName(e)))},
		Responses: orderedResponses("201", &response{
			Description: "The record as stored.",
			Headers:     map[string]*header{"Location": {Description: "The new record's path, " + recordPath(e) + ".", Schema: &schema{Type: "string"}}},
			Content:     jsonBody(ref(recordName(e))),
		}),
	}
	errorRefs(create.Responses, "400", "401", "403", "409", "413", "422", "500")

	get := &operation{
		Tags:        tags,
		Summary:     "Get " + label,
		OperationID: operationID("get", e),
		Responses:   responses("200", "The record.", ref(recordName(e)), "401", "403", "404", "500"),
	}

	update := &operation{
		Tags:        tags,
		Summary:     "Update " + label,
		Description: updateDescription(e),
		OperationID: operationID("update", e),
		RequestBody: &requestBody{Required: true, Content: jsonBody(ref(patchName(e)))},
		Responses:   responses("200", "The record as stored.", ref(recordName(e)), "400", "401", "403", "404", "409", "413", "422", "500"),
	}

	del := &operation{
		Tags:        tags,
		Summary:     "Delete " + label,
		OperationID: operationID("delete", e),
		Parameters:  []*parameter{paramRef(paramVersion)},
		Responses:   responses("204", "Deleted.", nil, "400", "401", "403", "404", "409", "500"),
	}

	changes := &operation{
		Tags:        tags,
		Summary:     "Field history of " + label,
		Description: "Every write of the record from the audit trail, oldest first: its creation, each edit, each workflow event and each approval towards a quorum, with who, when and each changed field before and after. Fields hidden from the caller are left out.",
		OperationID: operationID("changes", e),
		Responses:   responses("200", "The writes.", ref("FieldHistory"), "401", "403", "404", "500"),
	}

	if err := b.add(collectionPath(e), &pathItem{Get: list, Post: create}); err != nil {
		return err
	}
	if err := b.add(recordPath(e), &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: get, Patch: update, Delete: del}); err != nil {
		return err
	}
	return b.add(recordPath(e)+"/changes", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: changes})
}

func filterDescription(e *metamodel.Entity) string {
	d := "A filter expression, e.g. `year = 2026 and agency under '101'`; the syntax is in [docs/filter.md](docs/filter.md)."
	if len(e.Filters) > 0 {
		d += " Fields declared for filtering (indexed): `" + strings.Join(e.Filters, "`, `") + "`."
	}
	return d
}

func createDescription(e *metamodel.Entity) string {
	d := "Creates a " + e.QualifiedName() + " record from the writable fields (" + inputName(e) + ")."
	if w := e.Workflow; w != nil {
		d += " It starts in state `" + w.Initial + "` of workflow " + w.Name + "."
	}
	return d
}

func updateDescription(e *metamodel.Entity) string {
	d := "Changes the fields given; version must be the record's current version."
	if w := e.Workflow; w != nil {
		editable := w.Editable
		if len(editable) == 0 {
			editable = []string{w.Initial}
		}
		d += " A record may be edited only in these states of workflow " + w.Name + ": `" + strings.Join(editable, "`, `") + "`."
	}
	return d
}

// responses builds an operation's responses: the success status with its body
// (none when body is nil), then the given error statuses.
func responses(status, description string, body *schema, errorStatuses ...string) *ordered[*response] {
	out := newOrdered[*response]()
	ok := &response{Description: description}
	if body != nil {
		ok.Content = jsonBody(body)
	}
	out.Set(status, ok)
	errorRefs(out, errorStatuses...)
	return out
}

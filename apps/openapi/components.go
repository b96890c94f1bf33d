package openapi

// List paging limits of the REST API.
const (
	defaultPageSize = 20
	maxPageSize     = 200
)

// errorCodes are the stable values of error.code in every error response.
var errorCodes = []string{"malformed", "unauthorized", "forbidden", "not_found", "conflict", "insufficient_balance", "validation", "too_large", "internal"}

// errorResponse is one HTTP error status as the API reports it.
type errorResponse struct {
	status      string
	name        string // components/responses key
	description string
	example     map[string]any // the "error" object of an example body
}

// errorResponses are every error status an operation may list, in status order.
var errorResponses = []errorResponse{
	{"400", "BadRequest", "Malformed request: not JSON, an unknown field, a bad filter, sort or page.",
		map[string]any{"code": "malformed", "message": "未知字段 amont"}},
	{"401", "Unauthorized", "No valid bearer token.",
		map[string]any{"code": "unauthorized", "message": "请先登录"}},
	{"403", "Forbidden", "The caller's roles do not allow this action on this record.",
		map[string]any{"code": "forbidden", "message": "无权执行此操作"}},
	{"404", "NotFound", "No such record, or none the caller may see.",
		map[string]any{"code": "not_found", "message": "记录不存在"}},
	{"409", "Conflict", "The record changed since the given version, its workflow state does not allow the change, a unique value is taken, or a balance it draws on is insufficient (code insufficient_balance).",
		map[string]any{"code": "insufficient_balance", "message": "指标余额不足"}},
	{"413", "TooLarge", "The request body is too large.",
		map[string]any{"code": "too_large", "message": "请求过大"}},
	{"422", "Validation", "A value or a rule failed; fields and field_codes say which.",
		map[string]any{"code": "validation", "message": "请检查标出的字段",
			"fields": map[string]any{"amount": []any{"不能小于 0.00"}}, "field_codes": map[string]any{"amount": []any{"min"}}}},
	{"500", "Internal", "An unexpected server error; nothing was changed.",
		map[string]any{"code": "internal", "message": "服务器内部错误"}},
}

// Shared parameter names in components/parameters.
const (
	paramID          = "id"
	paramVersion     = "version"
	paramPage        = "page"
	paramPageSize    = "page_size"
	paramTotal       = "total"
	paramIdempotency = "Idempotency-Key"
)

// paramRef points at a shared parameter.
func paramRef(name string) *parameter { return &parameter{Ref: "#/components/parameters/" + name} }

// sharedComponents returns the components every document has: the Error and
// EventInput schemas, the shared parameters and error responses, and the
// bearer token scheme.
func sharedComponents() components {
	schemas := newOrdered[*schema]()
	schemas.Set("Error", errorSchema())
	schemas.Set("EventInput", &schema{
		Type:        "object",
		Description: "The body of a workflow event.",
		Properties: orderedOf(
			"comment", &schema{Type: "string", MaxLength: ptr(maxTextLength), Description: "Why; required by events whose comment_required is true."},
		),
		AdditionalProperties: false,
	})

	params := newOrdered[*parameter]()
	params.Set(paramID, &parameter{Name: "id", In: "path", Required: true, Description: "The record's id; one that is not a positive integer finds no record (404).",
		Schema: &schema{Type: "integer", Format: "int64", Minimum: ptr(int64(1))}})
	params.Set(paramVersion, &parameter{Name: "version", In: "query", Required: true,
		Description: "The version the delete is based on; a stale version is refused (409).",
		Schema:      &schema{Type: "integer", Format: "int64", Minimum: ptr(int64(1))}})
	params.Set(paramPage, &parameter{Name: "page", In: "query", Description: "The page to return, from 1.",
		Schema: &schema{Type: "integer", Format: "int32", Minimum: ptr(int64(1)), Default: 1}})
	params.Set(paramPageSize, &parameter{Name: "page_size", In: "query", Description: "Records per page.",
		Schema: &schema{Type: "integer", Format: "int32", Minimum: ptr(int64(1)), Maximum: ptr(int64(maxPageSize)), Default: defaultPageSize}})
	params.Set(paramTotal, &parameter{Name: "total", In: "query",
		Description: "Also count every matching record (total in the page). Counting costs time on large tables: ask only when needed.",
		Schema:      &schema{Type: "boolean", Default: false}})
	params.Set(paramIdempotency, &parameter{Name: "Idempotency-Key", In: "header",
		Description: "Optional. Makes retrying a create safe: requests with the same key create at most one record.",
		Schema:      &schema{Type: "string", MaxLength: ptr(defaultStringLength)}})

	responses := newOrdered[*response]()
	for _, r := range errorResponses {
		responses.Set(r.name, &response{
			Description: r.description,
			Content: map[string]*mediaType{"application/json": {
				Schema:  ref("Error"),
				Example: map[string]any{"error": r.example},
			}},
		})
	}

	return components{
		Schemas:    schemas,
		Parameters: params,
		Responses:  responses,
		SecuritySchemes: map[string]*securityScheme{
			"bearerAuth": {Type: "http", Scheme: "bearer", Description: "Send `Authorization: Bearer <token>` with every request."},
		},
	}
}

// errorSchema is the one shape of every error body.
func errorSchema() *schema {
	fieldMessages := &schema{
		Type:                 "object",
		AdditionalProperties: &schema{Type: "array", Items: &schema{Type: "string"}},
		Description:          "Messages (zh-CN) by field name.",
	}
	fieldCodes := &schema{
		Type:                 "object",
		AdditionalProperties: &schema{Type: "array", Items: &schema{Type: "string"}},
		Description:          "Stable codes (such as required, min, pattern) by field name, one for each message in fields.",
	}
	return &schema{
		Type:     "object",
		Required: []string{"error"},
		Properties: orderedOf("error", &schema{
			Type:     "object",
			Required: []string{"code", "message"},
			Properties: orderedOf(
				"code", &schema{Type: "string", Enum: errorCodes, Description: "Stable: clients branch on it."},
				"message", &schema{Type: "string", Description: "For people (zh-CN)."},
				"fields", fieldMessages,
				"field_codes", fieldCodes,
			),
		}),
	}
}

// errorRefs lists the responses for the given error statuses, as references
// to the shared ones.
func errorRefs(responses *ordered[*response], statuses ...string) {
	for _, st := range statuses {
		for _, r := range errorResponses {
			if r.status == st {
				responses.Set(st, &response{Ref: "#/components/responses/" + r.name})
			}
		}
	}
}

// orderedOf builds properties from name, schema pairs (a string, then a
// *schema, repeated).
func orderedOf(pairs ...any) *ordered[*schema] {
	m := newOrdered[*schema]()
	for i := 0; i+1 < len(pairs); i += 2 {
		m.Set(pairs[i].(string), pairs[i+1].(*schema))
	}
	return m
}

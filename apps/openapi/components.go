package openapi

import "github.com/growth-gov/growth/metamodel/errcode"

// List paging limits of the REST API.
const (
	defaultPageSize = 20
	maxPageSize     = 200
)

// errorCodes are the stable values of error.code in every error response:
// errcode's list, the one place codes are named.
var errorCodes = func() []string {
	out := make([]string, len(errcode.Requests))
	for i, c := range errcode.Requests {
		out[i] = string(c)
	}
	return out
}()

// maxIdempotencyKeyLength is the longest Idempotency-Key the engine takes
// (engine.MaxIdempotencyKeyLength: this package must not import the engine,
// so a test compares the two).
const maxIdempotencyKeyLength = 200

// errorResponse is one HTTP error status as the API reports it.
type errorResponse struct {
	status      string
	name        string // components/responses key
	description string
	example     map[string]any // the "error" object of an example body
	headers     map[string]*header
}

// errorResponses are every error status an operation may list, in status order.
var errorResponses = []errorResponse{
	{status: "400", name: "BadRequest", description: "Malformed request: not JSON, an unknown field, a bad filter, sort or page.",
		example: map[string]any{"code": "malformed", "message": "未知字段 amont"}},
	{status: "401", name: "Unauthorized", description: "No valid credential: no token, or one that is malformed, expired or revoked, or the user is disabled.",
		example: map[string]any{"code": "unauthorized", "message": "请先登录"},
		headers: map[string]*header{"WWW-Authenticate": {Description: `Bearer realm="growth"`, Schema: &schema{Type: "string"}}}},
	{status: "403", name: "Forbidden", description: "The caller's roles do not allow this action on this record (or a web UI session sent no valid X-CSRF-Token).",
		example: map[string]any{"code": "forbidden", "message": "无权执行此操作"}},
	{status: "404", name: "NotFound", description: "No such app, entity, record or report, or none the caller may see.",
		example: map[string]any{"code": "not_found", "message": "记录不存在"}},
	{status: "409", name: "Conflict", description: "The state of the data refuses the request; the code says how: the record changed since the given version (stale), its workflow state does not allow the change (state), a record pointing at it blocks the event (blocked), a unique value is taken (duplicate), a balance it draws on is insufficient (insufficient_balance), or on PostgreSQL the request crossed another one (retry: nothing was written, try again); docs/api.md lists every code.",
		example: map[string]any{"code": "insufficient_balance", "message": "指标余额不足"}},
	{status: "413", name: "TooLarge", description: "The request body is too large: over 1 MiB, or for an upload over the largest file a file field takes.",
		example: map[string]any{"code": "too_large", "message": "请求体过大（上限 1 MiB）"}},
	{status: "422", name: "Validation", description: "A value or a rule failed; fields and field_codes say which.",
		example: map[string]any{"code": "validation", "message": "请检查标出的字段",
			"fields": map[string]any{"amount": []any{"不能小于 0.00"}}, "field_codes": map[string]any{"amount": []any{"min"}}}},
	{status: "429", name: "TooManyRequests", description: "Too many failed logins: the account is locked for a while (code locked), or attempts come too fast (code rate_limited). Retry-After says when to try again.",
		example: map[string]any{"code": "locked", "message": "登录失败次数过多，账户 zhang 已暂时锁定，请 15 分钟后再试"},
		headers: map[string]*header{"Retry-After": {Description: "Seconds to wait before the next attempt.", Schema: &schema{Type: "integer"}}}},
	{status: "500", name: "Internal", description: "An unexpected server error; nothing was changed.",
		example: map[string]any{"code": "internal", "message": "服务器内部错误"}}, {status: "503", name: "Unavailable", description: "This server cannot serve the request now, though another may: the database was migrated to other definitions than this server runs (code definitions_changed; every write is refused, reads still work), or the database does not answer (code database). Nothing was changed.",
		example: map[string]any{"code": "definitions_changed", "message": "本服务器的定义版本 3f2a… 与数据库当前的定义版本 9c1d… 不一致"}},
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

// sharedComponents returns the components every document has: the Error,
// FieldError, ImportRowError and EventInput schemas, the shared parameters
// and error responses, and the security schemes.
func sharedComponents() components {
	schemas := newOrdered[*schema]()
	schemas.Set("Error", errorSchema())
	schemas.Set("FieldError", &schema{
		Type:     "object",
		Required: []string{"code", "message"},
		Properties: orderedOf(
			"code", &schema{Type: "string", Description: "Stable, such as required, min, pattern, mismatch."},
			"message", &schema{Type: "string", Description: "For people: zh-CN, or English when the request asks for it."},
		),
	})
	schemas.Set("ImportRowError", &schema{
		Type:        "object",
		Description: "What is wrong with one row of an imported file.",
		Required:    []string{"line", "fields"},
		Properties: orderedOf(
			"line", &schema{Type: "integer", Description: "The row's line in the file, from 1 (the header row)."},
			"fields", &schema{Type: "object", AdditionalProperties: &schema{Type: "array", Items: ref("FieldError")},
				Description: "Problems by field name; `_record` holds those of the whole row, `_file` those of the file itself (its format, its header row)."},
		),
	})
	schemas.Set("FieldHistory", &schema{
		Type:        "object",
		Description: "A record's writes from the audit trail, oldest first.",
		Required:    []string{"items"},
		Properties: orderedOf(
			"items", &schema{Type: "array", Items: &schema{
				Type:     "object",
				Required: []string{"action", "label", "actor", "at", "changes"},
				Properties: orderedOf(
					"action", &schema{Type: "string", Description: "create, update, delete, rollup, or a workflow event."},
					"label", &schema{Type: "string", Description: "The action or the event's label (zh-CN)."},
					"actor", &schema{Type: "string"},
					"at", &schema{Type: "string", Format: "date-time"},
					"changes", &schema{Type: "array", Items: &schema{
						Type:     "object",
						Required: []string{"field", "label", "before", "after"},
						Properties: orderedOf(
							"field", &schema{Type: "string"},
							"label", &schema{Type: "string"},
							"before", &schema{Nullable: true, Description: "The value before, in the field's JSON form; null when it had none."},
							"after", &schema{Nullable: true, Description: "The value after; null when it has none."},
						),
					}},
					"comment", &schema{Type: "string", Description: "The event's comment; left out when none was given."},
					"partial", &schema{Type: "boolean", Description: "True for an approval towards a quorum that did not complete it."},
				),
			}},
		),
	})
	schemas.Set("EventInput", &schema{
		Type:        "object",
		Description: "The body of a workflow event.",
		Properties: orderedOf(
			"comment", &schema{Type: "string", MaxLength: ptr(maxTextLength), Nullable: true, Description: "Why; required by events whose comment_required is true."},
			"values", &schema{Type: "object", Nullable: true, AdditionalProperties: true,
				Description: "Values of the transition's input fields (what the actor decides with the event, such as the approved amount), in the fields' JSON forms; a field the transition does not take is refused (400)."},
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
		Description: "Optional. Makes retrying safe: a second request with the same key changes nothing and answers with the record the first one created or changed. A key used for another action or record is refused (409).",
		Schema:      &schema{Type: "string", MaxLength: ptr(maxIdempotencyKeyLength)}})

	responses := newOrdered[*response]()
	for _, r := range errorResponses {
		responses.Set(r.name, &response{
			Description: r.description,
			Headers:     r.headers,
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
			bearerScheme: {Type: "http", Scheme: "bearer",
				Description: "Send `Authorization: Bearer <token>` with every request; POST /api/auth/login gives the token."},
			cookieScheme: {Type: "apiKey", In: "cookie", Name: sessionCookie,
				Description: "The web UI's session, an HttpOnly cookie set by its login page. A request other than GET, HEAD or OPTIONS made with it must also send the session's CSRF token in the X-CSRF-Token header (or form field _csrf), or it is refused (403). API clients use the bearer token."},
		},
	}
}

// Security scheme names, and the cookie that carries a web UI session
// (web.SessionCookie).
const (
	bearerScheme  = "bearerAuth"
	cookieScheme  = "sessionCookie"
	sessionCookie = "growth_session"
)

// authenticated is the security of every operation that needs a user: a
// bearer token, or else the web UI's session cookie.
func authenticated() []securityRequirement {
	return []securityRequirement{{bearerScheme: {}}, {cookieScheme: {}}}
}

// public is the security of an operation anyone may call.
func public() *[]securityRequirement { return &[]securityRequirement{} }

// errorSchema is the one shape of every error body.
func errorSchema() *schema {
	fieldMessages := &schema{
		Type:                 "object",
		AdditionalProperties: &schema{Type: "array", Items: &schema{Type: "string"}},
		Description:          "Messages by field name, in the message's language.",
	}
	fieldCodes := &schema{
		Type:                 "object",
		AdditionalProperties: &schema{Type: "array", Items: &schema{Type: "string"}},
		Description:          "Stable codes (such as required, min, pattern; docs/api.md lists every one) by field name, one for each message in fields.",
	}
	return &schema{
		Type:     "object",
		Required: []string{"error"},
		Properties: orderedOf("error", &schema{
			Type:     "object",
			Required: []string{"code", "message"},
			Properties: orderedOf(
				"code", &schema{Type: "string", Enum: errorCodes, Description: "Stable: clients branch on it."},
				"message", &schema{Type: "string", Description: "For people: zh-CN, or English when the request asks for it (Accept-Language: en…, or ?lang=en)."},
				"fields", fieldMessages,
				"field_codes", fieldCodes,
				"rows", &schema{Type: "array", Items: ref("ImportRowError"),
					Description: "Every bad row of a refused import (code import_rejected), with its line; nothing was imported."},
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

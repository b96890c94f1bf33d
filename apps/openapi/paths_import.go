package openapi

import (
	"github.com/growth-gov/growth/metamodel"
)

// Bulk import (docs/import.md): POST /api/{app}/{entity}/import takes a CSV
// or Excel file whose first row names the fields and creates every row's
// record, or none.

// ndjson is the media type of the streamed import answer.
const ndjson = "application/x-ndjson"

// addImportPath adds the import of e's records.
func (b *builder) addImportPath(e *metamodel.Entity) error {
	op := &operation{
		Tags:    []string{e.App.Name},
		Summary: "Import " + e.Label() + " records",
		Description: "Creates a record per row of a CSV or Excel file, in one transaction: every row goes through what a create does (defaults, rules, data scope, references, the ledger), and when any row is refused nothing is imported and the answer lists every bad row (422, code import_rejected). " +
			"The first row names the fields, by name or label. Needs the create action. The file is a request body like any other: at most 1 MiB.\n\n" +
			"With `Accept: " + ndjson + "` (exactly) the answer streams instead, so that a client can show progress: status 200 at once, then one JSON object per line, " +
			"`{\"done\": n, \"total\": m}` as rows are written, and last `{\"report\": …}` or, when the import failed, `{\"error\": …}` (an error that would otherwise have been the status).",
		OperationID: operationID("import", e),
		RequestBody: &requestBody{Required: true, Content: map[string]*mediaType{"multipart/form-data": {Schema: &schema{
			Type:     "object",
			Required: []string{"file"},
			Properties: orderedOf(
				"file", &schema{Type: "string", Format: "binary", Description: "The file: CSV (UTF-8, with or without a byte order mark) or Excel (.xlsx, its first sheet)."},
				"format", &schema{Type: "string", Enum: []string{"csv", "xlsx"}, Description: "Default: xlsx when the file name ends in .xlsx, else csv."},
			),
		}}}},
		Responses: orderedResponses("200", &response{
			Description: "Every row was imported; or, streamed, the progress and the outcome.",
			Content: map[string]*mediaType{
				"application/json": {Schema: ref("ImportReport")},
				ndjson:             {Schema: ref("ImportProgress")},
			},
		}),
	}
	errorRefs(op.Responses, "400", "401", "403", "404", "413")
	op.Responses.Set("422", &response{
		Description: "Some row was refused (code import_rejected): error.rows lists every bad row with its line; nothing was imported. A file that cannot be read, or whose header names no field, is one row of line 1 with field _file.",
		Content: map[string]*mediaType{"application/json": {
			Schema: ref("Error"),
			Example: map[string]any{"error": map[string]any{"code": "import_rejected", "message": "导入未执行：1 行有误，未导入任何记录",
				"rows": []any{map[string]any{"line": 3, "fields": map[string]any{"amount": []any{map[string]any{"code": "min", "message": "不能小于 0.00"}}}}}}},
		}},
	})
	errorRefs(op.Responses, "500")
	return b.add(collectionPath(e)+"/import", &pathItem{Post: op})
}

// addImportSchemas adds the import report and the lines of a streamed
// import.
func addImportSchemas(schemas *ordered[*schema]) {
	schemas.Set("ImportReport", &schema{
		Type:     "object",
		Required: []string{"app", "entity", "columns", "total", "imported"},
		Properties: orderedOf(
			"app", &schema{Type: "string"},
			"entity", &schema{Type: "string"},
			"columns", &schema{Type: "array", Items: &schema{Type: "string"}, Description: "The fields the file's columns were read into, in file order."},
			"total", &schema{Type: "integer", Description: "Data rows in the file."},
			"imported", &schema{Type: "integer", Description: "Records created: total, or 0."},
			"ids", &schema{Type: "array", Items: &schema{Type: "integer", Format: "int64"}, Description: "The ids of the records created, in file order; left out when none were."},
			"method", &schema{Type: "string", Enum: []string{"copy", "rows"}, Description: "How the records were written: `copy` (PostgreSQL COPY, every effect's work done for all rows at once) or `rows` (one INSERT per row); left out when none were (docs/import.md)."},
			"why", &schema{Type: "string", Description: "For `rows`: what kept the file from `copy` (an effect that works record by record, an `_events` column, SQLite)."},
		),
	})
	schemas.Set("ImportProgress", &schema{
		Description: "One line of a streamed import: progress, then the report or the error.",
		OneOf: []*schema{
			{
				Type:     "object",
				Title:    "progress",
				Required: []string{"done", "total"},
				Properties: orderedOf(
					"done", &schema{Type: "integer", Description: "Rows written so far."},
					"total", &schema{Type: "integer", Description: "Rows to write."},
				),
			},
			{
				Type:       "object",
				Title:      "report",
				Required:   []string{"report"},
				Properties: orderedOf("report", ref("ImportReport")),
			},
			ref("Error"),
		},
	})
}

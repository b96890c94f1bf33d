package openapi

import (
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// Attachments, exports (bank files) and public reports.

func init() { fieldSchemas["file"] = fileSchema }

// fileSchema describes a file field: the id of an uploaded file.
func fileSchema(f *metamodel.Field) *schema {
	desc := "The id of a file uploaded with POST /api/files; the record's _files describes it"
	var limits []string
	if f.Kind != nil {
		limits = append(limits, "at most "+strings.TrimSpace(formatBytes(metamodel.FileMaxSize(f))))
		if types := metamodel.FileTypes(f); len(types) > 0 {
			limits = append(limits, "types "+strings.Join(types, ", "))
		}
	}
	if len(limits) > 0 {
		desc += " (" + strings.Join(limits, "; ") + ")"
	}
	return &schema{Type: "integer", Format: "int64", Minimum: ptr(int64(1)), Description: desc + "."}
}

func formatBytes(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fileInfoSchema is the description of a stored file.
func fileInfoSchema() *schema {
	return &schema{
		Type:     "object",
		Required: []string{"id", "name", "size", "content_type", "sha256"},
		Properties: orderedOf(
			"id", &schema{Type: "integer", Format: "int64", Description: "What a file field holds."},
			"name", &schema{Type: "string", Description: "The file name as uploaded, without any path."},
			"size", &schema{Type: "integer", Format: "int64", Description: "Bytes."},
			"content_type", &schema{Type: "string", Example: "application/pdf"},
			"sha256", &schema{Type: "string", Pattern: "^[0-9a-f]{64}$", Description: "Hex SHA-256 of the content."},
		),
	}
}

// filesSchema describes _files of a record of e, or nil when e has no file
// field.
func filesSchema(e *metamodel.Entity) *schema {
	props := newOrdered[*schema]()
	for _, f := range e.Fields {
		if f.Type == "file" {
			props.Set(f.Name, ref("File"))
		}
	}
	if len(props.keys) == 0 {
		return nil
	}
	return &schema{Type: "object", ReadOnly: true, Properties: props,
		Description: "The files the record's file fields hold, by field; a field without a file is left out."}
}

// addFileExportReportPaths adds the upload and download of files, the
// exports of every entity that has some, and every public report.
func (b *builder) addFileExportReportPaths(p *metamodel.Project) error {
	b.doc.Components.Schemas.Set("File", fileInfoSchema())
	upload := &operation{
		Tags:        []string{systemTag},
		Summary:     "Upload a file",
		Description: "Stores a file for a file field: send multipart/form-data with the file in field `file`, then write the returned id into the record. The content must match the file's extension and declared type. A field's own max_size and types are checked when a record refers to the file.",
		OperationID: "upload_file",
		RequestBody: &requestBody{Required: true, Content: map[string]*mediaType{"multipart/form-data": {Schema: &schema{
			Type: "object", Required: []string{"file"}, Properties: orderedOf("file", &schema{Type: "string", Format: "binary"}),
		}}}},
		Responses: orderedResponses("201", &response{
			Description: "The stored file.",
			Headers:     map[string]*header{"Location": {Description: "/api/files/{id}", Schema: &schema{Type: "string"}}},
			Content:     jsonBody(ref("File")),
		}),
	}
	errorRefs(upload.Responses, "400", "401", "413", "422", "500")
	if err := b.add("/api/files", &pathItem{Post: upload}); err != nil {
		return err
	}
	download := &operation{
		Tags:        []string{systemTag},
		Summary:     "Download a file",
		Description: "The file's bytes as an attachment. Allowed to its uploader and to whoever may read a record whose file field holds it; any other file is 404.",
		OperationID: "download_file",
		Responses: orderedResponses("200", &response{
			Description: "The file.",
			Content:     map[string]*mediaType{"application/octet-stream": {Schema: &schema{Type: "string", Format: "binary"}}},
		}),
	}
	errorRefs(download.Responses, "401", "404", "500")
	if err := b.add("/api/files/{id}", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: download}); err != nil {
		return err
	}
	public := []securityRequirement{}
	for _, a := range p.Apps {
		byEntity := map[*metamodel.Entity][]*metamodel.Export{}
		var order []*metamodel.Entity
		for _, x := range a.Exports {
			if x.Target == nil {
				continue
			}
			if byEntity[x.Target] == nil {
				order = append(order, x.Target)
			}
			byEntity[x.Target] = append(byEntity[x.Target], x)
		}
		for _, e := range order {
			if err := b.addExportPath(e, byEntity[e]); err != nil {
				return err
			}
		}
		for _, r := range a.Reports {
			if !r.Public {
				continue
			}
			title := r.Title
			if title == "" {
				title = r.Name
			}
			op := &operation{
				Tags:        []string{a.Name},
				Summary:     "Public report: " + title,
				Description: "Needs no token. Grouped by " + strings.Join(r.GroupBy, ", ") + "; only the groups and the measures. The filter may name only fields that are both group_by and filters fields.",
				OperationID: "public_report_" + a.Name + "_" + r.Name,
				Parameters:  []*parameter{{Name: "filter", In: "query", Description: "A filter expression (docs/filter.md).", Schema: &schema{Type: "string"}}},
				Responses:   responses("200", "The report: columns, rows and totals.", &schema{Type: "object"}, "400", "404", "500"),
				Security:    &public,
			}
			if err := b.add("/api/public/reports/"+a.Name+"/"+r.Name, &pathItem{Get: op}); err != nil {
				return err
			}
		}
	}
	return nil
}

// addExportPath adds the exports of e.
func (b *builder) addExportPath(e *metamodel.Entity, exports []*metamodel.Export) error {
	var names, lines []string
	for _, x := range exports {
		names = append(names, x.Name)
		format := x.Format
		if format == "" {
			format = "csv"
		}
		enc := x.Encoding
		if enc == "" {
			enc = "utf-8"
		}
		lines = append(lines, strings.TrimSpace(fmt.Sprintf("`%s` %s (%s, %s)", x.Name, x.Title, format, enc)))
	}
	op := &operation{
		Tags:        []string{e.App.Name},
		Summary:     "Export a file of " + e.Label(),
		Description: "Builds the file for the record; needs the export action. A check total that disagrees, a value wider than its column or one the encoding cannot write refuses the file (409). Exports: " + strings.Join(lines, "; ") + ".",
		OperationID: operationID("export", e),
		Parameters: []*parameter{{Name: "name", In: "path", Required: true, Description: "The export.",
			Schema: &schema{Type: "string", Enum: names}}},
		Responses: orderedResponses("200", &response{
			Description: "The file, as an attachment.",
			Headers: map[string]*header{
				"X-Content-SHA256": {Description: "Hex SHA-256 of the file, also in the audit row.", Schema: &schema{Type: "string"}},
				"X-Export-Lines":   {Description: "Rows from lines.", Schema: &schema{Type: "integer"}},
				"X-Export-Total":   {Description: "The check total, when the export has one.", Schema: &schema{Type: "string"}},
			},
			Content: map[string]*mediaType{"text/csv": {Schema: &schema{Type: "string", Format: "binary"}}, "text/plain": {Schema: &schema{Type: "string", Format: "binary"}}},
		}),
	}
	errorRefs(op.Responses, "401", "403", "404", "409", "500")
	return b.add(recordPath(e)+"/exports/{name}", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: op})
}

package openapi

import (
	"github.com/growth-gov/growth/metamodel"
)

// Attachments: the file field type, the File schema, upload and download.

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
func filesSchema(e *metamodel.Entity, shown func(*metamodel.Field) bool) *schema {
	props := newOrdered[*schema]()
	for _, f := range e.Fields {
		if f.Is(metamodel.Attachment) && shown(f) {
			props.Set(f.Name, ref("File"))
		}
	}
	if len(props.keys) == 0 {
		return nil
	}
	return &schema{Type: "object", ReadOnly: true, Properties: props,
		Description: "The files the record's file fields hold, by field; a field without a file is left out."}
}

// addFilePaths adds the upload and download of files.
func (b *builder) addFilePaths() error {
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
		Description: "The file's bytes as an attachment, with the content type it was stored with. Allowed to its uploader and to whoever may read a record whose file field holds it; any other file is 404.",
		OperationID: "download_file",
		Responses: orderedResponses("200", &response{
			Description: "The file.",
			Headers: map[string]*header{
				"Content-Disposition": {Description: "attachment, with the file's name (RFC 6266, UTF-8 in filename*).", Schema: &schema{Type: "string"}},
				"ETag":                {Description: "The file's SHA-256 in quotes.", Schema: &schema{Type: "string"}},
			},
			Content: map[string]*mediaType{"*/*": {Schema: &schema{Type: "string", Format: "binary"}}},
		}),
	}
	errorRefs(download.Responses, "401", "404", "500")
	return b.add("/api/files/{id}", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: download})
}

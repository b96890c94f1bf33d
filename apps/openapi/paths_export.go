package openapi

import (
	"fmt"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// addExportPath adds GET /api/{app}/{entity}/{id}/exports/{name} when some
// export of e's app is built from a record of e.
func (b *builder) addExportPath(e *metamodel.Entity) error {
	var names, lines []string
	for _, x := range e.App.Exports {
		if x.Target != e {
			continue
		}
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
	if len(names) == 0 {
		return nil
	}
	op := &operation{
		Tags:        []string{e.App.Name},
		Summary:     "Export a file of " + e.Label(),
		Description: "Builds the file for the record; needs the export action. A check total that disagrees, a value wider than its column or one the encoding cannot write refuses the file (409). Exports: " + strings.Join(lines, "; ") + ".",
		OperationID: operationID("export", e),
		Parameters: []*parameter{{Name: "name", In: "path", Required: true, Description: "The export.",
			Schema: &schema{Type: "string", Enum: names}}},
		Responses: orderedResponses("200", &response{
			Description: "The file, as an attachment: text/csv for csv exports, text/plain for fixed-width ones, with charset utf-8 or GBK.",
			Headers: map[string]*header{
				"Content-Disposition": {Description: "attachment, with the file's name.", Schema: &schema{Type: "string"}},
				"X-Content-SHA256":    {Description: "Hex SHA-256 of the file, also in the audit row.", Schema: &schema{Type: "string"}},
				"X-Export-Lines":      {Description: "Rows from lines.", Schema: &schema{Type: "integer"}},
				"X-Export-Total":      {Description: "The check total, when the export has one.", Schema: &schema{Type: "string"}},
			},
			Content: map[string]*mediaType{"text/csv": {Schema: &schema{Type: "string", Format: "binary"}}, "text/plain": {Schema: &schema{Type: "string", Format: "binary"}}},
		}),
	}
	errorRefs(op.Responses, "401", "403", "404", "409", "500")
	return b.add(recordPath(e)+"/exports/{name}", &pathItem{Parameters: []*parameter{paramRef(paramID)}, Get: op})
}

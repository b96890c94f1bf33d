package enginetest

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"html"
	"io"
	"strings"
)

// HostileXLSX writes an Excel file whose heading row is header and whose
// second row holds, in column B, a string of size bytes ("a" repeated):
// among the shared strings when shared, else inline in the worksheet. The
// zip is written as a stream, so the test that builds it never holds the
// string; deflate packs 500 MB of it into about 0.5 MB.
func HostileXLSX(w io.Writer, header []string, size int64, shared bool) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
			`</Types>`},
		{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook ` + ns + ` xmlns:r="` + rel + `"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + rel + `/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
	}
	for _, p := range parts {
		f, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return err
		}
	}
	var row1 strings.Builder
	for i, h := range header {
		fmt.Fprintf(&row1, `<c r="%c1" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, html.EscapeString(h))
	}
	sheet, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	io.WriteString(sheet, `<worksheet `+ns+`><sheetData><row r="1">`+row1.String()+`</row><row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c>`)
	if shared {
		io.WriteString(sheet, `<c r="B2" t="s"><v>0</v></c>`)
	} else {
		io.WriteString(sheet, `<c r="B2" t="inlineStr"><is><t>`)
		if err := repeat(sheet, size); err != nil {
			return err
		}
		io.WriteString(sheet, `</t></is></c>`)
	}
	if _, err := io.WriteString(sheet, `</row></sheetData></worksheet>`); err != nil {
		return err
	}
	sst, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	io.WriteString(sst, `<sst `+ns+` count="1" uniqueCount="1"><si><t>`)
	if shared {
		if err := repeat(sst, size); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(sst, `</t></si></sst>`); err != nil {
		return err
	}
	return zw.Close()
}

func repeat(w io.Writer, n int64) error {
	chunk := []byte(strings.Repeat("a", 64<<10))
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

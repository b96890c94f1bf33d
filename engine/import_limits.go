package engine

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// Limits on an imported file (docs/import.md). A file is read as a stream
// and refused at the first limit it goes over, with what limit and where,
// before the server has built anything large from it: a 0.5 MB Excel file
// can unpack to gigabytes, and a parser that meets a 500 MB cell builds a
// 500 MB string.

// ImportLimits bound what one import may read. Zero fields take the
// defaults of DefaultImportLimits.
type ImportLimits struct {
	// FileBytes caps the file as sent (an xlsx is held in memory to be
	// unzipped; a CSV is streamed, so this applies to Excel only).
	FileBytes int64
	// UnpackedBytes caps the total unzipped size of an Excel file, and
	// PartBytes any one part other than the worksheets and the shared
	// strings (styles, themes, …), which the Excel reader holds in memory.
	UnpackedBytes int64
	PartBytes     int64
	// Rows caps the data rows (the heading row aside), Columns the cells of
	// one row, CellChars the characters of one cell (Excel's own limit).
	Rows      int
	Columns   int
	CellChars int
	// TextBytes caps the text of all cells together, as held in memory
	// while the file is checked (many cells can name one long shared
	// string).
	TextBytes int64
}

// DefaultImportLimits are the limits unless the runtime sets others.
var DefaultImportLimits = ImportLimits{
	FileBytes:     64 << 20,
	UnpackedBytes: 256 << 20,
	PartBytes:     16 << 20,
	Rows:          100_000,
	Columns:       256,
	CellChars:     32_767,
	TextBytes:     64 << 20,
}

// xlsxParts caps the number of entries in an Excel file.
const xlsxParts = 10_000

func (l ImportLimits) orDefaults() ImportLimits {
	d := DefaultImportLimits
	if l.FileBytes > 0 {
		d.FileBytes = l.FileBytes
	}
	if l.UnpackedBytes > 0 {
		d.UnpackedBytes = l.UnpackedBytes
	}
	if l.PartBytes > 0 {
		d.PartBytes = l.PartBytes
	}
	if l.Rows > 0 {
		d.Rows = l.Rows
	}
	if l.Columns > 0 {
		d.Columns = l.Columns
	}
	if l.CellChars > 0 {
		d.CellChars = l.CellChars
	}
	if l.TextBytes > 0 {
		d.TextBytes = l.TextBytes
	}
	return d
}

// cellBytes is how long, in bytes as written in the file, a cell within
// CellChars characters can be: four bytes a character in UTF-8, more when
// written as XML character references (&#x10FFFF;) — an over-estimate that
// still keeps what a parser builds small.
func (l ImportLimits) cellBytes() int { return 10*l.CellChars + 1024 }

// recordBytes caps one CSV record as read, whatever its columns.
func (l ImportLimits) recordBytes() int64 { return max(int64(4<<20), 4*int64(l.cellBytes())) }

// tableError is a problem with the file at a line (1 when the file as a
// whole).
type tableError struct {
	line int
	text errcode.Text
}

func (e *tableError) Error() string { return e.text.Zh }

// tableErrorf is a problem with the file at line, its message built from
// format and args (errcode.File.Format).
func tableErrorf(line int, format string, args ...any) *tableError {
	if line < 1 {
		line = 1
	}
	return &tableError{line: line, text: errcode.File.Format(format, args...)}
}

// tableErrorOf is err as a problem with the file: a *tableError as it is,
// any other error at line with its text.
func tableErrorOf(err error, line int) *tableError {
	var te *tableError
	if errors.As(err, &te) {
		return te
	}
	return &tableError{line: line, text: errcode.Text{Zh: err.Error()}}
}

// tableRows gathers the non-empty rows of a file within the limits.
type tableRows struct {
	limits ImportLimits
	rows   []importRow
	text   int64
}

// add checks one row read at line against the limits; a cellName turns a
// column index into how the user names the cell.
func (t *tableRows) add(line int, cells []string, cellName func(line, col int) errcode.Text) error {
	if blank(cells) {
		return nil
	}
	if len(t.rows) > t.limits.Rows { // the heading plus Rows data rows so far
		return tableErrorf(line, "文件超过 %d 行数据的上限（第 %d 行）；请分成几个文件导入", t.limits.Rows, line)
	}
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	if n > t.limits.Columns {
		return tableErrorf(line, "第 %d 行有 %d 列，超过 %d 列的上限", line, n, t.limits.Columns)
	}
	cells = cells[:n]
	for i, c := range cells {
		if len(c) > t.limits.CellChars && utf8.RuneCountInString(c) > t.limits.CellChars {
			return tableErrorf(line, "%s有 %d 个字符，超过单元格 %d 个字符的上限", cellName(line, i), utf8.RuneCountInString(c), t.limits.CellChars)
		}
		t.text += int64(len(c))
	}
	if t.text > t.limits.TextBytes {
		return tableErrorf(line, "文件中单元格的内容合计超过 %s 的上限（至第 %d 行）；请分成几个文件导入", FormatSize(t.limits.TextBytes), line)
	}
	t.rows = append(t.rows, importRow{line: line, cells: cells})
	return nil
}

func csvCellName(line, col int) errcode.Text {
	return errcode.File.Format("第 %d 行第 %d 列", line, col+1)
}

func xlsxCellName(line, col int) errcode.Text {
	name, err := excelize.CoordinatesToCellName(col+1, line)
	if err != nil {
		return csvCellName(line, col)
	}
	return errcode.File.Format("单元格 %s（第 %d 行）", name, line)
}

// errRecordTooLong stops a CSV reader in the middle of an over-long record.
var errRecordTooLong = errors.New("record too long")

// recordGuard counts the bytes a CSV reader takes since the last record and
// fails the read past a cap, so that no record grows without bound.
type recordGuard struct {
	r    io.Reader
	n    int64
	max  int64
	over bool
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.n > g.max {
		g.over = true
		return 0, errRecordTooLong
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}

// readCSV streams a CSV file within the limits.
func readCSV(r io.Reader, l ImportLimits) ([]importRow, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	guard := &recordGuard{r: br, max: l.recordBytes()}
	cr := csv.NewReader(guard)
	cr.FieldsPerRecord = -1
	t := tableRows{limits: l}
	last := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if guard.over {
			return nil, tableErrorf(last+1, "第 %d 行起的一行超过 %s 的上限（单元格最多 %d 个字符）", last+1, FormatSize(guard.max), l.CellChars)
		}
		if err != nil {
			return nil, tableErrorf(1, "不是有效的 CSV 文件：%v", err)
		}
		guard.n = 0
		line, _ := cr.FieldPos(0)
		last = line
		if err := t.add(line, rec, csvCellName); err != nil {
			return nil, err
		}
	}
	return t.rows, nil
}

// readXLSX reads the first sheet of an Excel file within the limits: the
// zip's directory is checked first (what each part and the whole unpack to),
// then the worksheets and shared strings are scanned for an over-long cell
// before the Excel reader parses them, then the rows are streamed.
func readXLSX(r io.Reader, l ImportLimits) ([]importRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, l.FileBytes+1))
	if err != nil {
		return nil, tableErrorf(1, "读取文件失败：%v", err)
	}
	if int64(len(data)) > l.FileBytes {
		return nil, tableErrorf(1, "Excel 文件超过 %s 的上限", FormatSize(l.FileBytes))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, tableErrorf(1, "不是有效的 Excel（xlsx）文件：%v", err)
	}
	if len(zr.File) > xlsxParts {
		return nil, tableErrorf(1, "Excel 文件有 %d 个部件，超过 %d 个的上限", len(zr.File), xlsxParts)
	}
	var total uint64
	var scan []*zip.File
	for _, zf := range zr.File {
		size := zf.UncompressedSize64
		total += size
		if total > uint64(l.UnpackedBytes) {
			return nil, tableErrorf(1, "Excel 文件解压后超过 %s 的上限（至部件 %s 已达 %s）", FormatSize(l.UnpackedBytes), zf.Name, FormatSize(int64(min(total, 1<<62))))
		}
		name := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
		switch {
		case name == "xl/sharedstrings.xml" || strings.HasPrefix(name, "xl/worksheets/sheet"):
			scan = append(scan, zf)
		case size > uint64(l.PartBytes):
			return nil, tableErrorf(1, "Excel 文件的部件 %s 解压后 %s，超过单个部件 %s 的上限", zf.Name, FormatSize(int64(size)), FormatSize(l.PartBytes))
		}
	}
	for _, zf := range scan {
		if err := scanXMLPart(zf, l); err != nil {
			return nil, err
		}
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    l.UnpackedBytes,
		UnzipXMLSizeLimit: min(l.UnpackedBytes, excelize.StreamChunkSize),
	})
	data = nil
	if err != nil {
		return nil, tableErrorf(1, "不是有效的 Excel（xlsx）文件：%v", err)
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return nil, tableErrorf(1, "Excel 文件中没有工作表")
	}
	rows, err := x.Rows(sheets[0])
	if err != nil {
		return nil, tableErrorf(1, "读取工作表 %s 失败：%v", sheets[0], err)
	}
	defer rows.Close()
	t := tableRows{limits: l}
	line := 0
	for rows.Next() {
		line++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, tableErrorf(line, "读取工作表 %s 第 %d 行失败：%v", sheets[0], line, err)
		}
		if len(cells) > l.Columns && !blank(cells[l.Columns:]) {
			n := len(cells)
			for strings.TrimSpace(cells[n-1]) == "" {
				n--
			}
			return nil, tableErrorf(line, "第 %d 行有 %d 列，超过 %d 列的上限", line, n, l.Columns)
		}
		if err := t.add(line, cells, xlsxCellName); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, tableErrorf(line, "读取工作表 %s 失败：%v", sheets[0], err)
	}
	return t.rows, nil
}

// scanXMLPart reads a worksheet or the shared strings of an Excel file and
// refuses it when the text of one cell (<c>, or <si> among the shared
// strings), or any one piece of markup, is longer than a cell within the
// limits can be. It reads bytes, not XML, so that nothing long is built.
func scanXMLPart(zf *zip.File, l ImportLimits) error {
	rc, err := zf.Open()
	if err != nil {
		return tableErrorf(1, "不是有效的 Excel（xlsx）文件：%v", err)
	}
	defer rc.Close()
	s := xmlScanner{max: l.cellBytes(), maxValues: l.Columns, sst: strings.EqualFold(zf.Name, "xl/sharedStrings.xml")}
	if err := s.scan(bufio.NewReaderSize(rc, 64<<10)); err != nil {
		if errors.Is(err, errCellTooLong) {
			if s.sst {
				return tableErrorf(1, "Excel 文件共享字符串表中第 %d 个字符串超过单元格 %d 个字符的上限", s.item, l.CellChars)
			}
			if s.ref != "" {
				line := 1
				if _, row, err := excelize.CellNameToCoordinates(s.ref); err == nil {
					line = row
				}
				return tableErrorf(line, "单元格 %s（工作表 %s）超过 %d 个字符的上限", s.ref, zf.Name, l.CellChars)
			}
			return tableErrorf(1, "工作表 %s 中有内容超过单元格 %d 个字符的上限", zf.Name, l.CellChars)
		}
		if errors.Is(err, errTooManyValues) {
			line := 1
			if _, row, err := excelize.CellNameToCoordinates(s.ref); err == nil {
				line = row
			}
			return tableErrorf(line, "第 %d 行有超过 %d 个有值的单元格（工作表 %s，至单元格 %s），超过 %d 列的上限", line, l.Columns, zf.Name, s.ref, l.Columns)
		}
		if errors.Is(err, errMarkupTooLong) {
			return tableErrorf(1, "Excel 文件的部件 %s 中有一段标记超过 %s 的上限", zf.Name, FormatSize(int64(s.max)))
		}
		return tableErrorf(1, "不是有效的 Excel（xlsx）文件：%s：%v", zf.Name, err)
	}
	return nil
}

var (
	errCellTooLong   = errors.New("cell too long")
	errMarkupTooLong = errors.New("markup too long")
	errTooManyValues = errors.New("too many values in a row")
)

// xmlScanner measures, byte by byte, the text of each cell and the length of
// each piece of markup of an XML part.
type xmlScanner struct {
	max  int
	sst  bool
	item int    // shared strings: which <si>
	ref  string // worksheets: the r of the last <c>
	// maxValues caps the cells with a value (<v> or <is>) in one <row>:
	// each may name a long shared string, which the Excel reader builds
	// anew for every cell naming it.
	maxValues int
	values    int
}

func (s *xmlScanner) scan(br *bufio.Reader) error {
	const (
		text = iota
		tag
		comment   // <!-- … -->
		cdata     // <![CDATA[ … ]]>
		pi        // <? … ?>
		directive // <! … > with nested < >
	)
	mode, tok, cell, depth := text, 0, 0, 0
	var name []byte // the start of the current tag
	var b1, b2 byte // the two bytes before, to find an end
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		tok++
		if tok > s.max {
			if mode == text || mode == cdata {
				return errCellTooLong
			}
			return errMarkupTooLong
		}
		switch mode {
		case text:
			if b != '<' {
				cell++
				if cell > s.max {
					return errCellTooLong
				}
				continue
			}
			tok = 1
			switch next, _ := br.Peek(8); {
			case bytes.HasPrefix(next, []byte("!--")):
				mode = comment
			case bytes.HasPrefix(next, []byte("![CDATA[")):
				mode = cdata
			case bytes.HasPrefix(next, []byte("?")):
				mode = pi
			case bytes.HasPrefix(next, []byte("!")):
				mode, depth = directive, 0
			default:
				mode, name = tag, name[:0]
			}
		case tag:
			if b == '<' { // malformed; the parser will say so
				tok, name = 1, name[:0]
				continue
			}
			if b != '>' {
				if len(name) < 256 {
					name = append(name, b)
				}
				continue
			}
			if !s.startTag(name, &cell) {
				return errTooManyValues
			}
			mode, tok = text, 0
		case comment:
			if b == '>' && b1 == '-' && b2 == '-' {
				mode, tok = text, 0
			}
		case cdata:
			cell++
			if cell > s.max {
				return errCellTooLong
			}
			if b == '>' && b1 == ']' && b2 == ']' {
				mode, tok = text, 0
			}
		case pi:
			if b == '>' && b1 == '?' {
				mode, tok = text, 0
			}
		case directive:
			switch b {
			case '<':
				depth++
			case '>':
				if depth == 0 {
					mode, tok = text, 0
				} else {
					depth--
				}
			}
		}
		b2, b1 = b1, b
	}
}

// startTag notes a tag that starts a cell — the cell's text begins anew —
// or a row, or a cell's value; false when a row has too many values.
func (s *xmlScanner) startTag(t []byte, cell *int) bool {
	n := bytes.IndexAny(t, " \t\r\n/")
	if n < 0 {
		n = len(t)
	}
	local := t[:n]
	if i := bytes.IndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	switch {
	case s.sst && string(local) == "si":
		s.item++
		*cell = 0
	case !s.sst && string(local) == "c":
		*cell = 0
		s.ref = ""
		if i := bytes.Index(t, []byte(" r=")); i >= 0 && i+4 < len(t) {
			q := t[i+3]
			rest := t[i+4:]
			if j := bytes.IndexByte(rest, q); j >= 0 && j <= 16 {
				s.ref = string(rest[:j])
			}
		}
	case !s.sst && string(local) == "row":
		s.values = 0
	case !s.sst && (string(local) == "v" || string(local) == "is"):
		s.values++
		return s.values <= s.maxValues
	}
	return true
}

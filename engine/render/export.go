package render

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Record is what a file's expressions read of one record: the record an
// export is of, or one of its lines.
type Record struct {
	ID        int64
	State     string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	Values    map[string]any
}

// Input is one file to render: the export's definition, the record and its
// lines (already read, scoped and sorted by the caller), the day the file is
// made, and the caller's rule for file names.
type Input struct {
	Export *metamodel.Export
	Record Record
	// Lines are the rows of an export with lines:; an export without lines:
	// writes one row, of the record.
	Lines []Record
	// Today is the expressions' today.
	Today time.Time
	// CleanName makes the value of the filename expression a safe file
	// name; "" falls back to <export>_<id>.<ext>. Nil keeps the value as
	// it is.
	CleanName func(string) string
}

// File is a rendered file.
type File struct {
	// Name is the download's file name.
	Name string
	// ContentType says the format and the encoding (text/csv; charset=GBK).
	ContentType string
	Data        []byte
	// Lines is the number of rows from lines (without a header row).
	Lines int
	// Total is the sum of the export's total expression, when it is checked
	// against a field; TotalScale is that field's digits.
	Total      *decimal.Decimal
	TotalScale int32
}

// Error is a file that cannot be made from these values: a column that
// cannot be computed, a value wider than its column or one the encoding
// cannot write, a check total that does not agree. Its code is one of
// errcode's export codes; errors.Is(err, errcode.ExportWidth) asks for one.
type Error struct {
	Code errcode.Code
	Text errcode.Text
}

func (e *Error) Error() string { return e.Text.Zh }

// Is makes errors.Is(err, errcode.X) true for the error's code.
func (e *Error) Is(target error) bool { return target == e.Code }

// refuse is an Error of code, its message built from format and args.
func refuse(code errcode.Code, format string, args ...any) *Error {
	return &Error{Code: code, Text: code.Format(format, args...)}
}

// Export writes the file of in.Export for in.Record and its lines: CSV or
// fixed width, UTF-8 or GBK, with the header row, the newline and the check
// total the definition asks for. It reads no database and keeps no state.
func Export(in Input) (*File, error) {
	x, rec, lines := in.Export, in.Record, in.Lines
	e := x.Target
	env := map[string]any{"today": in.Today}
	if p := e.App.Project(); p != nil {
		for name, fn := range p.Functions() {
			env[name] = fn
		}
	}
	env["record"] = x.RecordShape.Value(rec.ID, rec.State, rec.CreatedBy, rec.CreatedAt, rec.UpdatedAt, rec.Values)
	w := &exportWriter{x: x, gbk: x.Encoding == "gbk", newline: "\r\n"}
	if x.Newline == "lf" {
		w.newline = "\n"
	}
	if x.Header {
		titles := make([]string, len(x.Columns))
		for i, c := range x.Columns {
			titles[i] = c.Title
		}
		if err := w.row(titles, errcode.Label("标题行", "the title row")); err != nil {
			return nil, err
		}
	}
	var total decimal.Decimal
	rows := len(lines)
	if x.Lines == nil {
		rows = 1 // one row, of the record
	}
	for n := range rows {
		where := errcode.Label(fmt.Sprintf("第 %d 行", n+1), fmt.Sprintf("line %d", n+1))
		if x.Lines != nil {
			line := &lines[n]
			env["line"] = x.LineShape.Value(line.ID, line.State, line.CreatedBy, line.CreatedAt, line.UpdatedAt, line.Values)
			where = errcode.Label(fmt.Sprintf("第 %d 行（%s #%d）", n+1, x.Lines.Target.Label(), line.ID),
				fmt.Sprintf("line %d (%s #%d)", n+1, entityLabel(x.Lines.Target).En, line.ID))
		}
		values := make([]string, len(x.Columns))
		for i, c := range x.Columns {
			out, err := metamodel.Run(c.Program, env)
			if err != nil {
				return nil, refuse(errcode.ExportValue, "%s“%s”无法计算：%v", where, columnLabel(c, i), err)
			}
			values[i] = Value(out, c.Scale)
			if x.Format != "fixed" && !isNumber(out) {
				values[i] = SafeCSVText(values[i])
			}
		}
		if err := w.row(values, where); err != nil {
			return nil, err
		}
		if t := x.Total; t != nil && t.Program != nil {
			out, err := metamodel.Run(t.Program, env)
			if err != nil {
				return nil, refuse(errcode.ExportTotal, "%s的合计金额无法计算：%v", where, err)
			}
			d, ok := Decimal(out)
			if !ok {
				return nil, refuse(errcode.ExportTotal, "%s的合计金额不是数字：%v", where, out)
			}
			total = total.Add(d)
		}
	}
	data, err := w.bytes()
	if err != nil {
		return nil, err
	}
	out := &File{Data: data, Lines: len(lines), Name: fileName(x, env, rec.ID, in.CleanName)}
	if t := x.Total; t != nil && t.EqualsField != nil {
		f := t.EqualsField
		want, _ := Decimal(rec.Values[f.Name])
		scale := int32(f.Kind.Column(f).Scale)
		if !total.Equal(want) {
			return nil, refuse(errcode.ExportTotal, "文件合计 %s 与%s #%d 的%s %s 不符，未生成文件", total.StringFixed(scale), entityLabel(e), rec.ID,
				errcode.Label(f.DisplayLabel(), f.LabelEn), want.StringFixed(scale))
		}
		out.Total = &total
		out.TotalScale = scale
	}
	kind := "text/csv"
	if x.Format == "fixed" {
		kind = "text/plain"
	}
	out.ContentType = kind + "; charset=utf-8"
	if w.gbk {
		out.ContentType = kind + "; charset=GBK"
	}
	return out, nil
}

// entityLabel is an entity's title in both languages, for messages.
func entityLabel(e *metamodel.Entity) errcode.Text { return errcode.Label(e.Label(), e.TitleEn) }

func columnLabel(c *metamodel.ExportColumn, i int) errcode.Text {
	if c.Title != "" {
		return errcode.Label(c.Title, "")
	}
	return errcode.Label(fmt.Sprintf("第 %d 列", i+1), fmt.Sprintf("column %d", i+1))
}

// SafeCSVText neutralises a text cell of a CSV file that a spreadsheet would
// run as a formula: text that starts with =, +, -, @, a tab or a carriage
// return gets a leading apostrophe (OWASP's advice), which spreadsheets
// read as "this is text" and which a reader sees. Only text cells pass
// here: a number (an amount of -12.50) is written as the number it is.
func SafeCSVText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// isNumber reports whether an export value is a number, not text.
func isNumber(v any) bool {
	switch v.(type) {
	case decimal.Decimal, float64, int, int64:
		return true
	}
	return false
}

// Value writes an expression's value as file text: amounts with scale
// digits (default 2) and no thousands separators, whole numbers as they
// are, dates as 2006-01-02, nothing for an empty value.
func Value(v any, scale int) string {
	if scale == 0 {
		scale = 2
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case decimal.Decimal:
		return x.StringFixed(int32(scale))
	case float64:
		return decimal.NewFromFloat(x).StringFixed(int32(scale))
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// Decimal is an expression's value as an amount: nil is zero; false when
// the value is not a number.
func Decimal(v any) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case nil:
		return decimal.Zero, true
	case decimal.Decimal:
		return x, true
	case int:
		return decimal.NewFromInt(int64(x)), true
	case int64:
		return decimal.NewFromInt(x), true
	case float64:
		return decimal.NewFromFloat(x), true
	}
	return decimal.Zero, false
}

// fileName is the download's name: the filename expression made safe by
// clean, or the export's name and the record id.
func fileName(x *metamodel.Export, env map[string]any, id int64, clean func(string) string) string {
	ext := ".csv"
	if x.Format == "fixed" {
		ext = ".txt"
	}
	name := fmt.Sprintf("%s_%d%s", x.Name, id, ext)
	if x.FilenameProgram != nil {
		if out, err := metamodel.Run(x.FilenameProgram, env); err == nil {
			s := Value(out, 0)
			if clean != nil {
				s = clean(s)
			}
			if s != "" {
				name = s
			}
		}
	}
	return name
}

// exportWriter accumulates rows in the export's format and encoding.
type exportWriter struct {
	x       *metamodel.Export
	gbk     bool
	newline string
	buf     bytes.Buffer
	csvRows [][]string
	enc     *encoding.Encoder
}

// encode is s in the file's encoding.
func (w *exportWriter) encode(s string) ([]byte, error) {
	if !w.gbk {
		return []byte(s), nil
	}
	if w.enc == nil {
		w.enc = simplifiedchinese.GBK.NewEncoder()
	}
	out, err := w.enc.String(s) // String resets the encoder first

	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// row adds one row of values; where names it in messages.
func (w *exportWriter) row(values []string, where errcode.Text) error {
	fixed := w.x.Format == "fixed"
	encoded := make([][]byte, len(values))
	for i, v := range values {
		c := w.x.Columns[i]
		b, err := w.encode(v)
		if err != nil {
			return refuse(errcode.ExportEncoding, "%s“%s”的值“%s”含有 GBK 无法表示的字符", where, columnLabel(c, i), v)
		}
		if fixed && strings.ContainsAny(v, "\r\n") {
			return refuse(errcode.ExportWidth, "%s“%s”的值含有换行，定长文件不能写入", where, columnLabel(c, i))
		}
		if c.Width > 0 && len(b) > c.Width {
			return refuse(errcode.ExportWidth, "%s“%s”的值“%s”占 %d 字节，超过宽度 %d", where, columnLabel(c, i), v, len(b), c.Width)
		}
		encoded[i] = b
	}
	if !fixed {
		w.csvRows = append(w.csvRows, values)
		return nil
	}
	for i, b := range encoded {
		c := w.x.Columns[i]
		pad := []byte(" ")
		if c.Pad != "" {
			pad = []byte(c.Pad) // one ASCII character, checked at load
		}
		fill := bytes.Repeat(pad, c.Width-len(b))
		switch {
		case c.Align == "right" && c.Pad == "0" && len(b) > 0 && b[0] == '-':
			// 0000-12.30 would not read as a number: the sign goes first.
			w.buf.WriteByte('-')
			w.buf.Write(fill)
			w.buf.Write(b[1:])
		case c.Align == "right":
			w.buf.Write(fill)
			w.buf.Write(b)
		default:
			w.buf.Write(b)
			w.buf.Write(fill)
		}
	}
	w.buf.WriteString(w.newline)
	return nil
}

// bytes is the finished file.
func (w *exportWriter) bytes() ([]byte, error) {
	if w.x.Format == "fixed" {
		return w.buf.Bytes(), nil
	}
	var text bytes.Buffer
	cw := csv.NewWriter(&text)
	if sep := w.x.Separator; sep != "" {
		cw.Comma, _ = utf8.DecodeRuneInString(sep)
	}
	cw.UseCRLF = w.newline == "\r\n"
	if err := cw.WriteAll(w.csvRows); err != nil {
		return nil, fmt.Errorf("writing csv: %w", err)
	}
	out, err := w.encode(text.String())
	if err != nil {
		return nil, refuse(errcode.ExportEncoding, "分隔符无法用 GBK 表示")
	}
	return out, nil
}

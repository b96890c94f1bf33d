package metamodel

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Exports are files generated from one record and the lines that belong to
// it, such as a bank file of a batch of transfers: one row per line, columns
// computed by expressions over `line` and `record`, written as CSV or fixed
// width in UTF-8 or GBK, refused when a check total does not agree with the
// record. The engine builds them (rt.Export); the API serves them at
// GET /api/{app}/{entity}/{id}/exports/{name}.

// ExportFormats are the file formats of an export.
var ExportFormats = []string{"csv", "fixed"}

// ExportEncodings are the character encodings of an export.
var ExportEncodings = []string{"utf-8", "gbk"}

// ExportAligns are how a fixed-width column pads its value.
var ExportAligns = []string{"left", "right"}

// ExportNewlines are the line ends of an export.
var ExportNewlines = []string{"crlf", "lf"}

// Export is one kind of file generated from a record of Entity.
type Export struct {
	Name      string
	NamePos   Pos
	Pos       Pos
	At        map[string]Pos
	Title     string          `yaml:"title" desc:"Label (zh-CN)."`
	Entity    string          `yaml:"entity" desc:"The entity whose record the file is for: GET /api/{app}/{entity}/{id}/exports/{name}."`
	Lines     *ExportLines    `yaml:"lines" desc:"The records of another entity that become the file's rows: {entity, via, where, sort}. Without lines the file has one row, of the record."`
	Format    string          `yaml:"format" desc:"csv (default) or fixed (fixed-width columns)."`
	Encoding  string          `yaml:"encoding" desc:"utf-8 (default) or gbk (what many banks read)."`
	Header    bool            `yaml:"header" desc:"true: the first row holds the column titles."`
	Separator string          `yaml:"separator" desc:"csv: the character between values; default a comma."`
	Newline   string          `yaml:"newline" desc:"crlf (default) or lf: how rows end."`
	Filename  string          `yaml:"filename" desc:"An expression over record giving the download's file name, e.g. \"'transfers_' + record.month + '.txt'\"; default the export's name and the record id."`
	Columns   []*ExportColumn `yaml:"columns" desc:"The columns of every row, in order."`
	Total     *ExportTotal    `yaml:"total" desc:"A check total: the sum of expr over the lines must equal the record's field equals, or no file is made (409)."`

	// Resolved by the checker.
	App              *App         `yaml:"-"`
	Target           *Entity      `yaml:"-"`
	RecordShape      *RecordShape `yaml:"-"`
	LineShape        *RecordShape `yaml:"-"`
	FilenameProgram  *vm.Program  `yaml:"-"`
	LineFieldsUsed   []string     `yaml:"-"`
	RecordFieldsUsed []string     `yaml:"-"`
}

// ExportLines says which records are the rows of the file.
type ExportLines struct {
	Pos    Pos
	At     map[string]Pos
	Entity string `yaml:"entity" desc:"The entity of the lines (of this app, or app.entity)."`
	Via    string `yaml:"via" desc:"The ref field of the lines that points at the record the file is for."`
	Where  string `yaml:"where" desc:"Which lines, in the filter language (docs/filter.md), e.g. net > '0'."`
	Sort   string `yaml:"sort" desc:"The order of the rows: fields separated by commas, - for descending; default id (the order lines were entered)."`

	Target *Entity `yaml:"-"`
	ViaRef *Field  `yaml:"-"`
}

// ExportColumn is one column of every row.
type ExportColumn struct {
	Pos   Pos
	At    map[string]Pos
	Title string `yaml:"title" desc:"The column title (the header row)."`
	Expr  string `yaml:"expr" desc:"The value: an expression over line and record, e.g. line.account_no."`
	Width int    `yaml:"width" desc:"The most bytes the value may take in the file's encoding (a GBK Chinese character takes 2, UTF-8 3); fixed: the column's exact width, padded. A longer value refuses the file (409)."`
	Align string `yaml:"align" desc:"fixed: left (default) pads on the right, right pads on the left (amounts)."`
	Pad   string `yaml:"pad" desc:"fixed: the padding character; default a space. One printable ASCII character; with 0 a negative amount keeps its sign first."`
	Scale int    `yaml:"scale" desc:"Digits after the point for decimal values; default 2 (money)."`

	Program *vm.Program `yaml:"-"`
}

// ExportTotal is the check total of an export.
type ExportTotal struct {
	Pos    Pos
	At     map[string]Pos
	Expr   string `yaml:"expr" desc:"The amount each line adds, e.g. line.net."`
	Equals string `yaml:"equals" desc:"The field of the record the sum must equal, e.g. net_total."`

	Program     *vm.Program `yaml:"-"`
	EqualsField *Field      `yaml:"-"`
}

// Export returns the export called name, or nil.
func (a *App) Export(name string) *Export {
	for _, x := range a.Exports {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Schedule returns the schedule called name, or nil.
func (a *App) Schedule(name string) *Schedule {
	for _, s := range a.Schedules {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// mergeExportsAndSchedules adds a file's exports and schedules to its app;
// a name given twice across the app's files is a problem.
func mergeExportsAndSchedules(app *App, f *file, ps *Problems) {
	if app.names == nil {
		app.names = map[string]Pos{}
	}
	first := func(kind, name string, pos Pos) bool {
		if prev, dup := app.names[kind+" "+name]; dup {
			ps.Addf(pos, "%s %s is defined twice (first at %s)", kind, name, prev)
			return false
		}
		app.names[kind+" "+name] = pos
		return true
	}
	for _, x := range f.Exports {
		if first("export", x.Name, x.NamePos) {
			x.App = app
			app.Exports = append(app.Exports, x)
		}
	}
	for _, s := range f.Schedules {
		if first("schedule", s.Name, s.NamePos) {
			s.App = app
			app.Schedules = append(app.Schedules, s)
		}
	}
}

// checkExportsAndSchedules checks every export and schedule of every app; it
// runs once fields are set up and workflows bound.
func checkExportsAndSchedules(p *Project, ps *Problems) {
	for _, a := range p.Apps {
		for _, x := range a.Exports {
			checkExport(p, a, x, ps)
		}
		for _, s := range a.Schedules {
			checkSchedule(p, a, s, ps)
		}
	}
}

// ExportEnv is the environment of an export's expressions: line (when the
// export has lines) and record, today, and the rule functions.
func ExportEnv(x *Export) map[string]any {
	env := map[string]any{"today": time.Time{}}
	if x.RecordShape != nil {
		env["record"] = x.RecordShape.Zero()
	}
	if x.LineShape != nil {
		env["line"] = x.LineShape.Zero()
	}
	if x.App != nil && x.App.project != nil {
		for name, fn := range x.App.project.Functions() {
			env[name] = fn
		}
	}
	return env
}

func checkExport(p *Project, a *App, x *Export, ps *Problems) {
	checkName("export", x.Name, x.NamePos, ps)
	where := "export " + x.Name
	if x.Entity == "" {
		ps.Addf(x.NamePos, "%s: entity is missing: the entity whose record the file is for", where)
	} else if x.Target = a.Entity(x.Entity); x.Target == nil {
		ps.Addf(x.At["entity"], "%s: entity %q does not exist in app %s%s", where, x.Entity, a.Name, suggest(x.Entity, entityNames(a)))
	}
	if x.Format != "" && !slices.Contains(ExportFormats, x.Format) {
		ps.Addf(x.At["format"], "%s: format must be one of %s, got %q", where, strings.Join(ExportFormats, ", "), x.Format)
	}
	if x.Encoding != "" && !slices.Contains(ExportEncodings, x.Encoding) {
		ps.Addf(x.At["encoding"], "%s: encoding must be one of %s, got %q", where, strings.Join(ExportEncodings, ", "), x.Encoding)
	}
	if x.Newline != "" && !slices.Contains(ExportNewlines, x.Newline) {
		ps.Addf(x.At["newline"], "%s: newline must be one of %s, got %q", where, strings.Join(ExportNewlines, ", "), x.Newline)
	}
	fixed := x.Format == "fixed"
	if x.Separator != "" {
		if fixed {
			ps.Addf(x.At["separator"], "%s: separator applies to csv files; a fixed-width file has none", where)
		} else if r, n := utf8.DecodeRuneInString(x.Separator); n != len(x.Separator) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
			ps.Addf(x.At["separator"], "%s: separator must be one character other than a quote or a line break, got %q", where, x.Separator)
		}
	}
	if x.Lines != nil {
		checkExportLines(p, a, x, ps)
	}
	if x.Target != nil {
		x.RecordShape = NewRecordShape(x.Target)
	}
	if x.Lines != nil && x.Lines.Target != nil {
		x.LineShape = NewRecordShape(x.Lines.Target)
	}
	if x.Target == nil || (x.Lines != nil && x.Lines.Target == nil) {
		return // expressions would only repeat the problem
	}
	env := ExportEnv(x)
	shapes := map[string]*RecordShape{"record": x.RecordShape, "line": x.LineShape}
	use := func(prog *vm.Program) {
		x.LineFieldsUsed = mergeNames(x.LineFieldsUsed, membersUsed(prog.Node(), "line")...)
		x.RecordFieldsUsed = mergeNames(x.RecordFieldsUsed, membersUsed(prog.Node(), "record")...)
	}
	if len(x.Columns) == 0 {
		ps.Addf(x.NamePos, "%s: needs columns: the values of every row", where)
	}
	for i, c := range x.Columns {
		col := fmt.Sprintf("%s: column %d", where, i+1)
		if c.Title != "" {
			col = fmt.Sprintf("%s: column %s", where, c.Title)
		}
		if c.Expr == "" {
			ps.Addf(c.Pos, "%s: expr is missing: the column's value", col)
		} else if prog, err := CompileValue(c.Expr, env); err != nil {
			ps.Addf(c.At["expr"], "%s: expr does not compile: %s", col, shapeError(err, env, shapes))
		} else {
			c.Program = prog
			use(prog)
		}
		switch {
		case c.Width < 0:
			ps.Addf(c.At["width"], "%s: width must be positive", col)
		case fixed && c.Width == 0:
			ps.Addf(c.Pos, "%s: a fixed-width file needs the width of every column", col)
		}
		if c.Align != "" && !slices.Contains(ExportAligns, c.Align) {
			ps.Addf(c.At["align"], "%s: align must be left or right, got %q", col, c.Align)
		}
		if c.Pad != "" && (len(c.Pad) != 1 || c.Pad[0] < ' ' || c.Pad[0] > '~') {
			ps.Addf(c.At["pad"], "%s: pad must be one printable ASCII character, got %q", col, c.Pad)
		}
		if !fixed {
			for _, key := range []string{"align", "pad"} {
				if pos, given := c.At[key]; given {
					ps.Addf(pos, "%s: %s applies to fixed-width files only", col, key)
				}
			}
		}
		if c.Scale < 0 || c.Scale > 8 {
			ps.Addf(c.At["scale"], "%s: scale must be 0 to 8", col)
		}
		if fixed && x.Header && c.Width > 0 {
			if n, ok := EncodedLen(x.Encoding, c.Title); !ok {
				ps.Addf(c.At["title"], "%s: the title cannot be written in %s", col, x.Encoding)
			} else if n > c.Width {
				ps.Addf(c.At["title"], "%s: the title takes %d bytes in the header row, more than the width %d", col, n, c.Width)
			}
		}
	}
	if x.Filename != "" {
		if prog, err := CompileValue(x.Filename, env); err != nil {
			ps.Addf(x.At["filename"], "%s: filename does not compile: %s", where, shapeError(err, env, shapes))
		} else if t := prog.Node().Type(); t != nil && t.Kind() != reflect.String && t.Kind() != reflect.Interface {
			ps.Addf(x.At["filename"], "%s: filename gives %s, not text", where, typeName(t))
		} else {
			x.FilenameProgram = prog
			x.RecordFieldsUsed = mergeNames(x.RecordFieldsUsed, membersUsed(prog.Node(), "record")...)
			if len(membersUsed(prog.Node(), "line")) > 0 {
				ps.Addf(x.At["filename"], "%s: filename may use record only, not line", where)
			}
		}
	}
	if t := x.Total; t != nil {
		if x.Lines == nil {
			ps.Addf(t.Pos, "%s: total sums the lines, and the export has no lines", where)
		}
		if t.Expr == "" {
			ps.Addf(t.Pos, "%s: total: expr is missing: the amount each line adds", where)
		} else if prog, err := CompileValue(t.Expr, env); err != nil {
			ps.Addf(t.At["expr"], "%s: total: expr does not compile: %s", where, shapeError(err, env, shapes))
		} else if ty := prog.Node().Type(); ty != nil && ty.Kind() != reflect.Interface && !compatible(ty, reflect.TypeOf(decimalZero)) {
			ps.Addf(t.At["expr"], "%s: total: expr gives %s, not an amount", where, typeName(ty))
		} else {
			t.Program = prog
			use(prog)
		}
		if t.Equals == "" {
			ps.Addf(t.Pos, "%s: total: equals is missing: the field of the record the sum must equal", where)
		} else if f := x.Target.Field(t.Equals); f == nil {
			ps.Addf(t.At["equals"], "%s: total: equals names field %q, which entity %s does not have%s", where, t.Equals, x.Target.Name, suggest(t.Equals, fieldNames(x.Target)))
		} else if !IsNumber(f) {
			ps.Addf(t.At["equals"], "%s: total: equals names %s field %s; it must be a money, decimal or int field", where, f.Type, f.Name)
		} else {
			t.EqualsField = f
			x.RecordFieldsUsed = mergeNames(x.RecordFieldsUsed, f.Name)
		}
	}
}

func checkExportLines(p *Project, a *App, x *Export, ps *Problems) {
	l := x.Lines
	where := "export " + x.Name + ": lines"
	if l.Entity == "" {
		ps.Addf(l.Pos, "%s: entity is missing: the entity whose records are the rows", where)
		return
	}
	l.Target = p.Entity(a, l.Entity)
	if l.Target == nil {
		ps.Addf(l.At["entity"], "%s: entity %q does not exist%s", where, l.Entity, entityHint(p, a, l.Entity))
		return
	}
	if l.Via == "" {
		ps.Addf(l.Pos, "%s: via is missing: the ref field of %s that points at the %s record", where, l.Target.Name, x.Entity)
		return
	}
	f := l.Target.Field(l.Via)
	switch {
	case f == nil:
		ps.Addf(l.At["via"], "%s: via names field %q, which entity %s does not have%s", where, l.Via, l.Target.Name, suggest(l.Via, fieldNames(l.Target)))
	case !f.Is(RecordRef):
		ps.Addf(l.At["via"], "%s: via names %s field %s; it must be a ref field", where, f.Type, f.Name)
	case x.Target != nil && f.Target != nil && f.Target != x.Target:
		ps.Addf(l.At["via"], "%s: via field %s refers to %s, not to %s", where, f.Name, f.Target.QualifiedName(), x.Target.QualifiedName())
	default:
		l.ViaRef = f
	}
	for _, item := range strings.Split(l.Sort, ",") {
		name := strings.TrimLeft(strings.TrimSpace(item), "+-")
		if name == "" && strings.TrimSpace(l.Sort) == "" {
			continue
		}
		if name == "" || (!slices.Contains(SystemFields, name) && l.Target.Field(name) == nil) {
			ps.Addf(l.At["sort"], "%s: sort names %q, which is not a field of %s%s", where, name, l.Target.Name, suggest(name, fieldNames(l.Target)))
		}
	}
}

// EncodedLen is the length in bytes of s in encoding (utf-8 or gbk, "" is
// utf-8); ok is false when the encoding cannot represent s.
func EncodedLen(encoding, s string) (n int, ok bool) {
	if encoding != "gbk" {
		return len(s), true
	}
	out, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		return 0, false
	}
	return len(out), true
}

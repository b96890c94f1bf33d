package metamodel

import (
	"fmt"
	"mime"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// fileType is an attachment: the value is the id of a file uploaded with
// POST /api/files and stored by the platform (growth_files). That the file
// exists, belongs to the writer (or is one the writer may read), and meets
// the field's max_size and types is checked by the engine inside the write's
// transaction, since it needs the database.
type fileType struct{}

// fileSettings are a file field's parsed limits.
type fileSettings struct {
	maxSize int64
	types   []string // lower case: extensions without the dot, or content types (image/*)
}

// DefaultMaxFileSize is a file field's max_size when it gives none, and the
// upload limit of a project without file fields.
const DefaultMaxFileSize = 10 << 20

// MaxFileSizeLimit is the largest max_size a definition may give: files live
// in the database, inside one transaction per request, and the server holds
// an upload in memory while it stores it.
const MaxFileSizeLimit = 100 << 20

func init() { RegisterFieldType(fileType{}) }

func (fileType) Name() string { return "file" }

var sizePattern = regexp.MustCompile(`^(?i)\s*(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$`)

var sizeUnits = map[string]int64{"": 1, "b": 1, "kb": 1 << 10, "kib": 1 << 10, "mb": 1 << 20, "mib": 1 << 20, "gb": 1 << 30, "gib": 1 << 30}

// ParseSize reads a size in bytes: 10485760, or a number with a unit (10MB,
// 512KB); KB, MB and GB are powers of 1024, like KiB, MiB and GiB.
func ParseSize(text string) (int64, bool) {
	m := sizePattern.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	unit := sizeUnits[strings.ToLower(m[2])]
	if err != nil || n > (1<<62)/unit {
		return 0, false
	}
	return n * unit, true
}

var fileTypePattern = regexp.MustCompile(`^(?:[a-z0-9][a-z0-9+.-]{0,15}|[a-z]+/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*))$`)

func (fileType) Setup(f *Field, ps *Problems) {
	OnlyKeys(f, ps, "max_size", "types")
	s := &fileSettings{maxSize: DefaultMaxFileSize}
	if f.MaxSize != "" {
		n, ok := ParseSize(f.MaxSize)
		switch {
		case !ok:
			ps.Addf(f.At["max_size"], "field %s: max_size must be a number of bytes or a size such as 10MB, got %q", f.where(), f.MaxSize)
		case n <= 0:
			ps.Addf(f.At["max_size"], "field %s: max_size must be positive", f.where())
		case n > MaxFileSizeLimit:
			ps.Addf(f.At["max_size"], "field %s: max_size %s is over the limit of 100MB: files are stored in the database", f.where(), f.MaxSize)
		default:
			s.maxSize = n
		}
	}
	for i, t := range f.Types {
		t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "."))
		if !fileTypePattern.MatchString(t) {
			ps.Addf(itemPos(f.At, "types", i), "field %s: types: %q is neither an extension (pdf) nor a content type (application/pdf, image/*)", f.where(), f.Types[i])
			continue
		}
		s.types = append(s.types, t)
	}
	f.Settings = s
}

func (fileType) Traits(f *Field) Trait  { return Attachment | Identifier }
func (fileType) Column(f *Field) Column { return Column{Kind: ColumnInt} }

func (fileType) Parse(f *Field, in any) (any, error) {
	v, err := parseInt(in)
	if err != nil {
		return nil, inputErr(errcode.Type, "应为已上传文件的编号（整数），请先通过 POST /api/files 上传")
	}
	if v.(int64) <= 0 {
		return nil, inputErr(errcode.Type, "文件编号应为正整数")
	}
	return v, nil
}

func (fileType) Validate(f *Field, v any) error { return nil }
func (fileType) JSON(f *Field, v any) any       { return v }
func (fileType) Zero(f *Field) any              { return 0 }

// FileMaxSize is the largest file field f accepts, in bytes.
func FileMaxSize(f *Field) int64 {
	if s, ok := f.Settings.(*fileSettings); ok {
		return s.maxSize
	}
	return DefaultMaxFileSize
}

// FileTypes lists the file types field f accepts (extensions without the dot,
// or content types), empty when it accepts any.
func FileTypes(f *Field) []string {
	if s, ok := f.Settings.(*fileSettings); ok {
		return s.types
	}
	return nil
}

// FileTypeAllowed reports whether field f accepts a file called name whose
// content type is contentType: its extension or its content type is listed
// (image/* takes every image/…), or the field lists none.
func FileTypeAllowed(f *Field, name, contentType string) bool {
	types := FileTypes(f)
	if len(types) == 0 {
		return true
	}
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	ct, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		ct = strings.ToLower(contentType)
	}
	for _, t := range types {
		switch {
		case !strings.Contains(t, "/"):
			if t == ext || (t == "jpg" && ext == "jpeg") || (t == "jpeg" && ext == "jpg") {
				return true
			}
		case strings.HasSuffix(t, "/*"):
			if strings.HasPrefix(ct, strings.TrimSuffix(t, "*")) {
				return true
			}
		case t == ct:
			return true
		}
	}
	return false
}

// MaxUploadSize is the largest upload a project takes: the largest max_size
// of its file fields, or DefaultMaxFileSize when it has none. hasFileFields
// tells whether there is any file field at all.
func MaxUploadSize(p *Project) (size int64, hasFileFields bool) {
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			for _, f := range e.Fields {
				if !f.Is(Attachment) {
					continue
				}
				if n := FileMaxSize(f); !hasFileFields || n > size {
					size = n
				}
				hasFileFields = true
			}
		}
	}
	if !hasFileFields {
		size = DefaultMaxFileSize
	}
	return size, hasFileFields
}

// FormInput is an upload.
func (fileType) FormInput(f *Field) Input { return Input{Widget: "file"} }

// Schema is the id of an uploaded file, with the field's limits.
func (fileType) Schema(f *Field, shown func(*Field) bool) ValueSchema {
	desc := "The id of a file uploaded with POST /api/files; the record's _files describes it"
	limits := []string{"at most " + formatBytes(FileMaxSize(f))}
	if types := FileTypes(f); len(types) > 0 {
		limits = append(limits, "types "+strings.Join(types, ", "))
	}
	one := int64(1)
	return ValueSchema{Type: "integer", Format: "int64", Minimum: &one, Description: desc + " (" + strings.Join(limits, "; ") + ")."}
}

// formatBytes writes a size in whole MB or KB where it is one.
func formatBytes(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

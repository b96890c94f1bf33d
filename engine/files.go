package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Attachments: a client uploads a file (UploadFile, POST /api/files), gets
// its id, and writes that id into a file field of a record. The file is in
// growth_files; growth_file_refs says which record field holds it, kept by an
// effect in the record change's transaction. Reading a file (OpenFile) is
// allowed to its uploader and to whoever may read a record whose file field
// holds it: the refs of a file are found by an index on file_id, and each is
// checked with the reader's permissions and data scope.

// FileInfo describes a stored file, without its bytes.
type FileInfo struct {
	ID          int64
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	CreatedBy   string
	CreatedAt   time.Time
}

// fileAuditApp and fileAuditEntity name the audit chain of uploads.
const (
	fileAuditApp    = "growth"
	fileAuditEntity = "files"
)

// MaxFileNameLength is the longest file name kept, in characters.
const MaxFileNameLength = 255

// fileKind is what a file extension promises about the content: its content
// type, and the types net/http.DetectContentType (or oleType) may find in a
// genuine file of that kind.
type fileKind struct {
	contentType string
	sniffed     []string // prefixes of acceptable sniffed types
}

// oleType is the sniffed type of OLE2 compound files (xls, doc, ppt, and
// wps), which DetectContentType does not know.
const oleType = "application/x-ole-storage"

var textSniff = []string{"text/plain"}

var fileKinds = map[string]fileKind{
	"pdf":  {"application/pdf", []string{"application/pdf"}},
	"jpg":  {"image/jpeg", []string{"image/jpeg"}},
	"jpeg": {"image/jpeg", []string{"image/jpeg"}},
	"png":  {"image/png", []string{"image/png"}},
	"gif":  {"image/gif", []string{"image/gif"}},
	"webp": {"image/webp", []string{"image/webp"}},
	"bmp":  {"image/bmp", []string{"image/bmp"}},
	"tif":  {"image/tiff", []string{"image/tiff"}},
	"tiff": {"image/tiff", []string{"image/tiff"}},
	"xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []string{"application/zip"}},
	"docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", []string{"application/zip"}},
	"pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", []string{"application/zip"}},
	"ofd":  {"application/ofd", []string{"application/zip"}},
	"zip":  {"application/zip", []string{"application/zip"}},
	"xls":  {"application/vnd.ms-excel", []string{oleType}},
	"doc":  {"application/msword", []string{oleType}},
	"ppt":  {"application/vnd.ms-powerpoint", []string{oleType}},
	"wps":  {"application/vnd.ms-works", []string{oleType}},
	"csv":  {"text/csv", textSniff},
	"txt":  {"text/plain", textSniff},
	"json": {"application/json", textSniff},
	"xml":  {"application/xml", []string{"text/xml", "text/plain"}},
}

// sniff is the content type the bytes show.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return oleType
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "image/tiff"
	}
	return http.DetectContentType(data)
}

// kindOfType finds the kind a declared content type names.
func kindOfType(contentType string) (fileKind, bool) {
	for _, k := range fileKinds {
		if k.contentType == contentType {
			return k, true
		}
	}
	return fileKind{}, false
}

func (k fileKind) accepts(sniffed string) bool {
	for _, p := range k.sniffed {
		if strings.HasPrefix(sniffed, p) {
			return true
		}
	}
	return false
}

// cleanFileName keeps the last path element of a client's file name, without
// control characters.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxFileNameLength {
		ext := path.Ext(name)
		runes := []rune(strings.TrimSuffix(name, ext))
		name = string(runes[:MaxFileNameLength-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// fileError is a problem with an upload: 422 naming the form field "file".
func fileError(code errcode.Code, format string, args ...any) error {
	return Invalid("file", code, format, args...)
}

// MaxUploadSize is the largest file this project takes: the largest
// max_size of its file fields.
func (rt *Runtime) MaxUploadSize() int64 {
	n, _ := metamodel.MaxUploadSize(rt.Project)
	return n
}

// UploadFile stores a file for actor and returns its description. name is the
// client's file name, declared the content type the client gave (may be
// empty). The content must be what its extension and declared type say: a
// file named .pdf that is not a PDF is refused.
func (rt *Runtime) UploadFile(ctx context.Context, actor Actor, name, declared string, data []byte) (*FileInfo, error) {
	if !rt.MayUpload(actor) {
		return nil, Forbidden("您没有可填写附件的字段，不能上传文件")
	}
	name = cleanFileName(name)
	if name == "" || strings.Trim(name, ".") == "" {
		return nil, fileError(errcode.FileName, "文件名不能为空")
	}
	if len(data) == 0 {
		return nil, fileError(errcode.Empty, "文件“%s”是空的", name)
	}
	if limit := rt.MaxUploadSize(); int64(len(data)) > limit {
		return nil, fileError(errcode.TooLarge, "文件“%s”大小 %s，超过上限 %s", name, FormatSize(int64(len(data))), FormatSize(limit))
	}
	sniffed := sniff(data)
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	contentType := sniffed
	if k, known := fileKinds[ext]; known {
		if !k.accepts(sniffed) {
			return nil, fileError(errcode.ContentMismatch, "文件“%s”的内容（%s）与扩展名 .%s 不符", name, baseType(sniffed), ext)
		}
		contentType = k.contentType
	}
	if d := baseType(declared); d != "" && d != "application/octet-stream" && d != contentType {
		if k, known := kindOfType(d); known && !k.accepts(sniffed) {
			return nil, fileError(errcode.ContentMismatch, "文件“%s”声明的类型 %s 与其内容（%s）不符", name, d, baseType(sniffed))
		}
	}
	sum := sha256.Sum256(data)
	info := &FileInfo{Name: name, ContentType: contentType, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		CreatedBy: actor.User, CreatedAt: rt.now().UTC().Truncate(time.Microsecond)}
	db := rt.DB
	err := rt.writeTx(ctx, func(tx *sql.Tx) error {
		if err := rt.checkUploadQuota(ctx, tx, actor, info.Name, info.Size); err != nil {
			return err
		}
		ph := db.Placeholder
		err := tx.QueryRowContext(ctx, `INSERT INTO growth_files (sha256, name, content_type, size, data, created_by, created_at) VALUES (`+
			ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`, `+ph(5)+`, `+ph(6)+`, `+ph(7)+`) RETURNING id`,
			info.SHA256, info.Name, info.ContentType, info.Size, data, info.CreatedBy, db.timeArg(info.CreatedAt)).Scan(&info.ID)
		if err != nil {
			return fmt.Errorf("storing file: %w", err)
		}
		return db.appendAudit(ctx, tx, AuditEntry{App: fileAuditApp, Entity: fileAuditEntity, RecordID: info.ID, Action: "upload", Actor: actor.User, At: info.CreatedAt,
			Changes:    map[string][2]any{"name": {nil, info.Name}, "size": {nil, info.Size}, "content_type": {nil, info.ContentType}, "sha256": {nil, info.SHA256}},
			DefVersion: rt.Project.Hash})
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}

// baseType is a content type without parameters, in lower case.
func baseType(contentType string) string {
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(contentType))
	}
	return t
}

// FormatSize writes a byte count for people: 1.5 MB, 340 KB, 12 B.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), "0"), ".") + " MB"
	case n >= 1<<10:
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<10)), "0"), ".") + " KB"
	}
	return fmt.Sprintf("%d B", n)
}

const fileInfoColumns = `id, name, content_type, size, sha256, created_by, created_at`

func scanFileInfo(row scanner) (*FileInfo, error) {
	var f FileInfo
	var at any
	if err := row.Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.CreatedBy, &at); err != nil {
		return nil, err
	}
	var err error
	f.CreatedAt, err = scanTime(at)
	return &f, err
}

func (rt *Runtime) fileInfo(ctx context.Context, q querier, id int64) (*FileInfo, error) {
	f, err := scanFileInfo(q.QueryRowContext(ctx, `SELECT `+fileInfoColumns+` FROM growth_files WHERE id = `+rt.DB.Placeholder(1), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFound("文件 #%d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading file #%d: %w", id, err)
	}
	return f, nil
}

// FileInfos describes the files of ids that exist, by id, for rendering the
// file fields of records the caller may already read.
func (rt *Runtime) FileInfos(ctx context.Context, ids []int64) (map[int64]*FileInfo, error) {
	out := map[int64]*FileInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	phs := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		phs[i], args[i] = rt.DB.Placeholder(i+1), id
	}
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT `+fileInfoColumns+` FROM growth_files WHERE id IN (`+strings.Join(phs, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFileInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("reading files: %w", err)
		}
		out[f.ID] = f
	}
	return out, rows.Err()
}

// OpenFile returns file id with its bytes, if actor may read it: actor
// uploaded it, or may read a record whose file field (visible to actor) holds
// it. Any other file is ErrNotFound, so that ids reveal nothing.
func (rt *Runtime) OpenFile(ctx context.Context, actor Actor, id int64) (*FileInfo, []byte, error) {
	info, err := rt.fileInfo(ctx, rt.DB.Read, id)
	if err != nil {
		return nil, nil, err
	}
	ok, err := rt.mayReadFile(ctx, rt.DB.Read, actor, info)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, NotFound("文件 #%d", id)
	}
	var data []byte
	if err := rt.DB.Read.QueryRowContext(ctx, `SELECT data FROM growth_files WHERE id = `+rt.DB.Placeholder(1), id).Scan(&data); err != nil {
		return nil, nil, fmt.Errorf("reading file #%d: %w", id, err)
	}
	return info, data, nil
}

// mayReadFile reports whether actor uploaded f or may read a record holding it.
func (rt *Runtime) mayReadFile(ctx context.Context, q querier, actor Actor, f *FileInfo) (bool, error) {
	if f.CreatedBy == actor.User || isSystem(actor) {
		return true, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT app, entity, record_id, field FROM growth_file_refs WHERE file_id = `+rt.DB.Placeholder(1), f.ID)
	if err != nil {
		return false, fmt.Errorf("file refs: %w", err)
	}
	type ref struct {
		app, entity, field string
		id                 int64
	}
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.app, &r.entity, &r.id, &r.field); err != nil {
			rows.Close()
			return false, fmt.Errorf("file refs: %w", err)
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("file refs: %w", err)
	}
	for _, r := range refs {
		ok, err := rt.mayReadField(ctx, q, actor, r.app, r.entity, r.id, r.field)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// mayReadField reports whether actor may read field of record id: read on
// the entity, the field not hidden, the record within actor's data scope.
func (rt *Runtime) mayReadField(ctx context.Context, q querier, actor Actor, app, entity string, id int64, field string) (bool, error) {
	s := rt.stores[app+"."+entity]
	if s == nil || !rt.Access.Can(actor, s.entity, "read") || rt.Access.Hidden(actor, s.entity, field) {
		return false, nil
	}
	query, args := s.existsSQL, []any{id}
	if scope := rt.Access.Scope(actor, s.entity); scope != nil {
		cond, scopeArgs, err := filter.Compile(scope, rt.scopeResolver(s), binder{rt.DB}, 1)
		if err != nil {
			return false, fmt.Errorf("data scope of %s: %w", s.entity.QualifiedName(), err)
		}
		query += " AND " + cond
		args = append(args, scopeArgs...)
	}
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, rt.dbError(s, "check file access", err)
	}
	return true, nil
}

// fileEffect checks the files a change writes into file fields and keeps
// growth_file_refs in step, inside the change's transaction.
type fileEffect struct{}

// newFileEffect makes the file effect when the project has file fields.
func newFileEffect(rt *Runtime) Effect {
	if _, has := metamodel.MaxUploadSize(rt.Project); has {
		return fileEffect{}
	}
	return nil
}

func (fileEffect) Apply(ec EffectContext, ch *Change) error {
	rt, e := ec.RT, ch.Entity
	var changed []*metamodel.Field
	for _, f := range e.Fields {
		if !f.Is(metamodel.Attachment) {
			continue
		}
		var before, after any
		if ch.Old != nil {
			before = ch.Old.Values[f.Name]
		}
		if ch.New != nil {
			after = ch.New.Values[f.Name]
		}
		if before != after {
			changed = append(changed, f)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	verr := &ValidationError{}
	ph := rt.DB.Placeholder
	target := ch.Old
	if ch.New != nil {
		target = ch.New
	}
	for _, f := range changed {
		if ch.New == nil {
			break
		}
		id, ok := ch.New.Values[f.Name].(int64)
		if !ok {
			continue
		}
		info, err := rt.fileInfo(ec, ec.Tx, id)
		if errors.Is(err, ErrNotFound) {
			verr.Add(f.Name, errcode.FileNotFound, "文件 #%d 不存在或不是您上传的", id)
			continue
		}
		if err != nil {
			return err
		}
		allowed, err := rt.mayReadFile(ec, ec.Tx, ch.Actor, info)
		if err != nil {
			return err
		}
		if !allowed {
			verr.Add(f.Name, errcode.FileNotFound, "文件 #%d 不存在或不是您上传的", id)
			continue
		}
		if limit := metamodel.FileMaxSize(f); info.Size > limit {
			verr.Add(f.Name, errcode.FileTooLarge, "文件“%s”大小 %s，超过%s的上限 %s", info.Name, FormatSize(info.Size), fieldLabel(f), FormatSize(limit))
		}
		if !metamodel.FileTypeAllowed(f, info.Name, info.ContentType) {
			verr.Add(f.Name, errcode.FileType, "文件“%s”的类型不符合%s的要求（%s）", info.Name, fieldLabel(f), strings.Join(metamodel.FileTypes(f), "、"))
		}
	}
	if !verr.empty() {
		return verr
	}
	for _, f := range changed {
		if _, err := ec.Tx.ExecContext(ec, `DELETE FROM growth_file_refs WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+` AND field = `+ph(4),
			e.App.Name, e.Name, target.ID, f.Name); err != nil {
			return fmt.Errorf("file refs: %w", err)
		}
		if ch.New == nil {
			continue
		}
		if id, ok := ch.New.Values[f.Name].(int64); ok {
			if _, err := ec.Tx.ExecContext(ec, `INSERT INTO growth_file_refs (app, entity, record_id, field, file_id) VALUES (`+ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`, `+ph(5)+`)`,
				e.App.Name, e.Name, target.ID, f.Name, id); err != nil {
				return fmt.Errorf("file refs: %w", err)
			}
			if err := rt.markAttached(ec, ec.Tx, id, rt.now()); err != nil {
				return err
			}
		}
	}
	return nil
}

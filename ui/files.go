package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
)

// File fields (type: file) are a file input in forms. A form with one posts
// as multipart/form-data, so that without JavaScript one post carries the
// record and its files: the UI stores each chosen file with
// rt.UploadFile, as POST /api/files does, and sets the field to the new
// file's id before it calls rt.Create or rt.Update, which check the file
// against the field's max_size and types. What the engine refuses (too
// large, wrong type, content that does not match its extension) is shown
// next to the field, with the rest of the input kept. A file stored while
// another field was refused stays in the form (a hidden id, "uploaded, saved
// with the record"), since a browser cannot refill a file input; one the
// field itself refused is dropped. Downloads go through /ui/files/{id},
// which calls rt.OpenFile as the session's user: the engine decides who may
// read a file (its uploader, and whoever may read a record holding it).

// fileView is the file a field holds, as a form or record page shows it.
type fileView struct {
	Name, Size, URL string
	// Pending is a file uploaded with a form that was refused: it is saved
	// with the record when the form is posted again.
	Pending bool
}

// uploadField is the name of a file field's file input; the field's own
// name carries the id of the file it holds (a hidden input).
func uploadField(name string) string { return "_file." + name }

// removeField is the name of the checkbox that clears a file field.
func removeField(name string) string { return "_remove." + name }

func fileURL(id int64) string { return "/ui/files/" + strconv.FormatInt(id, 10) }

// fileAccept is the accept attribute of f's file input: its types as
// extensions (.pdf) or content types (image/*).
func fileAccept(f *metamodel.Field) string {
	var out []string
	for _, t := range metamodel.FileTypes(f) {
		if strings.Contains(t, "/") {
			out = append(out, t)
		} else {
			out = append(out, "."+t)
		}
	}
	return strings.Join(out, ",")
}

// fileHelp says which files f takes.
func fileHelp(l Lang, f *metamodel.Field) string {
	size := engine.FormatSize(metamodel.FileMaxSize(f))
	if types := metamodel.FileTypes(f); len(types) > 0 {
		return l.T("form.file.help", strings.Join(types, l.pick("、", ", ")), size)
	}
	return l.T("form.file.help.any", size)
}

// fileWidget fills a writable file field: the file it holds (or the one
// uploaded with a refused post), its input and its limits.
func (u *UI) fileWidget(ctx context.Context, r *request, ff *formField, stored any) {
	f := ff.field
	ff.Widget, ff.Accept = "file", fileAccept(f)
	if ff.Help == "" {
		ff.Help = fileHelp(r.lang, f)
	}
	id, err := strconv.ParseInt(strings.TrimSpace(ff.Value), 10, 64)
	if err != nil || id <= 0 {
		ff.Value = ""
		return
	}
	storedID, _ := stored.(int64)
	ff.File = u.fileOf(ctx, r, id, id == storedID)
	ff.File.Pending = id != storedID
}

// fileOf describes file id for r's actor. The record's own file is one the
// actor may read with the record; any other id (posted back by a refused
// form) is described only if the actor uploaded it, so that a form cannot
// be used to learn the names of other people's files.
func (u *UI) fileOf(ctx context.Context, r *request, id int64, onRecord bool) *fileView {
	view := &fileView{Name: "#" + strconv.FormatInt(id, 10)}
	infos, err := u.rt.FileInfos(ctx, []int64{id})
	if err != nil {
		u.log.Error("ui: file info", "file", id, "error", err.Error())
		return view
	}
	info := infos[id]
	if info == nil || (!onRecord && info.CreatedBy != r.actor.User) {
		return view
	}
	view.Name, view.Size, view.URL = info.Name, engine.FormatSize(info.Size), fileURL(id)
	return view
}

// uploadFiles stores the files posted with a form and sets their fields in
// input (and posted, to show again if the form is refused). It returns the
// fields it set with the text they held before, and the problems of the
// files the engine refused, by field.
func (u *UI) uploadFiles(r *request, e *metamodel.Entity, input map[string]any, posted map[string]string) (map[string]string, *engine.ValidationError, error) {
	form, err := r.c.MultipartForm()
	if err != nil {
		return nil, nil, nil // not multipart: no files
	}
	uploaded := map[string]string{}
	refused := &engine.ValidationError{Fields: map[string][]engine.FieldError{}}
	for _, f := range e.Fields {
		if !f.Is(metamodel.Attachment) || !u.writable(r.actor, e, f) {
			continue
		}
		parts := form.File[uploadField(f.Name)]
		if len(parts) == 0 || parts[0].Size == 0 && parts[0].Filename == "" {
			continue
		}
		fh := parts[0]
		file, err := fh.Open()
		if err != nil {
			return nil, nil, fmt.Errorf("reading upload: %w", err)
		}
		data, err := io.ReadAll(file)
		file.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("reading upload: %w", err)
		}
		info, err := u.rt.UploadFile(r.c.UserContext(), r.actor, fh.Filename, fh.Header.Get(fiber.HeaderContentType), data)
		var ve *engine.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, list := range ve.Fields {
				refused.Fields[f.Name] = append(refused.Fields[f.Name], list...)
			}
			continue
		case err != nil:
			return nil, nil, err
		}
		uploaded[f.Name] = posted[f.Name]
		input[f.Name] = info.ID
		posted[f.Name] = strconv.FormatInt(info.ID, 10)
	}
	if len(refused.Fields) == 0 {
		refused = nil
	}
	return uploaded, refused, nil
}

// dropRefusedUploads forgets the files uploaded with a form whose own field
// the engine refused (too large, wrong type): the form shows the field as
// it was, with the message, rather than offering the refused file again.
func dropRefusedUploads(err error, uploaded map[string]string, posted map[string]string) {
	var ve *engine.ValidationError
	var ce *engine.ConflictError
	var fields map[string][]engine.FieldError
	switch {
	case errors.As(err, &ve):
		fields = ve.Fields
	case errors.As(err, &ce):
		fields = ce.Fields
	}
	for name, before := range uploaded {
		if len(fields[name]) > 0 {
			posted[name] = before
		}
	}
}

// hasFileInput reports whether a form has a file input, and so must post
// as multipart/form-data.
func hasFileInput(sections []formSection) bool {
	for _, s := range sections {
		for _, row := range s.Rows {
			for _, ff := range row {
				if ff.Widget == "file" {
					return true
				}
			}
		}
	}
	return false
}

// fileNames describes the files of a page's records by id, for lists and
// record pages of records the actor already reads.
func (u *UI) fileNames(ctx context.Context, fields []*metamodel.Field, records ...*engine.Record) map[int64]*engine.FileInfo {
	var ids []int64
	for _, rec := range records {
		for _, f := range fields {
			if id, ok := rec.Values[f.Name].(int64); ok && f.Is(metamodel.Attachment) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	infos, err := u.rt.FileInfos(ctx, ids)
	if err != nil {
		u.log.Error("ui: file infos", "error", err.Error())
		return nil
	}
	return infos
}

// download sends a file the session's user may read (rt.OpenFile decides,
// as for GET /api/files/{id}); any other is not found.
func (u *UI) download(r *request) error {
	id, err := strconv.ParseInt(r.c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return engine.NotFound("文件 %q", r.c.Params("id"))
	}
	info, data, err := u.rt.OpenFile(r.c.UserContext(), r.actor, id)
	if err != nil {
		return err
	}
	// A download, never shown inline nor sniffed, so that an uploaded page
	// cannot run as this site.
	c := r.c
	c.Set(fiber.HeaderContentType, info.ContentType)
	c.Set(fiber.HeaderContentDisposition, fileDisposition(info.Name))
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	c.Set(fiber.HeaderETag, `"`+info.SHA256+`"`)
	return c.Send(data)
}

// fileDisposition is an attachment header carrying a Chinese file name: an
// ASCII fallback for old clients and the UTF-8 name (RFC 6266, 5987).
func fileDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, strings.ReplaceAll(url.QueryEscape(name), "+", "%20"))
}

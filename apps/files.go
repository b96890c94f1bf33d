package apps

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Attachments:
//
//	POST /api/files         multipart/form-data, the file in field "file" → 201 {id, name, size, content_type, sha256}
//	GET  /api/files/{id}    the file's bytes, as a download
//
// A record's file field holds the id; records render the files of their
// file fields under "_files", by field, as they render code names under
// "_labels".

// uploadOverhead is room for the multipart framing around the largest file.
const uploadOverhead = 64 << 10

// MaxImportBytes caps an imported file (CSV or Excel) sent as a multipart
// upload, through the API or a web form: room for some 100,000 rows.
const MaxImportBytes = 32 << 20

// bodyLimit is the largest request body the server reads: enough for the
// largest upload — an import file, or the largest max_size of the project's
// file fields. Only multipart uploads may use it: limitBody holds every other
// request (JSON above all) to MaxBodyBytes.
func bodyLimit(rt *engine.Runtime) int {
	limit := int64(MaxImportBytes)
	if size, has := metamodel.MaxUploadSize(rt.Project); has && size > limit {
		limit = size
	}
	return int(limit + uploadOverhead)
}

// limitBody refuses a request body over MaxBodyBytes unless it is a
// multipart upload (a file, an import file, a web form with a file field).
func limitBody(c *fiber.Ctx) error {
	if len(c.Body()) > MaxBodyBytes && !isMultipart(c) {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
}

// isMultipart reports a multipart/form-data request.
func isMultipart(c *fiber.Ctx) bool {
	return strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm)
}

// mountFiles adds the file routes, before the generic record routes that
// would read /api/files as an app.
func (s *Server) mountFiles(app *fiber.App) {
	app.Post("/api/files", s.uploadFile)
	app.Get("/api/files/:id", s.downloadFile)
}

func isUpload(c *fiber.Ctx) bool {
	return c.Method() == fiber.MethodPost && strings.TrimSuffix(c.Path(), "/") == "/api/files"
}

// tooLargeMessage says what limit a request went over.
func (s *Server) tooLargeMessage(c *fiber.Ctx) errcode.Text {
	switch {
	case s.rt != nil && isUpload(c):
		return errcode.TooLarge.Format("文件过大（上限 %s）", engine.FormatSize(s.rt.MaxUploadSize()))
	case isMultipart(c):
		return errcode.TooLarge.Format("上传内容过大（上限 %s）", engine.FormatSize(int64(bodyLimit(s.rt)-uploadOverhead)))
	}
	return errcode.TooLarge.Format("请求体过大（上限 1 MiB；文件请以 multipart 上传）")
}

// FileJSON renders a stored file's description for the API.
func FileJSON(f *engine.FileInfo) fiber.Map {
	return fiber.Map(engine.FileJSONMap(f))
}

func (s *Server) uploadFile(c *fiber.Ctx) error {
	actor, err := s.actor(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return web.NewError(errcode.Malformed, "请以 multipart/form-data 上传，文件放在字段 file 中")
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("reading upload: %w", err)
	}
	defer f.Close()
	// The body limit already bounds what this reads.
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("reading upload: %w", err)
	}
	info, err := s.rt.UploadFile(c.UserContext(), actor, fh.Filename, fh.Header.Get(fiber.HeaderContentType), data)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/files/%d", info.ID))
	return c.Status(fiber.StatusCreated).JSON(FileJSON(info))
}

func (s *Server) downloadFile(c *fiber.Ctx) error {
	actor, err := s.actor(c)
	if err != nil {
		return err
	}
	id, err := recordID(c)
	if err != nil {
		return err
	}
	info, data, err := s.rt.OpenFile(c.UserContext(), actor, id)
	if err != nil {
		return err
	}
	sendAttachment(c, info.Name, info.ContentType, data)
	c.Set(fiber.HeaderETag, `"`+info.SHA256+`"`)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return nil
}

// sendAttachment answers with data as a download called name. Browsers are
// told not to guess the type and not to show it inline, so that an uploaded
// page cannot run as this site.
func sendAttachment(c *fiber.Ctx, name, contentType string, data []byte) {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(name))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	c.Response().SetBodyRaw(data)
}

// contentDisposition is an attachment header carrying a Chinese file name:
// an ASCII fallback for old clients and the UTF-8 name (RFC 6266, 5987).
func contentDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, strings.ReplaceAll(url.QueryEscape(name), "+", "%20"))
}

// withFiles adds "_files" to rendered records of e that has file fields: by
// field, the description of the file it holds (id, name, size, content_type,
// sha256). Fields left out of the rendering (hidden) are left out here too.
func (s *Server) withFiles(ctx context.Context, e *metamodel.Entity, outs ...map[string]any) error {
	var fields []string
	for _, f := range e.Fields {
		if f.Is(metamodel.Attachment) {
			fields = append(fields, f.Name)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, out := range outs {
		for _, name := range fields {
			if id, ok := out[name].(int64); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	infos, err := s.rt.FileInfos(ctx, ids)
	if err != nil {
		return err
	}
	for _, out := range outs {
		files := fiber.Map{}
		for _, name := range fields {
			if id, ok := out[name].(int64); ok && infos[id] != nil {
				files[name] = FileJSON(infos[id])
			}
		}
		out["_files"] = files
	}
	return nil
}

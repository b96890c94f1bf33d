package apps

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
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

// bodyLimit is the largest request body the server reads: MaxBodyBytes, or
// when the project has file fields, enough for its largest upload. Every other
// route is then held to MaxBodyBytes by limitBody.
func bodyLimit(rt *engine.Runtime) int {
	size, has := metamodel.MaxUploadSize(rt.Project)
	if !has || size+uploadOverhead <= MaxBodyBytes {
		return MaxBodyBytes
	}
	return int(size + uploadOverhead)
}

// mountFiles adds the file routes, before the generic record routes that
// would read /api/files as an app; with a body limit above MaxBodyBytes it
// first holds every other route to MaxBodyBytes.
func (s *Server) mountFiles(app *fiber.App) {
	if bodyLimit(s.rt) > MaxBodyBytes {
		app.Use(func(c *fiber.Ctx) error {
			if len(c.Body()) > MaxBodyBytes && !isUpload(c) {
				return fiber.ErrRequestEntityTooLarge
			}
			return c.Next()
		})
	}
	app.Post("/api/files", s.uploadFile)
	app.Get("/api/files/:id", s.downloadFile)
}

func isUpload(c *fiber.Ctx) bool {
	return c.Method() == fiber.MethodPost && strings.TrimSuffix(c.Path(), "/") == "/api/files"
}

// tooLargeMessage says what limit a request went over.
func (s *Server) tooLargeMessage(c *fiber.Ctx) string {
	if s.rt != nil && isUpload(c) {
		return fmt.Sprintf("文件过大（上限 %s）", engine.FormatSize(s.rt.MaxUploadSize()))
	}
	return "请求体过大（上限 1 MiB）"
}

// FileJSON renders a stored file's description for the API.
func FileJSON(f *engine.FileInfo) fiber.Map {
	return fiber.Map{"id": f.ID, "name": f.Name, "size": f.Size, "content_type": f.ContentType, "sha256": f.SHA256}
}

func (s *Server) uploadFile(c *fiber.Ctx) error {
	actor, err := s.actor(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "请以 multipart/form-data 上传，文件放在字段 file 中")
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
		if f.Type == "file" {
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

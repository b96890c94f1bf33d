package apps

import (
	"bufio"
	"encoding/json"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// importFile imports the uploaded file (multipart field "file"; format from
// the form field "format" or the file name: .xlsx is Excel, else CSV). It
// answers 200 with the report when every row was imported, and 422 with
// every bad row otherwise (nothing imported).
//
// With "Accept: application/x-ndjson" the answer streams instead: one line
// {"done": n, "total": m} as rows are written, then {"report": …} or
// {"error": …} — so that a browser can show the same progress as the CLI.
func (s *Server) importFile(c *fiber.Ctx) error {
	actor, e, err := s.entityTarget(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return engine.Malformed("file", errcode.Required, "请以 multipart/form-data 上传文件（字段名 file）")
	}
	format := c.FormValue("format")
	if format == "" {
		format = engine.ImportFormat(fh.Filename)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	// The stream is written after the handler returns: what it needs of the
	// request is read now.
	english := web.PrefersEnglish(c)
	if c.Get(fiber.HeaderAccept) != "application/x-ndjson" {
		defer f.Close()
		report, err := s.rt.Import(ctx, actor, e.App.Name, e.Name, f, format, nil)
		if err != nil {
			return err
		}
		return c.JSON(report)
	}
	c.Set(fiber.HeaderContentType, "application/x-ndjson")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer f.Close()
		enc := json.NewEncoder(w)
		step := 1
		report, err := s.rt.Import(ctx, actor, e.App.Name, e.Name, f, format, func(done, total int) {
			if step == 1 && total > 100 {
				step = total / 100
			}
			if done%step == 0 || done == total {
				_ = enc.Encode(fiber.Map{"done": done, "total": total})
				_ = w.Flush()
			}
		})
		if err != nil {
			_ = enc.Encode(s.streamedError(err, english))
		} else {
			_ = enc.Encode(fiber.Map{"report": report})
		}
		_ = w.Flush()
	})
	return nil
}

// streamedError is the last line of a streamed import that failed; the
// status is already 200, so the line says what the status would have said.
func (s *Server) streamedError(err error, english bool) web.Body {
	var ir *engine.ImportRejectedError
	var fe *engine.ForbiddenError
	switch {
	case errors.As(err, &ir):
		return web.Body{Error: web.ImportRejected(ir, english)}
	case errors.As(err, &fe):
		return web.Body{Error: web.Detail{Code: errcode.Forbidden, Message: fe.Text(english)}}
	}
	s.log.Error("import failed", "error", err.Error())
	return web.Internal(english)
}

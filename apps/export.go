package apps

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// mountExports adds GET /api/{app}/{entity}/{id}/exports/{name}: the file of
// export name (exports: in the definitions) for the record, as a download.
// Headers tell the file's digest (X-Content-SHA256), its number of lines
// (X-Export-Lines) and its check total (X-Export-Total), which the audit
// row of the export records too.
func (s *Server) mountExports(api fiber.Router) {
	api.Get("/:id/exports/:name", s.export)
}

func (s *Server) export(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	out, err := s.rt.Export(c.UserContext(), actor, e.App.Name, e.Name, id, c.Params("name"))
	if err != nil {
		return err
	}
	sendAttachment(c, out.Name, out.ContentType, out.Data)
	c.Set("X-Content-SHA256", out.SHA256)
	c.Set("X-Export-Lines", strconv.Itoa(out.Lines))
	if total := out.TotalText(); total != "" {
		c.Set("X-Export-Total", total)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return nil
}

package apps

import (
	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine/web"
)

// publicReport answers GET /api/public/reports/{app}/{report}?filter=… without
// authentication, for reports marked public: true (public disclosure): the
// same shape as GET /api/reports/{app}/{report}, only the report's groups and
// measures. Any other report is 404, like one that does not exist. Answers
// may be cached for a minute, which bounds how often anonymous readers can
// make the server run the query.
func (s *Server) publicReport(c *fiber.Ctx) error {
	res, err := s.rt.PublicReport(c.UserContext(), c.Params("app"), c.Params("report"), c.Query("filter"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(web.ReportJSON(res))
}

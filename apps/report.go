package apps

import (
	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine/web"
)

// report answers GET /api/reports/{app}/{report}?filter=…: the columns, one row
// per group and the totals row; money and decimals as strings.
func (s *Server) report(c *fiber.Ctx) error {
	actor, err := s.actor(c)
	if err != nil {
		return err
	}
	res, err := s.rt.Report(c.UserContext(), actor, c.Params("app"), c.Params("report"), c.Query("filter"))
	if err != nil {
		return err
	}
	return c.JSON(web.ReportJSON(res))
}

package apps

import (
	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
)

// The workflow routes of a record:
//
//	POST /api/{app}/{entity}/{id}/events/{event}   {"comment": "…"} (optional body)
//	GET  /api/{app}/{entity}/{id}/events            the events this actor may fire now
//	GET  /api/{app}/{entity}/{id}/history           every transition, oldest first
//
// Firing answers 200 with the record after the event. When the event is an
// approval towards a quorum that is not reached yet, the record is unchanged
// and the answer carries "_approvals": {"event", "count", "quorum",
// "approvers"} so that a client can say "1 of 2 approvals".

func (s *Server) mountWorkflow(api fiber.Router) {
	api.Post("/:id/events/:event", s.fireEvent)
	api.Get("/:id/events", s.availableEvents)
	api.Get("/:id/history", s.recordHistory)
}

// eventComment reads the optional {"comment": "…"} body of an event.
func eventComment(body []byte) (string, error) {
	if len(body) == 0 {
		return "", nil
	}
	input, err := decodeObject(body)
	if err != nil {
		return "", err
	}
	verr := &engine.ValidationError{Malformed: true, Fields: map[string][]engine.FieldError{}}
	comment := ""
	for k, v := range input {
		switch text, ok := v.(string); {
		case k != "comment":
			verr.Fields[k] = append(verr.Fields[k], engine.FieldError{Code: "unknown_field", Message: "事件只接受 comment（意见）"})
		case v == nil:
		case !ok:
			verr.Fields[k] = append(verr.Fields[k], engine.FieldError{Code: "type", Message: "意见应为文本"})
		default:
			comment = text
		}
	}
	if len(verr.Fields) > 0 {
		return "", verr
	}
	return comment, nil
}

func (s *Server) fireEvent(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	comment, err := eventComment(c.Body())
	if err != nil {
		return err
	}
	ctx := requestContext(c)
	res, err := s.rt.FireEvent(ctx, actor, e.App.Name, e.Name, id, c.Params("event"), comment)
	if err != nil {
		return err
	}
	out, err := s.recordJSON(c, actor, e, res.Record)
	if err != nil {
		return err
	}
	if !res.Fired {
		out["_approvals"] = fiber.Map{"event": c.Params("event"), "count": res.Approvals, "quorum": res.Quorum, "approvers": res.Approvers}
	}
	return c.JSON(out)
}

func (s *Server) availableEvents(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	rec, events, err := s.rt.AvailableEvents(c.UserContext(), actor, e.App.Name, e.Name, id)
	if err != nil {
		return err
	}
	out := fiber.Map{"events": events}
	if e.Workflow != nil {
		label := rec.State
		if l := e.Workflow.Labels[rec.State]; l != "" {
			label = l
		}
		out["state"], out["state_label"] = rec.State, label
	}
	return c.JSON(out)
}

func (s *Server) recordHistory(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	h, err := s.rt.History(c.UserContext(), actor, e.App.Name, e.Name, id)
	if err != nil {
		return err
	}
	return c.JSON(h)
}

package apps

import (
	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// The workflow routes of a record:
//
//	POST /api/{app}/{entity}/{id}/events/{event}   {"comment": "…", "values": {…}} (optional body)
//	GET  /api/{app}/{entity}/{id}/events            the events this actor may fire now
//	GET  /api/{app}/{entity}/{id}/history           every transition, oldest first
//	GET  /api/{app}/{entity}/{id}/changes           every write, field by field (any entity)
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

// eventBody reads the optional {"comment": "…", "values": {field: value}}
// body of an event: values are the transition's input fields.
func eventBody(body []byte) (string, map[string]any, error) {
	if len(body) == 0 {
		return "", nil, nil
	}
	input, err := decodeObject(body)
	if err != nil {
		return "", nil, err
	}
	verr := &engine.ValidationError{Malformed: true, Fields: map[string][]engine.FieldError{}}
	comment := ""
	var values map[string]any
	for k, v := range input {
		switch k {
		case "comment":
			switch text, ok := v.(string); {
			case v == nil:
			case !ok:
				verr.Add(k, errcode.Type, "意见应为文本")
			default:
				comment = text
			}
		case "values":
			obj, ok := v.(map[string]any)
			if v != nil && !ok {
				verr.Add(k, errcode.Type, "values 应为对象：{字段: 值}")
			}
			values = obj
		default:
			verr.Add(k, errcode.UnknownField, "事件只接受 comment（意见）和 values（本环节填写的字段）")
		}
	}
	if len(verr.Fields) > 0 {
		return "", nil, verr
	}
	return comment, values, nil
}

func (s *Server) fireEvent(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	comment, values, err := eventBody(c.Body())
	if err != nil {
		return err
	}
	idem, err := requestIdempotency(c)
	if err != nil {
		return err
	}
	res, err := s.rt.Fire(c.UserContext(), engine.FireRequest{Actor: actor, App: e.App.Name, Entity: e.Name, ID: id, Event: c.Params("event"), Comment: comment, Input: values, Idempotency: idem})
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
	if web.PrefersEnglish(c) {
		for i := range events {
			events[i].Reason = events[i].ReasonIn(true)
		}
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

// recordChanges answers GET /api/{app}/{entity}/{id}/changes: every write
// of the record from the audit trail, field by field, oldest first.
func (s *Server) recordChanges(c *fiber.Ctx) error {
	actor, e, id, err := s.recordTarget(c)
	if err != nil {
		return err
	}
	writes, err := s.rt.FieldHistory(c.UserContext(), actor, e.App.Name, e.Name, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": writes})
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

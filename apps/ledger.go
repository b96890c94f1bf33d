package apps

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
)

// The ledger routes of a record (docs/ledger.md):
//
//	GET  /api/{app}/{entity}/{id}/balance   approved, reserved, consumed, frozen, available
//	GET  /api/{app}/{entity}/{id}/ledger    its ledger rows, oldest first (?page=&page_size=&side=account|source)
//	POST /api/{app}/{entity}/import         a CSV or Excel file (multipart field "file"), all or nothing
//
// Amounts are strings with two decimals ("1000.00"), never numbers.

func (s *Server) mountLedger(api fiber.Router) {
	api.Get("/:id/balance", s.balance)
	api.Get("/:id/ledger", s.ledger)
	api.Post("/import", s.importFile)
}

func money(fen int64) string { return engine.Yuan(fen).StringFixed(2) }

func (s *Server) balance(c *fiber.Ctx) error {
	actor, err := s.actor(c)
	if err != nil {
		return err
	}
	id, err := recordID(c)
	if err != nil {
		return err
	}
	b, err := s.rt.Balance(c.UserContext(), actor, c.Params("app"), c.Params("entity"), id)
	if err != nil {
		return err
	}
	a := b.Amounts
	return c.JSON(fiber.Map{
		"account":   fiber.Map{"app": b.Account.App, "entity": b.Account.Entity, "id": b.Account.ID},
		"open":      b.Open,
		"approved":  money(a.Approved),
		"reserved":  money(a.Reserved),
		"consumed":  money(a.Consumed),
		"frozen":    money(a.Frozen),
		"available": money(a.Available()),
	})
}

func (s *Server) ledger(c *fiber.Ctx) error {
	actor, err := s.actor(c)
	if err != nil {
		return err
	}
	id, err := recordID(c)
	if err != nil {
		return err
	}
	q := engine.LedgerQuery{Side: c.Query("side")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &q.Page}, {"page_size", &q.PageSize}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return engine.BadQuery(p.name, "应为正整数，收到 %q", v)
			}
			*p.dst = n
		}
	}
	page, err := s.rt.Ledger(c.UserContext(), actor, c.Params("app"), c.Params("entity"), id, q)
	if err != nil {
		return err
	}
	items := make([]fiber.Map, len(page.Items))
	for i, e := range page.Items {
		items[i] = fiber.Map{
			"id":              e.ID,
			"account":         fiber.Map{"app": e.Account.App, "entity": e.Account.Entity, "id": e.Account.ID},
			"kind":            e.Kind,
			"amount":          money(e.Amount),
			"source":          fiber.Map{"app": e.SourceApp, "entity": e.SourceEntity, "id": e.SourceID, "version": e.SourceVersion},
			"event":           e.Event,
			"actor":           e.Actor,
			"at":              e.At.UTC().Format(time.RFC3339),
			"idempotency_key": e.IdempotencyKey,
			"note":            e.Note,
		}
	}
	return c.JSON(fiber.Map{"items": items, "page": page.Page, "page_size": page.PageSize, "has_more": page.HasMore, "side": page.Side})
}

package apps

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps/openapi"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// The books routes (docs/books.md):
//
//	GET  /api/books/periods                          periods with vouchers, and whether closed
//	POST /api/books/periods/{period}/close           close a period (admin)
//	GET  /api/books/vouchers?period=&app=&entity=&record=
//	GET  /api/books/vouchers/{number}                one voucher: 2026-01-0001 (or 2026-01%230001, or its id)
//	POST /api/books/vouchers/{number}/reverse        {"date": "2026-02-01"}: a reversing voucher (admin)
//	GET  /api/books/trial-balance?period=&chart=     试算平衡表
//	GET  /api/books/ledger?account=&year=&chart=     总账
//	GET  /api/books/detail?account=&from=&to=&chart=&dim.NAME=VALUE   明细账
//
// The books span every org, so with role-based access only the admin role
// reads and keeps them. Amounts are strings with two decimals, never numbers.

func (s *Server) mountBooks(app *fiber.App) {
	if !openapi.HasBooks(s.rt.Project) {
		return
	}
	g := app.Group("/api/books")
	g.Get("/periods", s.booksPeriods)
	g.Post("/periods/:period/close", s.booksClose)
	g.Get("/vouchers", s.booksVouchers)
	g.Get("/vouchers/:number", s.booksVoucher)
	g.Post("/vouchers/:number/reverse", s.booksReverse)
	g.Get("/trial-balance", s.booksTrialBalance)
	g.Get("/ledger", s.booksLedger)
	g.Get("/detail", s.booksDetail)
}

// booksActor is the caller, who must be an admin unless access is open.
func (s *Server) booksActor(c *fiber.Ctx) (engine.Actor, error) {
	actor, err := s.actor(c)
	if err != nil {
		return actor, err
	}
	if _, open := s.rt.Access.(engine.OpenAccess); open {
		return actor, nil
	}
	for _, r := range actor.Roles {
		if r == engine.AdminRole {
			return actor, nil
		}
	}
	return actor, engine.Forbidden("账务（记账凭证、账簿）只有管理员（admin 角色）可以查看和处理")
}

func balanceJSON(b engine.BookBalance) fiber.Map {
	return fiber.Map{"side": b.Side, "amount": money(b.Amount)}
}

func voucherJSON(v *engine.Voucher) fiber.Map {
	lines := make([]fiber.Map, 0, len(v.Lines))
	for _, l := range v.Lines {
		m := fiber.Map{"no": l.No, "account": l.Account, "debit": money(l.Debit), "credit": money(l.Credit), "dims": l.Dims}
		if l.Summary != "" {
			m["summary"] = l.Summary
		}
		lines = append(lines, m)
	}
	m := fiber.Map{
		"id": v.ID, "number": v.Number, "chart": v.Chart, "period": v.Period, "date": v.Date, "summary": v.Summary,
		"source": fiber.Map{"app": v.SourceApp, "entity": v.SourceEntity, "id": v.SourceID, "version": v.SourceVersion, "event": v.Event, "posting": v.Posting},
		"actor":  v.Actor, "lines": lines,
	}
	if v.Reverses != 0 {
		m["reverses"] = v.Reverses
	}
	return m
}

func (s *Server) booksPeriods(c *fiber.Ctx) error {
	if _, err := s.booksActor(c); err != nil {
		return err
	}
	ps, err := s.rt.DB.Periods(c.UserContext())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []engine.Period{}
	}
	return c.JSON(fiber.Map{"periods": ps})
}

func (s *Server) booksClose(c *fiber.Ctx) error {
	actor, err := s.booksActor(c)
	if err != nil {
		return err
	}
	if err := s.rt.DB.ClosePeriod(c.UserContext(), c.Params("period"), actor.User); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"period": c.Params("period"), "closed": true})
}

func (s *Server) booksVouchers(c *fiber.Ctx) error {
	if _, err := s.booksActor(c); err != nil {
		return err
	}
	f := engine.VoucherFilter{Period: c.Query("period"), App: c.Query("app"), Entity: c.Query("entity"), RecordID: int64(c.QueryInt("record"))}
	if f.Period != "" {
		if err := engine.CheckPeriod(f.Period); err != nil {
			return err
		}
	}
	vs, err := s.rt.DB.Vouchers(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(vs))
	for _, v := range vs {
		out = append(out, voucherJSON(v))
	}
	return c.JSON(fiber.Map{"vouchers": out})
}

func (s *Server) booksVoucher(c *fiber.Ctx) error {
	if _, err := s.booksActor(c); err != nil {
		return err
	}
	v, err := s.rt.DB.Voucher(c.UserContext(), c.Params("number"))
	if err != nil {
		return err
	}
	return c.JSON(voucherJSON(v))
}

func (s *Server) booksReverse(c *fiber.Ctx) error {
	actor, err := s.booksActor(c)
	if err != nil {
		return err
	}
	var body struct {
		Date string `json:"date"`
	}
	if len(c.Body()) > 0 {
		if err := c.BodyParser(&body); err != nil {
			return web.NewError(errcode.Malformed, "请求体应为 {\"date\": \"YYYY-MM-DD\"}")
		}
	}
	date := engine.Today(time.Now())
	if body.Date != "" {
		if date, err = time.Parse(time.DateOnly, body.Date); err != nil {
			return engine.Invalid("date", errcode.DateInvalid, "冲销日期应写作 YYYY-MM-DD")
		}
	}
	v, err := s.rt.DB.ReverseVoucher(c.UserContext(), c.Params("number"), date, actor.User)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(voucherJSON(v))
}

func (s *Server) booksTrialBalance(c *fiber.Ctx) error {
	if _, err := s.booksActor(c); err != nil {
		return err
	}
	cs, err := s.rt.Chart(c.Query("chart"))
	if err != nil {
		return err
	}
	period := c.Query("period", engine.Today(time.Now()).Format("2006-01"))
	tb, err := s.rt.DB.TrialBalance(c.UserContext(), cs, period)
	if err != nil {
		return err
	}
	row := func(r engine.TrialBalanceRow) fiber.Map {
		return fiber.Map{"account": r.Account, "name": r.Name, "direction": r.Direction, "level": r.Level,
			"opening_debit": money(r.OpeningDebit), "opening_credit": money(r.OpeningCredit),
			"debit": money(r.Debit), "credit": money(r.Credit),
			"closing_debit": money(r.ClosingDebit), "closing_credit": money(r.ClosingCredit)}
	}
	rows := make([]fiber.Map, 0, len(tb.Rows))
	for _, r := range tb.Rows {
		rows = append(rows, row(r))
	}
	return c.JSON(fiber.Map{"chart": tb.Chart, "period": tb.Period, "rows": rows, "total": row(tb.Total), "balanced": tb.Balanced})
}

func (s *Server) booksLedger(c *fiber.Ctx) error {
	if _, err := s.booksActor(c); err != nil {
		return err
	}
	cs, err := s.rt.Chart(c.Query("chart"))
	if err != nil {
		return err
	}
	gl, err := s.rt.DB.GeneralLedger(c.UserContext(), cs, c.Query("account"), c.Query("year", engine.Today(time.Now()).Format("2006")))
	if err != nil {
		return err
	}
	rows := make([]fiber.Map, 0, len(gl.Rows))
	for _, r := range gl.Rows {
		rows = append(rows, fiber.Map{"period": r.Period, "debit": money(r.Debit), "credit": money(r.Credit),
			"year_debit": money(r.YearDebit), "year_credit": money(r.YearCredit), "balance": balanceJSON(r.Balance)})
	}
	return c.JSON(fiber.Map{"chart": gl.Chart, "account": gl.Account, "name": gl.Name, "direction": gl.Direction, "year": gl.Year,
		"opening": balanceJSON(gl.Opening), "rows": rows, "closing": balanceJSON(gl.Closing)})
}

func (s *Server) booksDetail(c *fiber.Ctx) error {
	if _, err := s.booksActor(c); err != nil {
		return err
	}
	cs, err := s.rt.Chart(c.Query("chart"))
	if err != nil {
		return err
	}
	to := c.Query("to", engine.Today(time.Now()).Format("2006-01"))
	from := c.Query("from")
	if from == "" && len(to) >= 4 {
		from = to[:4] + "-01"
	}
	dims := map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if name, ok := strings.CutPrefix(string(k), "dim."); ok {
			dims[name] = string(v)
		}
	})
	dl, err := s.rt.DB.DetailLedger(c.UserContext(), cs, c.Query("account"), from, to, dims)
	if err != nil {
		return err
	}
	entries := make([]fiber.Map, 0, len(dl.Entries))
	for _, e := range dl.Entries {
		entries = append(entries, fiber.Map{"date": e.Date, "voucher": e.Voucher, "summary": e.Summary, "account": e.Account,
			"debit": money(e.Debit), "credit": money(e.Credit), "balance": balanceJSON(e.Balance), "dims": e.Dims, "source": e.Source})
	}
	return c.JSON(fiber.Map{"chart": dl.Chart, "account": dl.Account, "name": dl.Name, "direction": dl.Direction, "from": dl.From, "to": dl.To,
		"dims": dims, "opening": balanceJSON(dl.Opening), "entries": entries, "debit": money(dl.Debit), "credit": money(dl.Credit), "closing": balanceJSON(dl.Closing)})
}

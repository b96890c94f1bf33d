// Command ceiling is the hand-written reference of the side-by-side benchmark
// (bench/peer/run.sh): fiber and the same pure-Go SQLite driver as Growth, one
// table, one rule, prepared statements, no login, no audit, no framework. It
// marks what a bare handler can do on the machine, so that Growth's and
// PocketBase's figures can be read against it.
package main

import (
	"database/sql"
	"flag"
	"log"

	"github.com/gofiber/fiber/v2"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", the one Growth uses
)

type indicator struct {
	Year      int    `json:"year"`
	Agency    string `json:"agency"`
	FuncClass string `json:"func_class"`
	Amount    string `json:"amount"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	path := flag.String("db", "ceiling.db", "SQLite file")
	flag.Parse()
	const pragmas = "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
	w, err := sql.Open(sqliteDriver, *path+pragmas)
	if err != nil {
		log.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open(sqliteDriver, *path+pragmas)
	if err != nil {
		log.Fatal(err)
	}
	r.SetMaxOpenConns(4)
	if _, err := w.Exec(`CREATE TABLE IF NOT EXISTS indicator (id INTEGER PRIMARY KEY, year INT NOT NULL, agency TEXT NOT NULL, func_class TEXT, amount_fen INTEGER NOT NULL)`); err != nil {
		log.Fatal(err)
	}
	if _, err := w.Exec(`CREATE INDEX IF NOT EXISTS idx_agency ON indicator(agency)`); err != nil {
		log.Fatal(err)
	}
	ins, err := w.Prepare(`INSERT INTO indicator (year, agency, func_class, amount_fen) VALUES (?,?,?,?)`)
	if err != nil {
		log.Fatal(err)
	}
	sel, err := r.Prepare(`SELECT id, year, agency, func_class, amount_fen FROM indicator WHERE agency = ? ORDER BY id DESC LIMIT 20`)
	if err != nil {
		log.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/records", func(c *fiber.Ctx) error {
		var in indicator
		if err := c.BodyParser(&in); err != nil {
			return c.Status(400).JSON(fiber.Map{"error": "bad body"})
		}
		amount, err := decimal.NewFromString(in.Amount)
		if err != nil || !amount.IsPositive() || in.Agency == "" {
			return c.Status(422).JSON(fiber.Map{"error": "invalid"})
		}
		res, err := ins.Exec(in.Year, in.Agency, in.FuncClass, amount.Shift(2).Round(0).IntPart())
		if err != nil {
			return c.Status(500).JSON(fiber.Map{"error": "db"})
		}
		id, _ := res.LastInsertId()
		return c.Status(201).JSON(fiber.Map{"id": id, "year": in.Year, "agency": in.Agency, "func_class": in.FuncClass, "amount": in.Amount})
	})
	app.Get("/records", func(c *fiber.Ctx) error {
		rows, err := sel.Query(c.Query("agency"))
		if err != nil {
			return c.Status(500).JSON(fiber.Map{"error": "db"})
		}
		defer rows.Close()
		out := []fiber.Map{}
		for rows.Next() {
			var id, fen int64
			var year int
			var agency, funcClass string
			if err := rows.Scan(&id, &year, &agency, &funcClass, &fen); err != nil {
				return c.Status(500).JSON(fiber.Map{"error": "db"})
			}
			out = append(out, fiber.Map{"id": id, "year": year, "agency": agency, "func_class": funcClass, "amount": decimal.New(fen, -2).StringFixed(2)})
		}
		return c.JSON(fiber.Map{"items": out})
	})
	log.Fatal(app.Listen(*addr))
}

// sqliteDriver is the database/sql name of the driver Growth uses.
const sqliteDriver = "sqlite"

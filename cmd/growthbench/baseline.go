package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/libtnb/sqlite"
	"github.com/shopspring/decimal"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// The hand-written baseline: what a competent developer would write for this
// one table with fiber and gorm — the same validation (types, code leaf, one
// rule), the same database settings, a hash-chained audit row in the same
// transaction — but no metamodel. Growth's figures are reported against it.

type voucher struct {
	ID        int64  `gorm:"primaryKey"`
	Year      int    `gorm:"index"`
	Agency    string `gorm:"index"`
	Amount    int64
	Purpose   string
	CreatedAt time.Time
}

type auditRow struct {
	ID       int64 `gorm:"primaryKey"`
	RecordID int64
	Action   string
	Changes  string
	PrevHash string
	Hash     string
	At       time.Time
}

var leafAgencies = map[string]bool{"101001": true, "101002": true, "102001": true, "102002": true, "103001": true}

func startBaseline(ctx context.Context, dir, dbArg string) (*fiber.App, func(int) error, func()) {
	db, err := openBenchDB(ctx, dir, dbArg, "baseline")
	if err != nil {
		fatal(err)
	}
	cfg := &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
	var write, read *gorm.DB
	if db.Dialect == engine.Postgres {
		write, err = gorm.Open(postgres.New(postgres.Config{Conn: db.Write}), cfg)
		read = write
	} else {
		write, err = gorm.Open(sqlite.New(sqlite.Config{Conn: db.Write}), cfg)
		if err == nil {
			read, err = gorm.Open(sqlite.New(sqlite.Config{Conn: db.Read}), cfg)
		}
	}
	if err != nil {
		fatal(err)
	}
	if err := write.AutoMigrate(&voucher{}, &auditRow{}); err != nil {
		fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/bench/voucher", func(c *fiber.Ctx) error {
		dec := json.NewDecoder(bytes.NewReader(c.Body()))
		dec.UseNumber()
		var in struct {
			Year    json.Number `json:"year"`
			Agency  string      `json:"agency"`
			Amount  string      `json:"amount"`
			Purpose string      `json:"purpose"`
		}
		if err := dec.Decode(&in); err != nil {
			return c.Status(400).JSON(fiber.Map{"error": fiber.Map{"code": "malformed", "message": err.Error()}})
		}
		year, err := strconv.Atoi(string(in.Year))
		amount, derr := decimal.NewFromString(in.Amount)
		fields := fiber.Map{}
		if err != nil {
			fields["year"] = []string{"应为整数"}
		}
		if !leafAgencies[in.Agency] {
			fields["agency"] = []string{"代码无效或不是末级"}
		}
		if derr != nil || amount.Exponent() < -2 {
			fields["amount"] = []string{"金额无效"}
		} else if !amount.IsPositive() {
			fields["amount"] = []string{"金额必须大于零"}
		}
		if utf8.RuneCountInString(in.Purpose) > 200 {
			fields["purpose"] = []string{"过长"}
		}
		if len(fields) > 0 {
			return c.Status(422).JSON(fiber.Map{"error": fiber.Map{"code": "validation", "fields": fields}})
		}
		v := voucher{Year: year, Agency: in.Agency, Amount: amount.Shift(2).IntPart(), Purpose: in.Purpose}
		err = write.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&v).Error; err != nil {
				return err
			}
			var last auditRow
			prev := ""
			if err := tx.Order("id desc").Limit(1).Find(&last).Error; err != nil {
				return err
			}
			prev = last.Hash
			changes := fmt.Sprintf(`{"year":%d,"agency":%q,"amount":%q,"purpose":%q}`, v.Year, v.Agency, amount.StringFixed(2), v.Purpose)
			sum := sha256.Sum256([]byte(prev + changes))
			return tx.Create(&auditRow{RecordID: v.ID, Action: "create", Changes: changes, PrevHash: prev, Hash: hex.EncodeToString(sum[:]), At: time.Now()}).Error
		})
		if err != nil {
			return c.Status(500).JSON(fiber.Map{"error": fiber.Map{"code": "internal"}})
		}
		return c.Status(201).JSON(render(v))
	})
	app.Get("/api/bench/voucher/:id", func(c *fiber.Ctx) error {
		var v voucher
		if err := read.First(&v, c.Params("id")).Error; err != nil {
			return c.Status(404).JSON(fiber.Map{"error": fiber.Map{"code": "not_found"}})
		}
		return c.JSON(render(v))
	})
	app.Get("/api/bench/voucher", func(c *fiber.Ctx) error {
		// The baseline takes the filter's two values as plain parameters.
		var year int
		var agency string
		if _, err := fmt.Sscanf(strings.ReplaceAll(c.Query("filter"), "'", " "), "year = %d and agency = %s", &year, &agency); err != nil {
			return c.Status(400).JSON(fiber.Map{"error": fiber.Map{"code": "malformed"}})
		}
		page, _ := strconv.Atoi(c.Query("page", "1"))
		var rows []voucher
		if err := read.Where("year = ? AND agency = ?", year, agency).Order("id desc").Limit(21).Offset((page - 1) * 20).Find(&rows).Error; err != nil {
			return c.Status(500).JSON(fiber.Map{"error": fiber.Map{"code": "internal"}})
		}
		items := make([]fiber.Map, 0, 20)
		for i, v := range rows {
			if i == 20 {
				break
			}
			items = append(items, render(v))
		}
		return c.JSON(fiber.Map{"items": items, "page": page, "page_size": 20, "has_more": len(rows) > 20})
	})
	seed := func(n int) error { return seedRows(ctx, db, "vouchers", n, false) }
	return app, seed, func() { db.Close() }
}

func render(v voucher) fiber.Map {
	return fiber.Map{"id": v.ID, "year": v.Year, "agency": v.Agency, "amount": decimal.New(v.Amount, -2).StringFixed(2), "purpose": v.Purpose, "created_at": v.CreatedAt}
}

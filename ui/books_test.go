package ui_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// The books pages: an administrator opens the trial balance of the seeded
// period from the portal, follows an account to its general ledger and a
// month to its detail ledger, whose voucher links to the record; a clerk is
// refused, as by the API.
func TestBooksPages(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		ctx := context.Background()
		files, err := s.rt.SeedFiles()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.App != "indicator" {
				continue
			}
			if _, err := s.rt.Seed(ctx, engine.SystemActor, f, nil); err != nil {
				t.Fatal(err)
			}
		}
		vs, err := s.rt.DB.Vouchers(ctx, engine.VoucherFilter{})
		if err != nil || len(vs) == 0 {
			t.Fatalf("no vouchers after the seed: %v", err)
		}
		period := vs[0].Period
		s.addUser(t, "root", "", engine.AdminRole)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")

		clerk := s.browser(t)
		clerk.login("clerk")
		clerk.get("/ui/books").want(t, "a clerk opens the books", http.StatusForbidden, "只有管理员")

		admin := s.browser(t)
		admin.login("root")
		admin.get("/").want(t, "the portal links the books", 200, `id="portal-books"`)
		tb := admin.get("/ui/books?period=" + period)
		tb.want(t, "trial balance", 200, `id="trial-balance"`, `data-account="9101"`, "已下达预算指标（备查）", "借贷平衡", `href="/ui/books?period=`+period+`"`)
		tb.lacks(t, "trial balance", "⟦")
		gl := admin.get("/ui/books/ledger?account=9101&year=" + period[:4])
		gl.want(t, "general ledger", 200, `id="general-ledger"`, `data-period="`+period+`"`, "总账 9101")
		dl := admin.get("/ui/books/detail?account=9101&from=" + period + "&to=" + period)
		dl.want(t, "detail ledger", 200, `id="detail-ledger"`, `data-voucher="`+vs[0].Number+`"`, `href="/ui/indicator/indicator/1"`, "指标下达")
		admin.get("/ui/books?period=2026-13").want(t, "a bad period", 422, "YYYY-MM")
		admin.get("/ui/books?lang=en&period="+period).want(t, "in English", 200, "Trial balance", "Balanced")
	})
}

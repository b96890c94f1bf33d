package apps_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// BenchmarkRequestStrings measures what fiber's Immutable costs (apps.New
// sets it): a handler that reads what an API request reads (two path
// parameters, three query values, three headers, a cookie), with fiber's
// strings pointing into the request buffer and with each one a copy.
func BenchmarkRequestStrings(b *testing.B) {
	for _, immutable := range []bool{false, true} {
		name := "mutable"
		if immutable {
			name = "immutable"
		}
		b.Run(name, func(b *testing.B) {
			app := fiber.New(fiber.Config{Immutable: immutable, DisableStartupMessage: true})
			var sink int
			app.Get("/api/:app/:entity", func(c *fiber.Ctx) error {
				sink += len(c.Params("app")) + len(c.Params("entity"))
				sink += len(c.Query("filter")) + len(c.Query("sort")) + len(c.Query("page_size"))
				sink += len(c.Get("Authorization")) + len(c.Get("Idempotency-Key")) + len(c.Get("Accept-Language"))
				sink += len(c.Cookies("growth_session")) + len(c.Method()) + len(c.Path())
				return c.SendStatus(200)
			})
			h := app.Handler()
			var ctx fasthttp.RequestCtx
			ctx.Request.SetRequestURI("/api/payment/payment?filter=year%20%3D%202026%20and%20agency%20under%20%27101%27&sort=-amount&page_size=20")
			ctx.Request.Header.Set("Authorization", "Bearer 0123456789abcdef0123456789abcdef")
			ctx.Request.Header.Set("Idempotency-Key", "6f1c0b1e-8a8e-4f2c-9a55-2a0e5d7c1f00")
			ctx.Request.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
			ctx.Request.Header.SetCookie("growth_session", "0123456789abcdef0123456789abcdef")
			b.ReportAllocs()
			for b.Loop() {
				h(&ctx)
			}
			_ = sink
		})
	}
}

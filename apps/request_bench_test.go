package apps_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/bcrypt"
)

// BenchmarkPeerRequest is one request of the peer benchmark (bench/peer) through
// the whole handler, as growth serve mounts it (login token, role check, data
// scope, rule, audit row, metrics), on SQLite, one at a time: Growth's own CPU
// and allocations per create and per filtered list, without the socket.
func BenchmarkPeerRequest(b *testing.B) {
	dir := b.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "basedata"), os.DirFS("../definitions/basedata")); err != nil {
		b.Fatal(err)
	}
	app, err := os.ReadFile("../bench/peer/app.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bench"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bench", "app.yaml"), app, 0o644); err != nil {
		b.Fatal(err)
	}
	p := enginetest.LoadDir(b, dir)
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		b.Fatal(err)
	}
	rt := enginetest.Start(b, engine.SQLite, p, access)
	users := engine.NewUsers(rt.DB, p)
	users.HashCost = bcrypt.MinCost
	ctx := context.Background()
	if _, err := users.Add(ctx, engine.SystemActor, engine.NewUser{Name: "bench", Password: "bench-pass-123456", Org: "101", Roles: []string{"bench.clerk"}}); err != nil {
		b.Fatal(err)
	}
	s, err := users.Login(ctx, "bench", "bench-pass-123456", "127.0.0.1", engine.BearerSession)
	if err != nil {
		b.Fatal(err)
	}
	fiberApp, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: apps.NewAuth(users), Metrics: apps.NewMetrics(nil)})
	if err != nil {
		b.Fatal(err)
	}
	h := fiberApp.Handler()
	body := []byte(`{"year":2026,"agency":"101001","func_class":"2050201","amount":"123456.78"}`)
	create := func(c *fasthttp.RequestCtx) {
		c.Request.Reset()
		c.Response.Reset()
		c.Request.Header.SetMethod("POST")
		c.Request.SetRequestURI("/api/bench/item")
		c.Request.Header.SetContentType("application/json")
		c.Request.Header.Set("Authorization", "Bearer "+s.Token)
		c.Request.SetBody(body)
		h(c)
		if c.Response.StatusCode() != 201 {
			b.Fatalf("create: %d %s", c.Response.StatusCode(), c.Response.Body())
		}
	}
	var c fasthttp.RequestCtx
	for range 100 {
		create(&c)
	}
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			create(&c)
		}
	})
	b.Run("list", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Request.Reset()
			c.Response.Reset()
			c.Request.SetRequestURI("/api/bench/item?page_size=20&filter=agency%20%3D%20%27101001%27")
			c.Request.Header.Set("Authorization", "Bearer "+s.Token)
			h(&c)
			if c.Response.StatusCode() != 200 {
				b.Fatalf("list: %d %s", c.Response.StatusCode(), c.Response.Body())
			}
		}
	})
}

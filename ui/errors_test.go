package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// Paths no route has, methods a page does not take and a page handler that
// panics all answer with the UI's error page, in the user's language; the
// API keeps answering in JSON.
func TestErrorPages(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	s := startServer(t, engine.SQLite, p)
	// A page of this test only, behind the UI's middleware as every page is.
	s.app.Get("/ui/panic", func(*fiber.Ctx) error { panic("boom in a page") })
	s.addUser(t, "clerk", "104", "indicator.division_clerk")
	b := s.browser(t)
	b.login("clerk")

	scenarios := []struct {
		name, method, path string
		status             int
		has                []string
	}{
		{"unknown page", "GET", "/ui/foo", 404, []string{`id="error-message">没有这个页面：/ui/foo<`, "clerk"}},
		{"unknown page, deeper", "GET", "/ui/indicator/indicator/1/nothing", 404, []string{"没有这个页面：/ui/indicator/indicator/1/nothing"}},
		{"unknown page outside /ui", "GET", "/nothing", 404, []string{"没有这个页面：/nothing"}},
		{"in English", "GET", "/ui/foo?lang=en", 404, []string{`id="error-message">There is no page at /ui/foo<`, "Something went wrong"}},
		{"wrong method", "DELETE", "/login?lang=zh", 405, []string{"这个页面不接受 DELETE 请求"}},
		{"wrong method on a list", "PUT", "/ui/indicator/indicator", 405, []string{"这个页面不接受 PUT 请求"}},
		{"a page that panics", "GET", "/ui/panic", 500, []string{"出错了", "服务器内部错误"}},
	}
	for _, sc := range scenarios {
		page := b.do(sc.method, sc.path, nil)
		page.want(t, sc.name, sc.status, sc.has...)
		page.lacks(t, sc.name, "Cannot ", "boom", `{"error"`)
		if !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %s", sc.name, page.header.Get("Content-Type"))
		}
		if page.header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", sc.name)
		}
	}
	b.get("/ui/indicator/indicator?lang=zh").want(t, "still serving", 200)

	// Without a session the error page is the same (no login needed to learn
	// that a page does not exist).
	anon := s.browser(t)
	anon.get("/ui/foo").want(t, "anonymous unknown page", 404, "没有这个页面：/ui/foo")

	// The API answers in JSON, not with pages.
	api := anon.do("GET", "/api/nothing", nil)
	api.want(t, "unknown API route", http.StatusNotFound, `"code":"not_found"`)
	api = anon.do("PUT", "/api/openapi.json", url.Values{})
	api.want(t, "wrong API method", http.StatusMethodNotAllowed, `"code":"method_not_allowed"`)
}

package apps_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/engine/web"
)

// syncBuffer is a log that handlers on many goroutines may write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listenApp serves app on a loopback socket and returns its base URL.
func listenApp(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// A handler that panics answers 500 in the one error shape, the log names
// the panic under the request id the answer carries, and the server goes on.
func TestPanicIsRecovered(t *testing.T) {
	p := enginetest.Load(t, crudApp)
	rt := enginetest.Start(t, engine.SQLite, p, engine.OpenAccess{})
	var log syncBuffer
	app, err := apps.New(rt, apps.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// A route of this test only, behind the server's middleware as every route is.
	app.Get("/api/panic", func(*fiber.Ctx) error { panic("boom in a handler") })

	for _, sc := range []struct {
		name, sent, want string
	}{
		{"no id sent", "", ""},
		{"the client's id", "req-42.a_b", "req-42.a_b"},
		{"an id that would forge a log line", "x\" level=INFO msg=forged", ""},
		{"an overlong id", strings.Repeat("a", 65), ""},
	} {
		headers := map[string]string{}
		if sc.sent != "" {
			headers[web.RequestIDHeader] = sc.sent
		}
		resp, raw := rawDo(t, app, "GET", "/api/panic", headers)
		if resp.StatusCode != 500 || !strings.Contains(raw, `"code":"internal"`) || strings.Contains(raw, "boom") {
			t.Fatalf("%s: %d %s, want 500 internal without the panic's text", sc.name, resp.StatusCode, raw)
		}
		id := resp.Header.Get(web.RequestIDHeader)
		if id == "" || sc.want != "" && id != sc.want || sc.want == "" && id == sc.sent {
			t.Errorf("%s: X-Request-ID %q", sc.name, id)
		}
		if line := logLine(log.String(), "request_id="+id); !strings.Contains(line, "boom in a handler") || !strings.Contains(line, "path=/api/panic") {
			t.Errorf("%s: no log line names the panic with request id %s: %s", sc.name, id, log.String())
		}
	}
	apitest.Run(t, app, apitest.Scenario{Name: "still serving", Method: "GET", Path: "/api/demo/grant", Status: 200})
}

// logLine is the line of log that holds s.
func logLine(log, s string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

func rawDo(t *testing.T, app *fiber.App, method, path string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://x"+path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// A path no route has and a method a path does not take answer the one
// error shape, in the API's language.
func TestUnknownRoutesAndMethods(t *testing.T) {
	p := enginetest.Load(t, crudApp)
	rt := enginetest.Start(t, engine.SQLite, p, engine.OpenAccess{})
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []apitest.Scenario{
		{Name: "unknown route", Method: "GET", Path: "/api/demo/grant/1/nothing", Status: 404,
			Want: map[string]any{"error.code": "not_found", "error.message": "没有这个接口：GET /api/demo/grant/1/nothing"}},
		{Name: "unknown top path", Method: "GET", Path: "/nothing", Status: 404, Want: map[string]any{"error.code": "not_found"}},
		{Name: "wrong method on a record", Method: "PUT", Path: "/api/demo/grant/1", Body: `{}`, Status: 405,
			Want: map[string]any{"error.code": "method_not_allowed", "error.message": "/api/demo/grant/1 不接受 PUT 请求"}},
		{Name: "wrong method on the document", Method: "DELETE", Path: "/api/openapi.json", Status: 405,
			Want: map[string]any{"error.code": "method_not_allowed"}},
	} {
		apitest.Run(t, app, sc)
	}
}

// Under 600 concurrent requests the request counters keep their labels:
// GET /metrics answers 200, every series is labelled with names of the
// definitions (a request for an app that does not exist counts under "-"),
// and no series appears twice.
func TestMetricsUnderLoad(t *testing.T) {
	p := enginetest.Load(t, crudApp)
	rt := enginetest.Start(t, engine.SQLite, p, engine.OpenAccess{})
	// X-Admin stands for a logged-in platform admin.
	actor := func(c *fiber.Ctx) (engine.Actor, error) {
		if c.Get("X-Admin") == "yes" {
			return engine.Actor{User: "ops", Roles: []string{engine.AdminRole}}, nil
		}
		return apps.Anonymous, nil
	}
	metrics := apps.NewMetrics(nil)
	metrics.CountWriteGroups(rt.DB)
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Actor: actor, Metrics: metrics, MetricsToken: "scrape-secret-1"})
	if err != nil {
		t.Fatal(err)
	}
	base := listenApp(t, app)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100, MaxConnsPerHost: 100}}
	get := func(path string, headers map[string]string) (int, string, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw), err
	}
	// SQLite's group commit is counted: the create is one more write in
	// one more group, written alone.
	scrapes := 0 // each counted as a request
	counter := func(name string) int {
		scrapes++
		_, body, err := get("/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("metrics lack %s:\n%s", name, body)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	sqliteCounters := []string{"growth_sqlite_write_groups_total", "growth_sqlite_grouped_writes_total", "growth_sqlite_creates_together_total"}
	var before []int
	for _, name := range sqliteCounters {
		before = append(before, counter(name))
	}
	if _, err := rt.Create(t.Context(), engine.SystemActor, "demo", "grant", map[string]any{"year": 2026, "agency": "101001", "amount": "1.00"}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 1, 0} {
		if got := counter(sqliteCounters[i]) - before[i]; got != want {
			t.Errorf("%s grew by %d with one create, want %d", sqliteCounters[i], got, want)
		}
	}

	const n = 600
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var path string
			switch i % 4 {
			case 0:
				path = "/api/demo/grant?filter=" + q(fmt.Sprintf("year = %d", 2000+i)) + "&page_size=" + fmt.Sprint(1+i%50)
			case 1:
				path = "/api/demo/grant/1"
			case 2:
				// Names that exist nowhere, of every length.
				path = fmt.Sprintf("/api/%s/%s", strings.Repeat("p", 1+i%13), strings.Repeat("e", 1+i%7))
			case 3:
				path = fmt.Sprintf("/api/demo/grant/%d?x=%s", 1000+i, strings.Repeat("z", i))
			}
			if _, _, err := get(path, nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	status, body, err := get("/metrics", nil)
	if err != nil || status != 200 {
		t.Fatalf("GET /metrics from this host: %d %v: %.500s", status, err, body)
	}
	series := regexp.MustCompile(`(?m)^growth_http_requests_total\{app="([^"]*)",entity="([^"]*)",method="([^"]*)",status="([^"]*)"\} (\d+)$`)
	seen := map[string]bool{}
	total := 0
	for _, m := range series.FindAllStringSubmatch(body, -1) {
		key := strings.Join(m[1:5], "|")
		if seen[key] {
			t.Errorf("series %s appears twice", key)
		}
		seen[key] = true
		if !(m[1] == "demo" && m[2] == "grant" || m[1] == "-" && m[2] == "-") || m[3] != "GET" || !regexp.MustCompile(`^[2-5]\d\d$`).MatchString(m[4]) {
			t.Errorf("series with labels that are no names of the definitions: %s", m[0])
		}
		var c int
		fmt.Sscan(m[5], &c)
		total += c
	}
	if total != n+scrapes {
		t.Errorf("the counters add up to %d requests, want %d:\n%s", total, n+scrapes, body)
	}
	for _, want := range []string{`app="demo",entity="grant",method="GET",status="200"} 300`, `app="-",entity="-",method="GET",status="404"} 150`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Who may read them: this host; through a proxy or from elsewhere, only
	// with the metrics token.
	for _, sc := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"forwarded by a proxy on this host", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 403},
		{"forwarded, wrong token", map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer scrape-secret-2"}, 403},
		{"forwarded, the token", map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer scrape-secret-1"}, 200},
		{"Forwarded header", map[string]string{"Forwarded": "for=203.0.113.9"}, 403},
		{"forwarded, a platform admin", map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Admin": "yes"}, 200},
	} {
		status, body, err := get("/metrics", sc.headers)
		if err != nil || status != sc.status {
			t.Errorf("%s: %d %v, want %d", sc.name, status, err, sc.status)
		}
		if sc.status == 403 && !strings.Contains(body, `"code":"forbidden"`) {
			t.Errorf("%s: %s", sc.name, body)
		}
	}
}

// JSON that encoding/json would accept but change is refused: bytes that are
// not UTF-8, an unpaired surrogate escape (both would be stored as U+FFFD)
// and a key given twice (the last would win), each with a message that
// says what and where; nothing is written.
func TestMalformedJSONRefused(t *testing.T) {
	p := enginetest.Load(t, crudApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		const fields = `"year": 2026, "agency": "101001", "amount": "1.00"`
		for _, sc := range []apitest.Scenario{
			{Name: "invalid UTF-8", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "purpose": "ab` + "\xff\xfe" + `"}`, Status: 400,
				Want: map[string]any{"error.code": "malformed", "error.message": "请求体不是有效的 UTF-8 文本：第 68 个字节起无法识别"}},
			{Name: "truncated UTF-8", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "purpose": "用` + "\xe9\x80" + `"}`, Status: 400,
				Want: map[string]any{"error.code": "malformed"}},
			{Name: "unpaired high surrogate", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "purpose": "a\ud800b"}`, Status: 400,
				Want: map[string]any{"error.code": "malformed", "error.message": `请求体第 67 个字节起的 \uD800 是不成对的代理项，不是有效的字符`}},
			{Name: "lone low surrogate", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "purpose": "\udc00"}`, Status: 400},
			{Name: "duplicated key", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "amount": "900.00"}`, Status: 400,
				Want: map[string]any{"error.code": "malformed", "error.message": `请求体中的键 "amount" 出现了不止一次；每个键只能给一次`}},
			{Name: "duplicated key in a nested object", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "x": {"a": [{"b": 1, "b": 2}]}}`, Status: 400,
				Want: map[string]any{"error.message": `请求体中的键 "b" 出现了不止一次（在 x.a[] 中）；每个键只能给一次`}},
			{Name: "duplicated version on a patch", Method: "PATCH", Path: "/api/demo/grant/1", Body: `{"version": 1, "version": 2}`, Status: 400,
				Want: map[string]any{"error.message": `请求体中的键 "version" 出现了不止一次；每个键只能给一次`}},
			{Name: "an escaped backslash before u is text", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "purpose": "C:\\udc00"}`, Status: 201,
				Want: map[string]any{"purpose": `C:\udc00`}},
			{Name: "a surrogate pair is one character", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "purpose": "\ud83d\ude00 用途"}`, Status: 201,
				Want: map[string]any{"purpose": "😀 用途"}},
			{Name: "the same key in two objects is no duplicate", Method: "POST", Path: "/api/demo/grant", Body: "{" + fields + `, "purpose": "{\"a\":1}"}`, Status: 201},
			{Name: "nothing else was written", Method: "GET", Path: "/api/demo/grant?total=true", Status: 200, Want: map[string]any{"total": 3}},
		} {
			apitest.Run(t, app, sc)
		}
	})
}

// The limits docs/filter.md promises can be sent in a GET over a real
// socket: a filter of exactly filter.MaxLength bytes in which every byte is
// percent-encoded (three bytes in the URL for each), with a session
// cookie and the usual headers beside it, and an "in" list of exactly
// filter.MaxInValues values. One byte more is refused by the filter, with
// its message, not by the HTTP layer.
func TestDocumentedFilterLimitsFit(t *testing.T) {
	p := enginetest.Load(t, crudApp)
	rt := enginetest.Start(t, engine.SQLite, p, engine.OpenAccess{})
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	base := listenApp(t, app)
	if _, err := rt.Create(t.Context(), engine.SystemActor, "demo", "grant", map[string]any{"year": 2026, "agency": "101001", "amount": "1.00", "purpose": "会议"}); err != nil {
		t.Fatal(err)
	}
	longest := func(n int) string {
		// purpose like '%会…会%' or purpose like '%会…': Chinese characters
		// (3 bytes each, all percent-encoded), padded to n bytes with '%'.
		src := "purpose like '%" + strings.Repeat("会", (n-16)/3)
		return src + strings.Repeat("%", n-len(src)-1) + "'"
	}
	var in strings.Builder
	in.WriteString("id in (")
	for i := 1; i <= filter.MaxInValues; i++ {
		if i > 1 {
			in.WriteString(",")
		}
		fmt.Fprint(&in, i)
	}
	in.WriteString(")")
	headers := map[string]string{
		"Cookie":          "growth_session=" + strings.Repeat("s", 64) + "; growth_csrf=" + strings.Repeat("c", 64) + "; growth_lang=zh",
		"User-Agent":      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"Accept":          "application/json",
		"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
		"Referer":         base + "/ui/demo/grant?" + strings.Repeat("f.purpose=x&", 40),
	}
	for _, sc := range []struct {
		name, filter string
		status       int
		want         string
	}{
		{"the longest filter, every byte encoded", longest(filter.MaxLength), 200, `"items":[]`},
		{"an in list of the most values", in.String(), 200, `"purpose":"会议"`},
		{"one byte over", longest(filter.MaxLength + 1), 400, `"code":"malformed"`},
	} {
		if sc.name != "one byte over" && len(sc.filter) > filter.MaxLength {
			t.Fatalf("%s: the test's filter is %d bytes", sc.name, len(sc.filter))
		}
		req, _ := http.NewRequest("GET", base+"/api/demo/grant?filter="+url.QueryEscape(sc.filter)+"&sort=-id&page_size=10", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != sc.status || !strings.Contains(string(raw), sc.want) {
			t.Errorf("%s (%d bytes, URL %d bytes): %d %.300s", sc.name, len(sc.filter), len(req.URL.RequestURI()), resp.StatusCode, raw)
		}
	}
}

// On PostgreSQL, /metrics counts the batches of creates: 40 concurrent
// creates of one entity are written in batches whose creates add up to 40,
// fewer batches than creates; on SQLite, whose group commit has counters of
// its own, the PostgreSQL ones are absent.
func TestMetricsCountCreateBatches(t *testing.T) {
	p := enginetest.Load(t, crudApp)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		metrics := apps.NewMetrics(nil)
		metrics.CountWriteGroups(rt.DB)
		metrics.CountCreateBatches(rt)
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Metrics: metrics, MetricsToken: "scrape-secret-1"})
		if err != nil {
			t.Fatal(err)
		}
		base := listenApp(t, app)
		scrape := func() map[string]int {
			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			out := map[string]int{}
			for _, m := range regexp.MustCompile(`(?m)^(growth_pg_\w+) (\d+)$`).FindAllStringSubmatch(string(raw), -1) {
				out[m[1]], _ = strconv.Atoi(m[2])
			}
			return out
		}
		const n = 40
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := rt.Create(t.Context(), engine.SystemActor, "demo", "grant", map[string]any{"year": 2000 + i, "agency": "101001", "amount": "1.00"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got := scrape()
		if d == engine.SQLite {
			if len(got) != 0 {
				t.Errorf("SQLite's metrics show PostgreSQL's batch counters: %v", got)
			}
			return
		}
		batches, batched, alone := got["growth_pg_create_batches_total"], got["growth_pg_batched_creates_total"], got["growth_pg_creates_run_alone_total"]
		if batched+alone != n || batches < 1 || batches >= n || batched < batches {
			t.Errorf("40 concurrent creates counted as %d batches of %d creates, %d run alone", batches, batched, alone)
		}
	})
}

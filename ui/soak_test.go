package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestSoak is a bounded soak test of the whole server (docs/testing.md): it
// runs only when GROWTH_SOAK holds a duration (GROWTH_SOAK=2m). It serves the
// shipped definitions with their seed data over a real socket and sends a
// mixed load from soakWorkers concurrent clients for that long: indicators
// created, walked through their workflow to release (which opens ledger
// balances), read, listed with filters and totals, reports, and the web UI's
// pages as a logged-in browser. Every second it samples the live heap (after
// a collection) and the process's resident memory. Memory must plateau: the
// median live heap of the last third of the run may exceed the middle
// third's by at most soakMargin and soakSlack. No answer may be a 5xx, and
// every request must be answered within soakTimeout.
func TestSoak(t *testing.T) {
	v := os.Getenv("GROWTH_SOAK")
	if v == "" {
		t.Skip("the soak test runs with GROWTH_SOAK=<duration>, e.g. GROWTH_SOAK=2m go test ./ui -run TestSoak -v")
	}
	duration, err := time.ParseDuration(v)
	if err != nil || duration < 15*time.Second {
		t.Fatalf("GROWTH_SOAK=%q: want a duration of at least 15s", v)
	}
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		ctx := context.Background()
		files, err := s.rt.SeedFiles()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if _, err := s.rt.Seed(ctx, engine.SystemActor, f, nil); err != nil {
				t.Fatalf("seed %s/%s: %v", f.App, f.Name, err)
			}
		}
		s.addUser(t, "soak_clerk", "104", "indicator.division_clerk")
		s.addUser(t, "soak_reviewer", "104", "indicator.division_reviewer")
		s.addUser(t, "soak_office", "", "indicator.budget_office")
		for w := range soakWorkers {
			// One browser user per client: logins of one name in quick
			// succession are slowed down (429), as they should be.
			s.addUser(t, fmt.Sprintf("soak_ui_%d", w), "104", "indicator.division_clerk")
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = s.app.Listener(ln) }()
		t.Cleanup(func() { _ = s.app.ShutdownWithTimeout(5 * time.Second) })
		soak(t, "http://"+ln.Addr().String(), duration)
	})
}

const (
	soakWorkers = 8
	// soakMargin and soakSlack are how much higher the median live heap of
	// the last third may be than the middle third's. A sample taken while
	// requests are in flight counts their buffers as live (a page of 200
	// records, a report), which moves single samples by several MB; the
	// median of a third is steady, and grows with a leak.
	soakMargin = 1.2
	soakSlack  = 2 << 20
	// soakTimeout is how long a client waits for an answer before it counts
	// the request as failed.
	soakTimeout = 30 * time.Second
)

type soakSample struct {
	at       time.Duration
	heap     uint64 // live heap after a collection
	rss      uint64
	requests int64
}

// soakLoad is what the workers share.
type soakLoad struct {
	t        *testing.T
	base     string
	requests atomic.Int64
	mu       sync.Mutex
	byKind   map[string]int
	failures []string
	drafts   chan int64 // indicators ready to walk to release
	ids      []int64    // indicators created so far
	dumpOnce sync.Once
}

func soak(t *testing.T, base string, duration time.Duration) {
	l := &soakLoad{t: t, base: base, byKind: map[string]int{}, drafts: make(chan int64, 1000)}
	clerk, reviewer, office := l.apiLogin("soak_clerk"), l.apiLogin("soak_reviewer"), l.apiLogin("soak_office")
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range soakWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 2))
			browser := l.uiLogin(fmt.Sprintf("soak_ui_%d", w))
			for n := 0; time.Now().Before(deadline); n++ {
				l.one(r, n, w, clerk, reviewer, office, browser)
			}
		}()
	}
	var samples []soakSample
	start := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		samples = append(samples, soakSample{at: time.Since(start), heap: liveHeap(), rss: residentMemory(), requests: l.requests.Load()})
	}
	wg.Wait()
	third := len(samples) / 3
	maxOf := func(ss []soakSample, f func(soakSample) uint64) uint64 {
		var m uint64
		for _, s := range ss {
			m = max(m, f(s))
		}
		return m
	}
	heapOf := func(s soakSample) uint64 { return s.heap }
	rssOf := func(s soakSample) uint64 { return s.rss }
	first, middle, last := samples[:third], samples[third:2*third], samples[2*third:]
	total := l.requests.Load()
	var kinds []string
	for _, k := range sortedKinds(l.byKind) {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, l.byKind[k]))
	}
	t.Logf("soak %s: %d requests (%.0f/s) from %d clients: %s", duration, total, float64(total)/duration.Seconds(), soakWorkers, strings.Join(kinds, ", "))
	t.Logf("live heap by third, median (peak): %s (%s), %s (%s), %s (%s); resident memory peak by third: %s, %s, %s; %d indicators created",
		mib(medianOf(first, heapOf)), mib(maxOf(first, heapOf)), mib(medianOf(middle, heapOf)), mib(maxOf(middle, heapOf)), mib(medianOf(last, heapOf)), mib(maxOf(last, heapOf)),
		mib(maxOf(first, rssOf)), mib(maxOf(middle, rssOf)), mib(maxOf(last, rssOf)), len(l.ids))
	if len(l.failures) > 0 {
		t.Errorf("%d answers failed; the first: %s", len(l.failures), strings.Join(l.failures[:min(5, len(l.failures))], "\n"))
	}
	if m, z := medianOf(middle, heapOf), medianOf(last, heapOf); float64(z) > float64(m)*soakMargin+soakSlack {
		var trail []string
		for _, s := range samples {
			trail = append(trail, mib(s.heap))
		}
		t.Errorf("memory does not plateau: the median live heap of the last third of the run is %s, of the middle third %s (more than ×%.2f + %s); samples: %s",
			mib(z), mib(m), soakMargin, mib(soakSlack), strings.Join(trail, " "))
	}
}

// one sends one request of the mix, chosen by r.
func (l *soakLoad) one(r *rand.Rand, n, worker int, clerk, reviewer, office string, browser *http.Client) {
	switch x := r.IntN(100); {
	case x < 20:
		amount := fmt.Sprintf("%d.%02d", 1000+r.IntN(100000), r.IntN(100))
		body := fmt.Sprintf(`{"year":2026,"division":"510000000","doc_no":"川财教〔2026〕%d号","budget_level":"2","agency":"104001","func_class":"2050201","gov_econ":"50201","dept_econ":"30201","fund_nature":"11","fund_source":"1","amount":%q,"remark":"soak %d-%d"}`,
			worker*100000+n, amount, worker, n)
		raw, ok := l.api("create", "POST", "/api/indicator/indicator", body, clerk, http.StatusCreated)
		if ok {
			var rec struct{ ID int64 }
			_ = json.Unmarshal(raw, &rec)
			l.mu.Lock()
			l.ids = append(l.ids, rec.ID)
			l.mu.Unlock()
			select {
			case l.drafts <- rec.ID:
			default:
			}
		}
	case x < 30:
		select {
		case id := <-l.drafts:
			path := fmt.Sprintf("/api/indicator/indicator/%d/events/", id)
			for _, step := range []struct{ event, who string }{{"submit", clerk}, {"review", reviewer}, {"check", office}, {"release", office}} {
				if _, ok := l.api("event", "POST", path+step.event, "", step.who, http.StatusOK); !ok {
					break
				}
			}
		default:
		}
	case x < 50:
		filter := url.QueryEscape(pick(r, []string{"agency under '104'", "year = 2026 and amount > 5000", "state = 'released'", "func_class under '205'"}))
		l.api("list", "GET", fmt.Sprintf("/api/indicator/indicator?filter=%s&total=true&page=%d&page_size=%d", filter, 1+r.IntN(3), pick(r, []int{20, 50, 200})), "", office, http.StatusOK)
	case x < 60:
		id := l.someID(r)
		l.api("read", "GET", fmt.Sprintf("/api/indicator/indicator/%d%s", id, pick(r, []string{"", "/history", "/balance", "/ledger"})), "", office, http.StatusOK)
	case x < 70:
		l.api("report", "GET", "/api/reports/indicator/"+pick(r, []string{"ledger", "adjustments"})+"?filter="+url.QueryEscape("year = 2026"), "", office, http.StatusOK)
	default:
		path := pick(r, []string{"/", "/ui/indicator/indicator", "/ui/indicator/indicator?total=1&size=100", "/ui/reports/indicator/ledger",
			fmt.Sprintf("/ui/indicator/indicator/%d", l.someID(r)), "/ui/indicator/indicator/new"})
		l.get(browser, "ui page", path)
	}
}

func (l *soakLoad) someID(r *rand.Rand) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ids) == 0 {
		return 1
	}
	return l.ids[r.IntN(len(l.ids))]
}

var soakClient = &http.Client{Timeout: soakTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 4 * soakWorkers}}

// api sends a JSON request as the holder of token and checks the status.
func (l *soakLoad) api(kind, method, path, body, token string, want int) ([]byte, bool) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, l.base+path, rd)
	if err != nil {
		l.fail(kind, path, err.Error())
		return nil, false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return l.do(kind, soakClient, req, want)
}

func (l *soakLoad) get(c *http.Client, kind, path string) {
	req, _ := http.NewRequest("GET", l.base+path, nil)
	l.do(kind, c, req, http.StatusOK)
}

func (l *soakLoad) do(kind string, c *http.Client, req *http.Request, want int) ([]byte, bool) {
	l.requests.Add(1)
	l.mu.Lock()
	l.byKind[kind]++
	l.mu.Unlock()
	resp, err := c.Do(req)
	if err != nil {
		l.fail(kind, req.URL.RequestURI(), err.Error())
		l.dumpOnce.Do(func() {
			// A request that never answers: where every goroutine waits.
			path := filepath.Join(os.TempDir(), fmt.Sprintf("growth-soak-goroutines-%d.txt", os.Getpid()))
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("goroutine").WriteTo(f, 1)
				f.Close()
				l.t.Logf("the goroutines at the first request without an answer are in %s", path)
			}
		})
		return nil, false
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode >= 500:
		l.fail(kind, req.URL.RequestURI(), fmt.Sprintf("%d %s", resp.StatusCode, clipText(raw)))
		return raw, false
	case resp.StatusCode != want:
		// A 4xx a concurrent client caused (a record walked by another
		// worker, a stale page) is part of the load, not a failure.
		return raw, false
	}
	return raw, true
}

func (l *soakLoad) fail(kind, path, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, kind+" "+path+": "+msg)
}

// apiLogin logs name in through the API and returns the bearer token.
func (l *soakLoad) apiLogin(name string) string {
	body, _ := json.Marshal(map[string]string{"username": name, "password": testPassword})
	resp, err := soakClient.Post(l.base+"/api/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		l.t.Fatalf("login %s: %d", name, resp.StatusCode)
	}
	return out.Token
}

// uiLogin logs name in through the login form, as a browser: a client that
// keeps the session cookie.
func (l *soakLoad) uiLogin(name string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: soakTimeout, Transport: soakClient.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(l.base + "/login")
	if err != nil {
		l.t.Error(err)
		return c
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"username": {name}, "password": {testPassword}}
	if m := csrfField.FindSubmatch(raw); m != nil {
		form.Set("_csrf", string(m[1]))
	}
	resp, err = c.PostForm(l.base+"/login", form)
	if err != nil {
		l.t.Error(err)
		return c
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		l.t.Errorf("login %s through the form: %d", name, resp.StatusCode)
	}
	return c
}

// liveHeap is the heap in use after a collection: what the process keeps.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// residentMemory is the process's resident set (Linux), or 0.
func residentMemory() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func medianOf(ss []soakSample, f func(soakSample) uint64) uint64 {
	var vs []uint64
	for _, s := range ss {
		vs = append(vs, f(s))
	}
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func clipText(raw []byte) string {
	if len(raw) > 200 {
		return string(raw[:200]) + "…"
	}
	return string(raw)
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func sortedKinds(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

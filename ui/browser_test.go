package ui_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/ui"
	"github.com/shopspring/decimal"
)

// The browser test drives Debian's Chromium through the shipped indicator
// app: log in, create an indicator through the form, see a validation error
// next to its field, fix it, submit it through the workflow as two different
// users, see the history, and check that a clerk of another department
// cannot see it. It runs the real server (API, sessions, role-based access
// and UI) in-process on 127.0.0.1:0.
//
// With GROWTH_SCREENSHOTS=1 it also writes the screenshots shown in the
// README to docs/screenshots/.

// chromium finds the browser, or skips the test with the way to get it;
// under CI a missing browser fails instead.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, but CI=true requires the browser test to run (.ci/run installs it with apt-get install chromium)")
	}
	t.Skip("browser test skipped: chromium is not installed (apt-get install chromium; CI installs it in .ci/run)")
	return ""
}

// newChromium starts one headless browser for the test.
func newChromium(t *testing.T) context.Context {
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("chromium at %s does not start: %v", path, err)
	}
	return ctx
}

// listen serves s on a free port of 127.0.0.1 and returns its base URL.
func listen(t *testing.T, s *server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.app.Listener(ln) }()
	t.Cleanup(func() { _ = s.app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// seedIndicators imports the shipped seed indicators of one department, as
// growth seed does: most are released (their _events), with open balances,
// so that the list and the ledger report have something to show.
// seedIndicators imports the shipped seed indicators of agencyPrefix's
// agencies and returns how many it imported.
func seedIndicators(t *testing.T, s *server, agencyPrefix string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(shippedDir, "indicator", "seed", "indicators.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(rows[0])
	agency := slices.Index(rows[0], "agency")
	n := 0
	for _, row := range rows[1:] {
		if strings.HasPrefix(row[agency], agencyPrefix) {
			_ = w.Write(row)
			n++
		}
	}
	w.Flush()
	if _, err := s.rt.Import(context.Background(), engine.SystemActor, "indicator", "indicator", &buf, "csv", nil); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return n
}

// tab is one browser tab of the test with the server's base URL.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (b tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("%s: %v\npage: %s", what, err, excerpt(html))
	}
}

// markPage marks the document shown now, so that a wait after a click can
// tell the next page from this one.
var markPage = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := chromedp.Evaluate[bool](`document.body.setAttribute("data-old", "1"), true`)(ctx, t)
	return err
})

// onNextPage waits for sel on the page after the one markPage marked.
func onNextPage(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS("body:not([data-old]) " + sel))
}

// click clicks sel and waits for next on the page it leads to.
func (b tab) click(what, sel, next string) {
	b.t.Helper()
	b.do(what, markPage, chromedp.Click(chromedp.CSS(sel)), onNextPage(next))
}

func (b tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// download clicks the link sel and returns the file the browser saves.
func (b tab) download(what, sel string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	b.do(what,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
			return err
		}),
		chromedp.Click(chromedp.CSS(sel)),
	)
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("%s: %v", what, err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCanceled:
			b.t.Fatalf("%s: the download was canceled", what)
		case cdpbrowser.DownloadProgressStateCompleted:
			data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				b.t.Fatalf("%s: %v", what, err)
			}
			return data
		}
	}
	b.t.Fatalf("%s: no download completed", what)
	return nil
}

func (b tab) open(path string) { b.t.Helper(); b.do("open "+path, chromedp.Navigate(b.base+path)) }

// login logs in through the login page.
func (b tab) login(name string) {
	b.t.Helper()
	b.do("log in as "+name,
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SetValue(chromedp.CSS("#username"), name),
		chromedp.SetValue(chromedp.CSS("#password"), testPassword),
		markPage,
		chromedp.Click(chromedp.CSS("#login-submit")),
		onNextPage("#inbox-total"),
	)
}

func (b tab) logout() {
	b.t.Helper()
	b.click("log out", "#logout", "#login-submit")
}

// shot saves the viewport as docs/screenshots/name.png when asked to.
func (b tab) shot(name string) {
	b.t.Helper()
	if os.Getenv("GROWTH_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join("..", "docs", "screenshots", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if len(png) > 300_000 {
		b.t.Errorf("screenshot %s is %d KB; keep screenshots under 300 KB", name, len(png)/1000)
	}
}

func TestBrowserIndicatorScenario(t *testing.T) {
	browser := newChromium(t)
	p := enginetest.LoadDir(t, shippedDir)
	for i, d := range enginetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			s := startServer(t, d, p)
			s.addUser(t, "clerk", "104", "indicator.division_clerk")
			s.addUser(t, "reviewer", "104", "indicator.division_reviewer")
			s.addUser(t, "other", "101", "indicator.division_clerk")
			s.addUser(t, "auditor", "", "indicator.auditor", "payment.auditor")
			seeded := seedIndicators(t, s, "104")
			ctx, cancel := chromedp.NewContext(browser)
			defer cancel()
			// The first run opens the tab; it must not carry a timeout, or the
			// tab closes when the timeout ends.
			if err := chromedp.Do(ctx); err != nil {
				t.Fatal(err)
			}
			b := tab{t: t, ctx: ctx, base: listen(t, s)}
			screenshots := i == 0 // once is enough

			// Log in: the portal shows the app the clerk may use.
			b.open("/")
			b.do("redirect to login", chromedp.WaitVisible(chromedp.CSS("#login-submit")))
			b.login("clerk")
			if got := b.text("main"); !strings.Contains(got, "预算指标管理") || !strings.Contains(got, "预算指标") {
				t.Fatalf("portal lacks the indicator app: %s", got)
			}

			b.open("/ui/indicator/indicator")
			b.do("list", chromedp.WaitVisible(chromedp.CSS("#records")))
			if got := b.text("#records"); !strings.Contains(got, "四川省教育厅（本级）") || !strings.Contains(got, "1,") {
				t.Errorf("list shows no code labels or formatted amounts: %s", got)
			}
			if screenshots {
				b.shot("list")
			}
			// The count a user asks for is the number of records they see.
			b.click("count", "#count", "#total")
			if got, want := b.text("#total"), fmt.Sprintf("共 %d 条", seeded); got != want {
				t.Errorf("the list's count reads %q, want %q", got, want)
			}

			// Create through the form; the tree picker chooses the agency.
			b.click("new form", "#new-record", "#save")
			b.do("fill in the form",
				chromedp.SetValue(chromedp.CSS("#f-doc_no"), "川财教〔2026〕88号"),
				chromedp.Click(chromedp.CSS("#field-agency summary")),
				chromedp.SendKeys(chromedp.CSS("#field-agency .pick-search"), "教育厅"),
				chromedp.WaitVisible(chromedp.CSS(`#field-agency [data-pick-value="104001"]`)),
				chromedp.Click(chromedp.CSS(`#field-agency [data-pick-value="104001"]`)),
				chromedp.SetValue(chromedp.CSS("#f-func_class"), "2050201"),
				chromedp.SetValue(chromedp.CSS("#f-gov_econ"), "50201"),
				chromedp.SetValue(chromedp.CSS("#f-dept_econ"), "30201"),
				chromedp.SetValue(chromedp.CSS("#f-fund_nature"), "11"),
				chromedp.SetValue(chromedp.CSS("#f-fund_source"), "1"),
				chromedp.SendKeys(chromedp.CSS("#f-amount"), "0"),
			)
			b.click("save with a zero amount", "#save", "#form-invalid")
			if got := b.text("#field-amount .errors"); !strings.Contains(got, "指标金额应大于零") {
				t.Fatalf("the amount's error is not next to the amount: %q", got)
			}
			if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#f-doc_no"))); got != "川财教〔2026〕88号" {
				t.Errorf("the document number typed was not kept: %q", got)
			}
			if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#f-agency"))); got != "104001" {
				t.Errorf("the agency picked was not kept: %q", got)
			}
			if screenshots {
				b.do("scroll to the amount", chromedp.ScrollIntoView(chromedp.CSS("#field-amount")))
				b.shot("form-validation")
			}
			b.do("fix the amount",
				chromedp.Clear(chromedp.CSS("#f-amount")),
				chromedp.SendKeys(chromedp.CSS("#f-amount"), "1234567.89"),
			)
			if got := b.text("#f-amount-words"); got != "大写："+ui.AmountInWords(decimal.RequireFromString("1234567.89")) {
				t.Errorf("the amount in words as typed: %q", got)
			}
			b.click("save", "#save", "#flash")
			if got := b.text("main"); !strings.Contains(got, "1,234,567.89") || !strings.Contains(got, "草稿") {
				t.Fatalf("record page after save: %s", got)
			}
			record, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			record = strings.TrimPrefix(record, b.base)

			b.click("submit", "#event-submit button", "#flash")
			if got := b.text("#record-state"); got != "待处室审核" {
				t.Fatalf("state after submit: %q", got)
			}

			// The report the portal links: groups by their names, the totals row.
			b.open("/")
			b.click("report link", `a[href="/ui/reports/indicator/ledger"]`, "#totals")
			if got := b.text("#report"); !strings.Contains(got, "四川省教育厅（本级）") || !strings.Contains(got, "合计") {
				t.Errorf("report lacks group names or totals: %s", got)
			}
			if screenshots {
				b.shot("report")
			}

			// An import with a bad row imports nothing and says which row.
			bad := filepath.Join(t.TempDir(), "指标.csv")
			if err := os.WriteFile(bad, []byte("year,division,agency,amount\n2026,510000000,104001,abc\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			b.open("/ui/indicator/indicator")
			b.click("import page", "#import", "#import-file")
			b.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{bad}))
			b.click("import", "#import-submit", "#import-rejected")
			if got := b.text("#import-errors"); !strings.Contains(got, "2") || !strings.Contains(got, "指标金额") {
				t.Errorf("the bad row is not listed: %s", got)
			}
			if screenshots {
				b.shot("import-rejected")
			}
			b.logout()

			// A reviewer of the same department finds it waiting and reviews it.
			b.login("reviewer")
			if got := b.text("#inbox-total"); got != "1" {
				t.Errorf("reviewer's inbox: %q, want 1", got)
			}
			if screenshots {
				b.shot("portal")
			}
			b.open(record)
			b.click("review", "#event-review button", "#flash")
			if got := b.text("#record-state"); got != "待预算处复核" {
				t.Fatalf("state after review: %q", got)
			}
			history := b.text("#history")
			for _, want := range []string{"创建", "提交", "审核通过", "clerk", "reviewer"} {
				if !strings.Contains(history, want) {
					t.Errorf("history lacks %q: %s", want, history)
				}
			}
			if screenshots {
				b.shot("record")
				// The same page on a tablet held upright.
				b.do("tablet", chromedp.EmulateViewport(820, 1180))
				b.shot("record-tablet")
				b.do("laptop", chromedp.EmulateViewport(1280, 860))
			}
			b.logout()

			// A clerk of another department sees neither the record nor it in lists.
			b.login("other")
			b.open("/ui/indicator/indicator")
			b.do("other's list", chromedp.WaitVisible(chromedp.CSS("#records")))
			if got := b.text("#records"); strings.Contains(got, "川财教〔2026〕88号") {
				t.Errorf("a clerk of another department sees the record in the list")
			}
			b.open(record)
			b.do("other opens the record", chromedp.WaitVisible(chromedp.CSS("#error-message")))
			if got := b.text("#error-message"); !strings.Contains(got, "未找到") {
				t.Errorf("another department's clerk opening the record: %q", got)
			}
			b.logout()

			// The auditor's page: diagrams, who can do what, findings.
			b.login("auditor")
			b.open("/ui/audit?app=indicator")
			b.do("audit page", chromedp.WaitVisible(chromedp.CSS("figure.diagram img")))
			pollCtx, cancelPoll := context.WithTimeout(ctx, 10*time.Second)
			_, err = chromedp.Run(pollCtx, chromedp.Poll[bool](`Array.from(document.querySelectorAll("figure.diagram img")).every(i => i.complete && i.naturalWidth > 0)`))
			cancelPoll()
			if err != nil {
				t.Errorf("workflow diagrams did not load: %v", err)
			}
			if got := b.text("main"); !strings.Contains(got, "谁能做什么") || !strings.Contains(got, "业务处室经办") {
				t.Errorf("audit page lacks the who-can-do-what matrix: %s", got)
			}
			if screenshots {
				b.shot("audit")
			}
		})
	}
}

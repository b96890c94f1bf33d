package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// payoutForm is a complete payout as a clerk fills in the form.
func payoutForm(amount string) url.Values {
	return url.Values{"village": {"01"}, "year": {"2026"}, "kind": {"cash"}, "person": {"张三"}, "id_number": {"510104199001011234"}, "amount": {amount}}
}

var (
	payoutPath = regexp.MustCompile(`^/ui/aid/payout/(\d+)$`)
	fileLink   = regexp.MustCompile(`href="(/ui/files/\d+)"`)
	pendingID  = regexp.MustCompile(`<input type="hidden" name="evidence" value="(\d+)">`)
)

// File fields through the form, as one multipart post without JavaScript:
// the file is stored and attached, shown with a download link, and refused
// next to the field when the engine refuses it, the rest of the input kept.
func TestFileFields(t *testing.T) {
	p := enginetest.Load(t, aidDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "", "aid.clerk")
		s.addUser(t, "viewer", "", "aid.viewer")
		s.addUser(t, "outsider", "")
		clerk := s.browser(t)
		clerk.login("clerk")

		form := clerk.get("/ui/aid/payout/new")
		form.want(t, "new form", 200, `enctype="multipart/form-data"`, `type="file" id="f-evidence" name="_file.evidence" accept=".pdf,.txt"`, "可上传 pdf、txt 文件，不超过 2 KB")

		refusals := []struct {
			name string
			file upload
			want string
		}{
			{"too large for the field", upload{"_file.evidence", "大文件.txt", "text/plain", []byte(strings.Repeat("证", 1024))}, "超过证明材料的上限 2 KB"},
			{"a type the field does not take", upload{"_file.evidence", "照片.png", "image/png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")}, "类型不符合证明材料的要求"},
			{"content unlike its extension", upload{"_file.evidence", "假的.pdf", "application/pdf", []byte("not a pdf at all")}, "与扩展名 .pdf 不符"},
		}
		for _, sc := range refusals {
			bad := clerk.postMultipart("/ui/aid/payout/new", payoutForm("100.00"), sc.file)
			bad.want(t, sc.name, http.StatusUnprocessableEntity, `value="510104199001011234"`, `value="100.00"`)
			if field := bad.section("field-evidence"); !strings.Contains(field, sc.want) || strings.Contains(field, `type="hidden" name="evidence"`) {
				t.Errorf("%s: the field shows %s", sc.name, field)
			}
		}

		// Another field refused: the stored file stays in the form, so the
		// user need not choose it again.
		evidence := upload{"_file.evidence", "证明.txt", "text/plain", []byte("村委会证明：张三已领取。")}
		bad := clerk.postMultipart("/ui/aid/payout/new", payoutForm("0"), evidence)
		bad.want(t, "amount refused", http.StatusUnprocessableEntity, "金额应大于零", "证明.txt", "已上传，保存后生效")
		m := pendingID.FindStringSubmatch(bad.section("field-evidence"))
		if m == nil {
			t.Fatalf("the uploaded file is not kept in the form: %s", bad.section("field-evidence"))
		}
		fixed := payoutForm("100.00")
		fixed.Set("evidence", m[1])
		fixed.Set("_idempotency", "payout-1")
		created := clerk.postMultipart("/ui/aid/payout/new", fixed, upload{field: "_file.evidence"})
		if created.status != http.StatusSeeOther || !payoutPath.MatchString(created.location) {
			t.Fatalf("create with the kept file: %d %s %s", created.status, created.location, excerpt(created.body))
		}
		rec := created.location
		page := clerk.get(rec)
		page.want(t, "record page", 200, "证明.txt", `href="/ui/files/`+m[1]+`"`)
		clerk.get("/ui/aid/payout").want(t, "list shows the file's name", 200, "证明.txt")

		download := clerk.get("/ui/files/" + m[1])
		download.want(t, "download", 200, "村委会证明：张三已领取。")
		if cd := download.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''") {
			t.Errorf("Content-Disposition %q", cd)
		}
		if csp := download.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("a download without a sandbox: %q", csp)
		}

		// Whoever may read the record may download its file; anyone else
		// finds nothing.
		viewer := s.browser(t)
		viewer.login("viewer")
		viewer.get("/ui/files/"+m[1]).want(t, "viewer downloads", 200, "村委会证明")
		outsider := s.browser(t)
		outsider.login("outsider")
		outsider.get("/ui/files/"+m[1]).want(t, "outsider", http.StatusNotFound)
		outsider.get("/ui/files/abc").want(t, "not an id", http.StatusNotFound)

		// The edit form shows the file; another replaces it; removing clears it.
		edit := clerk.get(rec + "/edit")
		edit.want(t, "edit form", 200, `href="/ui/files/`+m[1]+`"`, `name="_remove.evidence"`)
		edit.lacks(t, "edit form", "已上传，保存后生效")
		replaced := clerk.postMultipart(rec+"/edit", url.Values{"_version": {"1"}, "evidence": {m[1]}, "amount": {"100.00"}, "village": {"01"}, "year": {"2026"}},
			upload{"_file.evidence", "新证明.pdf", "application/pdf", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")})
		replaced.want(t, "replace the file", http.StatusSeeOther)
		page = clerk.get(rec)
		page.want(t, "record after replacing", 200, "新证明.pdf")
		if l := fileLink.FindStringSubmatch(page.body); l == nil || l[1] == "/ui/files/"+m[1] {
			t.Errorf("the record still links the old file: %v", l)
		}
		clerk.get(rec + "/edit")
		removed := clerk.postMultipart(rec+"/edit", url.Values{"_version": {"2"}, "evidence": {"1"}, "_remove.evidence": {"1"}, "amount": {"100.00"}, "village": {"01"}, "year": {"2026"}})
		removed.want(t, "remove the file", http.StatusSeeOther)
		id := payoutPath.FindStringSubmatch(rec)[1]
		after, err := s.rt.Get(context.Background(), engine.SystemActor, "aid", "payout", mustInt(t, id))
		if err != nil {
			t.Fatal(err)
		}
		if after.Values["evidence"] != nil {
			t.Errorf("evidence after removing: %v", after.Values["evidence"])
		}

		// Someone else's file id posted by hand is refused by the engine, and
		// the form does not tell its name.
		other := s.browser(t)
		s.addUser(t, "clerk2", "", "aid.clerk")
		other.login("clerk2")
		other.get("/ui/aid/payout/new")
		stolen := payoutForm("5.00")
		stolen.Set("id_number", "510104199001011235")
		uploaded := clerk.postMultipart("/ui/aid/payout/new", payoutForm("0"), upload{"_file.evidence", "私人.txt", "text/plain", []byte("私人文件")})
		pm := pendingID.FindStringSubmatch(uploaded.body)
		if pm == nil {
			t.Fatalf("no pending file: %s", excerpt(uploaded.body))
		}
		stolen.Set("evidence", pm[1])
		refused := other.postMultipart("/ui/aid/payout/new", stolen)
		refused.want(t, "someone else's file", http.StatusUnprocessableEntity, "不存在或不是您上传的")
		refused.lacks(t, "someone else's file", "私人.txt")
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

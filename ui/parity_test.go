package ui_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var fieldErrorsHTML = regexp.MustCompile(`(?s)id="f-([a-z0-9_]+)-errors"[^>]*>(.*?)</ul>`)
var listItem = regexp.MustCompile(`(?s)<li>(.*?)</li>`)

// formErrors reads the messages shown next to each field of a form page.
func formErrors(body string) map[string][]string {
	out := map[string][]string{}
	for _, m := range fieldErrorsHTML.FindAllStringSubmatch(body, -1) {
		for _, li := range listItem.FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], html.UnescapeString(strings.TrimSpace(li[1])))
		}
	}
	return out
}

// apiErrors posts input to the REST API with the browser's session and
// returns the messages of the error's fields.
func (b *browser) apiErrors(path string, input map[string]any) (int, map[string][]string) {
	b.t.Helper()
	body, _ := json.Marshal(input)
	req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.s.app.Test(req, -1)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Error struct {
			Fields map[string][]string `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out.Error.Fields
}

// A form post and an API call with the same input are refused for the same
// reasons, with the same messages against the same fields: one code path.
func TestFormsAndAPIRefuseAlike(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	s := startServer(t, engine.SQLite, p)
	s.addUser(t, "clerk", "104", "indicator.division_clerk")
	b := s.browser(t)
	b.login("clerk")
	scenarios := []struct {
		name  string
		field string
		value string
	}{
		{"zero amount", "amount", "0"},
		{"three decimals", "amount", "1.005"},
		{"branch functional class", "func_class", "20502"},
		{"unknown code", "gov_econ", "99999"},
		{"year out of range", "year", "1999"},
		{"department instead of agency", "agency", "104"},
		{"mismatched economic classes", "dept_econ", "30101"},
	}
	for _, sc := range scenarios {
		form := indicatorForm("100.00")
		form.Set(sc.field, sc.value)
		b.get("/ui/indicator/indicator/new")
		page := b.post("/ui/indicator/indicator/new", form)
		input := map[string]any{}
		for k := range form {
			if k != "_csrf" {
				input[k] = form.Get(k)
			}
		}
		status, api := b.apiErrors("/api/indicator/indicator", input)
		if page.status != status {
			t.Errorf("%s: form answered %d, API %d", sc.name, page.status, status)
		}
		got := formErrors(page.body)
		if len(api[sc.field]) == 0 {
			t.Errorf("%s: the API reports nothing against %s: %v", sc.name, sc.field, api)
		}
		for field, msgs := range api {
			if !slices.Equal(got[field], msgs) {
				t.Errorf("%s: %s: form shows %q, API says %q", sc.name, field, got[field], msgs)
			}
		}
		if len(got) != len(api) {
			t.Errorf("%s: form shows errors on %v, API on %v", sc.name, got, api)
		}
	}
}

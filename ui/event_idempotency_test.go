package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var submitKey = regexp.MustCompile(`id="event-submit">\s*<input type="hidden" name="_csrf" value="[^"]*">\s*<input type="hidden" name="_idempotency" value="([^"]+)">`)

// TestEventButtonTwice: an event button pressed twice (a double click, a
// resent form) fires the event once: the second post carries the same form
// key and is answered like the first.
func TestEventButtonTwice(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")
		clerk := s.browser(t)
		clerk.login("clerk")
		created := clerk.post("/ui/indicator/indicator/new", indicatorForm("1,000.00"))
		m := recordPath.FindStringSubmatch(created.location)
		if created.status != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %q %s", created.status, created.location, excerpt(created.body))
		}
		rec := created.location
		key := submitKey.FindStringSubmatch(clerk.get(rec).body)
		if key == nil {
			t.Fatal("the submit button's form has no _idempotency key")
		}
		form := url.Values{"_idempotency": {key[1]}}
		clerk.post(rec+"/events/submit", form).want(t, "submit", http.StatusSeeOther)
		clerk.post(rec+"/events/submit", form).want(t, "submit again with the same form", http.StatusSeeOther)
		id, _ := strconv.ParseInt(m[1], 10, 64)
		h := enginetest.Must(s.rt.History(context.Background(), engine.SystemActor, "indicator", "indicator", id))
		if len(h.Items) != 2 || h.Items[1].Event != "submit" {
			t.Fatalf("history %+v, want the creation and one submit", h.Items)
		}
	})
}

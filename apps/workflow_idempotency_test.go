package apps_test

import (
	"fmt"
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestEventIdempotencyKey: an event sent again with its Idempotency-Key is
// answered with the record as the first request left it and fires nothing
// (one history row); the same key with another body, or on another record,
// is refused with 422 idempotency_key_reused.
func TestEventIdempotencyKey(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app, _ := grStart(t, d, p)
		clerk := actingAs("ind-clerk-104", "indicator.division_clerk", "104")
		first := grCreate(t, app, "indicator", "/api/indicator/indicator", validIndicator(), clerk)
		second := grCreate(t, app, "another indicator", "/api/indicator/indicator", validIndicator(), clerk)
		keyed := map[string]string{"Idempotency-Key": "submit-1"}
		for k, v := range clerk {
			keyed[k] = v
		}
		path := func(id int64) string { return fmt.Sprintf("/api/indicator/indicator/%d", id) }
		submit := map[string]any{"comment": "请审核"}
		for _, sc := range []apitest.Scenario{
			{Name: "submit with a key", Method: "POST", Path: path(first) + "/events/submit", Body: submit, Headers: keyed, Status: 200,
				Want: map[string]any{"state": "submitted", "version": 2}},
			{Name: "the same request again", Method: "POST", Path: path(first) + "/events/submit", Body: submit, Headers: keyed, Status: 200,
				Want: map[string]any{"state": "submitted", "version": 2}},
			{Name: "one submit in the history", Method: "GET", Path: path(first) + "/history", Headers: clerk, Status: 200,
				Want: map[string]any{"items.#": 2, "items.1.event": "submit", "items.1.comment": "请审核"}},
			{Name: "the key with another comment", Method: "POST", Path: path(first) + "/events/submit", Body: map[string]any{"comment": "另一意见"}, Headers: keyed, Status: 422,
				Want: map[string]any{"error.code": "idempotency_key_reused"}},
			{Name: "the key on another record", Method: "POST", Path: path(second) + "/events/submit", Body: submit, Headers: keyed, Status: 422,
				Want: map[string]any{"error.code": "idempotency_key_reused"}},
			{Name: "the other record is still a draft", Method: "GET", Path: path(second), Headers: clerk, Status: 200,
				Want: map[string]any{"state": "draft"}},
		} {
			apitest.Run(t, app, sc)
		}
	})
}

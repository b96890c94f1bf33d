package apps_test

import (
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// /healthz says what is not working while the server still serves: the
// exchange's broker being down degrades the server, it does not stop it.
func TestHealthzReportsDegradedParts(t *testing.T) {
	rt := enginetest.Start(t, engine.SQLite, enginetest.Load(t, map[string]string{"a/app.yaml": "entities:\n  e:\n    fields: {x: string}\n"}), engine.OpenAccess{})
	var brokerErr error
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Health: map[string]func() error{"exchange": func() error { return brokerErr }}})
	if err != nil {
		t.Fatal(err)
	}
	get := func() (int, string) {
		resp, err := app.Test(httptest.NewRequest("GET", "/healthz", nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get(); status != 200 || body != "ok" {
		t.Errorf("healthy: %d %q", status, body)
	}
	brokerErr = errors.New("broker unreachable")
	if status, body := get(); status != 200 || body != "degraded\nexchange: broker unreachable\n" {
		t.Errorf("broker down: %d %q", status, body)
	}
}

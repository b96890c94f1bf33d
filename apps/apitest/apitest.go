// Package apitest drives a fiber app in tests the way a client would: a
// scenario is a method, a path, a body and headers; the check is the status
// and a few JSON fields named by dotted paths ("items.0.amount", "items.#"
// for a length, "error.fields.amount.0").
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// Scenario is one request and what a user would check of its answer.
type Scenario struct {
	Name    string
	Method  string
	Path    string
	Body    any // a string is sent as is; anything else as JSON
	Headers map[string]string
	Status  int
	// Want maps dotted JSON paths to expected values (compared as JSON text:
	// "1234.56" for a string, 3 for a number, true, nil for null).
	Want map[string]any
}

// Run sends the scenario's request and checks the answer; it returns the
// decoded JSON body (nil when the body is not JSON).
func Run(t testing.TB, app *fiber.App, sc Scenario) any {
	t.Helper()
	status, body, raw := Do(t, app, sc.Method, sc.Path, sc.Body, sc.Headers)
	if sc.Status != 0 && status != sc.Status {
		t.Fatalf("%s %s %s: status %d, want %d; body: %s", sc.Name, sc.Method, sc.Path, status, sc.Status, raw)
	}
	for path, want := range sc.Want {
		got, ok := Get(body, path)
		if !ok {
			t.Errorf("%s: %s is missing; body: %s", sc.Name, path, raw)
			continue
		}
		if !Equal(got, want) {
			t.Errorf("%s: %s = %s, want %s; body: %s", sc.Name, path, jsonText(got), jsonText(want), raw)
		}
	}
	return body
}

// Do sends one request through app.Test and decodes a JSON answer.
func Do(t testing.TB, app *fiber.App, method, path string, body any, headers map[string]string) (int, any, string) {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, reader)
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var decoded any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&decoded); err != nil {
		decoded = nil
	}
	return resp.StatusCode, decoded, string(raw)
}

// Get follows a dotted path into decoded JSON; "#" is a list's length.
func Get(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for _, part := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			if part == "#" {
				return json.Number(strconv.Itoa(len(node))), true
			}
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Equal compares decoded JSON with an expected Go value by their JSON text.
func Equal(got, want any) bool { return jsonText(got) == jsonText(want) }

func jsonText(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

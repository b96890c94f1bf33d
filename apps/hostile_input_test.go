package apps_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

var hostileDefs = map[string]string{"notes/app.yaml": `
app: notes
title: 记事
entities:
  note:
    title: 记事
    fields:
      title: {type: string, max_length: 50, label: 标题}
      body:  {type: text, label: 正文}
      due:   {type: date, label: 到期日}
      at:    {type: datetime, label: 时间}
workflows:
  note:
    entity: note
    initial: draft
    states: [draft, done]
    final: [done]
    transitions:
      - {event: finish, from: [draft], to: done}
`}

// TestHostileInputSameOnBothDatabases: inputs that PostgreSQL cannot store or
// compute (a NUL byte in text, year 0 and year 10000, an offset past int64)
// are refused with the same 4xx on both databases, naming what was wrong,
// where they used to be 500 on PostgreSQL only; the ends of the accepted
// ranges are accepted on both.
func TestHostileInputSameOnBothDatabases(t *testing.T) {
	p := enginetest.Load(t, hostileDefs)
	q := url.QueryEscape
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		app := startShipped(t, d, p)
		apitest.Run(t, app, apitest.Scenario{Name: "a note", Method: "POST", Path: "/api/notes/note", Body: `{"title": "x"}`, Status: 201})
		for _, sc := range []apitest.Scenario{
			{Name: "NUL in a string field", Method: "POST", Path: "/api/notes/note", Body: `{"title": "a\u0000b"}`, Status: 422,
				Want: map[string]any{"error.field_codes.title.0": "nul_character"}},
			{Name: "NUL in a text field", Method: "POST", Path: "/api/notes/note", Body: `{"body": "\u0000"}`, Status: 422,
				Want: map[string]any{"error.field_codes.body.0": "nul_character"}},
			{Name: "NUL in an update", Method: "PATCH", Path: "/api/notes/note/1", Body: `{"version": 1, "body": "x\u0000"}`, Status: 422,
				Want: map[string]any{"error.field_codes.body.0": "nul_character"}},
			{Name: "NUL in an event comment", Method: "POST", Path: "/api/notes/note/1/events/finish", Body: `{"comment": "ok\u0000"}`, Status: 422,
				Want: map[string]any{"error.field_codes.comment.0": "nul_character"}},
			{Name: "year 0", Method: "POST", Path: "/api/notes/note", Body: `{"due": "0000-01-01"}`, Status: 422,
				Want: map[string]any{"error.field_codes.due.0": "out_of_range"}},
			{Name: "year 0 as an instant", Method: "POST", Path: "/api/notes/note", Body: `{"at": "0001-01-01T00:00:00+08:00"}`, Status: 422,
				Want: map[string]any{"error.field_codes.at.0": "out_of_range"}},
			{Name: "first day accepted", Method: "POST", Path: "/api/notes/note", Body: `{"due": "0001-01-01", "at": "0001-01-01T00:00:00Z"}`, Status: 201,
				Want: map[string]any{"due": "0001-01-01", "at": "0001-01-01T00:00:00Z"}},
			{Name: "last day accepted", Method: "POST", Path: "/api/notes/note", Body: `{"due": "9999-12-31", "at": "9999-12-31T23:59:59Z"}`, Status: 201,
				Want: map[string]any{"due": "9999-12-31"}},
			{Name: "NUL in a filter", Method: "GET", Path: "/api/notes/note?filter=" + q("title = 'a\x00'"), Status: 400,
				Want: map[string]any{"error.code": "malformed"}},
			{Name: "NUL in a filter on a system column", Method: "GET", Path: "/api/notes/note?filter=" + q("created_by = '\x00'"), Status: 400},
			{Name: "year 0 in a filter", Method: "GET", Path: "/api/notes/note?filter=" + q("due > '0000-01-01'"), Status: 400},
			{Name: "year 0 on a system column", Method: "GET", Path: "/api/notes/note?filter=" + q("created_at > '0000-01-01T00:00:00Z'"), Status: 400},
			{Name: "a huge page", Method: "GET", Path: "/api/notes/note?page=461168601842738792", Status: 400,
				Want: map[string]any{"error.code": "malformed"}},
			{Name: "the last page allowed", Method: "GET", Path: fmt.Sprintf("/api/notes/note?page=%d", engine.MaxPage), Status: 200, Want: map[string]any{"items.#": 0}},
			{Name: "one page more", Method: "GET", Path: fmt.Sprintf("/api/notes/note?page=%d", engine.MaxPage+1), Status: 400},
			{Name: "the note is untouched", Method: "GET", Path: "/api/notes/note/1", Status: 200, Want: map[string]any{"version": 1, "body": nil, "state": "draft"}},
		} {
			apitest.Run(t, app, sc)
		}
	})
}

// TestHostileLoginSameOnBothDatabases: a login name PostgreSQL could not
// store (NUL, invalid UTF-8) fails as an unknown name does, on both
// databases, and a display name with a NUL byte is refused.
func TestHostileLoginSameOnBothDatabases(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startAuthServer(t, d, p)
		s.addUser("clerk1", "101001", "grants.clerk")
		for _, name := range []string{"clerk1\x00", "\x00", "clerk\xff1"} {
			apitest.Run(t, s.app, apitest.Scenario{Name: fmt.Sprintf("login as %q", name), Method: "POST", Path: "/api/auth/login",
				Body: map[string]any{"username": name, "password": "clerk1-password"}, Status: 401, Want: map[string]any{"error.code": "unauthorized"}})
		}
		s.login("clerk1")
	})
}

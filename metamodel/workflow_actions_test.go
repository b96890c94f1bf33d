package metamodel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadText loads one app folder "app1" holding app.yaml.
func loadText(t *testing.T, text string) (*Project, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "app1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app1", "app.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(dir)
}

const numberApp = `app: app1
entities:
  claim:
    fields:
      year: {type: int}
      agency: {type: string}
      amount: {type: money}
      no: {type: string, readonly: true}
workflows:
  claim:
    entity: claim
    initial: draft
    states: [draft, done]
    final: [done]
    transitions:
      - event: finish
        from: draft
        to: done
        number: NUMBER
`

func TestNumberActionChecks(t *testing.T) {
	scenarios := []struct {
		name   string
		number string
		want   string // a problem's text, with its line:col; "" for none
	}{
		{"field, year counter", `{field: no, format: "ZF{year}{seq:6}", per: [year]}`, ""},
		{"date parts and two per values", `{field: no, format: "{agency}-{yyyy}{mm}-{seq}", per: [agency, yyyy]}`, ""},
		{"missing field", `{format: "{seq}"}`, "app1/app.yaml:19:17: workflow claim: transition finish: number needs field"},
		{"unknown field", `{field: nr, format: "{seq}"}`, `19:25: workflow claim: transition finish: number: field "nr" is not a field of entity claim (did you mean no?)`},
		{"not a string field", `{field: amount, format: "{seq}"}`, "number: field amount is a money field; numbers are stamped into string fields"},
		{"no counter", `{field: no, format: "ZF{year}"}`, `must hold the counter {seq} (or {seq:N}) exactly once, found 0`},
		{"two counters", `{field: no, format: "{seq}{seq:2}"}`, `exactly once, found 2`},
		{"bad width", `{field: no, format: "{seq:x}"}`, `{seq:x}: the counter's width is a whole number from 1 to 18`},
		{"unknown placeholder", `{field: no, format: "{yaer}{seq}"}`, `{yaer} is neither a field of entity claim nor one of seq, seq:N, yyyy, yy, mm, dd (did you mean year?)`},
		{"money in the number", `{field: no, format: "{amount}{seq}"}`, `{amount} is a money field`},
		{"per not shown", `{field: no, format: "{seq}", per: [year]}`, `19:52: workflow claim: transition finish: number: per names "year", which format "{seq}" does not show`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			p, err := loadText(t, strings.Replace(numberApp, "NUMBER", sc.number, 1))
			if sc.want == "" {
				if err != nil {
					t.Fatalf("want no problem, got:\n%v", err)
				}
				n := p.App("app1").Workflow("claim").Transitions[0].Number
				if n.Target == nil || len(n.PerRef) != len(n.Per) {
					t.Errorf("number not resolved: %+v", n)
				}
				return
			}
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("want a problem %q, got %v", sc.want, err)
			}
			if !strings.Contains(de.Error(), sc.want) {
				t.Errorf("problems:\n%v\nwant one containing %q", de, sc.want)
			}
		})
	}
}

func TestNumberRender(t *testing.T) {
	p, err := loadText(t, strings.Replace(numberApp, "NUMBER", `{field: no, format: "ZF{year}-{agency}{seq:4}", per: [year]}`, 1))
	if err != nil {
		t.Fatal(err)
	}
	n := p.App("app1").Workflow("claim").Transitions[0].Number
	value := func(part NumberPart) string {
		return map[string]string{"year": "2026", "agency": "101001"}[part.Name()]
	}
	scenarios := []struct {
		seq  int64
		want string
	}{{1, "ZF2026-1010010001"}, {12345, "ZF2026-10100112345"}}
	for _, sc := range scenarios {
		if got := n.Render(value, sc.seq); got != sc.want {
			t.Errorf("Render(%d) = %q, want %q", sc.seq, got, sc.want)
		}
	}
	if got, want := n.CounterName(value), "app1.claim.no|year=2026"; got != want {
		t.Errorf("counter = %q, want %q", got, want)
	}
}

func TestEventFromOneStateOnce(t *testing.T) {
	_, err := loadText(t, `app: app1
entities:
  claim:
    fields: {amount: money}
workflows:
  claim:
    entity: claim
    initial: draft
    states: [draft, a, b]
    final: [a, b]
    transitions:
      - {event: go, from: draft, to: a}
      - {event: go, from: [draft], to: b}
`)
	want := "app1/app.yaml:13:28: workflow claim: event go fires from state draft in two transitions (the other at app1/app.yaml:12:9)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

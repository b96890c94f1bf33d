package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// TestScopeImplied: which filters make the data scope's condition redundant,
// so that a list leaves it out of its SQL (and which never do).
func TestScopeImplied(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	app := `
app: a
title: A
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 甲}
      - {code: "101001", name: 甲本级, parent: "101"}
      - {code: "102", name: 乙}
      - {code: "102001", name: 乙本级, parent: "102"}
entities:
  item:
    title: 记录
    org_field: agency
    fields:
      agency: {type: code, codeset: org, required: true, label: 单位}
      other:  {type: code, codeset: org, label: 另一单位}
`
	if err := os.WriteFile(filepath.Join(dir, "a", "app.yaml"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := metamodel.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := p.Apps[0].Entities[0]
	str := func(s string) filter.Value { return filter.Value{Kind: filter.String, Text: s} }
	scopes := map[string]filter.Node{
		"own_org": &filter.Compare{Field: "agency", Op: filter.Eq, Value: str("101001")},
		"prefix":  &filter.Prefix{Field: "agency", Code: "101"},
		"like":    &filter.Like{Field: "agency", Pattern: str(`101%`)},
		"under":   &filter.Under{Field: "agency", Code: str("101")},
	}
	scenarios := []struct {
		scope, filter string
		want          bool
	}{
		{"own_org", "agency = '101001'", true},
		{"own_org", "agency = '101'", false},
		{"own_org", "agency under '101001'", false},
		{"prefix", "agency = '101001'", true},
		{"prefix", "year = 2026 and agency = '101001'", true},
		{"prefix", "agency = '102001'", false},
		{"prefix", "other = '101001'", false},
		{"prefix", "agency = '101001' or agency = '102001'", false},
		{"prefix", "not (agency = '102001')", false},
		{"prefix", "agency != '102001'", false},
		{"prefix", "agency under '101'", false},
		{"like", "agency = '101001'", true},
		{"like", "agency = '102001'", false},
		{"under", "agency = '101001'", true},
		{"under", "agency under '101'", true},
		{"under", "agency under '102'", false},
		{"under", "agency = 'nonesuch'", false},
		{"under", "", false},
	}
	for _, sc := range scenarios {
		var node filter.Node
		if sc.filter != "" {
			if node, err = filter.Parse(sc.filter); err != nil {
				t.Fatal(err)
			}
		}
		if got := scopeImplied(node, scopes[sc.scope], e); got != sc.want {
			t.Errorf("scope %s, filter %q: implied = %v, want %v", sc.scope, sc.filter, got, sc.want)
		}
	}
	if _, ok := likePrefix(`10\%1%`); !ok {
		t.Error(`likePrefix(10\%1%) refused an escaped %`)
	}
	for _, pattern := range []string{`10%1%`, `10_%`, `101`, `101\%`} {
		if _, ok := likePrefix(pattern); ok {
			t.Errorf("likePrefix(%q) took a pattern that is not a plain prefix", pattern)
		}
	}
}

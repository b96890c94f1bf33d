package apps_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/growth-gov/growth/apps/apitest"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// TestOpenAPIShowsWhatTheCallerMaySee: /api/openapi.json names no field
// hidden from some role to a caller without a login, and names to a
// logged-in caller exactly the fields their roles may see. The shipped
// payroll hides the contribution base and each deduction of a payroll line
// from the bank: an anonymous caller and the bank learn neither their names
// nor, through the expression of the visible deductions total, that they
// exist; the payroll clerk, who may see them, finds them described.
func TestOpenAPIShowsWhatTheCallerMaySee(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	app, _ := grStart(t, engine.SQLite, p)
	line := func(headers map[string]string) (props map[string]any, raw string) {
		t.Helper()
		status, _, raw := apitest.Do(t, app, "GET", "/api/openapi.json", nil, headers)
		if status != 200 {
			t.Fatalf("status %d: %s", status, raw)
		}
		var doc struct {
			Components struct {
				Schemas map[string]struct {
					Properties map[string]any `json:"properties"`
				} `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal([]byte(raw), &doc); err != nil {
			t.Fatal(err)
		}
		s, ok := doc.Components.Schemas["payroll.line"]
		if !ok {
			t.Fatalf("no payroll.line schema")
		}
		return s.Properties, raw
	}
	hidden := []string{"contribution_base", "pension", "annuity", "medical", "housing_fund", "income_tax", "other_deduction"}
	for _, c := range []struct {
		who     string
		headers map[string]string
		sees    bool
	}{
		{"a caller without a login", nil, false},
		{"the bank", actingAs("bank-1", "payroll.bank", ""), false},
		{"the payroll clerk", actingAs("clerk-1", "payroll.agency_clerk", "101001"), true},
	} {
		props, raw := line(c.headers)
		for _, f := range hidden {
			if _, ok := props[f]; ok != c.sees {
				t.Errorf("%s: payroll.line.%s described = %v, want %v", c.who, f, ok, c.sees)
			}
		}
		for _, f := range []string{"net", "deductions", "gross"} {
			if _, ok := props[f]; !ok {
				t.Errorf("%s: payroll.line.%s is not described", c.who, f)
			}
		}
		deductions, _ := json.Marshal(props["deductions"])
		if strings.Contains(string(deductions), "pension") != c.sees {
			t.Errorf("%s: the deductions total's description names the pension: %s", c.who, deductions)
		}
		if !c.sees && strings.Contains(raw, `"other_deduction"`) {
			t.Errorf("%s: the document names other_deduction somewhere", c.who)
		}
	}
}

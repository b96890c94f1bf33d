package openapi

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestReportSchemas(t *testing.T) {
	data, doc := generate(t, loadProject(t, fundApp))
	validate(t, data)
	row := at(t, doc, "components", "schemas", "fund.grants.ReportRow")
	scenarios := []struct {
		column string
		want   map[string]any
		not    []string
	}{
		{"agency", map[string]any{"type": "string", "nullable": true}, nil},
		{"opened", map[string]any{"type": "string", "format": "date", "nullable": true}, nil},
		{"n", map[string]any{"type": "integer", "title": "笔数"}, []string{"nullable"}},
		{"total", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,2})?$`, "nullable": true}, nil},
		{"top_rate", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,4})?$`, "nullable": true}, nil},
		{"first", map[string]any{"type": "string", "nullable": true}, []string{"format"}},
		{"free", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,2})?$`}, []string{"nullable"}},
		{"share", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,1})?$`, "nullable": true}, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.column, func(t *testing.T) {
			prop := at(t, row, "properties", sc.column)
			for k, want := range sc.want {
				if got := prop[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
			for _, k := range sc.not {
				if v, ok := prop[k]; ok {
					t.Errorf("%s = %#v, want it absent", k, v)
				}
			}
		})
	}
	if got, want := stringList(row["required"]), []string{"agency", "opened", "n", "total", "top_rate", "first", "free", "share"}; !slices.Equal(got, want) {
		t.Errorf("required = %v, want every column %v", got, want)
	}
	if _, has := at(t, row, "properties")["_labels"]; has {
		t.Error("a row grouped by a string and a date has _labels")
	}
	spends := at(t, doc, "components", "schemas", "fund.spends.ReportRow", "properties")
	if at(t, spends, "pieces")["type"] != "integer" || at(t, spends, "average")["pattern"] != `^-?[0-9]+(\.[0-9]{1,2})?$` {
		t.Errorf("the sum of an int field is not an integer, or an expression not a 2-decimal string: %v", spends)
	}
	report := at(t, doc, "components", "schemas", "fund.grants.Report")
	if got := stringList(report["required"]); !slices.Equal(got, []string{"report", "title", "columns", "rows", "totals"}) {
		t.Errorf("report required = %v", got)
	}

	paths := at(t, doc, "paths")
	for _, sc := range []struct {
		path, operationID, filter string
		public                    bool
	}{
		{"/api/reports/fund/grants", "report_fund_grants", "`agency`, `amount`", false},
		{"/api/public/reports/fund/grants", "public_report_fund_grants", "`agency`", true},
		{"/api/reports/fund/spends", "report_fund_spends", "declares no filters", false},
	} {
		op := at(t, paths, sc.path, "get")
		if op["operationId"] != sc.operationID {
			t.Errorf("%s: operationId %v, want %s", sc.path, op["operationId"], sc.operationID)
		}
		filter := op["parameters"].([]any)[0].(map[string]any)["description"].(string)
		if !strings.Contains(filter, sc.filter) {
			t.Errorf("%s: filter description %q does not say %q", sc.path, filter, sc.filter)
		}
		if security, has := op["security"].([]any); sc.public != (has && len(security) == 0) {
			t.Errorf("%s: security %v, want public %v", sc.path, op["security"], sc.public)
		}
		content := at(t, op, "responses", "200", "content", "application/json", "schema")
		if !strings.HasSuffix(content["$ref"].(string), ".Report") {
			t.Errorf("%s: answers %v", sc.path, content)
		}
	}
	if _, has := paths["/api/public/reports/fund/spends"]; has {
		t.Error("a report that is not public has a public path")
	}
}

package openapi

import (
	"slices"
	"testing"
)

var attachApp = map[string]string{"aid/app.yaml": `
app: aid
title: 救灾
entities:
  batch:
    title: 批次
    fields:
      month: string
      total: money
      scan:  {type: file, label: 扫描件, max_size: 2MB, types: [pdf]}
  line:
    fields:
      batch: {type: ref, entity: batch}
      net:   money
exports:
  bank:
    title: 银行文件
    entity: batch
    lines: {entity: line, via: batch}
    format: fixed
    encoding: gbk
    columns: [{title: 金额, expr: "line.net", width: 12}]
    total: {expr: "line.net", equals: total}
  list:
    entity: batch
    columns: [{expr: "record.month"}]
reports:
  disclosure:
    title: 公示
    public: true
    entity: line
    group_by: [batch]
    measures: [{name: total, agg: sum, field: net}]
  internal:
    entity: line
    measures: [{name: n, agg: count}]
`}

func TestFileExportAndPublicReportPaths(t *testing.T) {
	data, doc := generate(t, loadProject(t, attachApp))
	validate(t, data)
	paths := at(t, doc, "paths")
	scenarios := []struct {
		path, method, operationID string
		public                    bool
	}{
		{"/api/files", "post", "upload_file", false},
		{"/api/files/{id}", "get", "download_file", false},
		{"/api/aid/batch/{id}/exports/{name}", "get", "export_aid_batch", false},
		{"/api/public/reports/aid/disclosure", "get", "public_report_aid_disclosure", true},
	}
	for _, sc := range scenarios {
		op := at(t, paths, sc.path, sc.method)
		if op["operationId"] != sc.operationID {
			t.Errorf("%s %s: operationId %v", sc.method, sc.path, op["operationId"])
		}
		security, has := op["security"].([]any)
		if sc.public != (has && len(security) == 0) {
			t.Errorf("%s %s: security %v, want public %v", sc.method, sc.path, op["security"], sc.public)
		}
	}
	if _, listed := paths["/api/public/reports/aid/internal"]; listed {
		t.Error("a report that is not public is listed as public")
	}
	names := at(t, paths, "/api/aid/batch/{id}/exports/{name}", "get")["parameters"].([]any)[0].(map[string]any)["schema"].(map[string]any)["enum"]
	if got := stringList(names); !slices.Equal(got, []string{"bank", "list"}) {
		t.Errorf("export names %v", got)
	}
	record := at(t, doc, "components", "schemas", "aid.batch", "properties")
	if scan := record["scan"].(map[string]any); scan["type"] != "integer" || scan["description"] != "The id of a file uploaded with POST /api/files; the record's _files describes it (at most 2 MB; types pdf)." {
		t.Errorf("file field schema %v", scan)
	}
	if files := at(t, record, "_files", "properties"); files["scan"] == nil {
		t.Errorf("_files %v", files)
	}
	if _, has := at(t, doc, "components", "schemas", "aid.line", "properties")["_files"]; has {
		t.Error("an entity without file fields has _files")
	}
}

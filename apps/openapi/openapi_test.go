package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/growth-gov/growth/metamodel"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// payApp is a small app with an entity of every field type, a workflow and a
// code set, and a second entity without a workflow.
var payApp = map[string]string{
	"pay/app.yaml": `
app: pay
title: 支付
title_en: Payments
description: 国库集中支付。
codesets:
  agency:
    title: 预算单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 财政厅}
      - {code: "101001", name: 财政厅本级, parent: "101"}
roles:
  clerk: {title: 经办, scope: own_org, can: {payment: [create, read, update, submit]}}
  treasury: {title: 国库, scope: all, can: {payment: [read, approve, reject]}}
`,
	"pay/entities.yaml": `
entities:
  project:
    title: 项目
    fields:
      code: {type: string, label: 项目编码, required: true, max_length: 32, pattern: "[0-9A-Z]+"}
  payment:
    title: 支付申请
    description: 一笔支付申请。
    org_field: agency
    year_field: year
    filters: [year, agency]
    fields:
      year:      {type: int, label: 年度, required: true, min: 2000, max: 2100}
      agency:    {type: code, codeset: agency, label: 预算单位, required: true, leaf_only: true}
      project:   {type: ref, entity: project, label: 项目}
      payee:     {type: string, label: 收款人, required: true, max_length: 100, help: 收款人全称}
      uscc:      {type: string, pattern: "[0-9A-Z]{18}"}
      purpose:   {type: text}
      amount:    {type: money, label: 金额, required: true, min: "0.01"}
      rate:      {type: decimal, scale: 4, default: "0.0325"}
      fee:       {type: computed, expr: "round_to(amount * rate, 2)"}
      years:     {type: computed, returns: int, expr: "year - 2000"}
      pay_date:  {type: date}
      signed_at: {type: datetime, readonly: true}
      urgent:    {type: bool, default: false}
      approvals: {type: int, readonly: true, default: 0}
      method:
        type: enum
        label: 支付方式
        required: true
        default: direct
        values:
          - {value: direct, label: 直接支付}
          - {value: authorized, label: 授权支付}
`,
	"pay/workflow.yaml": `
workflows:
  payment:
    entity: payment
    initial: draft
    states: [draft, submitted, approved, rejected]
    final: [approved]
    editable: [draft, rejected]
    labels: {draft: 草稿, submitted: 已提交, approved: 已审核, rejected: 已退回}
    transitions:
      - {event: submit, label: 提交, from: [draft, rejected], to: submitted, roles: [clerk]}
      - {event: approve, label: 审核, from: [submitted], to: approved, roles: [treasury]}
      - {event: reject, label: 退回, from: [submitted], to: rejected, roles: [treasury], comment: required}
`,
}

// loadProject writes files into a fresh folder and loads it.
func loadProject(t *testing.T, files map[string]string) *metamodel.Project {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := metamodel.Load(dir)
	if err != nil {
		t.Fatalf("loading the test project: %v", err)
	}
	return p
}

// generate builds the document of p and decodes it as plain JSON.
func generate(t *testing.T, p *metamodel.Project) ([]byte, map[string]any) {
	t.Helper()
	data, err := Document(p, "test")
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return data, doc
}

// validate checks data is a valid OpenAPI 3 document, examples and defaults
// against their schemas included, and returns it as kin-openapi reads it.
func validate(t *testing.T, data []byte) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	err = doc.Validate(context.Background(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableExamplesValidation(),
		openapi3.EnableMultiError(),
	)
	if err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return doc
}

// at walks doc along keys and returns the object there.
func at(t *testing.T, doc map[string]any, keys ...string) map[string]any {
	t.Helper()
	cur := doc
	for i, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %s", strings.Join(keys[:i+1], " > "))
		}
		cur = next
	}
	return cur
}

func stringList(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestDocumentIsValidOpenAPI(t *testing.T) {
	data, _ := generate(t, loadProject(t, payApp))
	doc := validate(t, data)
	if doc.OpenAPI != "3.0.3" || doc.Info.Title != "Growth" || doc.Info.Version != "test" {
		t.Errorf("openapi %q, info %q %q; want 3.0.3, Growth, test", doc.OpenAPI, doc.Info.Title, doc.Info.Version)
	}
	if !strings.Contains(doc.Info.Description, "`pay`: 支付 / Payments") {
		t.Errorf("info.description does not list app pay:\n%s", doc.Info.Description)
	}
}

func TestShippedDefinitions(t *testing.T) {
	p, err := metamodel.Load("../../definitions")
	if err != nil {
		t.Fatalf("loading the shipped definitions: %v", err)
	}
	data, err := Document(p, p.Hash)
	if err != nil {
		t.Fatal(err)
	}
	doc := validate(t, data)
	if doc.Info.Version != p.Hash {
		t.Errorf("info.version = %q, want the definition hash %q", doc.Info.Version, p.Hash)
	}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			if doc.Paths.Find("/api/"+a.Name+"/"+e.Name) == nil {
				t.Errorf("no path for %s", e.QualifiedName())
			}
			if doc.Components.Schemas[a.Name+"."+e.Name] == nil {
				t.Errorf("no schema for %s", e.QualifiedName())
			}
		}
	}
}

func TestRecordProperties(t *testing.T) {
	_, doc := generate(t, loadProject(t, payApp))
	props := at(t, doc, "components", "schemas", "pay.payment", "properties")
	scenarios := []struct {
		field string
		want  map[string]any // every key given must have this value
		not   []string       // keys that must be absent
	}{
		{"id", map[string]any{"type": "integer", "format": "int64", "readOnly": true}, nil},
		{"version", map[string]any{"type": "integer", "format": "int64", "readOnly": true}, nil},
		{"state", map[string]any{"type": "string", "readOnly": true, "enum": []any{"draft", "submitted", "approved", "rejected"}}, nil},
		{"created_by", map[string]any{"type": "string", "readOnly": true}, nil},
		{"created_at", map[string]any{"type": "string", "format": "date-time", "readOnly": true}, nil},
		{"updated_at", map[string]any{"type": "string", "format": "date-time", "readOnly": true}, nil},
		{"year", map[string]any{"type": "integer", "format": "int64", "minimum": 2000.0, "maximum": 2100.0, "title": "年度"}, []string{"nullable", "readOnly"}},
		{"agency", map[string]any{"type": "string", "maxLength": 64.0, "x-growth-codeset": "agency"}, []string{"nullable"}},
		{"project", map[string]any{"type": "integer", "format": "int64", "nullable": true, "x-growth-ref": "pay.project"}, nil},
		{"payee", map[string]any{"type": "string", "maxLength": 100.0, "title": "收款人"}, []string{"pattern"}},
		{"uscc", map[string]any{"type": "string", "maxLength": 255.0, "pattern": "^(?:[0-9A-Z]{18})$", "nullable": true}, nil},
		{"purpose", map[string]any{"type": "string"}, []string{"format"}},
		{"amount", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,2})?$`, "example": "1234.56"}, []string{"format", "nullable"}},
		{"rate", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,4})?$`, "default": "0.0325"}, nil},
		{"fee", map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,2})?$`, "readOnly": true}, nil},
		{"years", map[string]any{"type": "integer", "format": "int64", "readOnly": true}, nil},
		{"pay_date", map[string]any{"type": "string", "format": "date"}, nil},
		{"signed_at", map[string]any{"type": "string", "format": "date-time", "readOnly": true}, nil},
		{"urgent", map[string]any{"type": "boolean", "default": false}, nil},
		{"approvals", map[string]any{"type": "integer", "readOnly": true, "default": 0.0}, nil},
		{"method", map[string]any{"type": "string", "enum": []any{"direct", "authorized"}, "default": "direct"}, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.field, func(t *testing.T) {
			prop := at(t, props, sc.field)
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

	descriptions := map[string][]string{
		"amount":  {"exact decimal, sent as a string", "at least 0.01"},
		"agency":  {"预算单位 (`agency`)", "leaf codes only"},
		"project": {"项目 record (`pay.project`"},
		"payee":   {"收款人全称"},
		"method":  {"`direct`: 直接支付", "`authorized`: 授权支付"},
		"fee":     {"round_to(amount * rate, 2)"},
		"state":   {"`draft`: 草稿"},
	}
	for field, wants := range descriptions {
		desc, _ := at(t, props, field)["description"].(string)
		for _, want := range wants {
			if !strings.Contains(desc, want) {
				t.Errorf("%s: description %q does not say %q", field, desc, want)
			}
		}
	}

	labelScenarios := []struct {
		schema string
		want   []string
	}{
		{"pay.payment", []string{"state", "agency", "method"}},
		{"pay.project", nil},
	}
	for _, sc := range labelScenarios {
		labels := at(t, doc, "components", "schemas", sc.schema, "properties", "_labels")
		var got []string
		for name := range at(t, labels, "properties") {
			got = append(got, name)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(sc.want))
		if labels["readOnly"] != true || !slices.Equal(got, want) {
			t.Errorf("%s: _labels = %v, want a read-only object of %v", sc.schema, labels, sc.want)
		}
	}
	if _, ok := at(t, doc, "components", "schemas", "pay.project", "properties")["state"]; ok {
		t.Error("pay.project has no workflow but a state")
	}
	want := []string{"id", "version", "state", "created_by", "created_at", "updated_at"}
	if got := stringList(at(t, doc, "components", "schemas", "pay.payment")["required"]); !slices.Equal(got, want) {
		t.Errorf("record required = %v, want the system properties %v", got, want)
	}
}

// TestDecimalPatternsAcceptWhatTheAPISends renders values the way the API
// does and matches them against the schema's pattern.
func TestDecimalPatternsAcceptWhatTheAPISends(t *testing.T) {
	p := loadProject(t, payApp)
	_, doc := generate(t, p)
	e := p.App("pay").Entity("payment")
	scenarios := []struct {
		field string
		in    string
	}{
		{"amount", "0.01"}, {"amount", "-12"}, {"amount", "1234567.5"},
		{"rate", "0.0325"}, {"rate", "7"},
	}
	for _, sc := range scenarios {
		f := e.Field(sc.field)
		v, err := f.Kind.Parse(f, sc.in)
		if err != nil {
			t.Fatalf("%s: parsing %q: %v", sc.field, sc.in, err)
		}
		sent := f.Kind.JSON(f, v).(string)
		pattern := at(t, doc, "components", "schemas", "pay.payment", "properties", sc.field)["pattern"].(string)
		if !regexp.MustCompile(pattern).MatchString(sent) {
			t.Errorf("%s: the API sends %q, which pattern %s refuses", sc.field, sent, pattern)
		}
	}
	for _, bad := range []string{"1234.567", "1,234.56", "1e3", "12.", ""} {
		if regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,2})?$`).MatchString(bad) {
			t.Errorf("the money pattern accepts %q", bad)
		}
	}
}

func TestInputSchemas(t *testing.T) {
	_, doc := generate(t, loadProject(t, payApp))
	system := []string{"id", "version", "state", "created_by", "created_at", "updated_at", "_labels"}
	scenarios := []struct {
		schema   string
		required []string
		version  bool // has the version property
	}{
		// method is required but has a default; rate and urgent have defaults.
		{"pay.payment.Input", []string{"year", "agency", "payee", "amount"}, false},
		{"pay.payment.Patch", []string{"version"}, true},
		{"pay.project.Input", []string{"code"}, false},
		{"pay.project.Patch", []string{"version"}, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.schema, func(t *testing.T) {
			s := at(t, doc, "components", "schemas", sc.schema)
			if got := stringList(s["required"]); !slices.Equal(got, sc.required) {
				t.Errorf("required = %v, want %v", got, sc.required)
			}
			if s["additionalProperties"] != false {
				t.Errorf("additionalProperties = %v, want false", s["additionalProperties"])
			}
			props := at(t, s, "properties")
			for name, v := range props {
				prop := v.(map[string]any)
				if prop["readOnly"] == true {
					t.Errorf("property %s is read-only", name)
				}
				if strings.HasSuffix(sc.schema, ".Patch") && prop["default"] != nil {
					t.Errorf("property %s has a default in an update", name)
				}
			}
			for _, name := range system {
				if _, ok := props[name]; ok && !(name == "version" && sc.version) {
					t.Errorf("system property %s is writable", name)
				}
			}
			if _, ok := props["version"]; ok != sc.version {
				t.Errorf("version property present = %v, want %v", ok, sc.version)
			}
		})
	}
	payment := at(t, doc, "components", "schemas", "pay.payment.Input", "properties")
	for _, name := range []string{"fee", "years", "signed_at", "approvals"} {
		if _, ok := payment[name]; ok {
			t.Errorf("read-only field %s is in the create body", name)
		}
	}
	if len(payment) != 11 {
		t.Errorf("create body has %d properties, want the 11 writable fields", len(payment))
	}
}

func TestPathsAndOperations(t *testing.T) {
	data, _ := generate(t, loadProject(t, payApp))
	doc := validate(t, data)
	scenarios := []struct {
		method, path, operationID, success string
		errors                             []string
		public                             bool
	}{
		{"GET", "/healthz", "healthz", "200", nil, true},
		{"GET", "/readyz", "readyz", "200", []string{"503"}, true},
		{"GET", "/api/openapi.json", "openapi", "200", nil, true},
		{"POST", "/api/auth/login", "login", "200", []string{"400", "401", "413", "429"}, true},
		{"POST", "/api/auth/logout", "logout", "204", []string{"401", "403"}, false},
		{"GET", "/api/auth/me", "me", "200", []string{"401"}, false},
		{"GET", "/api/admin/users", "list_users", "200", []string{"401", "403"}, false},
		{"POST", "/api/admin/users", "create_user", "201", []string{"400", "401", "403", "409", "413", "422"}, false},
		{"PATCH", "/api/admin/users/{name}", "update_user", "200", []string{"400", "401", "403", "404", "413", "422"}, false},
		{"POST", "/api/files", "upload_file", "201", []string{"400", "401", "413", "422"}, false},
		{"GET", "/api/files/{id}", "download_file", "200", []string{"401", "404"}, false},
		{"GET", "/api/pay/payment", "list_pay_payment", "200", []string{"400", "401", "403"}, false},
		{"POST", "/api/pay/payment", "create_pay_payment", "201", []string{"400", "401", "403", "409", "413", "422"}, false},
		{"GET", "/api/pay/payment/{id}", "get_pay_payment", "200", []string{"401", "403", "404", "500"}, false},
		{"PATCH", "/api/pay/payment/{id}", "update_pay_payment", "200", []string{"400", "401", "403", "404", "409", "413", "422"}, false},
		{"DELETE", "/api/pay/payment/{id}", "delete_pay_payment", "204", []string{"400", "401", "403", "404", "409"}, false},
		{"GET", "/api/pay/payment/{id}/changes", "changes_pay_payment", "200", []string{"401", "403", "404"}, false},
		{"POST", "/api/pay/payment/import", "import_pay_payment", "200", []string{"400", "401", "403", "404", "413", "422"}, false},
		{"POST", "/api/pay/payment/{id}/events/{event}", "fire_pay_payment", "200", []string{"400", "401", "403", "404", "409", "413", "422"}, false},
		{"GET", "/api/pay/payment/{id}/events", "events_pay_payment", "200", []string{"401", "403", "404"}, false},
		{"GET", "/api/pay/payment/{id}/history", "history_pay_payment", "200", []string{"401", "403", "404"}, false},
		{"GET", "/api/pay/project", "list_pay_project", "200", []string{"400", "401", "403"}, false},
		{"POST", "/api/pay/project", "create_pay_project", "201", []string{"400", "401", "403", "409", "413", "422"}, false},
		{"GET", "/api/pay/project/{id}", "get_pay_project", "200", []string{"401", "403", "404"}, false},
		{"PATCH", "/api/pay/project/{id}", "update_pay_project", "200", []string{"400", "401", "403", "404", "409", "413", "422"}, false},
		{"DELETE", "/api/pay/project/{id}", "delete_pay_project", "204", []string{"400", "401", "403", "404", "409"}, false},
		{"GET", "/api/pay/project/{id}/changes", "changes_pay_project", "200", []string{"401", "403", "404"}, false},
		{"POST", "/api/pay/project/import", "import_pay_project", "200", []string{"400", "401", "403", "404", "413", "422"}, false},
	}
	count := 0
	for _, item := range doc.Paths.Map() {
		count += len(item.Operations())
	}
	if count != len(scenarios) {
		t.Errorf("the document has %d operations, want %d", count, len(scenarios))
	}
	for _, sc := range scenarios {
		t.Run(sc.operationID, func(t *testing.T) {
			item := doc.Paths.Value(sc.path)
			if item == nil {
				t.Fatalf("no path %s", sc.path)
			}
			op := item.GetOperation(sc.method)
			if op == nil {
				t.Fatalf("no %s %s", sc.method, sc.path)
			}
			if op.OperationID != sc.operationID {
				t.Errorf("operationId = %q, want %q", op.OperationID, sc.operationID)
			}
			if op.Responses.Value(sc.success) == nil {
				t.Errorf("no %s response", sc.success)
			}
			for _, st := range sc.errors {
				r := op.Responses.Value(st)
				if r == nil {
					t.Errorf("no %s response", st)
					continue
				}
				if r.Ref != "" && !strings.HasPrefix(r.Ref, "#/components/responses/") {
					t.Errorf("%s response refers to %s", st, r.Ref)
				}
				if s := r.Value.Content.Get("application/json").Schema; s.Ref != "#/components/schemas/Error" {
					t.Errorf("%s response has schema %s, want Error", st, s.Ref)
				}
			}
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			bearer := slices.ContainsFunc(security, func(r openapi3.SecurityRequirement) bool { _, ok := r["bearerAuth"]; return ok })
			if bearer == sc.public {
				t.Errorf("takes a bearer token = %v, want %v", bearer, !sc.public)
			}
			if sc.public && len(security) != 0 {
				t.Errorf("security = %v, want none (public)", security)
			}
		})
	}
	if doc.Paths.Value("/api/pay/project/{id}/events/{event}") != nil || doc.Paths.Value("/api/pay/project/{id}/history") != nil {
		t.Error("pay.project has no workflow but workflow paths")
	}

	fire := doc.Paths.Value("/api/pay/payment/{id}/events/{event}")
	var events []any
	for _, p := range fire.Parameters {
		if p.Value.Name == "event" {
			events = p.Value.Schema.Value.Enum
		}
	}
	if !reflect.DeepEqual(events, []any{"submit", "approve", "reject"}) {
		t.Errorf("event enum = %v, want submit, approve, reject", events)
	}

	list := doc.Paths.Value("/api/pay/payment").Get
	for _, name := range []string{"filter", "sort", "page", "page_size", "total"} {
		if list.Parameters.GetByInAndName("query", name) == nil {
			t.Errorf("list has no query parameter %s", name)
		}
	}
	if d := list.Parameters.GetByInAndName("query", "filter").Description; !strings.Contains(d, "docs/filter.md") || !strings.Contains(d, "`year`, `agency`") {
		t.Errorf("filter description %q does not link the syntax or name the declared filters", d)
	}
	size := list.Parameters.GetByInAndName("query", "page_size").Schema.Value
	if *size.Min != 1 || *size.Max != 200 || size.Default != 20.0 {
		t.Errorf("page_size is %v..%v default %v, want 1..200 default 20", *size.Min, *size.Max, size.Default)
	}
	create := doc.Paths.Value("/api/pay/payment").Post
	if create.Parameters.GetByInAndName("header", "Idempotency-Key") == nil {
		t.Error("create takes no Idempotency-Key header")
	}
	if create.Responses.Value("201").Value.Headers["Location"] == nil {
		t.Error("create's 201 has no Location header")
	}
	if del := doc.Paths.Value("/api/pay/payment/{id}").Delete; del.Parameters.GetByInAndName("query", "version") == nil {
		t.Error("delete takes no version")
	}
	if doc.Components.SecuritySchemes["bearerAuth"].Value.Scheme != "bearer" {
		t.Error("bearerAuth is not an HTTP bearer scheme")
	}
	codes := doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	if len(codes) != len(errorCodes) {
		t.Errorf("error codes = %v, want %v", codes, errorCodes)
	}
}

func TestDocumentIsDeterministic(t *testing.T) {
	p := loadProject(t, payApp)
	first, _ := generate(t, p)
	for range 3 {
		again, _ := generate(t, p)
		if !bytes.Equal(first, again) {
			t.Fatal("two documents of one project differ")
		}
	}
	// A fresh load of the same files gives the same document too.
	other, _ := generate(t, loadProject(t, payApp))
	if !bytes.Equal(first, other) {
		t.Fatal("documents of two loads of the same files differ")
	}
}

// TestGolden compares the whole document of the test project with
// testdata/pay.golden.json; go test -update rewrites it.
func TestGolden(t *testing.T) {
	data, _ := generate(t, loadProject(t, payApp))
	golden := filepath.Join("testdata", "pay.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("the document differs from %s; if the change is intended, run go test -update and review the diff", golden)
	}
}

func TestDuplicateOperationID(t *testing.T) {
	// list_a_b_c names both a_b.c and a.b_c.
	p := loadProject(t, map[string]string{
		"a_b/app.yaml": "app: a_b\ntitle: AB\nentities:\n  c:\n    fields:\n      name: {type: string}\n",
		"a/app.yaml":   "app: a\ntitle: A\nentities:\n  b_c:\n    fields:\n      name: {type: string}\n",
	})
	_, err := Document(p, "test")
	if !errors.Is(err, ErrDuplicateOperation) {
		t.Fatalf("err = %v, want ErrDuplicateOperation", err)
	}
	if !strings.Contains(err.Error(), "list_a_b_c") {
		t.Errorf("error %q does not name the operationId", err)
	}
}

func TestNilProject(t *testing.T) {
	if _, err := Document(nil, "x"); err == nil {
		t.Error("Document(nil) gave no error")
	}
}

// TestProjectWithProblems describes what it can of a project that did not
// check, rather than panicking: a server never serves one, but check tools
// may ask.
func TestProjectWithProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bad"), 0o755); err != nil {
		t.Fatal(err)
	}
	def := `
app: bad
title: 坏
entities:
  thing:
    fields:
      odd:    {type: float}
      total:  {type: computed, returns: float, expr: "1"}
      amount: {type: money, default: "abc"}
      kind:   {type: code, codeset: missing}
      other:  {type: ref, entity: missing}
`
	if err := os.WriteFile(filepath.Join(dir, "bad", "app.yaml"), []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := metamodel.Load(dir)
	if err == nil || p == nil {
		t.Fatalf("Load = %v, %v; want the project and its problems", p, err)
	}
	data, err := Document(p, "test")
	if err != nil {
		t.Fatal(err)
	}
	validate(t, data)
}

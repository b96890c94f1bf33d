package metamodel

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaFile = "../docs/definitions.schema.json"

// compileSchema compiles the generated schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("definitions.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("definitions.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlToJSON turns a YAML document into the values a JSON decoder gives, the
// way an editor's YAML language server does before it validates: numbers stay
// numbers, timestamps and everything else untyped stay text.
func yamlToJSON(t *testing.T, n *yaml.Node) any {
	t.Helper()
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return yamlToJSON(t, n.Content[0])
	case yaml.AliasNode:
		return yamlToJSON(t, n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = yamlToJSON(t, n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, yamlToJSON(t, c))
		}
		return l
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			t.Fatalf("line %d: %v", n.Line, err)
		}
		return b
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			t.Fatalf("line %d: %v", n.Line, err)
		}
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return n.Value
}

// validateYAML validates one YAML text against sch.
func validateYAML(t *testing.T, sch *jsonschema.Schema, text []byte) error {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		t.Fatal(err)
	}
	return sch.Validate(yamlToJSON(t, &root))
}

// yamlFiles lists the .yaml and .yml files under dir.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no YAML files under %s", dir)
	}
	return files
}

// TestSchemaFileUpToDate checks the committed schema is what the types
// generate. With -update it rewrites the file, like
// `go run ./cmd/growth schema > docs/definitions.schema.json`.
func TestSchemaFileUpToDate(t *testing.T) {
	want, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v; create it with: go run ./cmd/growth schema > docs/definitions.schema.json", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with the definition types; regenerate it with:\n\tgo run ./cmd/growth schema > docs/definitions.schema.json", schemaFile)
	}
	again, err := JSONSchema()
	if err != nil || !bytes.Equal(again, want) {
		t.Fatal("JSONSchema is not deterministic")
	}
}

// TestSchemaAcceptsDefinitions validates every shipped definition file, and
// every file of the valid golden cases (which use every construct and every
// short form), against the schema.
func TestSchemaAcceptsDefinitions(t *testing.T) {
	sch := compileSchema(t)
	files := yamlFiles(t, filepath.Join("..", "definitions"))
	files = append(files, yamlFiles(t, filepath.Join("testdata", "valid"))...)
	for _, path := range files {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateYAML(t, sch, text); err != nil {
				t.Fatalf("%s does not validate against the schema:\n%v", path, err)
			}
		})
	}
}

// TestSchemaRejects checks the schema refuses what the loader refuses and an
// editor can see in one file: unknown keys at every level, values of the
// wrong type, values outside a closed list, and missing required keys.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	scenarios := []struct {
		name, yaml string
		want       string // the key or the location the error names
	}{
		{"unknown top-level key", "titel: x\n", "titel"},
		{"unknown entity key", "entities:\n  e:\n    feilds: {}\n", "feilds"},
		{"unknown field key", "entities:\n  e:\n    fields:\n      a: {type: int, colour: red}\n", "colour"},
		{"unknown code key", "codesets:\n  s:\n    title: x\n    codes: [{code: '1', name: x, label: y}]\n", "label"},
		{"unknown transition key", "workflows:\n  w:\n    entity: e\n    initial: a\n    states: [a]\n    transitions: [{event: go, from: a, to: a, by: x}]\n", "by"},
		{"unknown field type", "entities:\n  e:\n    fields:\n      a: {type: mony}\n", "/entities/e/fields/a/type"},
		{"unknown field type in short form", "entities:\n  e:\n    fields:\n      a: mony\n", "/entities/e/fields/a"},
		{"list where a scalar is due", "entities:\n  e:\n    title: [a, b]\n", "title"},
		{"text where an int is due", "entities:\n  e:\n    fields:\n      a: {type: string, max_length: abc}\n", "max_length"},
		{"non-bool", "entities:\n  e:\n    fields:\n      a: {type: string, required: yes}\n", "required"},
		{"bad scope", "roles:\n  r: {scope: mine}\n", "/roles/r/scope"},
		{"bad agg", "reports:\n  r:\n    entity: e\n    measures: [{agg: avg}]\n", "/reports/r/measures/0/agg"},
		{"bad rollup agg", "entities:\n  e:\n    fields:\n      a: {type: rollup, agg: avg}\n", "/entities/e/fields/a/agg"},
		{"bad standard", "codesets:\n  s: {title: x, standard: provincial}\n", "/codesets/s/standard"},
		{"upper-case entity name", "entities:\n  Payment:\n    fields: {a: int}\n", "Payment"},
		{"field without type", "entities:\n  e:\n    fields:\n      a: {label: x}\n", "type"},
		{"rule without message", "entities:\n  e:\n    fields: {a: int}\n    rules: [{assert: 'a > 0'}]\n", "message"},
		{"rules as a mapping", "entities:\n  e:\n    rules: {assert: x, message: y}\n", "rules"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := validateYAML(t, sch, []byte(sc.yaml))
			if err == nil {
				t.Fatal("the schema accepts it")
			}
			if !strings.Contains(err.Error(), sc.want) {
				t.Fatalf("the error does not mention %q:\n%v", sc.want, err)
			}
		})
	}
}

// TestSchemaRejectsInvalidCase checks the golden case of unknown keys fails
// against the schema too, in every file that has one.
func TestSchemaRejectsInvalidCase(t *testing.T) {
	sch := compileSchema(t)
	text, err := os.ReadFile(filepath.Join("testdata", "invalid", "unknown_key", "app1", "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	err = validateYAML(t, sch, text)
	if err == nil {
		t.Fatal("the schema accepts unknown keys")
	}
	for _, key := range []string{"titel", "feilds", "requried", "colour"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("the schema error does not mention %q:\n%v", key, err)
		}
	}
}

// TestSchemaRequiredMatchesChecker checks each key the schema requires is one
// the checker also refuses to do without, so that the editor and
// `growth check` agree.
func TestSchemaRequiredMatchesChecker(t *testing.T) {
	scenarios := []struct {
		key, yaml, want string
	}{
		{"Field.type", "entities:\n  e:\n    fields:\n      a: {label: x}\n", "type is missing"},
		{"EnumValue.value", "entities:\n  e:\n    fields:\n      a: {type: enum, values: [{label: x}]}\n", "an enum value is empty"},
		{"Rule.assert", "entities:\n  e:\n    fields: {a: int}\n    rules: [{message: x}]\n", "needs assert"},
		{"Rule.message", "entities:\n  e:\n    fields: {a: int}\n    rules: [{assert: 'a > 0'}]\n", "needs a message"},
		{"Workflow.entity", "workflows:\n  w: {initial: a, states: [a], final: [a]}\n", "entity is missing"},
		{"Workflow.initial", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, states: [a], final: [a]}\n", "initial state is missing"},
		{"Workflow.states", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a}\n", "states is missing"},
		{"Transition.event", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a, b], final: [b], transitions: [{from: a, to: b}]}\n", "needs an event name"},
		{"Transition.from", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a, b], final: [b], transitions: [{event: go, to: b}]}\n", "needs from"},
		{"Transition.to", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a, b], final: [b], transitions: [{event: go, from: a}]}\n", "needs to"},
		{"Role.scope", "roles:\n  r: {title: x}\n", "scope is missing"},
		{"Report.entity", "reports:\n  r: {title: x}\n", "entity is missing"},
		{"Measure.name", "entities:\n  e:\n    fields: {a: int}\nreports:\n  r: {entity: e, measures: [{agg: count}]}\n", "name is missing"},
		{"CodeSet.title", "codesets:\n  s: {codes: [{code: '1', name: x}]}\n", "needs a title"},
		{"Code.code", "codesets:\n  s: {title: x, codes: [{name: x}]}\n", "a code has no code"},
		{"Code.name", "codesets:\n  s: {title: x, codes: [{code: '1'}]}\n", "has no name"},
		// Records that read and change other records.
		{"GenerateAction.entity", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a, generate: [{set: {a: '1'}}]}]}\n", "needs entity"},
		{"GenerateAction.set", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a, generate: [{entity: e}]}]}\n", "needs set"},
		{"GenerateFrom.entity", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a, generate: [{entity: e, from: {where: 'a > 0'}, set: {a: '1'}}]}]}\n", "from needs entity"},
		{"Block.ref", "entities:\n  e:\n    fields: {a: int}\n    blocks: [{events: [go], message: x}]\n", "needs ref"},
		{"Block.events", "entities:\n  e:\n    fields: {a: int}\n  w:\n    fields: {e: {type: ref, entity: e}}\n    blocks: [{ref: e, message: x}]\nworkflows:\n  e: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\n", "needs events"},
		{"Block.message", "entities:\n  e:\n    fields: {a: int}\n    blocks: [{ref: a, events: [go]}]\n", "needs a message"},
		// Exchanges.
		{"OutboundMessage.entity", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {outbound: {m: {event: go, fields: {a: a}}}}\n", "outbound m: entity is missing"},
		{"OutboundMessage.event", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {outbound: {m: {entity: e, fields: {a: a}}}}\n", "outbound m: event is missing"},
		{"OutboundMessage.fields", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {outbound: {m: {entity: e, event: go}}}\n", "outbound m: needs fields"},
		{"InboundMessage.entity", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {inbound: {m: {event: go}}}\n", "inbound m: entity is missing"},
		{"InboundMessage.event", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {inbound: {m: {entity: e}}}\n", "inbound m: event is missing"},
		{"MessageLines.entity", "entities:\n  e:\n    fields: {a: int}\n  l:\n    fields: {e: {type: ref, entity: e}, n: money}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {outbound: {m: {entity: e, event: go, fields: {a: a}, lines: {via: e, fields: {n: n}}}}}\n", "lines: entity is missing"},
		{"MessageLines.via", "entities:\n  e:\n    fields: {a: int}\n  l:\n    fields: {e: {type: ref, entity: e}, n: money}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {outbound: {m: {entity: e, event: go, fields: {a: a}, lines: {entity: l, fields: {n: n}}}}}\n", "lines: via is missing"},
		{"MessageLines.fields", "entities:\n  e:\n    fields: {a: int}\n  l:\n    fields: {e: {type: ref, entity: e}, n: money}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {outbound: {m: {entity: e, event: go, fields: {a: a}, lines: {entity: l, via: e}}}}\n", "lines: needs fields"},
		{"ExchangePeer.prefix", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {peer: {as: x}, outbound: {m: {entity: e, event: go, fields: {a: a}}}}\n", `peer: prefix ""`},
		{"ExchangePeer.as", "entities:\n  e:\n    fields: {a: int}\nworkflows:\n  w: {entity: e, initial: a, states: [a], final: [a], transitions: [{event: go, from: a, to: a}]}\nexchanges:\n  p: {peer: {prefix: x}, outbound: {m: {entity: e, event: go, fields: {a: a}}}}\n", `peer: as ""`},
		// Exports and schedules.
		{"Export.entity", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nexports:\n  x: {columns: [{expr: '1'}]}\n", "entity is missing"},
		{"Export.columns", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nexports:\n  x: {entity: b}\n", "needs columns"},
		{"ExportLines.entity", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nexports:\n  x: {entity: b, lines: {via: b}, columns: [{expr: '1'}]}\n", "lines: entity is missing"},
		{"ExportLines.via", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nexports:\n  x: {entity: b, lines: {entity: l}, columns: [{expr: '1'}]}\n", "via is missing"},
		{"ExportColumn.expr", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nexports:\n  x: {entity: b, columns: [{title: a}]}\n", "expr is missing"},
		{"ExportTotal.expr", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nexports:\n  x: {entity: b, lines: {entity: l, via: b}, columns: [{expr: '1'}], total: {equals: t}}\n", "total: expr is missing"},
		{"ExportTotal.equals", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nexports:\n  x: {entity: b, lines: {entity: l, via: b}, columns: [{expr: '1'}], total: {expr: line.n}}\n", "equals is missing"},
		{"Schedule.every", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nschedules:\n  s: {entity: b, create: {entity: l, set: {b: src.id}}}\n", "every is missing"},
		{"Schedule.entity", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nschedules:\n  s: {every: 1h, create: {entity: l, set: {b: src.id}}}\n", "entity is missing"},
		{"ScheduleCreate.entity", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nschedules:\n  s: {every: 1h, entity: b, create: {set: {b: src.id}}}\n", "create: entity is missing"},
		{"ScheduleCreate.set", "entities:\n  b:\n    fields: {t: money}\n  l:\n    fields: {b: {type: ref, entity: b}, n: money}\nschedules:\n  s: {every: 1h, entity: b, create: {entity: l}}\n", "set is missing"},
	}
	covered := map[string]bool{}
	for _, sc := range scenarios {
		covered[sc.key] = true
		t.Run(sc.key, func(t *testing.T) {
			_, err := loadFiles(t, map[string]string{"app1/app.yaml": sc.yaml})
			if err == nil || !strings.Contains(err.Error(), sc.want) {
				t.Fatalf("want a problem containing %q, got %v", sc.want, err)
			}
		})
	}
	for typ, keys := range schemaRequired {
		for _, key := range keys {
			if !covered[typ+"."+key] {
				t.Errorf("required key %s.%s has no scenario", typ, key)
			}
		}
	}
}

// TestDocExamplesValidate checks that every YAML example of the reference
// manual is a valid definition file as far as the schema can tell, so that
// the manual does not teach a key the loader refuses.
func TestDocExamplesValidate(t *testing.T) {
	sch := compileSchema(t)
	text, err := os.ReadFile(filepath.Join("..", "docs", "definitions.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples := 0
	lines := strings.Split(string(text), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```yaml" {
			continue
		}
		start := i + 1
		var block []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			block = append(block, lines[i])
		}
		examples++
		t.Run("line "+strconv.Itoa(start), func(t *testing.T) {
			if err := validateYAML(t, sch, []byte(strings.Join(block, "\n"))); err != nil {
				t.Fatalf("docs/definitions.md:%d: the example does not validate:\n%v", start, err)
			}
		})
	}
	if examples < 10 {
		t.Fatalf("found %d YAML examples in docs/definitions.md", examples)
	}
}

// docSections maps each definition of the schema to the section of
// docs/definitions.md ("## heading", with its subsections) that documents its keys.
var docSections = map[string]string{
	"":              "App file",
	"entity":        "Entity",
	"field":         "Field",
	"enum_value":    "Field",
	"code_set":      "Code set",
	"code":          "Code set",
	"code_attr":     "Code set",
	"rule":          "Rule",
	"balance":       "Ledger: balance, draws, adjusts",
	"draw":          "Ledger: balance, draws, adjusts",
	"adjust":        "Ledger: balance, draws, adjusts",
	"workflow":      "Workflow",
	"transition":    "Workflow",
	"number_action": "Workflow",
	"quorum":        "Workflow",
	"quorum_tier":   "Workflow",
	"form":          "Form",
	"section":       "Form",
	"role":          "Role",
	"grant":         "Role",
	"field_rule":    "Role",
	"report":        "Report",
	"measure":       "Report",
	"tag":           "Data tag",
	"chart":         "Report",
	// Records that read and change other records.
	"block":           "Entity",
	"list_spec":       "Entity",
	"generate_action": "Workflow",
	"generate_from":   "Workflow",
	// Exports and schedules.
	"export":           "Export",
	"export_lines":     "Export",
	"export_column":    "Export",
	"export_total":     "Export",
	"schedule":         "Schedule",
	"schedule_create":  "Schedule",
	"schedule_resolve": "Schedule",
	// Exchanges.
	"exchange":         "Exchange",
	"outbound_message": "Exchange",
	"inbound_message":  "Exchange",
	"exchange_field":   "Exchange",
	"message_lines":    "Exchange",
	"exchange_peer":    "Exchange",
	"message_total":    "Exchange",
	// Forms: fill, children, print.
	"form_fill":    "Form",
	"form_child":   "Form",
	"print_layout": "Form",
	// Books.
	"posting":      "Postings: accounting vouchers",
	"posting_line": "Postings: accounting vouchers",
}

// TestDocCoversEveryKey checks that the reference manual names every key the
// loader accepts, in the section of its construct.
func TestDocCoversEveryKey(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties  map[string]any            `json:"properties"`
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join("..", "docs", "definitions.md"))
	if err != nil {
		t.Fatal(err)
	}
	keysOf := func(def map[string]any) []string {
		props, _ := def["properties"].(map[string]any)
		if alts, ok := def["anyOf"].([]any); ok {
			for _, alt := range alts {
				if p, ok := alt.(map[string]any)["properties"].(map[string]any); ok {
					props = p
				}
			}
		}
		var keys []string
		for k := range props {
			keys = append(keys, k)
		}
		return keys
	}
	defs := map[string][]string{"": keysOf(map[string]any{"properties": schema.Properties})}
	for name, def := range schema.Definitions {
		defs[name] = keysOf(def)
	}
	code := regexp.MustCompile("`[^`]+`")
	for name, keys := range defs {
		t.Run("definition "+name, func(t *testing.T) {
			heading, ok := docSections[name]
			if !ok {
				t.Fatalf("no section of docs/definitions.md is known for definition %q: document it and add it to docSections", name)
			}
			section := docSection(string(text), heading)
			if section == "" {
				t.Fatalf("docs/definitions.md has no section \"## %s\"", heading)
			}
			spans := code.FindAllString(section, -1)
			for _, key := range keys {
				word := regexp.MustCompile(`(^|[^a-z_])` + regexp.QuoteMeta(key) + `([^a-z_]|$)`)
				if !slices.ContainsFunc(spans, word.MatchString) {
					t.Errorf("docs/definitions.md, section %q, does not name the key `%s` of %s", heading, key, name)
				}
			}
		})
	}
}

// docSection is the prose and tables under "## heading" up to the next "## "
// heading, without its fenced examples: a key must be described, not only used.
func docSection(text, heading string) string {
	_, rest, found := strings.Cut(text, "\n## "+heading+"\n")
	if !found {
		return ""
	}
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	var prose []string
	fenced := false
	for _, line := range strings.Split(rest, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			prose = append(prose, line)
		}
	}
	return strings.Join(prose, "\n")
}

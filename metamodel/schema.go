package metamodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode"
)

// The JSON Schema of definition files is generated from the same struct tags
// the decoder reads (yaml, desc), so that an editor completes and checks
// exactly the keys the loader accepts. It is JSON Schema draft-07, which the
// YAML language server (VS Code's Red Hat YAML extension) and JetBrains IDEs
// support fully. The schema checks the shape of one file; everything that
// needs more than one file (references, expressions, workflows) is left to
// `growth check`.

// schemaEnums are the closed value lists of keys, by "Type.key"; the checker
// refuses any other value.
func schemaEnums() map[string][]string {
	var results []string
	for r := range computedResults {
		results = append(results, r)
	}
	sort.Strings(results)
	return map[string][]string{
		"Field.type":         FieldTypeNames(),
		"Field.returns":      results,
		"Role.scope":         Scopes,
		"CodeSet.standard":   Standards,
		"Measure.agg":        Aggregates,
		"Measure.movement":   LedgerMovementKinds(),
		"Field.agg":          Aggregates,
		"Transition.comment": CommentValues,
		"Transition.not_by":  NotByValues,
		"Draw.control":       Controls,
		"Export.format":      ExportFormats,
		"Export.encoding":    ExportEncodings,
		"Export.newline":     ExportNewlines,
		"ExportColumn.align": ExportAligns,
		// Exchanges.
		"Exchange.signature":     ExchangeSignatures,
		"OutboundMessage.format": ExchangeFormats,
	}
}

// schemaRequired are the keys the checker requires, by type.
var schemaRequired = map[string][]string{
	"Field":      {"type"},
	"EnumValue":  {"value"},
	"Rule":       {"assert", "message"},
	"Workflow":   {"entity", "initial", "states"},
	"Transition": {"event", "from", "to"},
	"Role":       {"scope"},
	"Report":     {"entity"},
	"Measure":    {"name"},
	"CodeSet":    {"title"},
	"Code":       {"code", "name"},
	// Exports and schedules.
	"Export":         {"entity", "columns"},
	"ExportLines":    {"entity", "via"},
	"ExportColumn":   {"expr"},
	"ExportTotal":    {"expr", "equals"},
	"Schedule":       {"every", "entity"},
	"ScheduleCreate": {"entity", "set"},
	// Records that read and change other records.
	"GenerateAction": {"entity", "set"},
	"GenerateFrom":   {"entity"},
	"Block":          {"ref", "events", "message"},
	// Exchanges.
	"OutboundMessage": {"entity", "event", "fields"},
	"InboundMessage":  {"entity", "event"},
	"MessageLines":    {"entity", "via", "fields"},
	"ExchangePeer":    {"prefix", "as"},
}

// schemaScalars are string keys whose value is often written as a bare
// number or true/false, which the loader reads as its text: limits, codes,
// enum values, attribute values, and set expressions such as `approved: true`.
var schemaScalars = map[string][]string{
	"Field.min":         {"string", "number"},
	"Field.max":         {"string", "number"},
	"QuorumTier.amount": {"string", "number"},
	"Code.code":         {"string", "integer"},
	"Code.parent":       {"string", "integer"},
	"Code.attrs":        {"string", "number"},
	"EnumValue.value":   {"string", "integer"},
	"Transition.set":    {"string", "number", "boolean"},
	"Field.max_size":    {"string", "integer"},
	// Exports and schedules.
	"ExportColumn.pad":   {"string", "integer"},
	"ScheduleCreate.set": {"string", "number", "boolean"},
	// Books.
	"PostingLine.debit":  {"string", "integer"},
	"PostingLine.credit": {"string", "integer"},
	"PostingLine.amount": {"string", "number"},
}

// schemaNamed are named mappings whose keys the checker holds to namePattern.
var schemaNamed = map[string]bool{
	"file.entities": true, "file.codesets": true, "file.workflows": true, "file.forms": true,
	"file.roles": true, "file.reports": true, "Entity.fields": true,
	"file.exports": true, "file.schedules": true,
	"file.exchanges": true, "Exchange.outbound": true, "Exchange.inbound": true,
	"OutboundMessage.fields": true, "InboundMessage.values": true,
	"OutboundMessage.totals": true, "MessageLines.fields": true,
}

// schemaDocs describe each construct; the keys carry their own desc tags.
var schemaDocs = map[string]string{
	"Entity":       "A record type: one table, one REST resource, one form.",
	"Field":        "One attribute of an entity. Write `name: type` for a field with no other settings.",
	"EnumValue":    "One allowed value of an enum field. Write the value alone when it needs no label.",
	"Rule":         "A record-level assertion: when assert is false, message is shown against fields.",
	"Workflow":     "An approval flow on one entity: its records move from state to state by events.",
	"Transition":   "One event of a workflow: from which states, to which state, by which roles.",
	"Form":         "The layout of the form of the entity the form is named after.",
	"Section":      "A titled group of rows in a form.",
	"Role":         "What a group of users may do, and on which records.",
	"Grant":        "The actions a role may take on one entity: a list of actions, or {actions: [...]}.",
	"FieldRule":    "Fields of one entity hidden from, or read-only for, a role.",
	"Report":       "Grouped totals over an entity. Checked at load; runtime behaviour arrives with the report feature.",
	"Measure":      "One column of a report.",
	"CodeSet":      "A tree of codes of the basic-data standard: a national set, or a provincial extension that only adds codes.",
	"CodeAttr":     "An extra value each code of the set carries.",
	"Code":         "One code of a code set.",
	"Balance":      "Makes every record of the entity an account others may draw on. Write the money field alone, or {amount, open_on}.",
	"Draw":         "Money this record takes from the account its ref field names: reserved, consumed and given back at workflow events.",
	"Adjust":       "Makes every record an adjustment of an account: increase, decrease, transfer, freeze or unfreeze.",
	"Quorum":       "Distinct approvals a transition needs: a number, or {by, approvals, above: [{amount, approvals}]} rising with the record's amount.",
	"QuorumTier":   "One tier of a quorum: above amount, approvals.",
	"NumberAction": "Stamps a number from a sequence on the record when the transition fires: {field, format, per}.",
	// Exports and schedules.
	"Export":          "A file generated from one record and its lines, such as a bank file: GET /api/{app}/{entity}/{id}/exports/{name}.",
	"ExportLines":     "The records that become the rows of an export: those of entity whose ref field via points at the record.",
	"ExportColumn":    "One column of an export: a title and an expression over line and record.",
	"ExportTotal":     "An export's check total: the sum over the lines must equal a field of the record.",
	"Schedule":        "A rule run on an interval: for every record it matches, a record is created unless one exists, fields of the record are set, or an event of it is fired.",
	"ScheduleResolve": "What happens to the records a schedule created once its condition clears.",
	"ScheduleCreate":  "The record a schedule creates for each match.",
	// Records that read and change other records.
	"GenerateAction": "Records a transition creates when it fires: one, one per source record (from), or count of them, each field from an expression over parent, src, i and n.",
	"GenerateFrom":   "The source records of a generate action: one generated record per record of entity that where selects.",
	"Block":          "Events of the record a ref field points at that are refused while this record exists and its when holds.",
	// Exchanges.
	"Exchange":        "A counterparty (a bank, the treasury, another fiscal level) and the signed messages exchanged with it over the broker: docs/exchange.md.",
	"OutboundMessage": "A message Growth sends the party when a workflow event fires, written in the event's transaction.",
	"InboundMessage":  "A message the party sends Growth: it fires a workflow event on the record it refers to.",
	"ExchangeField":   "One key of a message body and the field it comes from or goes into. Write the field's name alone.",
	"MessageLines":    "The records of another entity that travel in an outbound message's body as a list, such as the transfers of a batch.",
	"ExchangePeer":    "A party that is another Growth installation on the same broker: its subject prefix and the name it gives us.",
	"MessageTotal":    "A total over an outbound message's lines: the sum of a field, or the count; optionally checked against a field of the record.",
	// Forms: fill, children, print.
	"FormFill":    "Fields filled from the record a ref field names: {ref, fields: {field: field of the referenced record}}.",
	"FormChild":   "Records of another entity that point at this one, listed on its page: {entity, ref, columns, title}.",
	"PrintLayout": "A record's print view: {title, sections, amount, signatures}.",
	// Books.
	"Posting":     "An accounting voucher posted when an event of an entity fires: debit and credit lines of a chart of accounts, in the event's transaction.",
	"PostingLine": "One line of a posting: debit or credit, one account (a code of the chart or a code field), an amount.",
}

// JSONSchema returns the JSON Schema of one definition file (any .yaml file
// of an app folder), indented and in a stable order, ending in a newline.
// docs/definitions.schema.json is its output.
func JSONSchema() (out []byte, err error) {
	defer func() {
		// A definition type with a Go type the generator does not know.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("metamodel: generating the schema: %v", r)
		}
	}()
	g := &schemaGen{defs: map[string]any{}, enums: schemaEnums()}
	root := g.object(reflect.TypeOf(file{}))
	doc := ordered{
		{"$schema", "http://json-schema.org/draft-07/schema#"},
		{"title", "Growth definition file"},
		{"description", "One YAML file of an app folder under definitions/. The files of a folder merge into one app. Generated by `growth schema`; `growth check` checks what a schema cannot (references, expressions, workflows)."},
	}
	doc = append(doc, root...)
	var names []string
	for name := range g.defs {
		names = append(names, name)
	}
	sort.Strings(names)
	var defs ordered
	for _, name := range names {
		defs = append(defs, member{name, g.defs[name]})
	}
	doc = append(doc, member{"definitions", defs})
	raw, err := marshalJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("metamodel: marshalling the schema: %w", err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("metamodel: indenting the schema: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

type schemaGen struct {
	defs  map[string]any
	enums map[string][]string
}

// ref returns a reference to the definition of struct type t, generating it
// on first use.
func (g *schemaGen) ref(t reflect.Type) ordered {
	name := snakeCase(t.Name())
	if _, done := g.defs[name]; !done {
		g.defs[name] = nil // reserve: types may refer to themselves
		g.defs[name] = g.definition(t)
	}
	return ordered{{"$ref", "#/definitions/" + name}}
}

// definition is the schema of struct type t: an object, or when t has a
// shorthand key, the shorthand's value or the object.
func (g *schemaGen) definition(t reflect.Type) ordered {
	obj := g.object(t)
	for _, ft := range tagsOf(t) {
		if ft.shorthand {
			short := g.value(t, t.Field(ft.index), ft)
			obj = ordered{{"anyOf", []any{short, obj}}}
			break
		}
	}
	if doc := schemaDocs[t.Name()]; doc != "" {
		obj = append(ordered{{"description", doc}}, obj...)
	}
	return obj
}

// object is the object schema of struct type t: its tagged keys and no other.
func (g *schemaGen) object(t reflect.Type) ordered {
	var props ordered
	for _, ft := range tagsOf(t) {
		sf := t.Field(ft.index)
		s := g.value(t, sf, ft)
		if desc := sf.Tag.Get("desc"); desc != "" {
			s = append(ordered{{"description", desc}}, s...)
		}
		props = append(props, member{ft.key, s})
	}
	obj := ordered{{"type", "object"}, {"properties", props}}
	if req := schemaRequired[t.Name()]; len(req) > 0 {
		obj = append(obj, member{"required", req})
	}
	return append(obj, member{"additionalProperties", false})
}

// value is the schema of the value of field sf (key ft) of struct type t.
func (g *schemaGen) value(t reflect.Type, sf reflect.StructField, ft fieldTag) ordered {
	id := t.Name() + "." + ft.key
	ty := sf.Type
	switch {
	case ft.named:
		s := ordered{{"type", "object"}}
		if schemaNamed[id] {
			s = append(s, member{"propertyNames", ordered{{"pattern", namePattern.String()}}})
		}
		return append(s, member{"additionalProperties", g.ref(ty.Elem().Elem())})
	case ty.Kind() == reflect.Pointer && ty.Elem().Kind() == reflect.Struct:
		return g.ref(ty.Elem())
	case ty.Kind() == reflect.Map && ty.Elem().Kind() == reflect.Map:
		return ordered{{"type", "object"}, {"additionalProperties", ordered{{"type", "object"}, {"additionalProperties", g.scalar(id, ty.Elem().Elem())}}}}
	case ty.Kind() == reflect.Map:
		return ordered{{"type", "object"}, {"additionalProperties", g.scalar(id, ty.Elem())}}
	case ty.Kind() == reflect.Slice:
		return g.list(id, ty)
	}
	return g.scalar(id, ty)
}

// list is the schema of a list; the decoder reads a single value where a
// list of values is due (`from: draft`).
func (g *schemaGen) list(id string, ty reflect.Type) ordered {
	elem := ty.Elem()
	var item ordered
	switch {
	case elem.Kind() == reflect.Pointer && elem.Elem().Kind() == reflect.Struct:
		item = g.ref(elem.Elem())
	case elem.Kind() == reflect.Slice:
		item = g.list(id, elem)
	default:
		item = g.scalar(id, elem)
	}
	arr := ordered{{"type", "array"}, {"items", item}}
	if elem.Kind() == reflect.String {
		return ordered{{"anyOf", []any{item, arr}}}
	}
	return arr
}

// scalar is the schema of a single value of Go type ty for key id.
func (g *schemaGen) scalar(id string, ty reflect.Type) ordered {
	if ty.Kind() == reflect.Pointer {
		ty = ty.Elem()
	}
	if vals, ok := g.enums[id]; ok {
		return ordered{{"type", "string"}, {"enum", vals}}
	}
	if types, ok := schemaScalars[id]; ok {
		return ordered{{"type", types}}
	}
	if id == "file.app" {
		return ordered{{"type", "string"}, {"pattern", namePattern.String()}}
	}
	switch ty.Kind() {
	case reflect.String:
		return ordered{{"type", "string"}}
	case reflect.Bool:
		return ordered{{"type", "boolean"}}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return ordered{{"type", "integer"}}
	case reflect.Float32, reflect.Float64:
		return ordered{{"type", "number"}}
	case reflect.Interface:
		return ordered{{"type", []string{"string", "number", "boolean"}}}
	}
	panic("no schema for " + id + " of Go type " + ty.String())
}

// snakeCase turns a Go type name into a definition name: CodeSet → code_set.
func snakeCase(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ordered is a JSON object that keeps its keys in the order written, so that
// the schema reads like the types it is generated from.
type ordered []member

type member struct {
	key   string
	value any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalJSON(m.key)
		if err != nil {
			return nil, err
		}
		v, err := marshalJSON(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalJSON is json.Marshal without escaping <, > and &, which the schema's
// patterns and texts hold literally.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

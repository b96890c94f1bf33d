package openapi

import (
	"bytes"
	"encoding/json"
)

// The types below are the part of OpenAPI 3.0.3 this package writes. They are
// plain structs rather than a third-party model so that the served document has
// no dependency beyond encoding/json, and so that the order of keys (paths,
// properties) follows the definitions instead of the alphabet.

type document struct {
	OpenAPI    string                `json:"openapi"`
	Info       info                  `json:"info"`
	Tags       []tag                 `json:"tags,omitempty"`
	Security   []securityRequirement `json:"security,omitempty"`
	Paths      *ordered[*pathItem]   `json:"paths"`
	Components components            `json:"components"`
}

type info struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version"`
}

type tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// securityRequirement maps a security scheme's name to its scopes.
type securityRequirement map[string][]string

type pathItem struct {
	Parameters []*parameter `json:"parameters,omitempty"`
	Get        *operation   `json:"get,omitempty"`
	Post       *operation   `json:"post,omitempty"`
	Patch      *operation   `json:"patch,omitempty"`
	Delete     *operation   `json:"delete,omitempty"`
}

type operation struct {
	Tags        []string            `json:"tags,omitempty"`
	Summary     string              `json:"summary,omitempty"`
	Description string              `json:"description,omitempty"`
	OperationID string              `json:"operationId"`
	Parameters  []*parameter        `json:"parameters,omitempty"`
	RequestBody *requestBody        `json:"requestBody,omitempty"`
	Responses   *ordered[*response] `json:"responses"`
	// Security is a pointer so that an explicitly public operation can say
	// "security: []", which overrides the document's default.
	Security *[]securityRequirement `json:"security,omitempty"`
}

type parameter struct {
	Ref         string  `json:"$ref,omitempty"`
	Name        string  `json:"name,omitempty"`
	In          string  `json:"in,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema,omitempty"`
	Example     any     `json:"example,omitempty"`
}

type requestBody struct {
	Description string                `json:"description,omitempty"`
	Required    bool                  `json:"required,omitempty"`
	Content     map[string]*mediaType `json:"content"`
}

type response struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Headers     map[string]*header    `json:"headers,omitempty"`
	Content     map[string]*mediaType `json:"content,omitempty"`
}

type header struct {
	Description string  `json:"description,omitempty"`
	Schema      *schema `json:"schema"`
}

type mediaType struct {
	Schema  *schema `json:"schema,omitempty"`
	Example any     `json:"example,omitempty"`
}

type components struct {
	Schemas         *ordered[*schema]          `json:"schemas"`
	Parameters      *ordered[*parameter]       `json:"parameters,omitempty"`
	Responses       *ordered[*response]        `json:"responses,omitempty"`
	SecuritySchemes map[string]*securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	// In and Name place an apiKey scheme (a cookie, a header).
	In          string `json:"in,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// schema is an OpenAPI 3.0 Schema Object (the JSON Schema dialect with
// nullable and readOnly).
type schema struct {
	Ref                  string            `json:"$ref,omitempty"`
	Title                string            `json:"title,omitempty"`
	Description          string            `json:"description,omitempty"`
	Type                 string            `json:"type,omitempty"`
	Format               string            `json:"format,omitempty"`
	Enum                 []string          `json:"enum,omitempty"`
	Pattern              string            `json:"pattern,omitempty"`
	MinLength            *int              `json:"minLength,omitempty"`
	MaxLength            *int              `json:"maxLength,omitempty"`
	Minimum              *int64            `json:"minimum,omitempty"`
	Maximum              *int64            `json:"maximum,omitempty"`
	Default              any               `json:"default,omitempty"`
	Example              any               `json:"example,omitempty"`
	Nullable             bool              `json:"nullable,omitempty"`
	ReadOnly             bool              `json:"readOnly,omitempty"`
	Items                *schema           `json:"items,omitempty"`
	Properties           *ordered[*schema] `json:"properties,omitempty"`
	Required             []string          `json:"required,omitempty"`
	AdditionalProperties any               `json:"additionalProperties,omitempty"`
	AllOf                []*schema         `json:"allOf,omitempty"`
	OneOf                []*schema         `json:"oneOf,omitempty"`
	// CodeSet names the code set of a code field, so that a client can offer
	// the codes (x-growth-codeset).
	CodeSet string `json:"x-growth-codeset,omitempty"`
	// RefEntity names the entity a ref field points at, as app.entity
	// (x-growth-ref).
	RefEntity string `json:"x-growth-ref,omitempty"`
}

// ref is a schema that points at a component schema.
func ref(name string) *schema { return &schema{Ref: "#/components/schemas/" + name} }

func ptr[T any](v T) *T { return &v }

// ordered is a JSON object whose keys keep the order they were set in.
type ordered[V any] struct {
	keys   []string
	values map[string]V
}

func newOrdered[V any]() *ordered[V] { return &ordered[V]{values: map[string]V{}} }

// Set adds or replaces key; a new key goes last.
func (m *ordered[V]) Set(key string, v V) {
	if _, ok := m.values[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.values[key] = v
}

// MarshalJSON writes the keys in insertion order.
func (m *ordered[V]) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, err := marshal(k)
		if err != nil {
			return nil, err
		}
		val, err := marshal(m.values[k])
		if err != nil {
			return nil, err
		}
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(val)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping: the document is read by
// people and tools, never embedded in a page, and "<", ">" and "&" appear in
// descriptions and patterns.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encode writes the document indented by two spaces, ending in a newline.
func encode(doc *document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

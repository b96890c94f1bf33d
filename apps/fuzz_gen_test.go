package apps_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/url"
	"regexp/syntax"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/growth-gov/growth/metamodel"
)

// The request generator of the fuzz harness (fuzz_test.go): it reads the
// OpenAPI document the server serves and makes, for any of its operations, a
// request that is valid, nearly valid or hostile. Every request carries the
// input classes it was made with ("nul", "bad-date", "malformed-json" …), so
// that an answer that breaks a rule can be traced to what caused it.

// fuzzOp is one operation of the document.
type fuzzOp struct {
	method   string
	template string // "/api/payment/payment/{id}"
	params   []*openapi3.Parameter
	body     *openapi3.Schema // nil when the operation takes no body
	bodyType string           // "application/json" or "multipart/form-data"
	// bodyRequired: the document says the body is required.
	bodyRequired bool
	// public: the document says the operation needs no login.
	public bool
	// create: the operation creates a record of entity.
	create bool
	entity *metamodel.Entity
	// kind is "list" or "get" for the operations that return records of
	// entity (checked against the caller's scope), else "".
	kind string
}

func (op *fuzzOp) String() string { return op.method + " " + op.template }

// fuzzOps lists the operations of the document in a stable order.
func fuzzOps(doc *openapi3.T, p *metamodel.Project) []*fuzzOp {
	var ops []*fuzzOp
	paths := doc.Paths.Map()
	var templates []string
	for t := range paths {
		templates = append(templates, t)
	}
	sort.Strings(templates)
	for _, t := range templates {
		item := paths[t]
		operations := item.Operations()
		var methods []string
		for m := range operations {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			o := operations[m]
			op := &fuzzOp{method: m, template: t}
			for _, pr := range append(slices.Clone(item.Parameters), o.Parameters...) {
				if pr != nil && pr.Value != nil {
					op.params = append(op.params, pr.Value)
				}
			}
			op.public = o.Security != nil && len(*o.Security) == 0
			if o.RequestBody != nil && o.RequestBody.Value != nil {
				op.bodyRequired = o.RequestBody.Value.Required
				for _, ct := range []string{"application/json", "multipart/form-data"} {
					if mt := o.RequestBody.Value.Content.Get(ct); mt != nil && mt.Schema != nil {
						op.body, op.bodyType = mt.Schema.Value, ct
						break
					}
				}
			}
			parts := strings.Split(strings.Trim(t, "/"), "/")
			if len(parts) >= 3 && parts[0] == "api" {
				if e := p.Entity(nil, parts[1]+"."+parts[2]); e != nil {
					op.entity = e
					op.create = m == "POST" && len(parts) == 3
					switch {
					case m == "GET" && len(parts) == 3:
						op.kind = "list"
					case m == "GET" && len(parts) == 4 && parts[3] == "{id}":
						op.kind = "get"
					}
				}
			}
			ops = append(ops, op)
		}
	}
	return ops
}

// fuzzReq is one generated request.
type fuzzReq struct {
	method  string
	path    string // with the query
	headers map[string]string
	body    []byte
	classes []string
}

func (r *fuzzReq) has(class string) bool { return slices.Contains(r.classes, class) }

// fuzzGen makes requests; ids are the records and files known so far.
type fuzzGen struct {
	r     *rand.Rand
	p     *metamodel.Project
	ids   map[string][]int64 // by qualified entity name; "files" for uploads
	names []string           // user names an admin may change (never the fuzz actors)
	// templates are valid records by qualified entity name (the seed rows),
	// for creates that get past validation more often than generated ones.
	templates map[string][]map[string]string
	org       string          // the org of the caller the request is made for
	usedKeys  map[string]bool // Idempotency-Keys sent so far
	classes   []string        // of the request being made
}

func (g *fuzzGen) mark(class string) {
	if !slices.Contains(g.classes, class) {
		g.classes = append(g.classes, class)
	}
}

func (g *fuzzGen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *fuzzGen, list []T) T { return list[g.r.IntN(len(list))] }

// hostileStrings are strings no field expects; each names its input class.
var hostileStrings = []struct{ class, s string }{
	{"nul", "a\x00b"},
	{"nul", "\x00"},
	{"unicode", "𝕳𝖊𝖑𝖑𝖔 👩‍👩‍👧 ‮evil‬ é"},
	{"unicode", "中文名称（测试）"},
	{"unicode", "\u200b\ufeff\u2028"},
	{"control", "line\r\nX-Injected: 1"},
	{"control", "\t=HYPERLINK(\"http://evil.example\")"},
	{"sql", "' or 1=1 --"},
	{"sql", "\"; DROP TABLE x; --"},
	{"markup", "<script>alert(1)</script>"},
	{"empty", ""},
	{"blank", "   "},
	{"path", "../../../../etc/passwd"},
	{"format", "%s%n%x{{.}}${jndi:ldap://x}"},
}

// hostileString returns a hostile string and marks its class.
func (g *fuzzGen) hostileString() string {
	h := pick(g, hostileStrings)
	g.mark(h.class)
	return h.s
}

// hugeString is a string far above any field's limit.
func (g *fuzzGen) hugeString() string {
	g.mark("huge-string")
	return strings.Repeat(pick(g, []string{"x", "中", "a\u0301"}), pick(g, []int{300, 5000, 70000}))
}

// badDates are dates that do not exist or that databases store differently.
var badDates = []struct{ class, s string }{
	{"date-0000", "0000-01-01"},
	{"bad-date", "2026-02-30"},
	{"bad-date", "2026-13-01"},
	{"bad-date", "26-1-1"},
	{"bad-date", "2026/01/02"},
	{"bad-date", "-0001-01-01"},
	{"bad-date", "10000-01-01"},
	{"bad-date", "9999-12-31"},
	{"bad-date", "0001-01-01"},
	{"bad-date", "2026-01-01T25:61:00Z"},
	{"bad-date", "1e9"},
}

func (g *fuzzGen) badDate() string {
	d := pick(g, badDates)
	g.mark(d.class)
	return d.s
}

// hugeNumbers are integers at and beyond what 32 and 64 bits hold.
var hugeNumbers = []string{"2147483648", "461168601842738792", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e308", "99999999999999999999999999999"}

// request makes a request for op as the holder of auth (headers, may be empty).
func (g *fuzzGen) request(op *fuzzOp, auth map[string]string) *fuzzReq {
	g.classes = nil
	req := &fuzzReq{method: op.method, headers: map[string]string{}}
	for k, v := range auth {
		req.headers[k] = v
	}
	if len(auth) > 0 && g.chance(0.03) {
		g.mark("bad-auth")
		req.headers["Authorization"] = pick(g, []string{"Bearer ", "Bearer x", "Basic YTpi", "Bearer " + strings.Repeat("A", 600), "bearer\x00x"})
	}
	path := op.template
	query := url.Values{}
	for _, pr := range op.params {
		switch pr.In {
		case "path":
			path = strings.Replace(path, "{"+pr.Name+"}", nonEmpty(g.pathValue(op, pr)), 1)
		case "query":
			if pr.Required || g.chance(0.5) {
				query.Set(pr.Name, g.queryValue(op, pr))
			}
		case "header":
			if pr.Required || g.chance(0.2) {
				req.headers[pr.Name] = g.headerValue(pr)
			}
		}
	}
	if g.chance(0.03) {
		g.mark("unknown-param")
		query.Set(pick(g, []string{"x", "page[]", "filter\x00", "__proto__"}), g.hostileString())
	}
	req.path = path
	if len(query) > 0 {
		req.path += "?" + query.Encode()
	}
	switch {
	case op.body != nil && op.bodyType == "multipart/form-data":
		req.body, req.headers["Content-Type"] = g.multipart(op)
	case op.body != nil:
		req.body = g.jsonBody(op)
		req.headers["Content-Type"] = "application/json"
	case g.chance(0.05):
		// A body where none is expected.
		g.mark("unexpected-body")
		req.body = []byte(`{"x":1}`)
		req.headers["Content-Type"] = "application/json"
	}
	req.classes = slices.Clone(g.classes)
	sort.Strings(req.classes)
	return req
}

// pathValue fills a path parameter: mostly a known id or a documented
// value, sometimes one that names nothing or cannot be parsed.
func (g *fuzzGen) pathValue(op *fuzzOp, pr *openapi3.Parameter) string {
	s := schemaOf(pr.Schema)
	if g.chance(0.1) {
		g.mark("bad-path")
		v := pick(g, []string{"0", "-1", "abc", "1.5", "1e3", "%00", "%E4%B8%AD", "%2F..%2F", "99999999", hugeNumbers[g.r.IntN(len(hugeNumbers))], url.PathEscape(g.hostileString())})
		if v == "%00" {
			g.mark("nul")
		}
		return v
	}
	switch {
	case pr.Name == "id":
		pool := "files"
		if op.entity != nil {
			pool = op.entity.QualifiedName()
		}
		if ids := g.ids[pool]; len(ids) > 0 {
			return strconv.FormatInt(pick(g, ids), 10)
		}
		return strconv.Itoa(1 + g.r.IntN(20))
	case s != nil && len(s.Enum) > 0:
		return url.PathEscape(fmt.Sprint(pick(g, s.Enum)))
	case pr.Name == "name" && len(g.names) > 0:
		return url.PathEscape(pick(g, g.names))
	}
	return url.PathEscape(g.text(s))
}

// nonEmpty keeps a path parameter from vanishing: /x/{id} with an empty id
// is the route /x/, another operation.
func nonEmpty(v string) string {
	if strings.Trim(v, "/ ") == "" {
		return "%20"
	}
	return v
}

// queryValue fills a query parameter.
func (g *fuzzGen) queryValue(op *fuzzOp, pr *openapi3.Parameter) string {
	switch pr.Name {
	case "page", "page_size":
		if g.chance(0.2) {
			v := pick(g, append([]string{"0", "-1", "abc", "1.0", " 1", "201", "100000"}, hugeNumbers...))
			if pr.Name == "page" && v != "0" && v != "-1" && v != "abc" && v != "1.0" && v != " 1" && v != "201" {
				g.mark("huge-page")
			} else {
				g.mark("bad-page")
			}
			return v
		}
		if pr.Name == "page" {
			return strconv.Itoa(1 + g.r.IntN(3))
		}
		return strconv.Itoa(1 + g.r.IntN(200))
	case "filter":
		return g.filter(op)
	case "sort":
		if g.chance(0.3) {
			g.mark("bad-sort")
			return pick(g, []string{"-", ",", "nope", "id;drop", "-id,-id", strings.Repeat("id,", 100) + "id", g.hostileString()})
		}
		return pick(g, g.fieldNames(op)) + pick(g, []string{"", ",-id"})
	}
	s := schemaOf(pr.Schema)
	return fmt.Sprint(g.value(s, pr.Name, 0))
}

func (g *fuzzGen) headerValue(pr *openapi3.Parameter) string {
	if pr.Name != "Idempotency-Key" {
		return g.text(schemaOf(pr.Schema))
	}
	var key string
	switch g.r.IntN(6) {
	case 0:
		g.mark("nul")
		key = "key\x00" + strconv.Itoa(g.r.IntN(1000))
	case 1:
		g.mark("huge-string")
		key = strings.Repeat("k", 201+g.r.IntN(600))
	case 2:
		g.mark("unicode")
		key = "键-" + strconv.Itoa(g.r.IntN(50))
	default:
		key = "fuzz-" + strconv.Itoa(g.r.IntN(50))
	}
	if g.usedKeys[key] {
		// Sent before, by this or another caller, with this or another body.
		g.mark("reused-key")
	}
	g.usedKeys[key] = true
	return key
}

// fieldNames are the entity's field names and the system columns.
func (g *fuzzGen) fieldNames(op *fuzzOp) []string {
	names := []string{"id", "created_at", "updated_at", "state", "version"}
	if op.entity != nil {
		for _, f := range op.entity.Fields {
			names = append(names, f.Name)
		}
	}
	return names
}

// filter makes a filter expression: mostly well-formed over the entity's
// fields, sometimes broken or hostile.
func (g *fuzzGen) filter(op *fuzzOp) string {
	if g.chance(0.3) {
		g.mark("bad-filter")
		return pick(g, []string{"(", "year =", "year = 'x", "year == 1", "x ~ 1", "year in ()",
			"year in (" + strings.Repeat("1,", 1200) + "1)", strings.Repeat("(", 500) + "year = 1" + strings.Repeat(")", 500),
			"name = '" + g.hostileString() + "'", "id = " + pick(g, hugeNumbers), "created_at > '" + g.badDate() + "'",
			"year = 2026 and", "not", strings.Repeat("year = 1 or ", 300) + "year = 2"})
	}
	if op.entity == nil {
		return "year = 2026"
	}
	var parts []string
	for range 1 + g.r.IntN(2) {
		f := pick(g, op.entity.Fields)
		var cond string
		switch {
		case f.Set != nil:
			code := pick(g, g.codes(f.Set))
			cond = f.Name + pick(g, []string{" under ", " = ", " != "}) + "'" + code + "'"
		case f.Type == "int" || f.Type == "money" || f.Type == "decimal":
			cond = f.Name + pick(g, []string{" > ", " <= ", " = "}) + pick(g, []string{"0", "2026", "100.50", "-1"})
		case f.Type == "date":
			cond = f.Name + " >= '" + pick(g, []string{"2026-01-01", "2025-12-31"}) + "'"
		case f.Type == "bool":
			cond = f.Name + " = " + pick(g, []string{"true", "false"})
		default:
			cond = f.Name + pick(g, []string{" = ", " != ", " contains "}) + "'" + strings.ReplaceAll(g.text(nil), "'", "''") + "'"
		}
		parts = append(parts, cond)
	}
	return strings.Join(parts, pick(g, []string{" and ", " or "}))
}

// codes are the codes of set, with a few that are not in it.
func (g *fuzzGen) codes(set *metamodel.CodeSet) []string {
	var out []string
	set.Walk(func(n *metamodel.CodeNode) { out = append(out, n.Code.Code) })
	return append(out, "000", "999999999999")
}

// jsonBody makes a JSON body for op: a generated object, sometimes broken
// as a whole.
func (g *fuzzGen) jsonBody(op *fuzzOp) []byte {
	if g.chance(0.1) {
		switch g.r.IntN(5) {
		case 0, 1:
			// An otherwise generated object with one bad string value or one
			// key twice: only the JSON is wrong.
			f := g.someField(op)
			obj, _ := g.value(op.body, "", 1).(map[string]any)
			if obj == nil {
				obj = map[string]any{}
			}
			if g.r.IntN(2) == 0 {
				g.mark("invalid-utf8")
				obj[f] = "\u0001MARK\u0001"
				return bytes.Replace([]byte(g.jsonText(obj)), []byte(`\u0001MARK\u0001`), []byte("\xff\xfe\xc0"), 1)
			}
			g.mark("duplicate-key")
			first := g.jsonText(g.value(propSchema(op.body, f), f, 1))
			obj[f] = g.value(propSchema(op.body, f), f, 1)
			text := g.jsonText(obj)
			return []byte(fmt.Sprintf(`{%q:%s,`, f, first) + text[1:])
		case 2:
			// Well-formed JSON that is not an object.
			g.mark("non-object-json")
			return []byte(pick(g, []string{"null", "[]", "[{}]", "\"x\"", "42", "true"}))
		default:
			g.mark("malformed-json")
			return []byte(pick(g, []string{"{", "}", "{\"a\":}", "{'a':1}", "{\"a\":1}}",
				"{\"a\":1,}", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000),
				"{\"a\":1e99999}"}))
		}
	}
	if rows := g.templates[entityName(op)]; op.create && len(rows) > 0 && g.chance(0.5) {
		return []byte(g.jsonText(g.fromTemplate(op.entity, op.body, pick(g, rows))))
	}
	v := g.value(op.body, "", 0)
	return []byte(g.jsonText(v))
}

func entityName(op *fuzzOp) string {
	if op.entity == nil {
		return ""
	}
	return op.entity.QualifiedName()
}

// fromTemplate is a seed row as a JSON object of the create schema s, with
// now and then one value broken.
func (g *fuzzGen) fromTemplate(e *metamodel.Entity, s *openapi3.Schema, row map[string]string) map[string]any {
	obj := map[string]any{}
	broken := ""
	if g.chance(0.3) {
		broken = pick(g, sortedKeys(row))
	}
	for _, k := range sortedKeys(row) {
		ps := propSchema(s, k)
		if ps == nil || ps.ReadOnly {
			continue
		}
		v := row[k]
		switch {
		case k == broken:
			obj[k] = g.mutant(ps, k)
			continue
		case e != nil && k == e.OrgField && g.org != "":
			// In the caller's org, where their scope lets them create.
			if f := e.Field(k); f != nil && f.Set != nil {
				if n := f.Set.Lookup(g.org); n != nil {
					for !n.Leaf() {
						n = n.Children[0]
					}
					v = n.Code.Code
				}
			}
		case k == "amount" || k == "doc_no" || k == "code" || k == "id_no":
			// Seed rows may be unique on these: vary them a little.
			if n := len(v); n > 3 && g.chance(0.7) {
				v = v[:n-3] + strconv.Itoa(100+g.r.IntN(900))
				if strings.Contains(row[k], ".") {
					v = row[k]
				}
			}
		}
		switch schemaType(ps) {
		case "integer":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				obj[k] = n
				continue
			}
		case "boolean":
			obj[k] = v == "true"
			continue
		}
		obj[k] = v
	}
	return obj
}

func (g *fuzzGen) someField(op *fuzzOp) string {
	if op.body != nil && len(op.body.Properties) > 0 {
		return pick(g, sortedKeys(op.body.Properties))
	}
	return "comment"
}

func (g *fuzzGen) jsonText(v any) string {
	if raw, ok := v.(json.RawMessage); ok {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// value makes a value for schema s (of the property called name): valid
// most of the time, else one mutation marked with its class.
func (g *fuzzGen) value(s *openapi3.Schema, name string, depth int) any {
	if s == nil {
		return g.text(nil)
	}
	if depth < 4 && g.chance(0.12) {
		return g.mutant(s, name)
	}
	if len(s.Enum) > 0 {
		return pick(g, s.Enum)
	}
	if len(s.AllOf) > 0 {
		return g.value(schemaOf(s.AllOf[0]), name, depth)
	}
	if len(s.OneOf) > 0 {
		return g.value(schemaOf(pick(g, s.OneOf)), name, depth)
	}
	switch schemaType(s) {
	case "object":
		obj := map[string]any{}
		keys := sortedKeys(s.Properties)
		for _, k := range keys {
			ps := schemaOf(s.Properties[k])
			if ps == nil || ps.ReadOnly {
				continue
			}
			required := slices.Contains(s.Required, k)
			if required && g.chance(0.05) {
				g.mark("missing-required")
				continue
			}
			if required || g.chance(0.7) {
				obj[k] = g.value(ps, k, depth+1)
			}
		}
		if g.chance(0.03) {
			g.mark("unknown-field")
			obj[pick(g, []string{"id", "version", "state", "created_by", "__proto__", "zz_unknown"})] = 1
		}
		return obj
	case "array":
		n := g.r.IntN(3)
		out := make([]any, 0, n)
		for range n {
			out = append(out, g.value(schemaOf(s.Items), name, depth+1))
		}
		return out
	case "integer":
		if ref := extension(s, "x-growth-ref"); ref != "" {
			if ids := g.ids[ref]; len(ids) > 0 {
				return pick(g, ids)
			}
		}
		lo, hi := int64(1), int64(1000)
		if s.Min != nil {
			lo = int64(*s.Min)
		}
		if s.Max != nil {
			hi = int64(*s.Max)
		} else if lo < 2000 && name == "year" {
			hi = 2030
		}
		if s.Min != nil && s.Max != nil && lo <= 2026 && hi >= 2026 && g.chance(0.6) {
			return 2026
		}
		if hi < lo {
			return lo
		}
		return lo + g.r.Int64N(hi-lo+1)
	case "number":
		return json.RawMessage(strconv.Itoa(g.r.IntN(100000)))
	case "boolean":
		return g.chance(0.5)
	case "string":
		if set := extension(s, "x-growth-codeset"); set != "" {
			if cs := g.p.CodeSet(set); cs != nil {
				return pick(g, g.codes(cs)[:max(1, len(g.codes(cs))-2)])
			}
		}
		switch s.Format {
		case "date":
			return fmt.Sprintf("2026-%02d-%02d", 1+g.r.IntN(12), 1+g.r.IntN(28))
		case "date-time":
			return fmt.Sprintf("2026-%02d-%02dT%02d:00:00Z", 1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(24))
		}
		return g.text(s)
	}
	return g.text(s)
}

// mutant is a value that breaks schema s in one way.
func (g *fuzzGen) mutant(s *openapi3.Schema, name string) any {
	typ := schemaType(s)
	switch g.r.IntN(7) {
	case 0:
		g.mark("wrong-type")
		return pick(g, []any{nil, true, 0, -1, "x", []any{1}, map[string]any{"a": 1}, json.RawMessage("1.5"), json.RawMessage("1e400")})
	case 1:
		g.mark("boundary")
		switch {
		case s.Max != nil:
			return json.RawMessage(strconv.FormatFloat(*s.Max+1, 'f', -1, 64))
		case s.Min != nil:
			return json.RawMessage(strconv.FormatFloat(*s.Min-1, 'f', -1, 64))
		case s.MaxLength != nil:
			return strings.Repeat("长", int(*s.MaxLength)+1)
		case typ == "string" && s.Pattern != "":
			return pick(g, []string{"-0", "0.001", "1,000", "１２３", "1e3", " 12 ", "-", "99999999999999999999.99"})
		}
		return json.RawMessage(pick(g, hugeNumbers))
	case 2:
		return g.hugeString()
	case 3:
		if typ == "string" && (s.Format == "date" || s.Format == "date-time") || g.chance(0.3) {
			return g.badDate()
		}
		return g.hostileString()
	case 4:
		if typ == "integer" || typ == "number" {
			g.mark("huge-number")
			return json.RawMessage(pick(g, hugeNumbers))
		}
		return g.hostileString()
	case 5:
		g.mark("nul")
		return "\x00" + fmt.Sprint(g.value(s, name, 99))
	}
	return g.hostileString()
}

// text makes a string for s: one matching its pattern when it has one.
func (g *fuzzGen) text(s *openapi3.Schema) string {
	out := pick(g, []string{"测试", "fuzz", "备注 ", "ok", "摘要-说明"}) + strconv.Itoa(g.r.IntN(1000))
	if s != nil && s.Pattern != "" {
		if re, err := syntax.Parse(s.Pattern, syntax.Perl); err == nil {
			var b strings.Builder
			gen := g.r.Uint64()
			generate(&b, re.Simplify(), &gen)
			out = b.String()
		}
	}
	if s != nil && s.MaxLength != nil && uint64(len([]rune(out))) > *s.MaxLength {
		out = string([]rune(out)[:*s.MaxLength])
	}
	return out
}

// multipart makes an upload: a file (CSV of the entity's fields, junk, an
// empty file, a fake archive) under an ordinary or a hostile name.
func (g *fuzzGen) multipart(op *fuzzOp) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fileField := "file"
	for _, k := range sortedKeys(op.body.Properties) {
		if ps := schemaOf(op.body.Properties[k]); ps != nil && ps.Format == "binary" {
			fileField = k
		}
	}
	name := pick(g, []string{"data.csv", "data.xlsx", "scan.pdf", "a.txt"})
	if g.chance(0.2) {
		name = g.hostileString() + ".csv"
	}
	var content []byte
	switch g.r.IntN(5) {
	case 0:
		content = nil
		g.mark("empty-file")
	case 1:
		g.mark("junk-file")
		content = make([]byte, 1+g.r.IntN(2048))
		for i := range content {
			content[i] = byte(g.r.IntN(256))
		}
	case 2:
		g.mark("junk-file")
		content = []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00junk")
	case 3:
		content = []byte("%PDF-1.4\n%%EOF\n")
	default:
		content = g.csv(op)
	}
	part, err := w.CreateFormFile(fileField, name)
	if err == nil {
		_, _ = part.Write(content)
	}
	for _, k := range sortedKeys(op.body.Properties) {
		if k == fileField {
			continue
		}
		if g.chance(0.5) {
			_ = w.WriteField(k, fmt.Sprint(g.value(schemaOf(op.body.Properties[k]), k, 0)))
		}
	}
	_ = w.Close()
	if g.chance(0.05) {
		g.mark("malformed-multipart")
		return buf.Bytes()[:buf.Len()/2], w.FormDataContentType()
	}
	return buf.Bytes(), w.FormDataContentType()
}

// csv is a CSV file of a few generated rows of the entity's fields.
func (g *fuzzGen) csv(op *fuzzOp) []byte {
	if op.entity == nil {
		return []byte("a,b\n1,2\n")
	}
	var b strings.Builder
	var names []string
	for _, f := range op.entity.Fields {
		names = append(names, f.Name)
	}
	b.WriteString(strings.Join(names, ",") + "\n")
	for range 1 + g.r.IntN(3) {
		var cells []string
		for _, f := range op.entity.Fields {
			var v string
			switch {
			case f.Set != nil:
				v = pick(g, g.codes(f.Set))
			case f.Type == "int":
				v = "2026"
			case f.Type == "money" || f.Type == "decimal":
				v = pick(g, []string{"100.00", "-1", "abc", "1e3"})
			case f.Type == "date":
				v = pick(g, []string{"2026-03-01", g.badDate()})
			case f.Type == "bool":
				v = "true"
			default:
				v = g.text(nil)
				if g.chance(0.1) {
					v = g.hostileString()
				}
			}
			cells = append(cells, `"`+strings.ReplaceAll(v, `"`, `""`)+`"`)
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return []byte(b.String())
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

func propSchema(s *openapi3.Schema, name string) *openapi3.Schema {
	if s == nil {
		return nil
	}
	return schemaOf(s.Properties[name])
}

func schemaType(s *openapi3.Schema) string {
	if s.Type == nil {
		if len(s.Properties) > 0 {
			return "object"
		}
		return ""
	}
	for _, t := range s.Type.Slice() {
		if t != "null" {
			return t
		}
	}
	return ""
}

func extension(s *openapi3.Schema, name string) string {
	switch v := s.Extensions[name].(type) {
	case string:
		return v
	case json.RawMessage:
		var out string
		_ = json.Unmarshal(v, &out)
		return out
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package apps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
	"github.com/valyala/fasthttp"
)

// TestFuzzAPI is the standing fuzz harness of the REST API (docs/testing.md).
// It starts the shipped definitions with their roles and seed data, logs in
// one user per role (the demo users), an anonymous caller and a caller with
// a broken token, and sends requests made from the served OpenAPI document
// (fuzz_gen_test.go) to every route: valid ones, boundary values, wrong types,
// missing fields, huge and hostile strings, bad dates, huge page numbers and
// malformed JSON. Every answer must be below 500 and, when it is a 4xx, in the
// one error shape; what a caller gets back must be inside their data scope,
// without their hidden fields; nothing but the public routes answers without
// login. Afterwards the ledger and the audit chains must verify.
//
// The short run (every `go test`) sends GROWTH_FUZZ_STEPS requests (default
// 300) per database from a fixed seed. GROWTH_FUZZ_DURATION=5m runs for that
// long per database from a random seed; GROWTH_FUZZ_SEED repeats a run. The
// seed and the number of requests are printed with every failure.
func TestFuzzAPI(t *testing.T) {
	cfg := fuzzConfigFromEnv(t)
	p := enginetest.LoadDir(t, shippedDir)
	var runs []*fuzzHarness
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		h := startFuzz(t, d, p, cfg)
		h.run()
		h.verify()
		h.sweepScope()
		h.report()
		runs = append(runs, h)
	})
	if len(runs) == 2 && cfg.duration == 0 {
		compareRuns(t, runs[0], runs[1])
	}
}

// compareRuns holds the databases to the same answers: the same requests
// from the same seed must be accepted or refused alike on both (the same
// status). A difference where one side stored something and the other did
// not makes the runs part ways; comparing stops there.
func compareRuns(t *testing.T, a, b *fuzzHarness) {
	n := min(len(a.trace), len(b.trace))
	for i := range n {
		x, y := a.trace[i], b.trace[i]
		if x.status == y.status {
			continue
		}
		known := ""
		for _, c := range x.req.classes {
			if why, ok := knownDefects[c]; ok && !a.cfg.strict {
				known = why
			}
		}
		msg := fmt.Sprintf("request %d answered %d on %s and %d on %s — %s as %s\n    request: %s %s",
			i+1, x.status, a.t.Name(), y.status, b.t.Name(), x.op, x.actor, x.req.method, clip(x.req.path, 300))
		if x.req.body != nil {
			msg += fmt.Sprintf("\n    body (%d bytes): %q", len(x.req.body), clip(string(x.req.body), 400))
		}
		if len(x.req.classes) > 0 {
			msg += "\n    input classes: " + strings.Join(x.req.classes, ", ")
		}
		if known != "" {
			t.Logf("the databases differ, a known defect (%s): %s", known, msg)
		} else {
			t.Errorf("the databases differ: %s\n    repeat with GROWTH_FUZZ_SEED=%d GROWTH_FUZZ_STEPS=%d", msg, a.cfg.seed, i+1)
		}
		if x.req.method != "GET" && (x.status < 300) != (y.status < 300) {
			t.Logf("the runs part ways at request %d (one database stored what the other refused); not compared further", i+1)
			return
		}
	}
}

// fuzzStep is one request of a run and its answer.
type fuzzStep struct {
	op, actor string
	req       *fuzzReq
	status    int
}

// knownDefects are input classes that still break the server: answers to
// requests made with these classes that break a rule are logged, not
// failed. Add an entry only with the issue that will fix it; the fixes of
// issue 14 emptied it.
var knownDefects = map[string]string{}

type fuzzConfig struct {
	seed     uint64
	steps    int
	duration time.Duration
	strict   bool // GROWTH_FUZZ_STRICT=1: known defects fail too
}

func fuzzConfigFromEnv(t *testing.T) fuzzConfig {
	cfg := fuzzConfig{seed: 14, steps: 300}
	if v := os.Getenv("GROWTH_FUZZ_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("GROWTH_FUZZ_DURATION=%q: %v", v, err)
		}
		cfg.duration, cfg.steps = d, 0
		cfg.seed = uint64(time.Now().UnixNano())
	}
	if v := os.Getenv("GROWTH_FUZZ_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GROWTH_FUZZ_SEED=%q: %v", v, err)
		}
		cfg.seed = n
	}
	if v := os.Getenv("GROWTH_FUZZ_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("GROWTH_FUZZ_STEPS=%q: want a number of requests", v)
		}
		cfg.steps = n
	}
	cfg.strict = os.Getenv("GROWTH_FUZZ_STRICT") == "1"
	return cfg
}

// fuzzActor is a caller: a logged-in user, or nobody.
type fuzzActor struct {
	name  string
	token string
	actor engine.Actor
	dead  bool // logged out and could not log in again
}

func (a *fuzzActor) auth() map[string]string {
	if a.token == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + a.token}
}

// fuzzProblem is an answer that broke a rule.
type fuzzProblem struct {
	kind   string // server-error, panic, error-shape, accepted-malformed, unauthenticated, scope, hidden, invariant
	detail string
	step   int
	op     string
	actor  string
	req    *fuzzReq
	status int
	answer string
	known  string // the knownDefects entry it matches, if any
}

type fuzzHarness struct {
	t       *testing.T
	cfg     fuzzConfig
	s       *authServer
	handler fasthttp.RequestHandler
	p       *metamodel.Project
	ops     []*fuzzOp
	actors  []*fuzzActor
	gen     *fuzzGen
	steps   int
	trace   []fuzzStep
	counts  map[int]int // answers by status
	// problems by kind|op|status, each with its first example.
	problems map[string][]*fuzzProblem
}

func startFuzz(t *testing.T, d engine.Dialect, p *metamodel.Project, cfg fuzzConfig) *fuzzHarness {
	t.Helper()
	ctx := context.Background()
	s := startAuthServer(t, d, p)
	files, err := s.rt.SeedFiles()
	if err != nil {
		t.Fatal(err)
	}
	templates := map[string][]map[string]string{}
	for _, f := range files {
		if _, err := s.rt.Seed(ctx, engine.SystemActor, f, nil); err != nil {
			t.Fatalf("seed %s/%s: %v", f.App, f.Name, err)
		}
		if strings.HasSuffix(f.Path, ".csv") {
			rel, err := filepath.Rel(shippedDir, f.Path)
			if err != nil || strings.HasPrefix(rel, "..") {
				rel = filepath.Join(f.App, "seed", f.Name)
			}
			templates[f.App+"."+f.Entity] = append(templates[f.App+"."+f.Entity], shippedSeed(t, rel)...)
		}
	}
	h := &fuzzHarness{t: t, cfg: cfg, s: s, handler: s.app.Handler(), p: p, counts: map[int]int{}, problems: map[string][]*fuzzProblem{}}
	h.gen = &fuzzGen{r: rand.New(rand.NewPCG(cfg.seed, 14)), p: p, ids: map[string][]int64{}, templates: templates, usedKeys: map[string]bool{}}

	demo, err := s.users.EnsureDemoUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range demo {
		a := &fuzzActor{name: u.Name}
		if err := h.login(a); err != nil {
			t.Fatalf("log in %s: %v", u.Name, err)
		}
		h.actors = append(h.actors, a)
	}
	h.actors = append(h.actors, &fuzzActor{name: "(anonymous)"}, &fuzzActor{name: "(stale token)", token: "not-a-token-" + strings.Repeat("x", 40)})
	// Users an admin may change; the fuzz actors themselves stay as they are.
	for i := range 3 {
		name := fmt.Sprintf("fz_spare_%d", i)
		s.addUser(name, "")
		h.gen.names = append(h.gen.names, name)
	}
	h.gen.names = append(h.gen.names, "nobody_here")

	var admin *fuzzActor
	for _, a := range h.actors {
		if a.name == "admin" {
			admin = a
		}
	}
	status, raw, _ := h.send(&fuzzReq{method: "GET", path: "/api/openapi.json", headers: admin.auth()}, "127.0.0.1")
	if status != 200 {
		t.Fatalf("GET /api/openapi.json: %d %s", status, raw)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("the served OpenAPI document does not load: %v", err)
	}
	h.ops = fuzzOps(doc, p)
	for _, op := range h.ops {
		if op.kind != "list" {
			continue
		}
		res, err := s.rt.List(ctx, engine.SystemActor, op.entity.App.Name, op.entity.Name, engine.ListQuery{PageSize: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range res.Items {
			h.gen.ids[op.entity.QualifiedName()] = append(h.gen.ids[op.entity.QualifiedName()], rec.ID)
		}
	}
	return h
}

// login logs a in through the API and resolves who the server takes it for.
func (h *fuzzHarness) login(a *fuzzActor) error {
	body, _ := json.Marshal(map[string]string{"username": a.name, "password": engine.DemoPassword})
	if strings.HasPrefix(a.name, "fz_") {
		body, _ = json.Marshal(map[string]string{"username": a.name, "password": a.name + "-password"})
	}
	status, raw, _ := h.send(&fuzzReq{method: "POST", path: "/api/auth/login", body: body, headers: map[string]string{"Content-Type": "application/json"}}, "127.0.0.1")
	if status != 200 {
		return fmt.Errorf("login answered %d %s", status, raw)
	}
	var out struct{ Token string }
	if err := json.Unmarshal(raw, &out); err != nil || out.Token == "" {
		return fmt.Errorf("login answered no token: %s", raw)
	}
	actor, err := h.s.users.Authenticate(context.Background(), out.Token, engine.BearerSession)
	if err != nil {
		return err
	}
	a.token, a.actor = out.Token, actor
	return nil
}

// send passes req to the server's handler in this goroutine, so that a panic
// is caught and reported with the request that caused it.
func (h *fuzzHarness) send(req *fuzzReq, remote string) (status int, body []byte, panicked any) {
	var r fasthttp.Request
	r.Header.SetMethod(req.method)
	r.SetRequestURI(req.path)
	r.Header.SetHost("growth.test")
	for k, v := range req.headers {
		r.Header.Set(k, v)
	}
	if req.body != nil {
		r.SetBody(req.body)
	}
	var fctx fasthttp.RequestCtx
	fctx.Init(&r, &net.TCPAddr{IP: net.ParseIP(remote), Port: 40000}, nil)
	func() {
		defer func() { panicked = recover() }()
		h.handler(&fctx)
	}()
	if panicked != nil {
		return 0, nil, panicked
	}
	return fctx.Response.StatusCode(), slices.Clone(fctx.Response.Body()), nil
}

// run sends the requests.
func (h *fuzzHarness) run() {
	deadline := time.Time{}
	if h.cfg.duration > 0 {
		deadline = time.Now().Add(h.cfg.duration)
	}
	for {
		if h.cfg.steps > 0 && h.steps >= h.cfg.steps {
			break
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		if h.cfg.steps == 0 && deadline.IsZero() {
			break
		}
		h.step()
		h.steps++
		if h.steps%2000 == 0 {
			h.verify()
		}
	}
}

func (h *fuzzHarness) step() {
	g := h.gen
	op := pick(g, h.ops)
	var live []*fuzzActor
	for _, a := range h.actors {
		if !a.dead {
			live = append(live, a)
		}
	}
	a := pick(g, live)
	if op.entity != nil && g.chance(0.8) {
		// Mostly a caller with some right on the entity, so that requests
		// get past authorization to the parts that parse and store.
		var granted []*fuzzActor
		for _, c := range live {
			if c.token != "" && slices.ContainsFunc(c.actor.Roles, func(r string) bool {
				action := "read"
				if op.create {
					action = "create"
				}
				return h.s.rt.Access.Can(engine.Actor{Roles: []string{r}}, op.entity, action)
			}) {
				granted = append(granted, c)
			}
		}
		if len(granted) > 0 {
			a = pick(g, granted)
		}
	}
	g.org = a.actor.Org
	req := g.request(op, a.auth())
	remote := "127.0.0.1"
	if op.template == "/api/auth/login" {
		// Failed logins count against the address: keep them off the
		// address the actors log in again from.
		remote = fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}
	status, raw, panicked := h.send(req, remote)
	h.counts[status]++
	h.trace = append(h.trace, fuzzStep{op: op.String(), actor: a.name, req: req, status: status})
	problem := func(kind, detail string) {
		h.add(&fuzzProblem{kind: kind, detail: detail, step: h.steps, op: op.String(), actor: a.name, req: req, status: status, answer: string(raw)})
	}
	switch {
	case panicked != nil:
		problem("panic", fmt.Sprint(panicked))
		return
	case status >= 500:
		problem("server-error", "answered "+strconv.Itoa(status))
		return
	case status >= 400:
		if msg := errorShape(raw); msg != "" {
			problem("error-shape", msg)
		}
	}
	ok := status >= 200 && status < 300
	if ok && op.bodyRequired && (req.has("malformed-json") || req.has("non-object-json") || req.has("invalid-utf8") || req.has("duplicate-key")) {
		problem("accepted-malformed", "a malformed JSON body was accepted")
	}
	if ok && !op.public && (a.token == "" || req.has("bad-auth")) {
		problem("unauthenticated", "answered without a valid login")
	}
	if ok && op.template == "/api/auth/logout" && !req.has("bad-auth") {
		if err := h.login(a); err != nil {
			h.t.Logf("%s logged out and cannot log in again (%v); it sends no more requests", a.name, err)
			a.dead = true
		}
	}
	if ok {
		h.learn(op, raw)
	}
	if ok && op.kind != "" && a.token != "" && !req.has("bad-auth") {
		for _, msg := range h.outOfScope(a, op.entity, op.kind, raw) {
			kind, _, _ := strings.Cut(msg, ":")
			problem(kind, msg)
		}
	}
}

// errorShape says what is wrong with a 4xx answer, or "".
func errorShape(raw []byte) string {
	var body struct {
		Error *struct {
			Code    any `json:"code"`
			Message any `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return "the answer is not JSON: " + err.Error()
	}
	if body.Error == nil {
		return `the answer has no "error" object`
	}
	code, _ := body.Error.Code.(string)
	msg, _ := body.Error.Message.(string)
	if code == "" || msg == "" {
		return `"error" lacks a string code or message`
	}
	return ""
}

// learn keeps the ids of what a request created, for later requests.
func (h *fuzzHarness) learn(op *fuzzOp, raw []byte) {
	if op.method != "POST" {
		return
	}
	var out map[string]any
	if json.Unmarshal(raw, &out) != nil {
		return
	}
	switch {
	case op.template == "/api/files":
		if id, ok := out["id"].(float64); ok {
			h.gen.ids["files"] = append(h.gen.ids["files"], int64(id))
		}
	case op.template == "/api/admin/users":
		if name, ok := out["name"].(string); ok {
			h.gen.names = append(h.gen.names, name)
		}
	case op.entity != nil && strings.Count(op.template, "/") == 3:
		if id, ok := out["id"].(float64); ok {
			h.gen.ids[op.entity.QualifiedName()] = append(h.gen.ids[op.entity.QualifiedName()], int64(id))
		}
	}
}

// outOfScope checks each record of a list or get answer against the
// caller's data scope (engine Access.Sees on the stored record) and their
// hidden fields; it returns "scope: …" and "hidden: …" messages.
func (h *fuzzHarness) outOfScope(a *fuzzActor, e *metamodel.Entity, kind string, raw []byte) []string {
	var items []map[string]any
	if kind == "list" {
		var page struct{ Items []map[string]any }
		if err := json.Unmarshal(raw, &page); err != nil {
			return []string{"error-shape: the list answer is not a page: " + err.Error()}
		}
		items = page.Items
	} else {
		var one map[string]any
		if err := json.Unmarshal(raw, &one); err != nil {
			return []string{"error-shape: the record answer is not an object: " + err.Error()}
		}
		items = []map[string]any{one}
	}
	var out []string
	for _, it := range items {
		id, _ := it["id"].(float64)
		rec, err := h.s.rt.Get(context.Background(), engine.SystemActor, e.App.Name, e.Name, int64(id))
		if err != nil {
			out = append(out, fmt.Sprintf("scope: %s #%v was answered but cannot be read back: %v", e.QualifiedName(), it["id"], err))
			continue
		}
		if !h.reads(a.actor, e, rec) {
			out = append(out, fmt.Sprintf("scope: %s #%d (org %v, by %s) is outside the read scope of %s (roles %v, org %q)",
				e.QualifiedName(), rec.ID, rec.Values[e.OrgField], rec.CreatedBy, a.name, a.actor.Roles, a.actor.Org))
		}
		for _, f := range e.Fields {
			if _, present := it[f.Name]; present && h.s.rt.Access.Hidden(a.actor, e, f.Name) {
				out = append(out, fmt.Sprintf("hidden: %s.%s is hidden from %s but answered", e.QualifiedName(), f.Name, a.name))
			}
		}
	}
	return out
}

// reads reports whether rec is inside the data scope of one of actor's roles
// that may read e, as docs/access.md defines it: all; own (created by the
// user); own_org and org_subtree by the entity's org_field, and every record
// of an entity without one. It is the harness's own reading of the rule, not
// the engine's query, so that the two can disagree.
func (h *fuzzHarness) reads(actor engine.Actor, e *metamodel.Entity, rec *engine.Record) bool {
	for _, name := range actor.Roles {
		appName, roleName, _ := strings.Cut(name, ".")
		a := h.p.App(appName)
		if a == nil {
			continue
		}
		var role *metamodel.Role
		for _, r := range a.Roles {
			if r.Name == roleName {
				role = r
			}
		}
		single := engine.Actor{User: actor.User, Org: actor.Org, Roles: []string{name}}
		if role == nil || !slices.ContainsFunc(metamodel.ReadActions, func(act string) bool { return h.s.rt.Access.Can(single, e, act) }) {
			continue
		}
		switch role.Scope {
		case "all":
			return true
		case "own":
			if rec.CreatedBy == actor.User {
				return true
			}
		case "own_org", "org_subtree":
			if e.OrgField == "" {
				return true
			}
			code, _ := rec.Values[e.OrgField].(string)
			if role.Scope == "own_org" {
				if actor.Org != "" && code == actor.Org {
					return true
				}
				continue
			}
			f := e.Field(e.OrgField)
			if f == nil || f.Set == nil || actor.Org == "" {
				continue
			}
			for n := f.Set.Lookup(code); n != nil; n = n.Parent {
				if n.Code.Code == actor.Org {
					return true
				}
			}
		}
	}
	return false
}

// verify checks the ledger and the audit chains with the engine's own
// verifiers (growth ledger verify, growth audit verify).
func (h *fuzzHarness) verify() {
	ctx := context.Background()
	led, err := h.s.rt.DB.VerifyLedger(ctx)
	switch {
	case err != nil:
		h.add(&fuzzProblem{kind: "invariant", detail: "ledger verify failed to run: " + err.Error(), step: h.steps})
	case !led.OK():
		h.add(&fuzzProblem{kind: "invariant", detail: "ledger verify: " + strings.Join(led.Problems, "; "), step: h.steps})
	}
	aud, err := h.s.rt.DB.VerifyAudit(ctx)
	switch {
	case err != nil:
		h.add(&fuzzProblem{kind: "invariant", detail: "audit verify failed to run: " + err.Error(), step: h.steps})
	case !aud.OK():
		h.add(&fuzzProblem{kind: "invariant", detail: "audit verify: " + strings.Join(aud.Broken, "; "), step: h.steps})
	}
}

// sweepScope lists every entity as every actor after the run and checks
// every record answered against the actor's scope.
func (h *fuzzHarness) sweepScope() {
	for _, a := range h.actors {
		if a.token == "" || a.dead {
			continue
		}
		for _, op := range h.ops {
			if op.kind != "list" {
				continue
			}
			req := &fuzzReq{method: "GET", path: op.template + "?page_size=200", headers: a.auth()}
			status, raw, panicked := h.send(req, "127.0.0.1")
			switch {
			case panicked != nil:
				h.add(&fuzzProblem{kind: "panic", detail: fmt.Sprint(panicked), step: h.steps, op: op.String(), actor: a.name, req: req})
			case status >= 500:
				h.add(&fuzzProblem{kind: "server-error", detail: "scope sweep answered " + strconv.Itoa(status), step: h.steps, op: op.String(), actor: a.name, req: req, status: status, answer: string(raw)})
			case status == 200:
				for _, msg := range h.outOfScope(a, op.entity, "list", raw) {
					kind, _, _ := strings.Cut(msg, ":")
					h.add(&fuzzProblem{kind: kind, detail: msg, step: h.steps, op: op.String(), actor: a.name, req: req, status: status})
				}
			}
		}
	}
}

func (h *fuzzHarness) add(pr *fuzzProblem) {
	if pr.req != nil && (pr.kind == "server-error" || pr.kind == "accepted-malformed") && !h.cfg.strict {
		for _, c := range pr.req.classes {
			if why, ok := knownDefects[c]; ok {
				pr.known = why
				break
			}
		}
	}
	key := pr.kind + "|" + pr.op + "|" + strconv.Itoa(pr.status)
	if pr.known != "" {
		key = "known|" + pr.known
	}
	if pr.kind == "invariant" || pr.kind == "scope" || pr.kind == "hidden" {
		key += "|" + pr.detail
	}
	h.problems[key] = append(h.problems[key], pr)
}

// report fails the test with one example of each problem found, and logs
// the known defects met.
func (h *fuzzHarness) report() {
	var statuses []string
	for _, st := range sortedInts(h.counts) {
		statuses = append(statuses, fmt.Sprintf("%d×%d", h.counts[st], st))
	}
	h.t.Logf("fuzz: seed %d, %d requests over %d operations as %d callers; answers %s",
		h.cfg.seed, h.steps, len(h.ops), len(h.actors), strings.Join(statuses, " "))
	keys := sortedKeys(h.problems)
	failed := 0
	for _, k := range keys {
		list := h.problems[k]
		first := list[0]
		text := describeProblem(first, len(list))
		if first.known != "" {
			ops := map[string]bool{}
			for _, pr := range list {
				ops[pr.op] = true
			}
			h.t.Logf("known defect (%s) met %d times, on %s; the first:\n%s", first.known, len(list), strings.Join(sortedKeys(ops), ", "), text)
			continue
		}
		failed++
		h.t.Errorf("%s", text)
	}
	if failed > 0 {
		h.t.Errorf("fuzz: %d problems; repeat with GROWTH_FUZZ_SEED=%d GROWTH_FUZZ_STEPS=%d go test ./apps -run 'TestFuzzAPI/%s' -v",
			failed, h.cfg.seed, h.steps, h.t.Name()[strings.LastIndex(h.t.Name(), "/")+1:])
	}
}

func describeProblem(pr *fuzzProblem, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", pr.kind, pr.detail)
	if pr.op != "" {
		fmt.Fprintf(&b, " — %s", pr.op)
	}
	fmt.Fprintf(&b, " (%d times; first at request %d", n, pr.step+1)
	if pr.actor != "" {
		fmt.Fprintf(&b, " as %s", pr.actor)
	}
	b.WriteString(")")
	if pr.req != nil {
		fmt.Fprintf(&b, "\n    request: %s %s", pr.req.method, clip(pr.req.path, 300))
		var hk []string
		for k, v := range pr.req.headers {
			if k != "Authorization" || !strings.HasPrefix(v, "Bearer ") || len(v) > 60 {
				hk = append(hk, fmt.Sprintf("%s: %q", k, clip(v, 80)))
			}
		}
		sort.Strings(hk)
		if len(hk) > 0 {
			fmt.Fprintf(&b, "\n    headers: %s", strings.Join(hk, ", "))
		}
		if pr.req.body != nil {
			fmt.Fprintf(&b, "\n    body (%d bytes): %q", len(pr.req.body), clip(string(pr.req.body), 400))
		}
		if len(pr.req.classes) > 0 {
			fmt.Fprintf(&b, "\n    input classes: %s", strings.Join(pr.req.classes, ", "))
		}
	}
	if pr.status != 0 || pr.answer != "" {
		fmt.Fprintf(&b, "\n    answer: %d %s", pr.status, clip(pr.answer, 300))
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("…(%d bytes)", len(s))
}

func sortedInts(m map[int]int) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// TestFuzzHarnessFinds shows that the harness's checks can fail: a server
// that answers 500, answers an error in another shape, panics, or shows
// records outside the caller's scope is reported.
func TestFuzzHarnessFinds(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	h := startFuzz(t, engine.SQLite, p, fuzzConfig{seed: 1, steps: 400})
	served := h.handler
	h.handler = func(c *fasthttp.RequestCtx) {
		switch {
		case strings.HasPrefix(string(c.Path()), "/api/debt/"):
			c.SetStatusCode(500)
		case strings.HasPrefix(string(c.Path()), "/api/payroll/"):
			panic("a handler that panics")
		case strings.HasPrefix(string(c.Path()), "/api/disaster/"):
			c.SetStatusCode(404)
			c.SetBodyString("Cannot GET " + string(c.Path()))
		default:
			served(c)
		}
	}
	h.run()
	h.s.rt.Access = engine.OpenAccess{} // every caller now sees every record
	h.sweepScope()
	found := map[string]bool{}
	for _, list := range h.problems {
		if list[0].known == "" {
			found[list[0].kind] = true
		}
	}
	for _, kind := range []string{"server-error", "error-shape", "panic", "scope"} {
		if !found[kind] {
			t.Errorf("the harness did not report %s; it reported %v", kind, found)
		}
	}
}

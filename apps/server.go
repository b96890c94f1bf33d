package apps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/apps/openapi"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// MaxBodyBytes caps a request body; larger bodies get 413.
const MaxBodyBytes = 1 << 20

// ReadBufferBytes caps the request line and headers together; larger get
// 431. It holds a filter of filter.MaxLength bytes percent-encoded (three
// bytes for each) with room for the other parameters, the cookies and the
// usual headers.
const ReadBufferBytes = 32 << 10

// Options configure the HTTP server.
type Options struct {
	Logger *slog.Logger
	// Actor identifies the caller of a request. Nil means every request acts as
	// Anonymous: the development default until authentication is configured.
	Actor func(c *fiber.Ctx) (engine.Actor, error)
	// Metrics, when set, receives request counts and latencies.
	Metrics *Metrics
	// Auth, when set, serves login, logout and user administration, and is
	// the Actor when Actor is nil.
	Auth *Auth
	// TrustedProxies are the reverse proxies (addresses or CIDR ranges) whose
	// X-Forwarded-For names the client; login limits count by that address.
	TrustedProxies []string
	// MetricsToken, when set, lets a scraper that sends it as its bearer
	// token read /metrics from anywhere; without it only the server's own
	// host and platform admins may (see metricsAllowed).
	MetricsToken string
	// Health names parts of the server that can be down while it serves (the
	// exchange's broker); /healthz reports each one whose check fails.
	Health map[string]func() error
}

// Anonymous is the actor of requests when no authentication is configured.
var Anonymous = engine.Actor{User: "anonymous"}

// Server serves the REST API of every loaded app.
type Server struct {
	rt      *engine.Runtime
	log     *slog.Logger
	actor   func(c *fiber.Ctx) (engine.Actor, error)
	metrics *Metrics
	openapi []byte
	auth    *Auth
	// metricsToken is Options.MetricsToken.
	metricsToken string

	// docs caches the OpenAPI document of each set of roles (what those
	// roles may see), built on first use.
	docsMu sync.Mutex
	docs   map[string][]byte
	health map[string]func() error
	// errs answers every error (engine/web: the one error→HTTP mapping).
	errs web.Errors
}

// maxRoleDocs bounds the cache of per-roles documents; beyond it a document
// is built for each request.
const maxRoleDocs = 256

// New builds the fiber app with every route mounted.
func New(rt *engine.Runtime, opts Options) (*fiber.App, error) {
	s := &Server{rt: rt, log: opts.Logger, actor: opts.Actor, metrics: opts.Metrics, auth: opts.Auth, metricsToken: opts.MetricsToken, health: opts.Health}
	if s.actor == nil && s.auth != nil {
		s.actor = s.auth.Actor
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.errs = web.Errors{Log: s.log, TooLarge: s.tooLargeMessage}
	if s.actor == nil {
		s.actor = func(*fiber.Ctx) (engine.Actor, error) { return Anonymous, nil }
	}
	// A caller without a login gets the document without any field some role
	// has hidden; a logged-in caller the document of what their roles may see.
	doc, err := openapi.DocumentHiding(rt.Project, rt.Project.Hash, openapi.HiddenFromAnyRole(rt.Project))
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	s.docs = map[string][]byte{}
	app := fiber.New(fiber.Config{
		AppName:               "growth",
		BodyLimit:             bodyLimit(rt),
		DisableStartupMessage: true,
		ErrorHandler:          s.errs.Handle,
		// Every string a handler reads of the request (path parameters,
		// query, headers, cookies, form values) is its own copy: fasthttp
		// reuses the request's buffers once the handler returns, and a
		// string kept beyond it (a metric label, a map key, a log line
		// written later, a goroutine) would change under the next request.
		Immutable: true,
		// The request line and headers must hold the longest filter of
		// docs/filter.md, percent-encoded, with the other parameters and the
		// cookies; fasthttp's default of 4 KiB answers 431 before that.
		ReadBufferSize: ReadBufferBytes,
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   60 * time.Second,
		IdleTimeout:    120 * time.Second,

		// The client's address is the one a trusted proxy reports.
		EnableTrustedProxyCheck: len(opts.TrustedProxies) > 0,
		TrustedProxies:          opts.TrustedProxies,
		ProxyHeader:             proxyHeader(opts.TrustedProxies),
	})
	app.Use(web.AssignRequestID)
	if s.metrics != nil {
		app.Use(s.metricsMiddleware)
	}
	app.Use(web.RecoverPanics)
	app.Use(limitBody)
	s.Mount(app)
	return app, nil
}

// Mount adds the API routes to app.
func (s *Server) Mount(app *fiber.App) {
	s.mountFiles(app)
	if s.auth != nil {
		s.auth.mount(app)
	}
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", func(c *fiber.Ctx) error {
		if err := s.rt.Ready(c.UserContext()); err != nil {
			return err
		}
		return c.SendString("ok")
	})
	if s.metrics != nil {
		app.Get("/metrics", s.metricsHandler)
	}
	app.Get("/api/openapi.json", s.openapiDocument)
	app.Get("/api/reports/:app/:report", s.report)
	app.Get("/api/public/reports/:app/:report", s.publicReport)
	s.mountBooks(app)
	api := app.Group("/api/:app/:entity")
	api.Get("/", s.list)
	api.Post("/", s.create)
	api.Get("/:id", s.get)
	api.Patch("/:id", s.update)
	api.Delete("/:id", s.delete)
	api.Get("/:id/changes", s.recordChanges)
	s.mountWorkflow(api)
	s.mountLedger(api)
	s.mountExports(api)
}

// recordID parses the :id path parameter.
func recordID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, web.NewError(errcode.NotFound, "记录编号无效")
	}
	return id, nil
}

// entityTarget resolves what every /api/{app}/{entity} route starts from: the
// caller and the entity named.
func (s *Server) entityTarget(c *fiber.Ctx) (engine.Actor, *metamodel.Entity, error) {
	actor, err := s.actor(c)
	if err != nil {
		return engine.Actor{}, nil, err
	}
	e, err := s.rt.Entity(c.Params("app"), c.Params("entity"))
	if err == nil && s.metrics != nil {
		// The metrics middleware labels the request with it, without
		// looking the entity up again.
		c.Locals(requestEntity{}, e)
	}
	return actor, e, err
}

// requestEntity is the c.Locals key of the entity a request named, once
// entityTarget has resolved it.
type requestEntity struct{}

// recordTarget is entityTarget and the record id of /api/{app}/{entity}/{id}.
func (s *Server) recordTarget(c *fiber.Ctx) (engine.Actor, *metamodel.Entity, int64, error) {
	actor, e, err := s.entityTarget(c)
	if err != nil {
		return actor, e, 0, err
	}
	id, err := recordID(c)
	return actor, e, id, err
}

// requestIdempotency is the request's Idempotency-Key, if any, so that a
// retried write applies once. The key goes with a fingerprint of the request
// (method, path with query, body): the same key sent with another request is
// refused (422 idempotency_key_reused). A key too long or holding control
// characters is 400 on every database.
func requestIdempotency(c *fiber.Ctx) (engine.Idempotency, error) {
	key := c.Get("Idempotency-Key")
	if key == "" {
		return engine.Idempotency{}, nil
	}
	if err := engine.CheckIdempotencyKey(key); err != nil {
		return engine.Idempotency{}, err
	}
	h := sha256.New()
	h.Write([]byte(c.Method()))
	h.Write([]byte{0})
	h.Write([]byte(c.OriginalURL()))
	h.Write([]byte{0})
	h.Write(c.Body())
	return engine.Idempotency{Key: strings.Clone(key), Request: hex.EncodeToString(h.Sum(nil))}, nil
}

// requestContext is the request's context with its Idempotency-Key, where
// Create takes it (Fire takes it in its request).
func requestContext(c *fiber.Ctx) (context.Context, error) {
	idem, err := requestIdempotency(c)
	if err != nil || idem.Key == "" {
		return c.UserContext(), err
	}
	return engine.WithIdempotentRequest(c.UserContext(), idem.Key, idem.Request), nil
}

// recordJSON renders rec for actor: the fields actor may see, code labels,
// and the files its file fields hold.
func (s *Server) recordJSON(c *fiber.Ctx, actor engine.Actor, e *metamodel.Entity, rec *engine.Record) (map[string]any, error) {
	out := engine.RecordJSON(e, rec, s.rt.HiddenFor(actor, e))
	return out, s.withFiles(c.UserContext(), e, out)
}

// openapiDocument serves the OpenAPI document: to a caller without a login
// (or with credentials that do not hold) the one without any field some role
// has hidden, to a logged-in caller the one of what their roles may see.
func (s *Server) openapiDocument(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderVary, fiber.HeaderAuthorization+", "+fiber.HeaderCookie)
	actor, err := s.actor(c)
	if err != nil || len(actor.Roles) == 0 {
		return c.Send(s.openapi)
	}
	roles := slices.Clone(actor.Roles)
	sort.Strings(roles)
	key := strings.Join(roles, ",")
	s.docsMu.Lock()
	doc, ok := s.docs[key]
	s.docsMu.Unlock()
	if !ok {
		doc, err = openapi.DocumentHiding(s.rt.Project, s.rt.Project.Hash, func(e *metamodel.Entity, field string) bool {
			return s.rt.Access.Hidden(actor, e, field)
		})
		if err != nil {
			return err
		}
		s.docsMu.Lock()
		if len(s.docs) < maxRoleDocs {
			s.docs[key] = doc
		}
		s.docsMu.Unlock()
	}
	return c.Send(doc)
}

// healthz answers "ok", or "degraded" and a line per part whose check fails
// (the exchange: its broker is unreachable). Degraded is still 200: the
// server serves and events commit; their messages wait in the outbox.
func (s *Server) healthz(c *fiber.Ctx) error {
	var names []string
	for name := range s.health {
		names = append(names, name)
	}
	sort.Strings(names)
	var lines []string
	for _, name := range names {
		if err := s.health[name](); err != nil {
			lines = append(lines, name+": "+err.Error())
		}
	}
	if len(lines) == 0 {
		return c.SendString("ok")
	}
	return c.SendString("degraded\n" + strings.Join(lines, "\n") + "\n")
}

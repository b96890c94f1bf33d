package apps

import (
	"crypto/subtle"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/metamodel"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series of one server: requests and latency per
// app, entity, method and status, and the database pools.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  fiber.Handler

	// series keeps the counter and histogram of each set of labels seen,
	// so that a request does not hash and check its labels again. Its keys
	// are bounded as the registry's series are (observe).
	seriesMu sync.RWMutex
	series   map[seriesKey]*requestSeries
}

type seriesKey struct {
	app, entity, method string
	status              int
}

type requestSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// NewMetrics registers the series; pools are the database pools to report
// (name → pool).
func NewMetrics(pools map[string]*sql.DB) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "growth_http_requests_total", Help: "HTTP requests by app, entity, method and status."}, []string{"app", "entity", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "growth_http_request_duration_seconds", Help: "HTTP request latency by app, entity and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"app", "entity", "method"}),
	}
	reg.MustRegister(m.requests, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, pool := range pools {
		reg.MustRegister(collectors.NewDBStatsCollector(pool, name))
	}
	m.handler = adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return m
}

// CountWriteGroups reports SQLite's group commit (engine.DB.WriteGroups):
// how many writes a group holds on average is how much of the one writer's
// work they share. Nothing on PostgreSQL.
func (m *Metrics) CountWriteGroups(db *engine.DB) {
	if _, _, _, ok := db.WriteGroups(); !ok {
		return
	}
	m.countEach(func() [3]int64 {
		groups, writes, together, _ := db.WriteGroups()
		return [3]int64{groups, writes, together}
	},
		counterDesc{"growth_sqlite_write_groups_total", "SQLite write transactions committed, each holding a group of writes."},
		counterDesc{"growth_sqlite_grouped_writes_total", "Writes committed in SQLite's write groups (those that failed alone included)."},
		counterDesc{"growth_sqlite_creates_together_total", "Creates written together with other creates of their entity in a SQLite write group."})
}

// CountCreateBatches reports PostgreSQL's batched creates
// (engine.Runtime.CreateBatchCounts): creates per batch is how many
// concurrent creates of one entity share a transaction's statements and its
// commit. Nothing on SQLite, whose group commit CountWriteGroups reports.
func (m *Metrics) CountCreateBatches(rt *engine.Runtime) {
	if rt.DB.Dialect != engine.Postgres {
		return
	}
	m.countEach(func() [3]int64 {
		batches, batched, alone := rt.CreateBatchCounts()
		return [3]int64{batches, batched, alone}
	},
		counterDesc{"growth_pg_create_batches_total", "PostgreSQL transactions committed, each writing a batch of creates of one entity."},
		counterDesc{"growth_pg_batched_creates_total", "Creates written in PostgreSQL's batches."},
		counterDesc{"growth_pg_creates_run_alone_total", "Creates of batches that did not commit, run again alone."})
}

// counterDesc names a counter of countEach.
type counterDesc struct{ name, help string }

// countEach registers a counter per desc, the i-th reading the i-th of
// what read returns when scraped.
func (m *Metrics) countEach(read func() [3]int64, descs ...counterDesc) {
	for i, d := range descs {
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: d.name, Help: d.help}, func() float64 {
			return float64(read()[i])
		}))
	}
}

// observe counts one request. The labels are names of the definitions (or
// "-"), never text of the request: a request for an app or entity that does
// not exist must not add a series, or anyone could grow the registry
// without bound.
func (m *Metrics) observe(app, entity, method string, status int, took time.Duration) {
	key := seriesKey{app, entity, method, status}
	m.seriesMu.RLock()
	ser := m.series[key]
	m.seriesMu.RUnlock()
	if ser == nil {
		ser = &requestSeries{
			requests: m.requests.WithLabelValues(app, entity, method, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(app, entity, method),
		}
		m.seriesMu.Lock()
		if m.series == nil {
			m.series = map[seriesKey]*requestSeries{}
		}
		m.series[key] = ser
		m.seriesMu.Unlock()
	}
	ser.requests.Inc()
	ser.latency.Observe(took.Seconds())
}

// metricsMiddleware counts every request under the app and entity it
// names, when the definitions have them.
func (s *Server) metricsMiddleware(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	app, entity := "-", "-"
	if e, ok := c.Locals(requestEntity{}).(*metamodel.Entity); ok {
		app, entity = e.App.Name, e.Name
	} else if e, lerr := s.rt.Entity(c.Params("app"), c.Params("entity")); lerr == nil {
		app, entity = e.App.Name, e.Name
	}
	if err != nil {
		// Answer the error here, to count the status it is answered with.
		err = s.errs.Handle(c, err)
	}
	status := c.Response().StatusCode()
	method := c.Method()
	if !knownMethods[method] {
		method = "other"
	}
	s.metrics.observe(app, entity, method, status, time.Since(start))
	return err
}

var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// metricsHandler serves /metrics to those who may read it (metricsAllowed).
func (s *Server) metricsHandler(c *fiber.Ctx) error {
	if !s.metricsAllowed(c) {
		return engine.Forbidden("只有本机、持有指标令牌（--metrics-token）的抓取程序或平台管理员可以读取 /metrics")
	}
	return s.metrics.handler(c)
}

// metricsAllowed: the metrics name apps, entities, request rates and the
// database pools, which is for operators. A request from the server's own
// host (a loopback address, not forwarded by a proxy on that host), one
// with the metrics token as its bearer token, or a platform admin's may
// read them.
func (s *Server) metricsAllowed(c *fiber.Ctx) bool {
	if s.metricsToken != "" {
		if tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.metricsToken)) == 1 {
			return true
		}
	}
	if ip := c.Context().RemoteIP(); ip.IsLoopback() && c.Get(fiber.HeaderXForwardedFor) == "" && c.Get("Forwarded") == "" && c.Get("X-Real-IP") == "" {
		return true
	}
	actor, err := s.actor(c)
	return err == nil && slices.Contains(actor.Roles, engine.AdminRole)
}

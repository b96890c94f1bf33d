package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/keys"
	"github.com/growth-gov/growth/ui"
	"gopkg.in/yaml.v3"
)

func init() {
	register(command{name: "serve", summary: "run the platform with every app under the definitions folder", run: runServe})
}

func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	addr := fs.String("addr", "", "listen address (env GROWTH_ADDR; default 127.0.0.1:8080)")
	proxies := fs.String("trusted-proxy", "", "reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client (env GROWTH_TRUSTED_PROXIES)")
	metricsToken := fs.String("metrics-token", "", "a secret a Prometheus scraper sends as its bearer token to read /metrics from another host; without it only this host and platform admins may (env GROWTH_METRICS_TOKEN)")
	noSchedules := fs.Bool("no-schedules", false, "do not run the scheduled rules (schedules: in the definitions); growth run-rules runs them once")
	scheduleCheck := fs.Duration("schedule-check", 0, "how often to look whether a scheduled rule is due, when shorter than its interval; each due time runs once among all servers however often they look (default: once per interval)")
	oidcFile := fs.String("oidc", "", "single sign-on through an OpenID Connect provider, configured in this YAML file (docs/access.md); the client secret comes from GROWTH_OIDC_CLIENT_SECRET (env GROWTH_OIDC)")
	demo := fs.Bool("demo", false, "create the demo users of docs/access.md (one per role, password "+engine.DemoPassword+"); for trying the shipped apps, never in production")
	sessionSettings := registerSessionFlags(fs)
	fileSettings := registerFileFlags(fs)
	anchorDir := fs.String("anchor-dir", "", "write a signed anchor of the audit chains to this folder at start and every --anchor-every (env GROWTH_ANCHOR_DIR); keep it outside the database's reach")
	anchorEvery := fs.Duration("anchor-every", time.Hour, "how often serve writes an anchor when --anchor-dir is set")
	anchorKind := fs.String("anchor-key-kind", "ed25519", "kind of the platform key that signs the anchors: ed25519 or sm2")
	pprofAddr := fs.String("pprof", "", "serve Go's profiler (/debug/pprof/) on this address, such as 127.0.0.1:6060, for measuring (docs/performance.md); off by default")
	var exf exchangeFlags
	exf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *anchorDir == "" {
		*anchorDir = os.Getenv("GROWTH_ANCHOR_DIR")
	}
	if *anchorDir != "" && *anchorEvery < time.Minute {
		return fail("serve", fmt.Errorf("--anchor-every %s: at least 1m", *anchorEvery))
	}
	if err := exf.resolve(fs, os.Getenv); err != nil {
		return fail("serve", err)
	}
	sessions, err := sessionSettings(os.Getenv)
	if err != nil {
		return fail("serve", err)
	}
	files, err := fileSettings(os.Getenv)
	if err != nil {
		return fail("serve", err)
	}
	listen := *addr
	if listen == "" {
		listen = os.Getenv("GROWTH_ADDR")
	}
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	log := newLogger(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr, log); err != nil {
			return fail("serve", err)
		}
	}

	p, err := loadProject(dbf.definitions)
	if err != nil {
		return fail("serve", err)
	}
	access, err := roleAccess(p)
	if err != nil {
		return fail("serve", err)
	}
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("serve", err)
	}
	defer db.Close()
	rt, err := engine.Start(ctx, db, p, engine.StartOptions{Access: access, Logger: log})
	if err != nil {
		return fail("serve", err)
	}
	rt.UploadQuota = files.quota
	health := map[string]func() error{}
	if len(p.Exchanges()) > 0 {
		runner, stopExchange, err := startExchange(ctx, rt, exf, dbf.dsn(), log)
		if err != nil {
			return fail("serve", err)
		}
		// Deferred after db.Close, so it runs before: the runner stops first.
		defer stopExchange()
		health["exchange"] = runner.Health
		if exf.statements != "" {
			go reconcileDaily(ctx, rt, exf.statements, 10*time.Minute, log)
		}
	}
	pools := map[string]*sql.DB{"write": db.Write}
	if db.Read != db.Write {
		pools["read"] = db.Read
	}
	auth, err := setupAccess(ctx, rt, *demo, log)
	if err != nil {
		return fail("serve", err)
	}
	auth.SecureCookie = sessions.secureCookies
	auth.Logger = log
	if *oidcFile == "" {
		*oidcFile = os.Getenv("GROWTH_OIDC")
	}
	if *oidcFile != "" {
		if auth.OIDC, err = loadOIDC(*oidcFile, auth.Users, os.Getenv); err != nil {
			return fail("serve", err)
		}
		auth.Users.NoPasswords = !auth.OIDC.Config.LocalPasswords
		auth.LoginPage = "/login"
		log.Info("single sign-on", "issuer", auth.OIDC.Config.Issuer, "client_id", auth.OIDC.Config.ClientID, "local_passwords", auth.OIDC.Config.LocalPasswords, "provision", auth.OIDC.Config.Provision)
	}
	auth.Users.Policy.SessionIdle = sessions.idle
	if *proxies == "" {
		*proxies = os.Getenv("GROWTH_TRUSTED_PROXIES")
	}
	if *proxies != "" && !sessions.secureCookies {
		// A trusted proxy is usually the one that terminates TLS.
		log.Warn("behind a reverse proxy but the session cookies are not marked Secure: if users reach the server over HTTPS, start with --secure-cookies (GROWTH_SECURE_COOKIES=true)")
	}
	scrapeToken, err := resolveMetricsToken(*metricsToken, os.Getenv)
	if err != nil {
		return fail("serve", err)
	}
	metrics := apps.NewMetrics(pools)
	metrics.CountWriteGroups(rt.DB)
	metrics.CountCreateBatches(rt)
	app, err := apps.New(rt, apps.Options{Logger: log, Metrics: metrics, Auth: auth, TrustedProxies: splitList(*proxies), MetricsToken: scrapeToken, Health: health})
	if err != nil {
		return fail("serve", err)
	}
	if err := ui.Mount(app, rt, ui.Options{Sessions: auth, Logger: log}); err != nil {
		return fail("serve", err)
	}
	if !*noSchedules {
		// The loops stop when ctx does; wait for a run in progress before the database closes.
		waitSchedules := rt.ServeSchedules(ctx, engine.ScheduleLoopOptions{Check: *scheduleCheck})
		defer func() { stop(); waitSchedules() }()
	}
	// Uploads no record has held are swept every hour (growth files sweep).
	waitSweep := rt.ServeFileSweep(ctx, time.Hour, files.age)
	defer func() { stop(); waitSweep() }()
	if *anchorDir != "" {
		kind, err := keys.ParseKind(*anchorKind)
		if err != nil {
			return fail("serve", fmt.Errorf("--anchor-key-kind: %w", err))
		}
		store := keyStore(exf.keys, dataDir(exf.data, dbf.dsn()))
		signer, exists, err := store.Generate(kind, false)
		if err != nil {
			return fail("serve", err)
		}
		if !exists {
			log.Info("made the platform's key: keep a copy of its public key (growth keys show) with the anchors", "kind", kind, "fingerprint", signer.Public().Fingerprint(), "folder", store.Dir)
		}
		done := make(chan struct{})
		go func() { defer close(done); serveAnchors(ctx, db, *anchorDir, *anchorEvery, signer, log) }()
		defer func() { stop(); <-done }()
	}
	errc := make(chan error, 1)
	// Serving, not loading and migrating, gets the higher target: the
	// start's garbage is collected as before (gc.go).
	tuneGC(os.Getenv)
	go func() { errc <- app.Listen(listen) }()
	log.Info("growth is serving", "addr", "http://"+listen, "db", db.Name, "apps", len(p.Apps), "definition_version", p.Hash[:12])
	select {
	case err := <-errc:
		return fail("serve", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	if err := app.ShutdownWithTimeout(30 * time.Second); err != nil {
		return fail("serve", fmt.Errorf("shutdown: %w", err))
	}
	log.Info("stopped")
	return 0
}

// sessionFlags are serve's settings of the web session.
type sessionFlags struct {
	secureCookies bool
	idle          time.Duration
}

// registerSessionFlags adds --secure-cookies and --session-idle to fs and
// returns what resolves them once fs is parsed: a flag given on the command
// line wins over its environment variable, and a bad value of either stops
// serve before it starts.
func registerSessionFlags(fs *flag.FlagSet) func(getenv func(string) string) (sessionFlags, error) {
	secure := fs.Bool("secure-cookies", false, "mark the session and CSRF cookies Secure (sent over HTTPS only); must be on when users reach the server over HTTPS, such as behind a TLS reverse proxy (env GROWTH_SECURE_COOKIES=true)")
	idle := fs.Duration("session-idle", engine.DefaultLoginPolicy.SessionIdle, "end a session unused for this long, between 1m and the session lifetime (env GROWTH_SESSION_IDLE)")
	return func(getenv func(string) string) (sessionFlags, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		out := sessionFlags{secureCookies: *secure, idle: *idle}
		if env := getenv("GROWTH_SECURE_COOKIES"); env != "" && !given["secure-cookies"] {
			b, err := strconv.ParseBool(env)
			if err != nil {
				return out, fmt.Errorf("GROWTH_SECURE_COOKIES=%q: want true or false", env)
			}
			out.secureCookies = b
		}
		if env := getenv("GROWTH_SESSION_IDLE"); env != "" && !given["session-idle"] {
			d, err := time.ParseDuration(env)
			if err != nil {
				return out, fmt.Errorf("GROWTH_SESSION_IDLE=%q: want a duration such as 30m", env)
			}
			out.idle = d
		}
		if ttl := engine.DefaultLoginPolicy.SessionTTL; out.idle < time.Minute || out.idle > ttl {
			return out, fmt.Errorf("session idle limit %s: want between 1m and the session lifetime %s", out.idle, ttl)
		}
		return out, nil
	}
}

// resolveMetricsToken is the token that lets a scraper read /metrics: the
// flag's, else GROWTH_METRICS_TOKEN's, else none (only this host and
// platform admins may read them). A short token is refused: it guards the
// figures from the whole network.
func resolveMetricsToken(flagValue string, getenv func(string) string) (string, error) {
	token := flagValue
	if token == "" {
		token = getenv("GROWTH_METRICS_TOKEN")
	}
	if token != "" && len(token) < 16 {
		return "", fmt.Errorf("the metrics token is %d characters long: use at least 16 random characters", len(token))
	}
	return token, nil
}

// serveAnchors writes an anchor at start and every interval until ctx ends;
// a failed anchor (a broken trail, a full disk) is logged as an error and
// tried again at the next tick.
func serveAnchors(ctx context.Context, db *engine.DB, dir string, every time.Duration, signer *keys.PrivateKey, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		path, a, err := db.WriteAnchor(ctx, dir, signer, time.Now())
		if err != nil {
			log.Error("audit anchor not written", "dir", dir, "error", err.Error())
		} else {
			log.Info("audit anchor written", "file", path, "chains", len(a.Heads))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// loadOIDC reads the single sign-on configuration file; the client secret
// comes from the environment, never from the file. Rules naming roles or
// orgs the definitions do not have stop serve.
func loadOIDC(path string, users *engine.Users, getenv func(string) string) (*apps.OIDC, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	var c apps.OIDCConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("oidc %s: %w", path, err)
	}
	c.ClientSecret = getenv("GROWTH_OIDC_CLIENT_SECRET")
	for i, r := range c.Rules {
		if err := users.CheckGrant(r.Roles, r.Org); err != nil {
			return nil, fmt.Errorf("oidc %s: rule %d: %w", path, i+1, err)
		}
	}
	o, err := apps.NewOIDC(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/ui"
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
	noSchedules := fs.Bool("no-schedules", false, "do not run the scheduled rules (schedules: in the definitions); growth run-rules runs them once")
	demo := fs.Bool("demo", false, "create the demo users of docs/access.md (one per role, password "+engine.DemoPassword+"); for trying the shipped apps, never in production")
	if err := fs.Parse(args); err != nil {
		return 2
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

	p, err := loadProject(dbf.definitions)
	if err != nil {
		return fail("serve", err)
	}
	if err := engine.CheckFilters(p); err != nil {
		return fail("serve", fmt.Errorf("the definitions in %s have problems:\n%w", definitionsDir(dbf.definitions), err))
	}
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("serve", err)
	}
	defer db.Close()
	rt, err := engine.Start(ctx, db, p, engine.StartOptions{Logger: log})
	if err != nil {
		return fail("serve", err)
	}
	pools := map[string]*sql.DB{"write": db.Write}
	if db.Read != db.Write {
		pools["read"] = db.Read
	}
	auth, err := setupAccess(ctx, rt, *demo, log)
	if err != nil {
		return fail("serve", err)
	}
	if *proxies == "" {
		*proxies = os.Getenv("GROWTH_TRUSTED_PROXIES")
	}
	app, err := apps.New(rt, apps.Options{Logger: log, Metrics: apps.NewMetrics(pools), Auth: auth, TrustedProxies: splitList(*proxies)})
	if err != nil {
		return fail("serve", err)
	}
	if err := ui.Mount(app, rt, ui.Options{Sessions: auth, Logger: log}); err != nil {
		return fail("serve", err)
	}
	if !*noSchedules {
		// The loops stop when ctx does; wait for a run in progress before the database closes.
		waitSchedules := rt.ServeSchedules(ctx, engine.ScheduleLoopOptions{})
		defer func() { stop(); waitSchedules() }()
	}
	errc := make(chan error, 1)
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

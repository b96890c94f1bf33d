// Command growthbench is the HTTP load harness: it starts Growth on a fresh
// database with a small benchmark app, loads it from many concurrent clients
// over loopback, and in the same run measures a hand-written fiber + gorm
// service doing the same work on the same kind of table, printing Growth's
// figures as a ratio of the hand-written ones.
//
//	go run ./cmd/growthbench [-clients 32] [-duration 5s] [-rows 100000] [-db sqlite|postgres://…]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

func main() {
	clients := flag.Int("clients", 32, "concurrent clients")
	duration := flag.Duration("duration", 5*time.Second, "how long each phase runs")
	rows := flag.Int("rows", 100000, "rows in the table the list phase reads")
	dbArg := flag.String("db", "sqlite", "sqlite (a fresh file in a temp folder) or a postgres:// URL (fresh schemas are created)")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "growthbench-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))

	fmt.Printf("growthbench: %d clients, %s per phase, %d rows for lists, %s, GOMAXPROCS=%d, %s\n\n",
		*clients, *duration, *rows, dbName(*dbArg), runtime.GOMAXPROCS(0), runtime.Version())

	growthApp, growthSeed, growthClose := startGrowth(ctx, dir, *dbArg)
	defer growthClose()
	baseApp, baseSeed, baseClose := startBaseline(ctx, dir, *dbArg)
	defer baseClose()

	targets := []struct {
		name string
		app  *fiber.App
		seed func(n int) error
	}{{"growth", growthApp, growthSeed}, {"hand-written fiber+gorm", baseApp, baseSeed}}
	urls := make([]string, len(targets))
	for i, t := range targets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fatal(err)
		}
		go func() { _ = t.app.Listener(ln) }()
		urls[i] = "http://" + ln.Addr().String()
	}

	phases := []phase{
		{name: "create (one rule, audit row)", run: createRequest},
		{name: "get by id", run: getRequest},
		{name: "list 20 of " + fmt.Sprint(*rows) + " with a filter", run: listRequest, before: func(i int) error { return targets[i].seed(*rows) }},
	}
	for _, ph := range phases {
		var results [2]result
		for i := range targets {
			if ph.before != nil {
				if err := ph.before(i); err != nil {
					fatal(fmt.Errorf("seeding %s: %w", targets[i].name, err))
				}
			}
			results[i] = load(urls[i], *clients, *duration, ph.run)
		}
		fmt.Printf("%s\n", ph.name)
		for i, t := range targets {
			fmt.Printf("  %-26s %s\n", t.name, results[i])
		}
		if results[1].rps > 0 {
			fmt.Printf("  %-26s %.2f× the hand-written throughput\n\n", "ratio", results[0].rps/results[1].rps)
		}
	}
}

type phase struct {
	name   string
	run    requestFunc
	before func(target int) error
}

func dbName(arg string) string {
	if strings.HasPrefix(arg, "postgres") {
		return "PostgreSQL"
	}
	return "SQLite"
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "growthbench:", err)
	os.Exit(1)
}

func tempDB(dir, name string) string { return "sqlite:" + filepath.Join(dir, name+".db") }

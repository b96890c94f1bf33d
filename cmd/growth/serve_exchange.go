package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/exchange"
	"github.com/growth-gov/growth/engine/keys"
)

// exchangeFlags are serve's settings of the exchange.
type exchangeFlags struct {
	url, listen, data, keys, prefix string
	// statements is the folder of the parties' daily statements that serve
	// reconciles each day (none unless set).
	statements string
}

func (f *exchangeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "exchange", "", "NATS server (JetStream) of the exchange, nats://HOST:4222 (env GROWTH_EXCHANGE); default an embedded one with its store under the data folder")
	fs.StringVar(&f.listen, "exchange-listen", "", "embedded broker: also accept connections on this loopback address, such as 127.0.0.1:4222, for a party's process (env GROWTH_EXCHANGE_LISTEN); default in-process only")
	fs.StringVar(&f.prefix, "exchange-prefix", "", "first token of the exchange's subjects, so that several installations share one broker (env GROWTH_EXCHANGE_PREFIX; default growth)")
	fs.StringVar(&f.statements, "reconcile-statements", "", "reconcile every day: each party's statement of the day before, FOLDER/PARTY-YYYY-MM-DD.csv, once it is there, once among all servers (env GROWTH_RECONCILE_STATEMENTS); differences go to the reconciliation inbox")
	fs.StringVar(&f.data, "data", "", "data folder of the platform's keys and the embedded broker (env GROWTH_DATA; default the SQLite file's folder, else data)")
	registerKeysFlag(fs, &f.keys)
}

// resolve applies the environment to flags not given.
func (f *exchangeFlags) resolve(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if !given["exchange"] && getenv("GROWTH_EXCHANGE") != "" {
		f.url = getenv("GROWTH_EXCHANGE")
	}
	if !given["exchange-prefix"] && getenv("GROWTH_EXCHANGE_PREFIX") != "" {
		f.prefix = getenv("GROWTH_EXCHANGE_PREFIX")
	}
	if !given["reconcile-statements"] && getenv("GROWTH_RECONCILE_STATEMENTS") != "" {
		f.statements = getenv("GROWTH_RECONCILE_STATEMENTS")
	}
	if !given["exchange-listen"] && getenv("GROWTH_EXCHANGE_LISTEN") != "" {
		f.listen = getenv("GROWTH_EXCHANGE_LISTEN")
	}
	if f.listen != "" {
		if f.url != "" {
			return errors.New("--exchange-listen applies to the embedded broker; with --exchange the broker is elsewhere")
		}
		host, _, err := net.SplitHostPort(f.listen)
		if err != nil {
			return fmt.Errorf("--exchange-listen %q: %w", f.listen, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("--exchange-listen %q: the embedded broker listens on a loopback address only (127.0.0.1); for a broker other machines reach, run NATS and pass --exchange", f.listen)
		}
	}
	return nil
}

// startExchange readies the keys (making ours when missing), opens the
// broker and starts publishing and consuming. stop ends them; call it before
// the database closes.
func startExchange(ctx context.Context, rt *engine.Runtime, f exchangeFlags, dsn string, log *slog.Logger) (runner *exchange.Runner, stop func(), err error) {
	data := dataDir(f.data, dsn)
	store := keyStore(f.keys, data)
	var kinds []keys.Kind
	for _, x := range rt.Project.Exchanges() {
		kind := keys.Kind(x.SignatureKind())
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
		if _, err := store.Party(x.KeyName()); err != nil {
			log.Warn("exchange: a party has no public key; its messages are refused and recorded as exceptions until it is imported", "party", x.Name, "err", err)
		}
	}
	for _, kind := range kinds {
		k, exists, err := store.Generate(kind, false)
		if err != nil {
			return nil, nil, fmt.Errorf("exchange keys: %w", err)
		}
		if !exists {
			log.Info("exchange: made our signing key; give the parties its public key (growth keys show)", "kind", kind, "fingerprint", k.Public().Fingerprint(), "folder", store.Dir)
		}
	}
	rt.SetExchangeKeys(store)
	b, err := exchange.Open(exchange.Options{URL: f.url, StoreDir: filepath.Join(data, "jetstream"), Listen: f.listen, Prefix: f.prefix, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	runner = exchange.Run(rctx, rt, b, exchange.RunOptions{BeforePublish: crashHook(log)})
	log.Info("exchange: running", "broker", b.Describe(), "parties", len(rt.Project.Exchanges()))
	return runner, func() { cancel(); runner.Wait(); b.Close() }, nil
}

// crashHook is test-only: GROWTH_TEST_CRASH_AFTER_COMMIT=N makes the server
// exit at once (status 137, as after kill -9) when at least N committed
// messages wait in the outbox, before any is published, so that a test can
// place a crash between commit and publish. Unset, it does nothing.
func crashHook(log *slog.Logger) func(int) {
	n, err := strconv.Atoi(os.Getenv("GROWTH_TEST_CRASH_AFTER_COMMIT"))
	if err != nil || n <= 0 {
		return nil
	}
	return func(pending int) {
		if pending >= n {
			log.Warn("exchange: GROWTH_TEST_CRASH_AFTER_COMMIT: exiting before publishing", "pending", pending)
			os.Exit(137)
		}
	}
}

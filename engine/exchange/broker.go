// Package exchange carries the exchange's messages over NATS JetStream: an
// embedded server by default (store under the data folder, reachable
// in-process, or on a loopback address when other processes must connect),
// or an existing NATS cluster. It publishes the outbox the engine writes in
// each event's transaction, and consumes the parties' messages into
// engine.Runtime.ReceiveMessage, acking only what was applied or recorded.
//
// Subjects: PREFIX.PARTY.out.TYPE carries what Growth sends a party,
// PREFIX.PARTY.in.TYPE what a party sends Growth. One stream holds both;
// JetStream deduplicates by message id (the Nats-Msg-Id header, the
// envelope's id) over the stream's duplicate window.
package exchange

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of Options.
const (
	DefaultPrefix     = "growth"
	DefaultStream     = "GROWTH_EXCHANGE"
	DefaultConsumer   = "growth-inbound"
	DefaultDuplicates = 2 * time.Hour
	DefaultMaxAge     = 90 * 24 * time.Hour
)

// Options say which broker to use and how.
type Options struct {
	// URL of an existing NATS server or cluster (nats://host:4222, several
	// comma-separated). Empty: start an embedded server.
	URL string
	// StoreDir is the embedded server's JetStream store (required when URL
	// is empty).
	StoreDir string
	// Listen is where the embedded server accepts other processes, such as
	// "127.0.0.1:4222"; empty: in-process only, no port is opened.
	Listen string
	// Prefix of every subject; Stream and Consumer name the stream and the
	// durable inbound consumer (shared by every server of one installation).
	Prefix, Stream, Consumer string
	// Duplicates is the stream's deduplication window; MaxAge how long the
	// stream keeps a message.
	Duplicates, MaxAge time.Duration
	Logger             *slog.Logger
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Stream == "" {
		o.Stream = DefaultStream
		if o.Prefix != DefaultPrefix {
			o.Stream = strings.ToUpper(o.Prefix) + "_EXCHANGE"
		}
	}
	if o.Consumer == "" {
		o.Consumer = DefaultConsumer
	}
	if o.Duplicates == 0 {
		o.Duplicates = DefaultDuplicates
	}
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Broker is a connection to JetStream, and the embedded server if there is one.
type Broker struct {
	opts Options
	ns   *server.Server
	nc   *nats.Conn
	js   jetstream.JetStream

	mu      sync.Mutex
	stream  jetstream.Stream
	lastErr error
}

var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Open starts the embedded server (URL empty) or connects to URL. An
// external server that is down is not an error: the connection keeps
// trying, Health says so, and publishing waits.
func Open(opts Options) (*Broker, error) {
	opts.defaults()
	if !prefixPattern.MatchString(opts.Prefix) {
		return nil, fmt.Errorf("exchange: subject prefix %q: lower-case letters, digits and _, starting with a letter", opts.Prefix)
	}
	b := &Broker{opts: opts}
	conn := []nats.Option{
		nats.Name("growth"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				opts.Logger.Warn("exchange: broker connection lost; messages wait in the outbox", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { opts.Logger.Info("exchange: broker connection restored") }),
	}
	url := opts.URL
	if url == "" {
		ns, err := startEmbedded(opts)
		if err != nil {
			return nil, err
		}
		b.ns = ns
		url = ns.ClientURL()
		if opts.Listen == "" {
			conn = append(conn, nats.InProcessServer(ns))
		}
	}
	nc, err := nats.Connect(url, conn...)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("exchange: connect to %s: %w", url, err)
	}
	b.nc = nc
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		b.Close()
		return nil, err
	}
	b.js = js
	return b, nil
}

func startEmbedded(opts Options) (*server.Server, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("exchange: the embedded broker needs a store folder")
	}
	so := &server.Options{
		ServerName: "growth-embedded",
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoSigs:     true,
		DontListen: opts.Listen == "",
	}
	if opts.Listen != "" {
		host, port, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("exchange: listen address %q: %w", opts.Listen, err)
		}
		so.Host = host
		if so.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("exchange: listen address %q: bad port", opts.Listen)
		}
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("exchange: embedded broker: %w", err)
	}
	ns.SetLoggerV2(&natsLogger{log: opts.Logger}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("exchange: the embedded broker did not start in 15s")
	}
	return ns, nil
}

// Close disconnects and stops the embedded server.
func (b *Broker) Close() {
	if b.nc != nil {
		_ = b.nc.Drain()
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}

// Embedded reports whether the broker runs inside this process.
func (b *Broker) Embedded() bool { return b.ns != nil }

// Describe says which broker this is, for logs.
func (b *Broker) Describe() string {
	switch {
	case b.ns != nil && b.opts.Listen != "":
		return "embedded JetStream on " + b.opts.Listen + ", store " + b.opts.StoreDir
	case b.ns != nil:
		return "embedded JetStream (in-process), store " + b.opts.StoreDir
	}
	return "NATS at " + b.opts.URL
}

// OutSubject is the subject of what Growth sends party.
func (b *Broker) OutSubject(party, typ string) string {
	return b.opts.Prefix + "." + party + ".out." + typ
}

// InSubject is the subject of what party sends Growth.
func (b *Broker) InSubject(party, typ string) string {
	return b.opts.Prefix + "." + party + ".in." + typ
}

// Conn is the NATS connection (for tests and tools that play a party).
func (b *Broker) Conn() *nats.Conn { return b.nc }

// JetStream is the JetStream context.
func (b *Broker) JetStream() jetstream.JetStream { return b.js }

// StreamName is the stream's name.
func (b *Broker) StreamName() string { return b.opts.Stream }

// Stream makes sure the stream exists (creating or updating it) and returns
// it; it fails while the broker is unreachable.
func (b *Broker) Stream(ctx context.Context) (jetstream.Stream, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stream != nil && b.nc.IsConnected() {
		return b.stream, nil
	}
	if !b.nc.IsConnected() {
		b.lastErr = errors.New("not connected to the broker")
		return nil, b.lastErr
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := b.js.CreateOrUpdateStream(cctx, jetstream.StreamConfig{
		Name:       b.opts.Stream,
		Subjects:   []string{b.opts.Prefix + ".>"},
		Storage:    jetstream.FileStorage,
		Duplicates: b.opts.Duplicates,
		MaxAge:     b.opts.MaxAge,
	})
	if err != nil {
		b.lastErr = fmt.Errorf("stream %s: %w", b.opts.Stream, err)
		return nil, b.lastErr
	}
	b.stream, b.lastErr = s, nil
	return s, nil
}

// Health is nil when the broker is connected and the stream is there, or
// says what is wrong.
func (b *Broker) Health() error {
	if b.nc == nil || !b.nc.IsConnected() {
		return fmt.Errorf("broker unreachable (%s): messages wait in the outbox and go when it is back", b.Describe())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stream == nil && b.lastErr != nil {
		return b.lastErr
	}
	return nil
}

// natsLogger sends the embedded server's warnings and errors to slog.
type natsLogger struct{ log *slog.Logger }

func (l *natsLogger) Noticef(format string, v ...any) {}
func (l *natsLogger) Debugf(format string, v ...any)  {}
func (l *natsLogger) Tracef(format string, v ...any)  {}
func (l *natsLogger) Warnf(format string, v ...any) {
	l.log.Warn("exchange broker: " + fmt.Sprintf(format, v...))
}
func (l *natsLogger) Errorf(format string, v ...any) {
	l.log.Error("exchange broker: " + fmt.Sprintf(format, v...))
}
func (l *natsLogger) Fatalf(format string, v ...any) {
	l.log.Error("exchange broker (fatal): " + fmt.Sprintf(format, v...))
}

package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RunOptions tune Run.
type RunOptions struct {
	// ScanInterval is how often the outbox is scanned besides the nudge
	// after each commit (default 2s): what a crashed or failed publish
	// waits at most once the broker is back.
	ScanInterval time.Duration
	// Batch is how many messages are published before their acks are
	// awaited (default 256).
	Batch int
	// NoConsume leaves inbound messages alone (publish only).
	NoConsume bool
	// Workers apply inbound messages in parallel (default 8); messages about
	// one record (same party and ref) always go to the same worker, in the
	// order the broker delivers them.
	Workers int
	// BeforePublish, when set, is called with the number of outbox
	// messages about to be published, before any of them is. Test-only:
	// growth serve sets it from GROWTH_TEST_CRASH_AFTER_COMMIT to place a
	// crash between commit and publish.
	BeforePublish func(n int)
}

// Runner publishes a runtime's outbox and applies its inbound messages.
type Runner struct {
	rt   *engine.Runtime
	b    *Broker
	opts RunOptions
	wg   sync.WaitGroup

	mu      sync.Mutex
	pubErr  error
	conErr  error
	started time.Time
}

// Run starts publishing and consuming until ctx ends; Wait waits for both to
// stop. The outbox is scanned at once, so messages committed before a crash
// or while the broker was down go first.
func Run(ctx context.Context, rt *engine.Runtime, b *Broker, opts RunOptions) *Runner {
	if opts.ScanInterval <= 0 {
		opts.ScanInterval = 2 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 256
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	r := &Runner{rt: rt, b: b, opts: opts, started: time.Now()}
	r.wg.Add(1)
	go func() { defer r.wg.Done(); r.publishLoop(ctx) }()
	if !opts.NoConsume {
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.consumeLoop(ctx) }()
	}
	return r
}

// Wait waits for the loops to stop (after ctx ended).
func (r *Runner) Wait() { r.wg.Wait() }

// Health is nil when messages flow, or says why they wait.
func (r *Runner) Health() error {
	if err := r.b.Health(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pubErr != nil {
		return r.pubErr
	}
	return r.conErr
}

func (r *Runner) setErr(dst *error, err error) {
	r.mu.Lock()
	*dst = err
	r.mu.Unlock()
}

func (r *Runner) publishLoop(ctx context.Context) {
	t := time.NewTicker(r.opts.ScanInterval)
	defer t.Stop()
	for {
		if _, err := r.PublishPending(ctx); err != nil && ctx.Err() == nil {
			r.setErr(&r.pubErr, err)
		} else {
			r.setErr(&r.pubErr, nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.rt.ExchangeNotify():
		case <-t.C:
		}
	}
}

// afterPublish, when set by a test, runs after the broker acknowledged a
// batch and before its rows are marked sent.
var afterPublish func()

// PublishPending publishes every unsent outbox message, each with its id as
// the broker's deduplication id, and marks those the broker acknowledged as
// sent. It stops at the first failure: the rest wait for the next round.
func (r *Runner) PublishPending(ctx context.Context) (sent int, err error) {
	if _, err := r.b.Stream(ctx); err != nil {
		return 0, err
	}
	for ctx.Err() == nil {
		rows, err := r.rt.PendingOutbox(ctx, r.opts.Batch)
		if err != nil || len(rows) == 0 {
			return sent, err
		}
		if r.opts.BeforePublish != nil {
			r.opts.BeforePublish(len(rows))
		}
		futures := make([]jetstream.PubAckFuture, 0, len(rows))
		var failed error
		for _, m := range rows {
			msg := nats.NewMsg(r.subject(m))
			msg.Data = m.Envelope
			f, err := r.b.js.PublishMsgAsync(msg, jetstream.WithMsgID(m.ID))
			if err != nil {
				failed = err
				break
			}
			futures = append(futures, f)
		}
		var ok []int64
		timeout := time.NewTimer(30 * time.Second)
	wait:
		for i, f := range futures {
			select {
			case <-f.Ok():
				ok = append(ok, rows[i].Seq)
			case err := <-f.Err():
				failed = err
				_ = r.rt.MarkFailed(ctx, rows[i].Seq, err)
			case <-timeout.C:
				failed = errors.New("the broker did not acknowledge within 30s")
				break wait
			case <-ctx.Done():
				break wait
			}
		}
		timeout.Stop()
		if afterPublish != nil {
			afterPublish() // tests: a crash between the publish and the mark
		}
		// Acknowledged means stored by JetStream: mark it, even if ctx ended.
		if err := r.rt.MarkSent(context.WithoutCancel(ctx), ok); err != nil {
			return sent, err
		}
		sent += len(ok)
		if failed != nil {
			r.b.resetStream()
			return sent, failed
		}
	}
	return sent, ctx.Err()
}

// subject is where an outbox message goes: the party's out subject, or, for
// a party that is another Growth installation (peer), that installation's
// inbound subject for us.
func (r *Runner) subject(m engine.OutboxMessage) string {
	if x := r.rt.Project.Exchange(m.Party); x != nil && x.Peer != nil {
		return x.Peer.Prefix + "." + x.Peer.As + ".in." + m.Type
	}
	return r.b.OutSubject(m.Party, m.Type)
}

func (b *Broker) resetStream() {
	b.mu.Lock()
	b.stream = nil
	b.mu.Unlock()
}

// InboundFilter is the subject filter of the inbound consumer.
func (b *Broker) InboundFilter() string { return b.opts.Prefix + ".*.in.>" }

func (r *Runner) consumeLoop(ctx context.Context) {
	log := r.b.opts.Logger
	for ctx.Err() == nil {
		cc, lost, err := r.consume(ctx)
		if err != nil {
			r.setErr(&r.conErr, err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			continue
		}
		r.setErr(&r.conErr, nil)
		select {
		case <-ctx.Done():
			cc.Stop()
			return
		case err := <-lost:
			log.Warn("exchange: inbound consumer lost; recreating it", "err", err)
			cc.Stop()
			r.b.resetStream()
		}
	}
}

// consume creates (or finds) the durable consumer and starts applying
// messages; lost reports an error after which the consumer must be made
// again (the broker lost it).
func (r *Runner) consume(ctx context.Context) (jetstream.ConsumeContext, <-chan error, error) {
	s, err := r.b.Stream(ctx)
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := s.CreateOrUpdateConsumer(cctx, jetstream.ConsumerConfig{
		Durable:       r.b.opts.Consumer,
		FilterSubject: r.b.InboundFilter(),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		r.b.resetStream()
		return nil, nil, err
	}
	lost := make(chan error, 1)
	work := make([]chan jetstream.Msg, r.opts.Workers)
	done := make(chan struct{})
	var workers sync.WaitGroup
	for i := range work {
		work[i] = make(chan jetstream.Msg, 64)
		workers.Go(func() {
			for {
				select {
				case msg := <-work[i]:
					r.handle(ctx, msg)
				case <-done:
					return
				}
			}
		})
	}
	// A message left in a queue when the workers stop is not acked: the
	// broker delivers it again.
	stopWorkers := func() {
		close(done)
		workers.Wait()
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		select {
		case work[shard(msg.Data(), len(work))] <- msg:
		case <-done:
		}
	},
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				select {
				case lost <- err:
				default:
				}
			}
		}))
	if err != nil {
		stopWorkers()
		return nil, nil, err
	}
	return stoppingContext{cc, stopWorkers}, lost, nil
}

// stoppingContext stops the workers after the consumer.
type stoppingContext struct {
	jetstream.ConsumeContext
	after func()
}

func (s stoppingContext) Stop() {
	s.ConsumeContext.Stop()
	select {
	case <-s.ConsumeContext.Closed():
	case <-time.After(5 * time.Second):
	}
	s.after()
}

// shard picks the worker of a message by its party and ref, so that the
// messages about one record are applied one after the other, in order.
func shard(data []byte, n int) int {
	var head struct{ Party, Ref string }
	_ = json.Unmarshal(data, &head)
	h := fnv.New32a()
	h.Write([]byte(head.Party))
	h.Write([]byte{0})
	h.Write([]byte(head.Ref))
	return int(h.Sum32() % uint32(n))
}

// handle applies one inbound message and acks it only once the runtime has
// applied it or recorded it as an exception (both committed); a database
// failure leaves it to be delivered again.
func (r *Runner) handle(ctx context.Context, msg jetstream.Msg) {
	id := msg.Headers().Get(jetstream.MsgIDHeader)
	if id == "" {
		if md, err := msg.Metadata(); err == nil {
			id = r.b.opts.Stream + ":" + strconv.FormatUint(md.Sequence.Stream, 10)
		}
	}
	res, err := r.rt.ReceiveMessage(ctx, msg.Data(), id)
	if err != nil {
		r.b.opts.Logger.Error("exchange: inbound message not applied; it will be delivered again", "msg_id", id, "err", err)
		_ = msg.NakWithDelay(5 * time.Second)
		return
	}
	if err := msg.Ack(); err != nil {
		// Delivered again later, it is a duplicate and changes nothing.
		r.b.opts.Logger.Warn("exchange: ack failed", "msg_id", res.MsgID, "err", err)
	}
}

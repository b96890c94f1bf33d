package exchange

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/keys"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// SimOptions configure a simulated party: what it answers to the messages
// Growth sends it.
type SimOptions struct {
	// Party is the exchange whose part the simulator plays.
	Party string
	// Key signs the party's replies; Growth verifies Growth's messages.
	Key    *keys.PrivateKey
	Growth *keys.PublicKey
	// Accept is the reply type to a message the party accepts (a bank's
	// paid); its body carries SerialKey: a serial number of the party's.
	Accept    string
	SerialKey string
	// Refuse is the reply type to a message it refuses (a bank's returned),
	// sent when the body's RefuseKey matches RefuseWhen; its body carries
	// ReasonKey: Reason.
	Refuse     string
	RefuseKey  string
	RefuseWhen *regexp.Regexp
	ReasonKey  string
	Reason     string
	// Durable names the simulator's consumer (default sim-PARTY): a
	// simulator restarted with the same name goes on where it stopped.
	Durable string
	// AckWait is how long a message delivered to a simulator that stopped
	// before answering waits before it is delivered again (default 30s).
	AckWait time.Duration
	// StatementDir, when set, is where the party writes its daily statement
	// (对账单): STATEMENTDIR/PARTY-YYYY-MM-DD.csv, one line per message it
	// answered that day (engine.StatementHeader), the amount from the body's
	// AmountKey (default amount) and the account from AccountKey (default
	// payee_account). Location gives the day (default time.Local).
	StatementDir string
	AmountKey    string
	AccountKey   string
	Location     *time.Location
	// Now, when set, gives the time of the statement lines (tests).
	Now func() time.Time
}

// SimStats count what a simulator did.
type SimStats struct {
	Accepted, Refused, BadSignature atomic.Int64
}

// Simulate plays a party until ctx ends: it consumes what Growth sends the
// party, refuses (and does not answer) a message whose signature does not
// verify with Growth's key, and answers every other with a signed reply.
// The reply's id derives from the message's, so a message delivered twice
// (the simulator stopped between replying and acking) gets the same reply,
// which the broker and Growth's inbox both drop.
func Simulate(ctx context.Context, b *Broker, o SimOptions) (*SimStats, func(), error) {
	if o.Durable == "" {
		o.Durable = "sim-" + o.Party
	}
	if o.SerialKey == "" {
		o.SerialKey = "serial"
	}
	if o.ReasonKey == "" {
		o.ReasonKey = "reason"
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.Key == nil || o.Growth == nil || o.Accept == "" {
		return nil, nil, errors.New("simulator: needs the party's key, Growth's public key and the reply type")
	}
	s, err := b.Stream(ctx)
	if err != nil {
		return nil, nil, err
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       o.Durable,
		FilterSubject: b.opts.Prefix + "." + o.Party + ".out.>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    -1,
	})
	if err != nil {
		return nil, nil, err
	}
	stats := &SimStats{}
	st := &statementWriter{o: o, seen: map[string]map[string]bool{}}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if err := simReply(ctx, b, o, stats, st, msg); err != nil {
			b.opts.Logger.Warn("simulator: reply failed; the message comes again", "err", err)
			_ = msg.NakWithDelay(time.Second)
			return
		}
		_ = msg.Ack()
	})
	if err != nil {
		return nil, nil, err
	}
	return stats, func() {
		cc.Stop()
		select {
		case <-cc.Closed():
		case <-time.After(5 * time.Second):
		}
	}, nil
}

func simReply(ctx context.Context, b *Broker, o SimOptions, stats *SimStats, st *statementWriter, msg jetstream.Msg) error {
	var env engine.Envelope
	if err := json.Unmarshal(msg.Data(), &env); err != nil || !env.Verify(o.Growth) {
		stats.BadSignature.Add(1)
		b.opts.Logger.Warn("simulator: a message without a valid signature by Growth; not answered", "subject", msg.Subject())
		return nil
	}
	var body map[string]any
	_ = json.Unmarshal(env.Body, &body)
	sum := sha256.Sum256([]byte(env.ID))
	reply := &engine.Envelope{ID: "r" + hex.EncodeToString(sum[:15]), Party: o.Party, Ref: env.Ref, At: time.Now().UTC().Format(time.RFC3339Nano)}
	var out map[string]any
	refuse := o.Refuse != "" && o.RefuseWhen != nil && o.RefuseWhen.MatchString(fmt.Sprint(body[o.RefuseKey]))
	if refuse {
		reply.Type, out = o.Refuse, map[string]any{o.ReasonKey: o.Reason}
	} else {
		reply.Type, out = o.Accept, map[string]any{o.SerialKey: hex.EncodeToString(sum[15:23])}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return err
	}
	reply.Body = raw
	if err := reply.Sign(o.Key); err != nil {
		return err
	}
	data, err := json.Marshal(reply)
	if err != nil {
		return err
	}
	m := nats.NewMsg(b.InSubject(o.Party, reply.Type))
	m.Data = data
	if _, err := b.js.PublishMsg(ctx, m, jetstream.WithMsgID(reply.ID)); err != nil {
		return err
	}
	if o.StatementDir != "" {
		serial := ""
		if !refuse {
			serial = fmt.Sprint(out[o.SerialKey])
		}
		if err := st.write(env, body, reply.Type, serial); err != nil {
			return err
		}
	}
	if refuse {
		stats.Refused.Add(1)
	} else {
		stats.Accepted.Add(1)
	}
	return nil
}

// statementWriter appends the lines of the party's daily statements, each
// message once (a message delivered again after a restart is found in the
// file).
type statementWriter struct {
	o    SimOptions
	mu   sync.Mutex
	seen map[string]map[string]bool // file → message ids
}

// StatementFile is the path of a party's statement of a day.
func StatementFile(dir, party, day string) string {
	return filepath.Join(dir, party+"-"+day+".csv")
}

func (w *statementWriter) write(env engine.Envelope, body map[string]any, status, serial string) error {
	loc := w.o.Location
	if loc == nil {
		loc = time.Local
	}
	now := time.Now()
	if w.o.Now != nil {
		now = w.o.Now()
	}
	day := now.In(loc).Format(time.DateOnly)
	amountKey, accountKey := w.o.AmountKey, w.o.AccountKey
	if amountKey == "" {
		amountKey = "amount"
	}
	if accountKey == "" {
		accountKey = "payee_account"
	}
	path := StatementFile(w.o.StatementDir, w.o.Party, day)
	w.mu.Lock()
	defer w.mu.Unlock()
	seen, ok := w.seen[path]
	if !ok {
		seen = map[string]bool{}
		if old, err := os.Open(path); err == nil {
			lines, err := engine.ParseStatement(old)
			old.Close()
			if err != nil {
				return fmt.Errorf("statement %s: %w", path, err)
			}
			for _, l := range lines {
				seen[l.MsgID] = true
			}
		}
		w.seen[path] = seen
	}
	if seen[env.ID] {
		return nil
	}
	if err := os.MkdirAll(w.o.StatementDir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		_ = cw.Write(engine.StatementHeader)
	}
	str := func(v any) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	_ = cw.Write([]string{day, env.ID, env.Ref, str(body[amountKey]), str(body[accountKey]), status, serial})
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	seen[env.ID] = true
	return nil
}

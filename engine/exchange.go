package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/growth-gov/growth/engine/keys"
	"github.com/growth-gov/growth/engine/render"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// The exchange (docs/exchange.md): signed messages between Growth and the
// parties of the definitions' exchanges. This file is the database side: the
// outbox written by the event that produces a message, the inbox and the
// exceptions written when a message arrives. The broker side (NATS
// JetStream: publishing the outbox, consuming inbound messages) is in
// engine/exchange.

// Envelope is one message as it travels: who it is with, what it is, what it
// refers to, its body, and the sender's signature over all of them.
type Envelope struct {
	// ID identifies the message; the broker deduplicates by it and the
	// receiver applies it once.
	ID string `json:"id"`
	// Party is the counterparty's name (the exchange's), both ways.
	Party string `json:"party"`
	// Type is the message type (outbound or inbound in the definitions).
	Type string `json:"type"`
	// Ref identifies the record the message is about.
	Ref string `json:"ref"`
	// At is when the sender made the message (RFC 3339, UTC).
	At string `json:"at"`
	// Body is the payload, a JSON object.
	Body json.RawMessage `json:"body"`
	// Alg is the signature algorithm: ed25519 or sm2.
	Alg string `json:"alg"`
	// Sig is the signature of SigningInput, base64.
	Sig string `json:"sig"`
}

// signingVersion starts what is signed, so that a later envelope version can
// never be mistaken for this one.
const signingVersion = "growth-exchange/1"

// SigningInput is the exact bytes signed: the version and the header fields
// one per line, then the body as sent.
func (e *Envelope) SigningInput() []byte {
	var b bytes.Buffer
	for _, s := range []string{signingVersion, e.ID, e.Party, e.Type, e.Ref, e.At} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.Write(e.Body)
	return b.Bytes()
}

// Sign sets Alg and Sig with key.
func (e *Envelope) Sign(key *keys.PrivateKey) error {
	e.Alg = string(key.Kind())
	sig, err := key.Sign(e.SigningInput())
	if err != nil {
		return err
	}
	e.Sig = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// Verify reports whether the envelope carries a valid signature by pub.
func (e *Envelope) Verify(pub *keys.PublicKey) bool {
	if e.Alg != string(pub.Kind()) {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(e.Sig)
	return err == nil && pub.Verify(e.SigningInput(), sig)
}

// wellFormed explains what is wrong with the header fields, or "".
func (e *Envelope) wellFormed() string {
	for _, f := range []struct{ name, v string }{{"id", e.ID}, {"party", e.Party}, {"type", e.Type}, {"ref", e.Ref}, {"at", e.At}} {
		if f.v == "" {
			return "缺少 " + f.name
		}
		if strings.ContainsAny(f.v, "\r\n") || len(f.v) > 200 {
			return f.name + " 须为一行，最长 200 字节"
		}
	}
	if len(bytes.TrimSpace(e.Body)) == 0 || bytes.TrimSpace(e.Body)[0] != '{' {
		return "body 须为 JSON 对象"
	}
	if e.Alg == "" || e.Sig == "" {
		return "缺少 alg 和 sig：报文未签名"
	}
	return ""
}

// NewMessageID makes a message id: random, so that no two installations or
// restarts make the same one.
func NewMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ExchangeKeys are the keys the exchange signs and verifies with; keys.Store
// is one.
type ExchangeKeys interface {
	Own(kind keys.Kind) (*keys.PrivateKey, error)
	Party(name string) (*keys.PublicKey, error)
}

// exchangeState is the runtime's exchange: keys (read once, kept), and the
// outbound messages by the entity and event that produce them.
type exchangeState struct {
	mu    sync.Mutex
	keys  ExchangeKeys
	own   map[keys.Kind]*keys.PrivateKey
	party map[string]*keys.PublicKey
	out   map[string][]outboundSpec // by "app.entity event"
	nudge chan struct{}
}

type outboundSpec struct {
	x *metamodel.Exchange
	m *metamodel.OutboundMessage
}

// SetExchangeKeys gives the runtime the keys it signs outbound messages and
// verifies inbound ones with. Without keys, an event that produces a message
// is refused: nothing leaves unsigned.
func (rt *Runtime) SetExchangeKeys(k ExchangeKeys) {
	x := rt.exchange
	x.mu.Lock()
	defer x.mu.Unlock()
	x.keys = k
	x.own = map[keys.Kind]*keys.PrivateKey{}
	x.party = map[string]*keys.PublicKey{}
}

// ExchangeNotify is signalled after an event that wrote an outbound message
// commits, so the publisher need not wait for its next scan.
func (rt *Runtime) ExchangeNotify() <-chan struct{} { return rt.exchange.nudge }

func (x *exchangeState) ownKey(kind keys.Kind) (*keys.PrivateKey, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.keys == nil {
		return nil, errors.New("the exchange has no keys: the server was started without a key folder")
	}
	if k := x.own[kind]; k != nil {
		return k, nil
	}
	k, err := x.keys.Own(kind)
	if err != nil {
		return nil, err
	}
	x.own[kind] = k
	return k, nil
}

func (x *exchangeState) partyKey(name string) (*keys.PublicKey, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.keys == nil {
		return nil, fmt.Errorf("%w: the exchange has no keys", keys.ErrNoKey)
	}
	if k := x.party[name]; k != nil {
		return k, nil
	}
	k, err := x.keys.Party(name)
	if err != nil {
		return nil, err
	}
	x.party[name] = k
	return k, nil
}

func addExchange(rt *Runtime) {
	x := &exchangeState{out: map[string][]outboundSpec{}, nudge: make(chan struct{}, 1)}
	rt.exchange = x
	for _, ex := range rt.Project.Exchanges() {
		for _, m := range ex.Outbound {
			if m.Target == nil {
				continue
			}
			key := m.Target.QualifiedName() + " " + m.Event
			x.out[key] = append(x.out[key], outboundSpec{x: ex, m: m})
		}
	}
}

// notifyExchange wakes the publisher; called after a commit.
func (rt *Runtime) notifyExchange() {
	select {
	case rt.exchange.nudge <- struct{}{}:
	default:
	}
}

// exchangeEffect writes, in the event's transaction, the outbound messages
// the event produces and the inbox row of the inbound message that fired it.
type exchangeEffect struct{}

// PlanBulk: creating records never sends or receives a message: only events
// do.
func (exchangeEffect) PlanBulk(*Runtime, *metamodel.Entity) (BulkStep, bool) {
	return nil, true
}

func (exchangeEffect) Apply(ec EffectContext, ch *Change) error {
	if ch.Transition == nil || ch.New == nil {
		return nil
	}
	rt := ec.RT
	if in := ch.inbound; in != nil {
		p := rt.DB.Placeholder
		_, err := ec.Tx.ExecContext(ec, `INSERT INTO growth_exchange_inbox (msg_id, party, type, ref, app, entity, record_id, event, envelope, received_at) VALUES (`+
			p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, `+p(5)+`, `+p(6)+`, `+p(7)+`, `+p(8)+`, `+p(9)+`, `+p(10)+`)`,
			in.env.ID, in.env.Party, in.env.Type, in.env.Ref, in.app, in.entity, in.recordID, in.event, string(in.raw), rt.DB.timeArg(rt.now()))
		if err != nil {
			return fmt.Errorf("exchange inbox: %w", err)
		}
	}
	specs := rt.exchange.out[ch.Entity.QualifiedName()+" "+ch.Action]
	for _, s := range specs {
		if err := rt.writeOutbound(ec, s, ch); err != nil {
			return err
		}
	}
	return nil
}

func (rt *Runtime) writeOutbound(ec EffectContext, s outboundSpec, ch *Change) error {
	rec := ch.New
	content := messageBody(s.m, rec)
	if err := rt.messageLines(ec, s, rec, content); err != nil {
		return err
	}
	if s.m.File != nil {
		file, err := rt.messageFile(ec, s.m.File, rec)
		if err != nil {
			return err
		}
		content["file"] = file
	}
	body, err := json.Marshal(content)
	if err != nil {
		return err
	}
	now := rt.now().UTC().Truncate(time.Microsecond)
	party := s.x.Name
	if s.x.Peer != nil {
		party = s.x.Peer.As // the name the other installation knows us by
	}
	env := &Envelope{ID: NewMessageID(), Party: party, Type: s.m.Name, Ref: recordRef(s.m.RefField, rec), At: now.Format(time.RFC3339Nano), Body: body}
	if env.Ref == "" {
		return Invalid(s.m.RefField.Name, errcode.Required, "发往%s的报文须引用“%s”，该字段为空", exchangeLabel(s.x), fieldLabel(s.m.RefField))
	}
	key, err := rt.exchange.ownKey(keys.Kind(s.x.SignatureKind()))
	if err != nil {
		return fmt.Errorf("exchange %s: cannot sign message %s: %w", s.x.Name, s.m.Name, err)
	}
	if err := env.Sign(key); err != nil {
		return fmt.Errorf("exchange %s: sign: %w", s.x.Name, err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return err
	}
	p := rt.DB.Placeholder
	_, err = ec.Tx.ExecContext(ec, `INSERT INTO growth_exchange_outbox (msg_id, party, type, app, entity, record_id, event, ref, envelope, created_at) VALUES (`+
		p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, `+p(5)+`, `+p(6)+`, `+p(7)+`, `+p(8)+`, `+p(9)+`, `+p(10)+`)`,
		env.ID, s.x.Name, env.Type, rec.App, rec.Entity, rec.ID, ch.Action, env.Ref, string(raw), rt.DB.timeArg(now))
	if err != nil {
		return fmt.Errorf("exchange outbox: %w", err)
	}
	return nil
}

func exchangeLabel(x *metamodel.Exchange) string {
	if x.Title != "" {
		return x.Title
	}
	return x.Name
}

// messageBody is the body of an outbound message: each key from its field
// in the field's JSON form (money as text).
func messageBody(m *metamodel.OutboundMessage, rec *Record) map[string]any {
	body := make(map[string]any, len(m.Fields))
	for _, bf := range m.Fields {
		switch bf.Field {
		case "id":
			body[bf.Name] = rec.ID
		case "state":
			body[bf.Name] = rec.State
		case "created_by":
			body[bf.Name] = rec.CreatedBy
		case "created_at":
			body[bf.Name] = rec.CreatedAt.UTC().Format(time.RFC3339)
		case "updated_at":
			body[bf.Name] = rec.UpdatedAt.UTC().Format(time.RFC3339)
		default:
			f := m.Target.Field(bf.Field)
			v := rec.Values[bf.Field]
			if f == nil || v == nil {
				body[bf.Name] = nil
				continue
			}
			body[bf.Name] = f.Kind.JSON(f, v)
		}
	}
	return body
}

// messageFile renders export x for the record and its lines as they stand
// in the event's transaction, for the body's file key; a file that cannot be
// made (totals that do not agree, a value too wide) refuses the event.
func (rt *Runtime) messageFile(ec EffectContext, x *metamodel.Export, rec *Record) (map[string]any, error) {
	var lines []*Record
	if x.Lines != nil {
		var err error
		if lines, err = rt.exportLines(ec, ec.Tx, SystemActor, x, rt.stores[x.Lines.Target.QualifiedName()], rec.ID); err != nil {
			return nil, err
		}
	}
	out, err := renderExport(x, rec, lines, Today(rt.now()))
	if err != nil {
		return nil, err
	}
	media, encoding := out.ContentType, "UTF-8"
	if i := strings.Index(media, ";"); i >= 0 {
		media = media[:i]
	}
	if x.Encoding == "gbk" {
		encoding = "GBK"
	}
	return map[string]any{"name": out.Name, "media_type": media, "encoding": encoding, "content": base64.StdEncoding.EncodeToString(out.Data)}, nil
}

// messageLines adds an outbound message's lines and totals to its body,
// reading the lines in the event's transaction; a total that must equal a
// field of the record and does not refuses the event.
func (rt *Runtime) messageLines(ec EffectContext, s outboundSpec, rec *Record, body map[string]any) error {
	l := s.m.Lines
	if l == nil || l.Target == nil || l.ViaRef == nil {
		return nil
	}
	ls := rt.stores[l.Target.QualifiedName()]
	where, args, err := rt.definitionWhere(ls, l.Where)
	if err != nil {
		return fmt.Errorf("message %s: lines: where: %w", s.m.Name, err)
	}
	// Conditions in the order of their arguments: SQLite's ? are positional.
	cond := rt.DB.Quote(l.Via) + " = " + rt.DB.Placeholder(len(args)+1)
	if where != "" {
		cond = "(" + where + ") AND " + cond
	}
	rows, err := ec.Tx.QueryContext(ec, ls.selectSQL+" WHERE "+cond+" ORDER BY "+rt.DB.Quote("id"), append(args, rec.ID)...)
	if err != nil {
		return rt.dbError(ls, "message lines", err)
	}
	var lines []*Record
	for rows.Next() {
		line, err := ls.scan(rows)
		if err != nil {
			rows.Close()
			return rt.dbError(ls, "message lines", err)
		}
		lines = append(lines, line)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rt.dbError(ls, "message lines", err)
	}
	items := make([]map[string]any, 0, len(lines))
	for _, line := range lines {
		item := make(map[string]any, len(l.Fields))
		for _, bf := range l.Fields {
			if bf.Field == "id" {
				item[bf.Name] = line.ID
				continue
			}
			f := l.Target.Field(bf.Field)
			if v := line.Values[bf.Field]; v != nil && f != nil {
				item[bf.Name] = f.Kind.JSON(f, v)
			} else {
				item[bf.Name] = nil
			}
		}
		items = append(items, item)
	}
	body[l.BodyKey()] = items
	for _, t := range s.m.Totals {
		var total decimal.Decimal
		if t.Count {
			total = decimal.NewFromInt(int64(len(lines)))
			body[t.Name] = len(lines)
		} else if t.SumField != nil {
			for _, line := range lines {
				d, _ := render.Decimal(line.Values[t.Sum])
				total = total.Add(d)
			}
			body[t.Name] = t.SumField.Kind.JSON(t.SumField, sumValue(t.SumField, total))
		}
		if t.EqualsField != nil {
			want, _ := render.Decimal(rec.Values[t.Equals])
			if !total.Equal(want) {
				return conflict(errcode.MessageTotal, "发往%s的%s合计 %s 与%s %s 不符，未发送", exchangeLabel(s.x), s.m.Name, total.String(), fieldLabel(t.EqualsField), want.String())
			}
		}
	}
	return nil
}

// sumValue is a sum in the canonical type of the field summed.
func sumValue(f *metamodel.Field, d decimal.Decimal) any {
	if f.Kind.Column(f).Kind == metamodel.ColumnInt {
		return d.IntPart()
	}
	return d
}

// recordRef is the text a message refers to rec by: its id, or the ref
// field's value.
func recordRef(f *metamodel.Field, rec *Record) string {
	if f == nil {
		return strconv.FormatInt(rec.ID, 10)
	}
	v := rec.Values[f.Name]
	if v == nil {
		return ""
	}
	switch j := f.Kind.JSON(f, v).(type) {
	case string:
		return j
	default:
		return fmt.Sprint(j)
	}
}

// OutboxMessage is one outbound message in the outbox.
type OutboxMessage struct {
	Seq      int64
	ID       string
	Party    string
	Type     string
	App      string
	Entity   string
	RecordID int64
	Event    string
	Ref      string
	Envelope []byte
	Created  time.Time
	Sent     *time.Time
	Attempts int
	Error    string
}

const outboxColumns = `id, msg_id, party, type, app, entity, record_id, event, ref, envelope, created_at, sent_at, attempts, last_error`

func scanOutbox(rows *sql.Rows) ([]OutboxMessage, error) {
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		var env string
		var created, sent any
		if err := rows.Scan(&m.Seq, &m.ID, &m.Party, &m.Type, &m.App, &m.Entity, &m.RecordID, &m.Event, &m.Ref, &env, &created, &sent, &m.Attempts, &m.Error); err != nil {
			return nil, err
		}
		m.Envelope = []byte(env)
		t, err := scanTime(created)
		if err != nil {
			return nil, err
		}
		m.Created = t
		if sent != nil {
			t, err := scanTime(sent)
			if err != nil {
				return nil, err
			}
			m.Sent = &t
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PendingOutbox lists up to limit outbound messages not yet sent, oldest
// first: what the publisher sends next.
func (rt *Runtime) PendingOutbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	rows, err := rt.DB.Write.QueryContext(ctx, `SELECT `+outboxColumns+` FROM growth_exchange_outbox WHERE sent_at IS NULL ORDER BY id LIMIT `+strconv.Itoa(limit))
	if err != nil {
		return nil, fmt.Errorf("exchange outbox: %w", err)
	}
	return scanOutbox(rows)
}

// OutboxFor lists the outbound messages of one record, oldest first.
func (rt *Runtime) OutboxFor(ctx context.Context, app, entity string, id int64) ([]OutboxMessage, error) {
	p := rt.DB.Placeholder
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT `+outboxColumns+` FROM growth_exchange_outbox WHERE app = `+p(1)+` AND entity = `+p(2)+` AND record_id = `+p(3)+` ORDER BY id`, app, entity, id)
	if err != nil {
		return nil, fmt.Errorf("exchange outbox: %w", err)
	}
	return scanOutbox(rows)
}

// MarkSent records that the broker has the messages of the given outbox
// sequence numbers.
func (rt *Runtime) MarkSent(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	args := []any{rt.DB.timeArg(rt.now())}
	ph := make([]string, len(seqs))
	for i, s := range seqs {
		ph[i] = rt.DB.Placeholder(i + 2)
		args = append(args, s)
	}
	_, err := rt.DB.Write.ExecContext(ctx, `UPDATE growth_exchange_outbox SET sent_at = `+rt.DB.Placeholder(1)+`, attempts = attempts + 1 WHERE id IN (`+strings.Join(ph, ", ")+`) AND sent_at IS NULL`, args...)
	if err != nil {
		return fmt.Errorf("exchange outbox: %w", err)
	}
	return nil
}

// MarkFailed records a failed attempt to publish a message; it stays pending.
func (rt *Runtime) MarkFailed(ctx context.Context, seq int64, cause error) error {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := rt.DB.Write.ExecContext(ctx, `UPDATE growth_exchange_outbox SET attempts = attempts + 1, last_error = `+rt.DB.Placeholder(1)+` WHERE id = `+rt.DB.Placeholder(2), msg, seq)
	return err
}

// Inbound outcomes.
const (
	InboundApplied   = "applied"
	InboundDuplicate = "duplicate"
	InboundException = "exception"
)

// Exception reasons: why an inbound message was refused.
const (
	ReasonMalformed    = "malformed"
	ReasonUnknownParty = "unknown_party"
	ReasonNoKey        = "no_party_key"
	ReasonBadSignature = "bad_signature"
	ReasonUnknownType  = "unknown_type"
	ReasonNoRecord     = "no_record"
	ReasonWrongState   = "wrong_state"
	ReasonRefused      = "refused"
)

// InboundResult is what receiving one message did.
type InboundResult struct {
	Outcome  string
	MsgID    string
	Party    string
	Type     string
	Ref      string
	RecordID int64
	// Reason and Message explain an exception.
	Reason  string
	Message string
}

// inboundApply goes with the event an inbound message fires (firing.inbound,
// then Change.inbound), so the exchange effect writes its inbox row in the
// event's transaction.
type inboundApply struct {
	env                *Envelope
	raw                []byte
	app, entity, event string
	recordID           int64
}

// ReceiveMessage applies one inbound message: raw is the envelope as it
// arrived, brokerID the broker's id for it (used only when the envelope is
// unreadable). The message is applied (its event fired, the inbox row
// written in the event's transaction), recognised as a duplicate of one
// applied or refused before (nothing happens), or refused and recorded as an
// exception with its reason. Only a failure to reach the database returns an
// error: the message was not handled and must be delivered again.
func (rt *Runtime) ReceiveMessage(ctx context.Context, raw []byte, brokerID string) (*InboundResult, error) {
	var env Envelope
	res := &InboundResult{}
	exception := func(reason, format string, args ...any) (*InboundResult, error) {
		res.Outcome, res.Reason, res.Message = InboundException, reason, fmt.Sprintf(format, args...)
		if res.MsgID == "" {
			res.MsgID = brokerID
			if res.MsgID == "" {
				sum := sha256.Sum256(raw)
				res.MsgID = "sha256:" + hex.EncodeToString(sum[:16])
			}
		}
		fresh, err := rt.recordException(ctx, res, raw)
		if err != nil {
			return nil, err
		}
		if !fresh {
			// Refused before (a redelivery of an unreadable message).
			res.Outcome = InboundDuplicate
		}
		return res, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&env); err != nil {
		return exception(ReasonMalformed, "报文不是 JSON 信封：%v", err)
	}
	if env.ID != "" && !strings.ContainsAny(env.ID, "\r\n") && len(env.ID) <= 200 {
		res.MsgID = env.ID
	}
	res.Party, res.Type, res.Ref = env.Party, env.Type, env.Ref
	if seen, err := rt.seenMessage(ctx, res.MsgID, raw); err != nil || seen {
		if seen {
			res.Outcome = InboundDuplicate
		}
		return res, err
	}
	if why := env.wellFormed(); why != "" {
		return exception(ReasonMalformed, "信封格式错误：%s", why)
	}
	x := rt.Project.Exchange(env.Party)
	if x == nil {
		return exception(ReasonUnknownParty, "交换方 %q 未在定义中声明", env.Party)
	}
	pub, err := rt.exchange.partyKey(x.KeyName())
	if err != nil {
		return exception(ReasonNoKey, "交换方 %s 的公钥不可用：%v", x.Name, err)
	}
	if env.Alg != x.SignatureKind() {
		return exception(ReasonBadSignature, "交换方 %s 使用 %s 签名，报文声明的算法为 %q", x.Name, x.SignatureKind(), env.Alg)
	}
	if !env.Verify(pub) {
		return exception(ReasonBadSignature, "签名与交换方 %s 的公钥（指纹 %s…）不符：报文被篡改，或并非该交换方所签", x.Name, pub.Fingerprint()[:16])
	}
	m := x.InboundMessage(env.Type)
	if m == nil || m.Target == nil {
		return exception(ReasonUnknownType, "交换方 %s 没有 %q 类型的报文", x.Name, env.Type)
	}
	var body map[string]any
	bd := json.NewDecoder(bytes.NewReader(env.Body))
	bd.UseNumber()
	if err := bd.Decode(&body); err != nil {
		return exception(ReasonMalformed, "报文内容（body）无法读取：%v", err)
	}
	id, err := rt.findByRef(ctx, m, env.Ref)
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return exception(ReasonNoRecord, "找不到引用为 %q 的%s", env.Ref, m.Target.Label())
	}
	res.RecordID = id
	input := map[string]any{}
	for _, v := range m.Values {
		if val, ok := body[v.Name]; ok {
			input[v.Field] = val
		}
	}
	comment := ""
	if m.Comment != "" {
		if c, ok := body[m.Comment].(string); ok {
			comment = c
		}
	}
	actor := Actor{User: "exchange:" + x.Name, Roles: []string{SystemRole}}
	for _, t := range m.Target.Workflow.Transitions {
		if t.Event == m.Event {
			actor.Roles = append(actor.Roles, t.Roles...)
		}
	}
	in := &inboundApply{env: &env, raw: raw, app: m.Target.App.Name, entity: m.Target.Name, event: m.Event, recordID: id}
	f, err := rt.resolveFiring(FireRequest{Actor: actor, App: in.app, Entity: in.entity, ID: id, Event: m.Event, Comment: comment, Input: input})
	if err == nil {
		f.inbound = in
		_, err = rt.fire(ctx, f)
	}
	if err == nil {
		res.Outcome = InboundApplied
		return res, nil
	}
	// The same message applied meanwhile (delivered twice at once, to two
	// servers) is a duplicate, not an exception.
	if seen, serr := rt.seenMessage(ctx, res.MsgID, raw); serr != nil || seen {
		if seen {
			res.Outcome = InboundDuplicate
		}
		return res, serr
	}
	var conflict *ConflictError
	var verr *ValidationError
	var forbidden *ForbiddenError
	switch {
	case errors.As(err, &conflict) && conflict.Code == errcode.State:
		return exception(ReasonWrongState, "%s", conflict.Message)
	case errors.As(err, &conflict):
		if conflict.Code == errcode.Retry {
			return nil, err
		}
		return exception(ReasonRefused, "%s", conflict.Message)
	case errors.As(err, &verr):
		return exception(ReasonRefused, "%s", verr.Error())
	case errors.As(err, &forbidden):
		return exception(ReasonRefused, "%s", forbidden.Message)
	case errors.Is(err, ErrNotFound):
		return exception(ReasonNoRecord, "%v", err)
	}
	return nil, err
}

// seenMessage reports whether a message was applied before (its id is in
// the inbox) or refused before (this very message, byte for byte, is an
// exception: another message with the same id — a forgery taking a genuine
// message's id — does not count).
func (rt *Runtime) seenMessage(ctx context.Context, id string, raw []byte) (bool, error) {
	if id == "" {
		return false, nil
	}
	var n int
	p := rt.DB.Placeholder
	err := rt.DB.Write.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM growth_exchange_inbox WHERE msg_id = `+p(1)+`) + (SELECT COUNT(*) FROM growth_exchange_exceptions WHERE msg_id = `+p(2)+` AND sha256 = `+p(3)+`)`,
		id, id, messageHash(raw)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("exchange inbox: %w", err)
	}
	return n > 0, nil
}

func messageHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// findByRef finds the record an inbound message refers to; 0 when none.
func (rt *Runtime) findByRef(ctx context.Context, m *metamodel.InboundMessage, ref string) (int64, error) {
	s := rt.stores[m.Target.QualifiedName()]
	var arg any
	col := "id"
	if m.RefField == nil {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || id <= 0 {
			return 0, nil
		}
		arg = id
	} else {
		v, err := m.RefField.Kind.Parse(m.RefField, ref)
		if err != nil {
			return 0, nil
		}
		col, arg = m.RefField.Name, rt.DB.toDB(m.RefField.Kind.Column(m.RefField), v)
	}
	var id int64
	err := rt.DB.Write.QueryRowContext(ctx, `SELECT `+rt.DB.Quote("id")+` FROM `+rt.DB.Quote(s.table)+` WHERE `+rt.DB.Quote(col)+` = `+rt.DB.Placeholder(1), arg).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("exchange: find %s: %w", m.Target.Name, err)
	}
	return id, nil
}

// recordException stores a refused message once (a redelivery finds it);
// fresh is false when it was stored before.
func (rt *Runtime) recordException(ctx context.Context, res *InboundResult, raw []byte) (fresh bool, err error) {
	p := rt.DB.Placeholder
	hash := messageHash(raw)
	if len(raw) > 64<<10 {
		raw = raw[:64<<10]
	}
	r, err := rt.DB.Write.ExecContext(ctx, `INSERT INTO growth_exchange_exceptions (msg_id, sha256, party, type, ref, reason, message, envelope, received_at) VALUES (`+
		p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, `+p(5)+`, `+p(6)+`, `+p(7)+`, `+p(8)+`, `+p(9)+`) ON CONFLICT (msg_id, sha256) DO NOTHING`,
		res.MsgID, hash, clip(res.Party), clip(res.Type), clip(res.Ref), res.Reason, res.Message, strings.ToValidUTF8(string(raw), "\uFFFD"), rt.DB.timeArg(rt.now()))
	if err != nil {
		return false, fmt.Errorf("exchange exceptions: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return false, nil
	}
	rt.Log.Warn("exchange: inbound message refused", "msg_id", res.MsgID, "party", res.Party, "type", res.Type, "ref", res.Ref, "reason", res.Reason, "message", res.Message)
	return true, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "")
	}
	return s
}

// ExchangeException is one refused inbound message.
type ExchangeException struct {
	ID         int64
	MsgID      string
	Party      string
	Type       string
	Ref        string
	Reason     string
	Message    string
	Envelope   string
	ReceivedAt time.Time
	Resolved   bool
	ResolvedBy string
	Comment    string
}

// ExchangeExceptions lists the refused inbound messages, newest first;
// unresolved only unless all.
func (rt *Runtime) ExchangeExceptions(ctx context.Context, all bool) ([]ExchangeException, error) {
	q := `SELECT id, msg_id, party, type, ref, reason, message, envelope, received_at, resolved_at, resolved_by, comment FROM growth_exchange_exceptions`
	if !all {
		q += ` WHERE resolved_at IS NULL`
	}
	rows, err := rt.DB.Read.QueryContext(ctx, q+` ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("exchange exceptions: %w", err)
	}
	defer rows.Close()
	var out []ExchangeException
	for rows.Next() {
		var e ExchangeException
		var at, resolved any
		if err := rows.Scan(&e.ID, &e.MsgID, &e.Party, &e.Type, &e.Ref, &e.Reason, &e.Message, &e.Envelope, &at, &resolved, &e.ResolvedBy, &e.Comment); err != nil {
			return nil, err
		}
		if e.ReceivedAt, err = scanTime(at); err != nil {
			return nil, err
		}
		e.Resolved = resolved != nil
		out = append(out, e)
	}
	return out, rows.Err()
}

// Audit trail names of exception resolutions.
const (
	exceptionAuditApp    = "growth"
	exceptionAuditEntity = "exchange_exceptions"
)

// ResolveException records that a user handled a refused inbound message
// (asked the party to send it again, corrected the record by hand …): who,
// when and the comment, which is required, in the audit trail. Nothing of
// the message is applied. Only an administrator, or the platform, may.
func (rt *Runtime) ResolveException(ctx context.Context, actor Actor, id int64, comment string) error {
	comment = strings.TrimSpace(comment)
	if !isSystem(actor) && !slices.Contains(actor.Roles, AdminRole) {
		return Forbidden("只有管理员可以处理交换异常")
	}
	if comment == "" {
		return Invalid("comment", errcode.Required, "处理交换异常须填写处理意见")
	}
	p := rt.DB.Placeholder
	return rt.DB.Tx(ctx, func(tx *sql.Tx) error {
		var reason, msgID string
		var resolved any
		err := tx.QueryRowContext(ctx, `SELECT reason, msg_id, resolved_at FROM growth_exchange_exceptions WHERE id = `+p(1), id).Scan(&reason, &msgID, &resolved)
		if errors.Is(err, sql.ErrNoRows) {
			return NotFound("交换异常 #%d", id)
		}
		if err != nil {
			return err
		}
		if resolved != nil {
			return conflict(errcode.Resolved, "交换异常 #%d 已处理", id)
		}
		now := rt.now()
		if _, err := tx.ExecContext(ctx, `UPDATE growth_exchange_exceptions SET resolved_at = `+p(1)+`, resolved_by = `+p(2)+`, comment = `+p(3)+` WHERE id = `+p(4),
			rt.DB.timeArg(now), actor.User, comment, id); err != nil {
			return err
		}
		return rt.DB.appendAudit(ctx, tx, AuditEntry{App: exceptionAuditApp, Entity: exceptionAuditEntity, RecordID: id, Action: "resolve", Actor: actor.User, At: now,
			Changes: map[string][2]any{"resolved": {false, true}, "reason": {reason, reason}, "msg_id": {msgID, msgID}, "_comment": {nil, comment}}, DefVersion: rt.Project.Hash})
	})
}

// InboxCount counts the inbound messages applied to one record.
func (rt *Runtime) InboxCount(ctx context.Context, app, entity string, id int64) (int, error) {
	var n int
	p := rt.DB.Placeholder
	err := rt.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_exchange_inbox WHERE app = `+p(1)+` AND entity = `+p(2)+` AND record_id = `+p(3), app, entity, id).Scan(&n)
	return n, err
}

// RecordMessage is one exchange message of a record, as its page shows it:
// both directions, each with its signature checked again.
type RecordMessage struct {
	// Out is true for what Growth sent, false for what the party sent.
	Out   bool
	Party string
	Type  string
	MsgID string
	// At is when Growth wrote (out) or applied (in) the message.
	At time.Time
	// Sent is when the broker took an outbound message; nil while it waits.
	Sent     *time.Time
	Attempts int
	Error    string
	// Alg and Signature are the envelope's; Fingerprint identifies the key
	// that verifies it (ours for out, the party's for in), "" when that key
	// is not at hand; Verified says whether it verifies now.
	Alg, Signature, Fingerprint string
	Verified                    bool
}

// MessagesFor lists the exchange messages of one record, oldest first.
func (rt *Runtime) MessagesFor(ctx context.Context, app, entity string, id int64) ([]RecordMessage, error) {
	out, err := rt.OutboxFor(ctx, app, entity, id)
	if err != nil {
		return nil, err
	}
	var msgs []RecordMessage
	for _, m := range out {
		rm := RecordMessage{Out: true, Party: m.Party, Type: m.Type, MsgID: m.ID, At: m.Created, Sent: m.Sent, Attempts: m.Attempts, Error: m.Error}
		rt.checkSignature(&rm, m.Envelope)
		msgs = append(msgs, rm)
	}
	p := rt.DB.Placeholder
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT msg_id, party, type, envelope, received_at FROM growth_exchange_inbox WHERE app = `+p(1)+` AND entity = `+p(2)+` AND record_id = `+p(3)+` ORDER BY received_at`, app, entity, id)
	if err != nil {
		return nil, fmt.Errorf("exchange inbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rm RecordMessage
		var env string
		var at any
		if err := rows.Scan(&rm.MsgID, &rm.Party, &rm.Type, &env, &at); err != nil {
			return nil, err
		}
		if rm.At, err = scanTime(at); err != nil {
			return nil, err
		}
		rt.checkSignature(&rm, []byte(env))
		msgs = append(msgs, rm)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(msgs, func(a, b RecordMessage) int { return a.At.Compare(b.At) })
	return msgs, nil
}

// checkSignature verifies a stored envelope again with the key that should
// have signed it.
func (rt *Runtime) checkSignature(rm *RecordMessage, raw []byte) {
	var env Envelope
	if json.Unmarshal(raw, &env) != nil {
		return
	}
	rm.Alg, rm.Signature = env.Alg, env.Sig
	var pub *keys.PublicKey
	if rm.Out {
		if k, err := rt.exchange.ownKey(keys.Kind(env.Alg)); err == nil {
			pub = k.Public()
		}
	} else if x := rt.Project.Exchange(env.Party); x != nil {
		pub, _ = rt.exchange.partyKey(x.KeyName())
	}
	if pub != nil {
		rm.Fingerprint = pub.Fingerprint()
		rm.Verified = env.Verify(pub)
	}
}

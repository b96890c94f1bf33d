package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// Idempotency: a client may send an Idempotency-Key with a request that
// changes something. The first request that commits with a key records it in
// growth_idempotency (in its own transaction, by the idempotency effect),
// under the user who sent it, with a fingerprint of the request (its method,
// path and body, made by the API). A later request of the same user with the
// same key and the same request gets what the first one did — the record it
// created or changed — and changes nothing. The same key from another user
// is another key: keys are per user, so one user's key neither reaches nor
// blocks another's request. The same user reusing a key for another request
// (another entity, action, record or body) is refused with 422
// "idempotency_key_reused". Two requests with one key at the same moment: one
// commits, the other gets a conflict ("idempotency_in_progress") and, retried,
// the first one's record.

// MaxIdempotencyKeyLength caps a key; longer keys are refused.
const MaxIdempotencyKeyLength = 200

// Idempotency is a client's Idempotency-Key for one write and the
// fingerprint of the request it came with. Fire takes it in its request;
// Create, Update and Delete take it from their context (WithIdempotencyKey,
// WithIdempotentRequest).
type Idempotency struct {
	Key string
	// Request is a fingerprint of the request (the API hashes the method,
	// path and body): a later request with the same key and another
	// fingerprint is refused rather than answered with the first one's
	// record. "" compares equal to any request.
	Request string
}

// KeyReusedError refuses a request whose idempotency key the same user
// already used for another request (422 idempotency_key_reused).
type KeyReusedError struct {
	Message   string
	MessageEn string
}

func (e *KeyReusedError) Error() string { return e.Message }

// Text is the message in English when english is set and there is one.
func (e *KeyReusedError) Text(english bool) string {
	return errcode.Text{Zh: e.Message, En: e.MessageEn}.In(english)
}

// Is makes errors.Is(err, errcode.IdempotencyKeyReused) true.
func (e *KeyReusedError) Is(target error) bool { return target == errcode.IdempotencyKeyReused }

// CheckIdempotencyKey refuses a key that is too long or holds a control
// character or invalid UTF-8 (a NUL byte cannot be stored in PostgreSQL):
// the same keys are refused on every database.
func CheckIdempotencyKey(key string) error {
	const header = "Idempotency-Key"
	if len(key) > MaxIdempotencyKeyLength {
		return Malformed(header, errcode.TooLong, "幂等键最长 %d 个字符", MaxIdempotencyKeyLength)
	}
	if !utf8.ValidString(key) {
		return Malformed(header, errcode.InvalidUTF8, "幂等键不是有效的 UTF-8 文本")
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return Malformed(header, errcode.ControlCharacter, "幂等键不能包含控制字符")
		}
	}
	return nil
}

// IdempotentReplay looks up idem's key for actor, for app, entity and
// action (create, update, delete or a workflow event). When a request of
// actor with that key already committed, it returns the record it created
// or changed, read again as actor, and replayed = true: the caller returns
// it and does nothing else. id is the record acted on (0 for create): the
// key used on another record, for another action or with another request
// body is a KeyReusedError.
//
// Create calls it; the workflow's Fire too.
func (rt *Runtime) IdempotentReplay(ctx context.Context, actor Actor, idem Idempotency, app, entity, action string, id int64) (rec *Record, replayed bool, err error) {
	key, request := idem.Key, idem.Request
	if key == "" {
		return nil, false, nil
	}
	if err := CheckIdempotencyKey(key); err != nil {
		return nil, true, err
	}
	var gotApp, gotEntity, gotAction, gotRequest string
	var gotID int64
	p := rt.DB.Placeholder
	err = rt.DB.Write.QueryRowContext(ctx, `SELECT app, entity, action, record_id, request FROM growth_idempotency WHERE actor = `+p(1)+` AND key = `+p(2), actor.User, key).
		Scan(&gotApp, &gotEntity, &gotAction, &gotID, &gotRequest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("idempotency key: %w", err)
	}
	if gotApp != app || gotEntity != entity || gotAction != action || (id != 0 && gotID != id) || (request != "" && gotRequest != "" && request != gotRequest) {
		t := errcode.IdempotencyKeyReused.Format("幂等键 %q 已用于您的另一请求，请为新请求使用新的键（同一请求重试时须原样重发）", key)
		return nil, true, &KeyReusedError{Message: t.Zh, MessageEn: t.En}
	}
	rec, err = rt.Get(ctx, actor, app, entity, gotID)
	return rec, true, err
}

// idempotencyEffect records the key of a change in the change's transaction,
// so that the key is remembered exactly when the change commits.
type idempotencyEffect struct{}

func (idempotencyEffect) Apply(ec EffectContext, ch *Change) error {
	if ch.IdempotencyKey == "" {
		return nil
	}
	if err := CheckIdempotencyKey(ch.IdempotencyKey); err != nil {
		return err
	}
	id := int64(0)
	if ch.New != nil {
		id = ch.New.ID
	} else if ch.Old != nil {
		id = ch.Old.ID
	}
	db := ec.RT.DB
	p := db.Placeholder
	res, err := ec.Tx.ExecContext(ec, `INSERT INTO growth_idempotency (actor, key, app, entity, action, record_id, request, created_at) VALUES (`+
		p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, `+p(5)+`, `+p(6)+`, `+p(7)+`, `+p(8)+`) ON CONFLICT DO NOTHING`,
		ch.Actor.User, ch.IdempotencyKey, ch.Entity.App.Name, ch.Entity.Name, ch.Action, id, ch.request, db.timeArg(ec.RT.now()))
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return conflict(errcode.IdempotencyInProgress, "幂等键 %q 已被您的另一请求使用（可能仍在处理），请稍后用同一键重试以取得其结果", ch.IdempotencyKey)
	}
	return nil
}

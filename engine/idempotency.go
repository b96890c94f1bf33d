package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Idempotency: a client may send an Idempotency-Key with a request that
// changes something. The first request that commits with a key records it in
// growth_idempotency (in its own transaction, by the idempotency effect); a
// later request with the same key for the same app, entity and action gets
// what the first one did — the record it created or changed — and changes
// nothing. A key reused for another action is a conflict. Two requests with
// one key at the same moment: one commits, the other gets a conflict
// ("idempotency_in_progress") and, retried, the first one's record.

// MaxIdempotencyKeyLength caps a key; longer keys are refused.
const MaxIdempotencyKeyLength = 200

// IdempotentReplay looks up the idempotency key in ctx for app, entity and
// action (create, update, delete or a workflow event). When a request with
// that key already committed, it returns the record it created or changed,
// read again as actor, and replayed = true: the caller returns it and does
// nothing else. id is the record acted on (0 for create): a key used on
// another record, or for another action, is a conflict.
//
// Create calls it; the workflow's Fire can call it the same way for events.
func (rt *Runtime) IdempotentReplay(ctx context.Context, actor Actor, app, entity, action string, id int64) (rec *Record, replayed bool, err error) {
	key := IdempotencyKey(ctx)
	if key == "" {
		return nil, false, nil
	}
	if len(key) > MaxIdempotencyKeyLength {
		return nil, true, &ValidationError{Malformed: true, Fields: map[string][]FieldError{"Idempotency-Key": {{Code: "too_long", Message: fmt.Sprintf("幂等键最长 %d 个字符", MaxIdempotencyKeyLength)}}}}
	}
	var gotApp, gotEntity, gotAction string
	var gotID int64
	err = rt.DB.Write.QueryRowContext(ctx, `SELECT app, entity, action, record_id FROM growth_idempotency WHERE key = `+rt.DB.Placeholder(1), key).
		Scan(&gotApp, &gotEntity, &gotAction, &gotID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("idempotency key: %w", err)
	}
	if gotApp != app || gotEntity != entity || gotAction != action || (id != 0 && gotID != id) {
		return nil, true, &ConflictError{Code: "idempotency_key_reused", Message: fmt.Sprintf("幂等键 %q 已用于另一请求（%s.%s #%d 的 %s），请为新请求使用新的键", key, gotApp, gotEntity, gotID, gotAction)}
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
	id := int64(0)
	if ch.New != nil {
		id = ch.New.ID
	} else if ch.Old != nil {
		id = ch.Old.ID
	}
	db := ec.RT.DB
	p := db.Placeholder
	res, err := ec.Tx.ExecContext(ec, `INSERT INTO growth_idempotency (key, app, entity, action, record_id, created_at) VALUES (`+
		p(1)+`, `+p(2)+`, `+p(3)+`, `+p(4)+`, `+p(5)+`, `+p(6)+`) ON CONFLICT DO NOTHING`,
		ch.IdempotencyKey, ch.Entity.App.Name, ch.Entity.Name, ch.Action, id, db.timeArg(ec.RT.now()))
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &ConflictError{Code: "idempotency_in_progress", Message: fmt.Sprintf("幂等键 %q 已被另一请求使用（可能仍在处理），请稍后用同一键重试以取得其结果", ch.IdempotencyKey)}
	}
	return nil
}

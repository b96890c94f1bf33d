package engine

import (
	"context"
	"slices"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Blocks (metamodel/blocks.go): while a record of the blocking entity points
// at a record and its when holds, the listed events of that record are
// refused with a ConflictError "blocked" that names the blocking record.
// Fire checks inside its transaction, after the record's lock, with one query
// per block through the index on the ref field; AvailableEvents shows a
// blocked event as unavailable with the same reason. On PostgreSQL a
// blocking record that is created or changed takes a share lock on the
// record it points at, so that it and an event firing on that record take
// turns: the event either commits first or sees the blocking record.

// blockPlan is one block with its query.
type blockPlan struct {
	block *metamodel.Block
	store *entityStore
	// query selects the blocking entity's records that point at a record.
	query string
}

// planBlocks indexes every block by the entity whose events it blocks.
func planBlocks(rt *Runtime) map[*metamodel.Entity][]*blockPlan {
	out := map[*metamodel.Entity][]*blockPlan{}
	for _, a := range rt.Project.Apps {
		for _, e := range a.Entities {
			for _, b := range e.Blocks {
				if b.Target == nil || b.RefField == nil {
					continue
				}
				s := rt.stores[e.QualifiedName()]
				q := s.selectSQL + " WHERE " + rt.DB.Quote(b.RefField.Name) + " = " + rt.DB.Placeholder(1) + " ORDER BY " + rt.DB.Quote("id")
				out[b.Target] = append(out[b.Target], &blockPlan{block: b, store: s, query: q})
			}
		}
	}
	return out
}

// blockReason says why event may not fire on rec because of a blocking
// record, or "" when nothing blocks it.
func (rt *Runtime) blockReason(ctx context.Context, q querier, e *metamodel.Entity, rec *Record, event string) (errcode.Text, error) {
	for _, p := range rt.links.blocks[e] {
		b := p.block
		if !slices.Contains(b.Events, event) {
			continue
		}
		blockers, err := rt.queryRecords(ctx, q, p.store, p.query, rec.ID)
		if err != nil {
			return errcode.Text{}, err
		}
		for _, r := range blockers {
			holds := true
			if b.WhenProgram != nil {
				ok, err := metamodel.RunBool(b.WhenProgram, exprEnv(b.Owner, r, r.Values))
				// A condition that cannot be evaluated blocks: refusing an
				// event wrongly can be undone, letting it through cannot.
				holds = ok || err != nil
			}
			if holds {
				return errcode.Blocked.Format("%s（%s #%d）", b.Message, entityLabel(b.Owner), r.ID), nil
			}
		}
	}
	return errcode.Text{}, nil
}

// checkBlocks refuses event on rec while a record blocks it.
func (rt *Runtime) checkBlocks(ctx context.Context, q querier, e *metamodel.Entity, rec *Record, event string) error {
	reason, err := rt.blockReason(ctx, q, e, rec, event)
	if err != nil {
		return err
	}
	if reason.Zh != "" {
		return &ConflictError{Code: errcode.Blocked, Message: reason.Zh, MessageEn: reason.En,
			Fields: map[string][]FieldError{RecordField: {fieldError(errcode.Blocked, reason)}}}
	}
	return nil
}

// queryRecords reads every row of a query of s's records; the rows are
// closed before it returns, so the transaction can run the next statement.
func (rt *Runtime) queryRecords(ctx context.Context, q querier, s *entityStore, query string, args ...any) ([]*Record, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, rt.dbError(s, "read", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := s.scan(rows)
		if err != nil {
			return nil, rt.dbError(s, "read", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, rt.dbError(s, "read", err)
	}
	return out, nil
}

// blockLockEffect takes, on PostgreSQL, a share lock on the record a
// blocking record points at whenever the blocking record is written, so
// that it never slips past an event firing on that record at the same
// moment (the event holds the record's row lock until it commits).
type blockLockEffect struct{}

func (blockLockEffect) Apply(ec EffectContext, ch *Change) error {
	if ch.New == nil {
		return nil
	}
	rt := ec.RT
	for _, b := range ch.Entity.Blocks {
		if b.RefField == nil || b.Target == nil {
			continue
		}
		id, ok := ch.New.Values[b.RefField.Name].(int64)
		if !ok || id <= 0 {
			continue
		}
		s := rt.stores[b.Target.QualifiedName()]
		rows, err := ec.Tx.QueryContext(ec, s.existsSQL+" FOR SHARE", id)
		if err != nil {
			return rt.dbError(s, "lock blocked record", err)
		}
		rows.Close()
	}
	return nil
}

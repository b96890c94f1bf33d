package engine

import (
	"context"
	"database/sql"
	"time"
)

// newRecord is a new record checked and ready to insert: its row's
// arguments (entityStore.insertSQL) and its audit row's changes.
type newRecord struct {
	rec     *Record
	args    []any
	changes map[string][2]any
}

// newRecord builds and checks the record a create of values stores:
// defaults, references, computed fields, fields, the actor's data scope,
// rules. What it reads, it reads in tx.
func (rt *Runtime) newRecord(ctx context.Context, tx *sql.Tx, actor Actor, s *entityStore, values map[string]any, opt createOptions) (*newRecord, error) {
	e := s.entity
	applyDefaults(e, values)
	now := rt.now().UTC().Truncate(time.Microsecond)
	rec := &Record{App: e.App.Name, Entity: e.Name, Version: 1, CreatedBy: actor.User, CreatedAt: now, UpdatedAt: now, DefVersion: rt.Project.Hash, Values: values}
	if e.Workflow != nil {
		rec.State = e.Workflow.Initial
	}
	var by *namedRefs
	if !opt.system {
		by = &namedRefs{actor: actor, named: values}
	}
	if err := rt.loadRefs(ctx, tx, e, rec, by); err != nil {
		return nil, err
	}
	// The actor's scope is checked on the computed, well-formed record
	// before its rules run: a record outside it is refused whatever its rules
	// would say (they may read references the actor cannot see).
	if err := rt.compute(e, rec); err != nil {
		return nil, err
	}
	if verr := validateFields(e, rec.Values); verr != nil {
		return nil, verr
	}
	if !opt.system && !rt.sees(actor, e, "create", rec) {
		return nil, Forbidden("不能为您的数据范围以外的单位新建%s", entityLabel(e))
	}
	if verr := validateRules(e, rec, rec.Values); verr != nil {
		return nil, verr
	}
	// The actor's scope first: a reference to an entity the actor may not
	// read is refused whether or not the record exists.
	if !opt.system {
		if err := rt.checkRefScope(ctx, tx, actor, e, values); err != nil {
			return nil, err
		}
	}
	if err := rt.checkRefs(ctx, tx, e, values); err != nil {
		return nil, err
	}
	args := []any{rec.Version, rec.CreatedBy, rt.DB.timeArg(now), rt.DB.timeArg(now), rec.DefVersion}
	if s.hasState {
		args = append(args, rec.State)
	}
	args = append(args, s.fieldArgs(rt.DB, values)...)
	return &newRecord{rec: rec, args: args, changes: diffValues(e, nil, values)}, nil
}

// prepareCreate checks, on SQLite, a create's new record before the
// write's turn on the one write connection, where every create waits for
// the one before it (db_group.go): what the check does without the database
// (defaults, computed fields, fields, data scope, rules, the row's
// arguments and the audit row's changes) then no longer holds up the writes
// queued after it, and a create that fails its check does not queue at all
// (docs/performance.md, perf-sqlcreate). Only for an entity without
// references, whose check reads nothing; nil otherwise, and createInTx
// checks it in the transaction as before. The record's time is taken here,
// before its turn: as on PostgreSQL, where creates run side by side, the
// audit rows of one chain are then in the order of their commits, and their
// times in the order the creates were checked.
func (rt *Runtime) prepareCreate(ctx context.Context, actor Actor, s *entityStore, values map[string]any, opt createOptions) (*newRecord, error) {
	if rt.DB.Dialect != SQLite || rt.links.refs[s.entity] != nil {
		return nil, nil
	}
	for _, f := range s.entity.Fields {
		if f.Target != nil {
			return nil, nil
		}
	}
	return rt.newRecord(ctx, nil, actor, s, values, opt)
}

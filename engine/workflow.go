package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/looplab/fsm"
)

// A workflow moves a record from state to state by events. Each workflow is
// built once when the runtime starts: its transitions become looplab/fsm event
// descriptions, and the state machine decides, per state, which events may
// fire; the result is kept as a table so a request builds nothing.
//
// Firing an event is one transaction: lock the record, check (state, access,
// the transition's roles, segregation of duties, comment, guard), record an
// approval when the transition needs a quorum, and once it is reached: set
// fields, stamp a number, change the state, append the history row and the
// audit row, and apply effects (the ledger's draw and release) with the
// transition in the Change. A check that fails changes nothing.

// machine is one workflow, built at load.
type machine struct {
	w *metamodel.Workflow
	// events are the fsm's event descriptions, one per transition.
	events fsm.Events
	// from maps a state to the transitions that may fire from it, by event.
	from map[string]map[string]*metamodel.Transition
	// hasEvent lists every event of the workflow.
	hasEvent map[string]bool
	// conditions are the terms of guards written a && b && … without a
	// guard_message, each compiled alone, so that a refusal can name the
	// term that failed.
	conditions map[*metamodel.Transition][]condition
}

// condition is one term of a guard.
type condition struct {
	text string
	prog *vm.Program
}

// newMachine builds the state machine of w. The checker has made sure an
// event leads from each state to one place, so the table is unambiguous.
func newMachine(w *metamodel.Workflow) *machine {
	m := &machine{w: w, from: map[string]map[string]*metamodel.Transition{}, hasEvent: map[string]bool{}, conditions: map[*metamodel.Transition][]condition{}}
	type key struct{ event, state string }
	byKey := map[key]*metamodel.Transition{}
	for _, t := range w.Transitions {
		m.events = append(m.events, fsm.EventDesc{Name: t.Event, Src: t.From, Dst: t.To})
		m.hasEvent[t.Event] = true
		for _, s := range t.From {
			if byKey[key{t.Event, s}] == nil {
				byKey[key{t.Event, s}] = t
			}
		}
	}
	for _, t := range w.Transitions {
		if t.GuardProgram != nil && t.GuardMessage == "" && w.Target != nil {
			m.conditions[t] = guardConditions(w.Target, t.Guard)
		}
	}
	for _, s := range w.States {
		m.from[s] = map[string]*metamodel.Transition{}
		for _, ev := range fsm.NewFSM(s, m.events, nil).AvailableTransitions() {
			m.from[s][ev] = byKey[key{ev, s}]
		}
	}
	return m
}

// transition is the transition event fires from state, or nil.
func (m *machine) transition(state, event string) *metamodel.Transition {
	return m.from[state][event]
}

// initWorkflows builds every workflow's state machine.
func (rt *Runtime) initWorkflows() {
	rt.workflows = map[string]*machine{}
	for _, a := range rt.Project.Apps {
		for _, e := range a.Entities {
			if e.Workflow != nil {
				rt.workflows[e.QualifiedName()] = newMachine(e.Workflow)
			}
		}
	}
}

// creationHistory writes the first history row of a workflow record: created
// by whom, in which state, under which definition version.
type creationHistory struct{}

// newCreationHistory records the creation of workflow records, when there
// are workflows.
func newCreationHistory(rt *Runtime) Effect {
	if len(rt.workflows) == 0 {
		return nil
	}
	return creationHistory{}
}

func (creationHistory) Apply(ec EffectContext, ch *Change) error {
	if ch.Action != "create" || ch.Entity.Workflow == nil || ch.New == nil {
		return nil
	}
	_, err := ec.RT.insertHistory(ec, ec.Tx, ch.New, "create", "", ch.New.State, ch.Actor.User, ch.New.CreatedAt, "")
	return err
}

// FireResult is what firing an event did.
type FireResult struct {
	// Record is the record after the event (unchanged when only an approval
	// was recorded).
	Record *Record
	// Fired is false when the event recorded an approval towards a quorum
	// that is not reached yet: the state did not change.
	Fired bool
	// Approvals and Quorum count distinct approvals for transitions that need
	// a quorum (Quorum > 1); Approvers names them.
	Approvals int
	Quorum    int
	Approvers []string
}

// FireRequest is one workflow event to fire: who fires which event on which
// record, with what.
//
// Everything a caller decides about the event is here, including the
// client's idempotency key; nothing is read from the context but its
// cancellation. (The context still carries the engine's own plumbing for
// one write transaction, decided by no caller: the audit chain slots a
// change and the changes nested in its effects share, audit.go.)
type FireRequest struct {
	Actor       Actor
	App, Entity string
	// ID is the record's id.
	ID    int64
	Event string
	// Comment is the actor's comment (意见), trimmed; a transition may
	// require one.
	Comment string
	// Input holds the values of the transition's input fields (what the
	// actor decides with the event, such as the approved amount): parsed by
	// their field types, seen by the guard, and written with the transition.
	// A field the transition does not take is refused.
	Input map[string]any
	// Idempotency is the client's key, if it sent one: a retried event with
	// the same key gets the first one's record and changes nothing.
	Idempotency Idempotency
}

// Fire fires an event in one transaction. It refuses, changing nothing: an
// event the record's state does not allow (ConflictError "state"), an actor
// the access rules, the transition's roles or its not_by exclude
// (ForbiddenError), a missing required comment, an input field the
// transition does not take or a failed guard (ValidationError), and a second
// approval by the same user towards a quorum (ConflictError
// "duplicate_approval").
func (rt *Runtime) Fire(ctx context.Context, req FireRequest) (*FireResult, error) {
	f, err := rt.resolveFiring(req)
	if err != nil {
		return nil, err
	}
	return rt.fire(ctx, f)
}

// firing is a FireRequest resolved against the definitions, with what only
// the engine adds.
type firing struct {
	FireRequest
	store   *entityStore
	machine *machine
	// inbound is the message an inbound event applies (ReceiveMessage).
	inbound *inboundApply
}

// resolveFiring finds req's entity, workflow and event, and asks the access
// rules whether req's actor may fire it at all.
func (rt *Runtime) resolveFiring(req FireRequest) (*firing, error) {
	s, err := rt.store(req.App, req.Entity)
	if err != nil {
		return nil, err
	}
	e := s.entity
	m := rt.workflows[e.QualifiedName()]
	if m == nil {
		return nil, NotFound("%s 没有审批流程", entityLabel(e))
	}
	if !m.hasEvent[req.Event] {
		return nil, NotFound("%s 的流程中没有事件 %s", entityLabel(e), req.Event)
	}
	if !rt.Access.Can(req.Actor, e, req.Event) {
		return nil, Forbidden("您无权对%s执行“%s”", entityLabel(e), eventLabel(m.w, req.Event))
	}
	return &firing{FireRequest: req, store: s, machine: m}, nil
}

// fire is Fire on a resolved request: a replay of a retried key, or the
// event in its own transaction.
func (rt *Runtime) fire(ctx context.Context, f *firing) (*FireResult, error) {
	// A retried event with the same Idempotency-Key gets the first one's
	// record and changes nothing.
	if rec, replayed, err := rt.IdempotentReplay(ctx, f.Actor, f.Idempotency, f.App, f.Entity, f.Event, f.ID); replayed || err != nil {
		if err != nil {
			return nil, err
		}
		return &FireResult{Record: rec, Fired: true}, nil
	}
	f.Comment = strings.TrimSpace(f.Comment)
	var res *FireResult
	err := rt.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = rt.fireInTx(ctx, tx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if res.Fired {
		rt.notifyExchange()
	}
	return res, nil
}

// fireInTx is Fire's work inside tx; a schedule calls it in its run's
// transaction.
func (rt *Runtime) fireInTx(ctx context.Context, tx *sql.Tx, f *firing) (*FireResult, error) {
	s, m, actor, id, event, comment := f.store, f.machine, f.Actor, f.ID, f.Event, f.Comment
	e := s.entity
	app, entity := e.App.Name, e.Name
	var res *FireResult
	err := func() error {
		old, err := rt.getForUpdate(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if !rt.Access.Sees(actor, e, old) {
			return Forbidden("%s #%d 不在您的数据范围内", entityLabel(e), id)
		}
		t := m.transition(old.State, event)
		if t == nil {
			return stateConflict(m, old, event)
		}
		if reason, err := rt.refusal(ctx, tx, actor, m, t, old); err != nil {
			return err
		} else if reason.Zh != "" {
			return ForbiddenText(reason)
		}
		if hasNUL(comment) || !utf8.ValidString(comment) {
			return Invalid("comment", errcode.NulCharacter, "意见不能包含 NUL 字符（\\u0000）或无效的 UTF-8")
		}
		if t.Comment == "required" && comment == "" {
			return Invalid("comment", errcode.Required, "“%s”须填写意见", transitionLabel(t))
		}
		inputs, err := eventInputs(e, t, f.Input, func(name string) bool { return rt.Access.Hidden(actor, e, name) })
		if err != nil {
			return err
		}
		if err := rt.loadRefs(ctx, tx, e, old, &namedRefs{actor: actor}); err != nil {
			return err
		}
		guarded := old
		if len(inputs) > 0 {
			cp := *old
			cp.Values = make(map[string]any, len(old.Values))
			for k, v := range old.Values {
				cp.Values[k] = v
			}
			for k, v := range inputs {
				cp.Values[k] = v
			}
			guarded = &cp
		}
		if msg := m.guardFailure(e, t, guarded, actor); msg.Zh != "" {
			return InvalidText(RecordField, errcode.Guard, msg)
		}
		if err := rt.checkBlocks(ctx, tx, e, old, event); err != nil {
			return err
		}
		now := rt.now().UTC().Truncate(time.Microsecond)
		quorum := t.Quorum.For(guarded.Values)
		res = &FireResult{Record: old, Quorum: quorum}
		if quorum > 1 {
			approvers, err := rt.openApprovals(ctx, tx, old, event)
			if err != nil {
				return err
			}
			if slices.Contains(approvers, actor.User) {
				return conflict(errcode.DuplicateApproval, "您已就“%s”审批过（%d/%d），须由其他人审批", transitionLabel(t), len(approvers), quorum)
			}
			if err := rt.insertApproval(ctx, tx, old, event, actor.User, now, comment); err != nil {
				return err
			}
			res.Approvers = append(approvers, actor.User)
			res.Approvals = len(res.Approvers)
			if res.Approvals < quorum {
				changes := map[string][2]any{"_approvals": {len(approvers), res.Approvals}}
				if comment != "" {
					changes["_comment"] = [2]any{nil, comment}
				}
				return rt.DB.appendAudit(ctx, tx, AuditEntry{App: app, Entity: entity, RecordID: id, Action: event, Actor: actor.User, At: now, Changes: changes, DefVersion: rt.Project.Hash})
			}
		}
		rec, err := rt.applyTransition(ctx, tx, f, t, old, now, inputs)
		if err != nil {
			return err
		}
		res.Record, res.Fired = rec, true
		return nil
	}()
	if err != nil {
		return nil, err
	}
	return res, nil
}

// applyTransition makes the state change of t on old for f: set fields,
// stamp a number, validate, write the record, its history and audit rows,
// consume the step's approvals, and apply effects.
func (rt *Runtime) applyTransition(ctx context.Context, tx *sql.Tx, f *firing, t *metamodel.Transition, old *Record, now time.Time, inputs map[string]any) (*Record, error) {
	s, actor, comment := f.store, f.Actor, f.Comment
	e := s.entity
	values := make(map[string]any, len(old.Values))
	for k, v := range old.Values {
		values[k] = v
	}
	for k, v := range inputs {
		values[k] = v
	}
	if err := setFields(e, t, old, actor, values); err != nil {
		return nil, err
	}
	if err := rt.stampNumber(ctx, tx, t.Number, values, now); err != nil {
		return nil, err
	}
	rec := &Record{App: old.App, Entity: old.Entity, ID: old.ID, Version: old.Version + 1, State: t.To, CreatedBy: old.CreatedBy,
		CreatedAt: old.CreatedAt, UpdatedAt: now, DefVersion: rt.Project.Hash, Values: values}
	if err := rt.loadRefs(ctx, tx, e, rec, &namedRefs{actor: actor, named: inputs}); err != nil {
		return nil, err
	}
	// Fields frozen by an event fired before keep their value; one frozen
	// by this event is computed a last time now.
	if err := rt.markFrozen(ctx, tx, e, rec); err != nil {
		return nil, err
	}
	if err := rt.prepare(e, rec); err != nil {
		return nil, err
	}
	if err := rt.checkRefScope(ctx, tx, actor, e, inputs); err != nil {
		return nil, err
	}
	if err := rt.checkRefs(ctx, tx, e, inputs); err != nil {
		return nil, err
	}
	historyID, err := rt.insertHistory(ctx, tx, rec, t.Event, old.State, t.To, actor.User, now, comment)
	if err != nil {
		return nil, err
	}
	// Every open approval of the record ends here: those for this event are
	// the quorum just reached, the others (towards another event from the same
	// state) lapse because the record has left that state.
	if _, err := tx.ExecContext(ctx, `UPDATE growth_approvals SET history_id = `+rt.DB.Placeholder(1)+` WHERE app = `+rt.DB.Placeholder(2)+
		` AND entity = `+rt.DB.Placeholder(3)+` AND record_id = `+rt.DB.Placeholder(4)+` AND history_id = 0`, historyID, old.App, old.Entity, old.ID); err != nil {
		return nil, fmt.Errorf("approvals: %w", err)
	}
	diff := diffValues(e, old.Values, rec.Values)
	if comment != "" {
		diff["_comment"] = [2]any{nil, comment}
	}
	ch := &Change{Actor: actor, Entity: e, Action: t.Event, Transition: t, Old: old, New: rec, IdempotencyKey: f.Idempotency.Key, request: f.Idempotency.Request, inbound: f.inbound}
	if err := rt.writeChange(ctx, tx, s, ch, diff); err != nil {
		return nil, err
	}
	return rt.generate(ctx, tx, actor, s, t, rec)
}

// stateConflict explains that event cannot fire in the record's state.
func stateConflict(m *machine, rec *Record, event string) error {
	var from []string
	for _, t := range m.w.Transitions {
		if t.Event == event {
			for _, s := range t.From {
				from = append(from, "“"+stateLabel(m.w, s)+"”")
			}
		}
	}
	return conflict(errcode.State, "%s #%d 当前状态为“%s”，不能执行“%s”（仅可在%s状态下执行）",
		entityLabel(m.w.Target), rec.ID, stateLabel(m.w, rec.State), eventLabel(m.w, event), strings.Join(from, "、"))
}

// refusal says why actor may not fire t on rec by the transition's own
// rules (roles, not_by), or "" when it may.
func (rt *Runtime) refusal(ctx context.Context, q querier, actor Actor, m *machine, t *metamodel.Transition, rec *Record) (errcode.Text, error) {
	none := errcode.Text{}
	if len(t.Roles) > 0 && !slices.ContainsFunc(workflowRoles(actor, m.w.Target.App.Name), func(r string) bool { return slices.Contains(t.Roles, r) }) {
		return errcode.Forbidden.Format("“%s”只能由%s执行", transitionLabel(t), roleLabels(m.w.Target.App, t.Roles)), nil
	}
	for _, nb := range t.NotBy {
		switch nb {
		case "creator":
			if actor.User == rec.CreatedBy {
				return errcode.Forbidden.Format("不能审批自己创建的记录"), nil
			}
		case "editors":
			if actor.User == rec.CreatedBy {
				return errcode.Forbidden.Format("不能审批自己创建的记录"), nil
			}
			edited, err := rt.edited(ctx, q, m.w, rec, actor.User)
			if err != nil {
				return none, err
			}
			if edited {
				return errcode.Forbidden.Format("不能审批自己修改过的记录"), nil
			}
		case "submitter":
			submitter, err := rt.submitter(ctx, q, m.w, rec)
			if err != nil {
				return none, err
			}
			if submitter == actor.User {
				return errcode.Forbidden.Format("不能审批自己提交的记录"), nil
			}
		case "actors":
			event, err := rt.actedOn(ctx, q, rec, actor.User)
			if err != nil {
				return none, err
			}
			if event != "" {
				return errcode.Forbidden.Format("不能审批自己经办过的记录：您执行过“%s”", eventLabel(m.w, event)), nil
			}
		case "previous_approver":
			event, actors, err := rt.previousApprovers(ctx, q, rec)
			if err != nil {
				return none, err
			}
			if slices.Contains(actors, actor.User) {
				return errcode.Forbidden.Format("不能连续审批：上一步“%s”由您执行", eventLabel(m.w, event)), nil
			}
		}
	}
	return none, nil
}

// edited reports whether user changed rec's fields (not_by: editors): an
// audited update of the record by them, or an event of theirs whose input
// fields (values the actor typed in, such as an approved amount) changed
// it. Fields an event sets by itself (set:, number:) do not count. The audit
// trail is the record of every write, so an edit cannot leave no trace there.
func (rt *Runtime) edited(ctx context.Context, q querier, w *metamodel.Workflow, rec *Record, user string) (bool, error) {
	ph := rt.DB.Placeholder
	rows, err := q.QueryContext(ctx, `SELECT action, changes FROM growth_audit WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+
		` AND actor = `+ph(4), rec.App, rec.Entity, rec.ID, user)
	if err != nil {
		return false, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var action, raw string
		if err := rows.Scan(&action, &raw); err != nil {
			return false, err
		}
		if action == "create" || action == "update" {
			return true, nil
		}
		var inputs []string
		for _, t := range w.Transitions {
			if t.Event == action {
				inputs = append(inputs, t.Input...)
			}
		}
		if len(inputs) == 0 {
			continue
		}
		var changes map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &changes); err != nil {
			return false, fmt.Errorf("audit changes: %w", err)
		}
		for _, f := range inputs {
			if _, ok := changes[f]; ok {
				return true, nil
			}
		}
	}
	return false, rows.Err()
}

// submitter is who last moved rec out of an editable state into one that is
// not (not_by: submitter), or "" when nobody has.
func (rt *Runtime) submitter(ctx context.Context, q querier, w *metamodel.Workflow, rec *Record) (string, error) {
	ph := rt.DB.Placeholder
	rows, err := q.QueryContext(ctx, `SELECT from_state, to_state, actor FROM growth_history WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+
		` AND event <> 'create' ORDER BY id DESC`, rec.App, rec.Entity, rec.ID)
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var from, to, actor string
		if err := rows.Scan(&from, &to, &actor); err != nil {
			return "", err
		}
		if editableIn(w, from) && !editableIn(w, to) {
			return actor, nil
		}
	}
	return "", rows.Err()
}

// actedOn is an event user fired on rec, or approved towards in a quorum
// that was reached or lapsed (not_by: actors), or "" when there is none.
func (rt *Runtime) actedOn(ctx context.Context, q querier, rec *Record, user string) (string, error) {
	ph := rt.DB.Placeholder
	var event string
	err := q.QueryRowContext(ctx, `SELECT event FROM growth_history WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+
		` AND actor = `+ph(4)+` AND event <> 'create' ORDER BY id DESC LIMIT 1`, rec.App, rec.Entity, rec.ID, user).Scan(&event)
	if err == nil {
		return event, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("history: %w", err)
	}
	err = q.QueryRowContext(ctx, `SELECT event FROM growth_approvals WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+
		` AND approver = `+ph(4)+` AND history_id <> 0 ORDER BY id DESC LIMIT 1`, rec.App, rec.Entity, rec.ID, user).Scan(&event)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("approvals: %w", err)
	}
	return event, nil
}

// guardConditions splits a guard a && b && … into its terms, compiled one by
// one; nil when it has one term or a term does not compile alone.
func guardConditions(e *metamodel.Entity, guard string) []condition {
	tree, err := parser.Parse(guard)
	if err != nil {
		return nil
	}
	var terms []ast.Node
	var split func(n ast.Node)
	split = func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
			split(b.Left)
			split(b.Right)
			return
		}
		terms = append(terms, n)
	}
	split(tree.Node)
	if len(terms) < 2 {
		return nil
	}
	env := metamodel.Env(e, true)
	var out []condition
	for _, term := range terms {
		prog, err := metamodel.CompileBool(term.String(), env)
		if err != nil {
			return nil
		}
		out = append(out, condition{text: term.String(), prog: prog})
	}
	return out
}

// guardFailure runs t's guard on rec for actor and returns what the user is
// told when it is false, or "": the guard_message, or else the term of the
// guard that failed.
func (m *machine) guardFailure(e *metamodel.Entity, t *metamodel.Transition, rec *Record, actor Actor) errcode.Text {
	if t.GuardProgram == nil {
		return errcode.Text{}
	}
	env := guardEnv(e, rec, actor)
	ok, err := metamodel.RunBool(t.GuardProgram, env)
	if err == nil && ok {
		return errcode.Text{}
	}
	msg := errcode.Text{Zh: t.GuardMessage}
	if msg.Zh == "" {
		failed := t.Guard
		for _, c := range m.conditions[t] {
			if ok, cerr := metamodel.RunBool(c.prog, env); cerr != nil || !ok {
				failed = c.text
				break
			}
		}
		msg = errcode.Guard.Format("不满足条件：%s", failed)
	}
	if err != nil {
		msg = errcode.Guard.Format("%s（条件无法计算：%v）", msg, err)
	}
	return msg
}

// guardEnv is the environment of guards and set expressions: the record's
// fields and system fields, and the actor.
func guardEnv(e *metamodel.Entity, rec *Record, actor Actor) map[string]any {
	env := exprEnv(e, rec, rec.Values)
	env["actor"] = metamodel.Actor{Name: actor.User, Roles: workflowRoles(actor, e.App.Name), Org: actor.Org}
	return env
}

// workflowRoles are the actor's roles as a workflow of app names them: the
// roles "app.role" of that app by their name in it, and roles given without
// an app.
func workflowRoles(actor Actor, app string) []string {
	var out []string
	for _, r := range actor.Roles {
		if name, ok := strings.CutPrefix(r, app+"."); ok {
			out = append(out, name)
		} else if !strings.Contains(r, ".") {
			out = append(out, r)
		}
	}
	return out
}

// setFields evaluates t's set expressions against the record before the
// event and stores their results in values.
func setFields(e *metamodel.Entity, t *metamodel.Transition, old *Record, actor Actor, values map[string]any) error {
	if len(t.SetPrograms) == 0 {
		return nil
	}
	env := guardEnv(e, old, actor)
	verr := &ValidationError{}
	for name, prog := range t.SetPrograms {
		f := e.Field(name)
		out, err := metamodel.Run(prog, env)
		if err != nil {
			verr.Add(name, errcode.Set, "“%s”无法设置%s：%v", transitionLabel(t), fieldLabel(f), err)
			continue
		}
		if out == nil {
			values[name] = nil
			continue
		}
		v, err := metamodel.ParseLiteral(f, out)
		if err != nil {
			verr.Add(name, errcode.Set, "“%s”无法设置%s：%s", transitionLabel(t), fieldLabel(f), metamodel.AsInputError(err).Text())
			continue
		}
		values[name] = v
	}
	if verr.empty() {
		return nil
	}
	return verr
}

// querier is a transaction or a pool.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// previousApprovers returns the event of the record's last transition and who
// fired it: its actor and, for a quorum, every approver it consumed.
func (rt *Runtime) previousApprovers(ctx context.Context, q querier, rec *Record) (string, []string, error) {
	ph := rt.DB.Placeholder
	var hid int64
	var event, actor string
	err := q.QueryRowContext(ctx, `SELECT id, event, actor FROM growth_history WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+
		` AND event <> 'create' ORDER BY id DESC LIMIT 1`, rec.App, rec.Entity, rec.ID).Scan(&hid, &event, &actor)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("history: %w", err)
	}
	actors := []string{actor}
	rows, err := q.QueryContext(ctx, `SELECT approver FROM growth_approvals WHERE history_id = `+ph(1)+` AND event = `+ph(2), hid, event)
	if err != nil {
		return "", nil, fmt.Errorf("approvals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return "", nil, err
		}
		actors = append(actors, a)
	}
	return event, actors, rows.Err()
}

// openApprovals lists who has approved event on rec in its current state, in
// order.
func (rt *Runtime) openApprovals(ctx context.Context, q querier, rec *Record, event string) ([]string, error) {
	ph := rt.DB.Placeholder
	rows, err := q.QueryContext(ctx, `SELECT approver FROM growth_approvals WHERE app = `+ph(1)+` AND entity = `+ph(2)+` AND record_id = `+ph(3)+
		` AND history_id = 0 AND event = `+ph(4)+` AND from_state = `+ph(5)+` ORDER BY id`, rec.App, rec.Entity, rec.ID, event, rec.State)
	if err != nil {
		return nil, fmt.Errorf("approvals: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (rt *Runtime) insertApproval(ctx context.Context, tx *sql.Tx, rec *Record, event, approver string, at time.Time, comment string) error {
	ph := rt.DB.Placeholder
	_, err := tx.ExecContext(ctx, `INSERT INTO growth_approvals (app, entity, record_id, event, from_state, approver, at, comment, def_version, history_id) VALUES (`+
		ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`, `+ph(5)+`, `+ph(6)+`, `+ph(7)+`, `+ph(8)+`, `+ph(9)+`, 0)`,
		rec.App, rec.Entity, rec.ID, event, rec.State, approver, rt.DB.timeArg(at), comment, rt.Project.Hash)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "23505") {
			return conflict(errcode.DuplicateApproval, "您已审批过此步骤，须由其他人审批")
		}
		return fmt.Errorf("approvals: %w", err)
	}
	return nil
}

// insertHistory appends one history row and returns its id.
func (rt *Runtime) insertHistory(ctx context.Context, tx *sql.Tx, rec *Record, event, from, to, actor string, at time.Time, comment string) (int64, error) {
	ph := rt.DB.Placeholder
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO growth_history (app, entity, record_id, event, from_state, to_state, actor, at, comment, def_version) VALUES (`+
		ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`, `+ph(5)+`, `+ph(6)+`, `+ph(7)+`, `+ph(8)+`, `+ph(9)+`, `+ph(10)+`) RETURNING id`,
		rec.App, rec.Entity, rec.ID, event, from, to, actor, rt.DB.timeArg(at), comment, rec.DefVersion).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("history: %w", err)
	}
	return id, nil
}

// EventOption is an event the actor could fire on a record now, for a UI to
// show as a button: enabled when Available, disabled with Reason otherwise.
type EventOption struct {
	Event           string `json:"event"`
	Label           string `json:"label"`
	To              string `json:"to"`
	ToLabel         string `json:"to_label"`
	CommentRequired bool   `json:"comment_required"`
	// Available is false when the guard fails now or the actor has already
	// approved towards the quorum; Reason says why.
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	// ReasonEn is Reason in English, when there is one.
	ReasonEn string `json:"-"`
	// Quorum and Approvals count distinct approvals for quorum transitions.
	Quorum    int `json:"quorum,omitempty"`
	Approvals int `json:"approvals,omitempty"`
	// Input names the fields the actor fills in with the event.
	Input []string `json:"input,omitempty"`
}

// ReasonIn is Reason in English when english is set and there is one.
func (o EventOption) ReasonIn(english bool) string {
	return errcode.Text{Zh: o.Reason, En: o.ReasonEn}.In(english)
}

// AvailableEvents lists the events actor may fire on record id in its
// current state: those the access rules, the transition's roles and its
// not_by allow. Guards are evaluated and reported rather than filtered, so
// that a UI can show a disabled button with the reason.
func (rt *Runtime) AvailableEvents(ctx context.Context, actor Actor, app, entity string, id int64) (*Record, []EventOption, error) {
	rec, err := rt.Get(ctx, actor, app, entity, id)
	if err != nil {
		return nil, nil, err
	}
	opts, err := rt.EventsFor(ctx, actor, rec)
	return rec, opts, err
}

// EventsFor is AvailableEvents for a record already read.
func (rt *Runtime) EventsFor(ctx context.Context, actor Actor, rec *Record) ([]EventOption, error) {
	s, err := rt.store(rec.App, rec.Entity)
	if err != nil {
		return nil, err
	}
	e := s.entity
	m := rt.workflows[e.QualifiedName()]
	out := []EventOption{}
	if m == nil || !rt.Access.Sees(actor, e, rec) {
		return out, nil
	}
	if err := rt.loadRefs(ctx, rt.DB.Read, e, rec, &namedRefs{actor: actor}); err != nil {
		return nil, err
	}
	for _, t := range m.w.Transitions {
		if m.transition(rec.State, t.Event) != t || !rt.Access.Can(actor, e, t.Event) {
			continue
		}
		reason, err := rt.refusal(ctx, rt.DB.Read, actor, m, t, rec)
		if err != nil {
			return nil, err
		}
		if reason.Zh != "" {
			continue
		}
		opt := EventOption{Event: t.Event, Label: transitionLabel(t), To: t.To, ToLabel: stateLabel(m.w, t.To), CommentRequired: t.Comment == "required", Available: true, Input: t.Input}
		// A guard over the event's own inputs can only be judged with them,
		// at fire time: such an event stays available.
		if msg := m.guardFailure(e, t, rec, actor); msg.Zh != "" && len(t.Input) == 0 {
			opt.Available, opt.Reason, opt.ReasonEn = false, msg.Zh, msg.En
		}
		if opt.Available {
			reason, err := rt.blockReason(ctx, rt.DB.Read, e, rec, t.Event)
			if err != nil {
				return nil, err
			}
			if reason.Zh != "" {
				opt.Available, opt.Reason, opt.ReasonEn = false, reason.Zh, reason.En
			}
		}
		if quorum := t.Quorum.For(rec.Values); quorum > 1 {
			approvers, err := rt.openApprovals(ctx, rt.DB.Read, rec, t.Event)
			if err != nil {
				return nil, err
			}
			opt.Quorum, opt.Approvals = quorum, len(approvers)
			if opt.Available && slices.Contains(approvers, actor.User) {
				reason := errcode.DuplicateApproval.Format("您已审批（%d/%d），等待其他人审批", len(approvers), quorum)
				opt.Available, opt.Reason, opt.ReasonEn = false, reason.Zh, reason.En
			}
		}
		out = append(out, opt)
	}
	return out, nil
}

// HistoryEntry is one transition of a record, or its creation (event
// "create", From ""). DefVersion is the definition version it ran under.
type HistoryEntry struct {
	ID         int64      `json:"id"`
	Event      string     `json:"event"`
	Label      string     `json:"label"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	FromLabel  string     `json:"from_label"`
	ToLabel    string     `json:"to_label"`
	Actor      string     `json:"actor"`
	At         time.Time  `json:"at"`
	Comment    string     `json:"comment"`
	DefVersion string     `json:"def_version"`
	Approvals  []Approval `json:"approvals,omitempty"`
}

// Approval is one user's approval towards a quorum.
type Approval struct {
	Event      string    `json:"event"`
	Approver   string    `json:"approver"`
	At         time.Time `json:"at"`
	Comment    string    `json:"comment"`
	DefVersion string    `json:"def_version"`
}

// RecordHistory is a record's history: every transition, oldest first, and
// the approvals collected towards a quorum not reached yet.
type RecordHistory struct {
	Items   []HistoryEntry `json:"items"`
	Pending []Approval     `json:"pending"`
}

// MarshalJSON writes times as RFC 3339 in UTC like the rest of the API.
func (h HistoryEntry) MarshalJSON() ([]byte, error) {
	type plain HistoryEntry
	return json.Marshal(struct {
		plain
		At string `json:"at"`
	}{plain(h), h.At.UTC().Format(time.RFC3339)})
}

// MarshalJSON writes times as RFC 3339 in UTC like the rest of the API.
func (a Approval) MarshalJSON() ([]byte, error) {
	type plain Approval
	return json.Marshal(struct {
		plain
		At string `json:"at"`
	}{plain(a), a.At.UTC().Format(time.RFC3339)})
}

// History returns record id's history. It is read through the access rules
// like the record itself: the actor must be allowed to read the entity, and
// a record outside the actor's data scope is not found.
func (rt *Runtime) History(ctx context.Context, actor Actor, app, entity string, id int64) (*RecordHistory, error) {
	rec, err := rt.Get(ctx, actor, app, entity, id)
	if err != nil {
		return nil, err
	}
	e, _ := rt.Entity(app, entity)
	w := e.Workflow
	ph := rt.DB.Placeholder
	out := &RecordHistory{Items: []HistoryEntry{}, Pending: []Approval{}}
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT id, event, from_state, to_state, actor, at, comment, def_version FROM growth_history WHERE app = `+ph(1)+
		` AND entity = `+ph(2)+` AND record_id = `+ph(3)+` ORDER BY id`, app, entity, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	index := map[int64]int{}
	for rows.Next() {
		var h HistoryEntry
		var at any
		if err := rows.Scan(&h.ID, &h.Event, &h.From, &h.To, &h.Actor, &at, &h.Comment, &h.DefVersion); err != nil {
			rows.Close()
			return nil, err
		}
		if h.At, err = scanTime(at); err != nil {
			rows.Close()
			return nil, err
		}
		if w != nil {
			h.Label = eventLabel(w, h.Event)
			h.FromLabel, h.ToLabel = stateLabel(w, h.From), stateLabel(w, h.To)
		}
		if h.Event == "create" {
			h.Label, h.FromLabel = "新建", ""
		}
		index[h.ID] = len(out.Items)
		out.Items = append(out.Items, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = rt.DB.Read.QueryContext(ctx, `SELECT event, approver, at, comment, def_version, history_id FROM growth_approvals WHERE app = `+ph(1)+
		` AND entity = `+ph(2)+` AND record_id = `+ph(3)+` ORDER BY id`, app, entity, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("approvals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Approval
		var at any
		var hid int64
		if err := rows.Scan(&a.Event, &a.Approver, &at, &a.Comment, &a.DefVersion, &hid); err != nil {
			return nil, err
		}
		if a.At, err = scanTime(at); err != nil {
			return nil, err
		}
		i, consumed := index[hid]
		switch {
		case hid == 0:
			out.Pending = append(out.Pending, a)
		case consumed:
			// Approvals that lapsed (towards another event) stay listed under
			// the transition that ended them, with their own event name.
			out.Items[i].Approvals = append(out.Items[i].Approvals, a)
		}
	}
	return out, rows.Err()
}

// eventLabel is the label of event in w (of its first transition), or its name.
func eventLabel(w *metamodel.Workflow, event string) string {
	for _, t := range w.Transitions {
		if t.Event == event {
			return transitionLabel(t)
		}
	}
	return event
}

func transitionLabel(t *metamodel.Transition) string {
	if t.Label != "" {
		return t.Label
	}
	return t.Event
}

// roleLabels names roles by their titles: 国库、财政.
func roleLabels(a *metamodel.App, roles []string) string {
	var out []string
	for _, name := range roles {
		label := name
		if r := a.Role(name); r != nil && r.Title != "" {
			label = r.Title
		}
		out = append(out, "“"+label+"”")
	}
	return strings.Join(out, "、")
}

// eventInputs parses the values given with an event: only the transition's
// input fields, none hidden from the actor, each by its field type.
func eventInputs(e *metamodel.Entity, t *metamodel.Transition, input map[string]any, hidden func(string) bool) (map[string]any, error) {
	if len(input) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(input))
	verr := &ValidationError{}
	for key, raw := range input {
		f := e.Field(key)
		if f == nil || !slices.Contains(t.Input, key) || hidden(key) {
			verr.Malformed = true
			if len(t.Input) > 0 {
				verr.Add(key, errcode.NotInput, "“%s”只接受 %s", transitionLabel(t), strings.Join(t.Input, "、"))
			} else {
				verr.Add(key, errcode.NotInput, "“%s”不接受任何字段", transitionLabel(t))
			}
			continue
		}
		if raw == nil || raw == "" {
			out[key] = nil
			continue
		}
		v, err := f.Kind.Parse(f, raw)
		if err != nil {
			verr.addInput(key, err)
			continue
		}
		out[key] = v
	}
	if !verr.empty() {
		return nil, verr
	}
	return out, nil
}

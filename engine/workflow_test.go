package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
)

// workflowDefs is a small approval chain with every workflow rule: roles,
// not_by, a guard with a message, a two-of-three quorum, a required comment,
// set actions, number stamping and a transition without roles.
var workflowDefs = map[string]string{"wf/app.yaml": `
app: wf
title: 流程测试
entities:
  request:
    title: 申请
    fields:
      year:        {type: int, required: true, default: 2026}
      amount:      {type: money, required: true}
      purpose:     {type: string}
      req_no:      {type: string, readonly: true, unique: true}
      approved_by: {type: string, readonly: true}
      reviews:     {type: int, readonly: true, default: 0}
workflows:
  request:
    entity: request
    initial: draft
    states: [draft, submitted, reviewed, approved, rejected, closed]
    final: [closed]
    editable: [draft, rejected]
    labels: {draft: 草稿, submitted: 已提交, reviewed: 已复核, approved: 已批准, rejected: 已退回, closed: 已关闭}
    transitions:
      - event: submit
        label: 提交
        from: [draft, rejected]
        to: submitted
        roles: [clerk]
        number: {field: req_no, format: "SQ{year}-{seq:4}", per: [year]}
      - event: review
        label: 复核
        from: submitted
        to: reviewed
        roles: [reviewer]
        not_by: [creator, previous_approver]
        guard: "amount <= 50000"
        guard_message: 超过五万元不能复核
        set: {reviews: "reviews + 1"}
      - {event: approve, label: 批准, from: reviewed, to: approved, roles: [board], quorum: 2, not_by: [previous_approver], set: {approved_by: "actor.name"}}
      - {event: reject, label: 退回, from: [submitted, reviewed], to: rejected, roles: [reviewer, board], comment: required}
      - {event: close, label: 关闭, from: approved, to: closed, guard: "'board' in actor.roles"}
      - {event: escalate, label: 升级, from: reviewed, to: submitted, roles: [reviewer], guard: "amount > 0 && purpose != '测试' && year > 2000"}
roles:
  clerk:    {title: 经办, scope: all, can: {request: [create, read, update, submit]}}
  reviewer: {title: 复核人, scope: all, can: {request: [read, review, reject, escalate]}}
  board:    {title: 审批人, scope: all, can: {request: [read, approve, reject, close]}}
  auditor:  {title: 稽核, scope: all, can: {request: [read, review]}}
  outsider: {title: 外单位, scope: own, can: {request: [read, create, submit]}}
`}

// roleAccess grants what the actor's roles grant under can:, and limits
// actors whose only role has scope own to the records they created. It
// stands in for the access feature.
type roleAccess struct{ engine.OpenAccess }

func (roleAccess) Can(actor engine.Actor, e *metamodel.Entity, action string) bool {
	for _, name := range actor.Roles {
		if r := e.App.Role(strings.TrimPrefix(name, e.App.Name+".")); r != nil {
			for _, g := range r.Can {
				if g.Name == e.Name && slices.Contains(g.Actions, action) {
					return true
				}
			}
		}
	}
	return false
}

func ownOnly(actor engine.Actor) bool { return slices.Equal(actor.Roles, []string{"outsider"}) }

func (roleAccess) Scope(actor engine.Actor, e *metamodel.Entity) filter.Node {
	if ownOnly(actor) {
		return &filter.Compare{Field: "created_by", Op: filter.Eq, Value: filter.Value{Kind: filter.String, Text: actor.User}}
	}
	return nil
}

func (roleAccess) Sees(actor engine.Actor, e *metamodel.Entity, rec *engine.Record) bool {
	return !ownOnly(actor) || rec.CreatedBy == actor.User
}

// recordingEffect remembers the changes it saw and fails on demand.
type recordingEffect struct {
	mu      sync.Mutex
	seen    []string
	failOn  string
	failErr error
}

func (r *recordingEffect) Apply(ec engine.EffectContext, ch *engine.Change) error {
	if ch.Action == r.failOn {
		return r.failErr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	event := ""
	if ch.Transition != nil {
		event = ch.Transition.Event
	}
	r.seen = append(r.seen, ch.Action+"/"+event)
	return nil
}

type wfFixture struct {
	t      *testing.T
	rt     *engine.Runtime
	effect *recordingEffect
}

func newWorkflowFixture(t *testing.T, d engine.Dialect) *wfFixture {
	p := enginetest.Load(t, workflowDefs)
	rt := enginetest.Start(t, d, p, roleAccess{})
	eff := &recordingEffect{failErr: &engine.ConflictError{Code: "insufficient_balance", Message: "余额不足"}}
	rt.AddEffect(eff)
	return &wfFixture{t: t, rt: rt, effect: eff}
}

// must fails the test on a call's error and returns its value.
func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func actor(user string, roles ...string) engine.Actor { return engine.Actor{User: user, Roles: roles} }

var (
	clerk1   = actor("c1", "clerk")
	clerk2   = actor("c2", "clerk")
	reviewer = actor("r1", "reviewer")
	board1   = actor("b1", "board")
	board2   = actor("b2", "board")
	board3   = actor("b3", "board")
)

func (f *wfFixture) create(by engine.Actor, amount string) *engine.Record {
	f.t.Helper()
	return must[*engine.Record](f.t)(f.rt.Create(context.Background(), by, "wf", "request", map[string]any{"amount": amount, "purpose": "测试"}))
}

func (f *wfFixture) fire(by engine.Actor, id int64, event, comment string) *engine.FireResult {
	f.t.Helper()
	res, err := f.rt.Fire(context.Background(), engine.FireRequest{Actor: by, App: "wf", Entity: "request", ID: id, Event: event, Comment: comment})
	if err != nil {
		f.t.Fatalf("%s by %s on #%d: %v", event, by.User, id, err)
	}
	return res
}

// toState creates a record as c1 and moves it to state along the happy path.
func (f *wfFixture) toState(amount, state string) *engine.Record {
	f.t.Helper()
	rec := f.create(clerk1, amount)
	path := map[string][]struct {
		by    engine.Actor
		event string
	}{
		"draft":     {},
		"submitted": {{clerk1, "submit"}},
		"reviewed":  {{clerk1, "submit"}, {reviewer, "review"}},
		"approved":  {{clerk1, "submit"}, {reviewer, "review"}, {board1, "approve"}, {board2, "approve"}},
	}[state]
	for _, step := range path {
		rec = f.fire(step.by, rec.ID, step.event, "").Record
	}
	if rec.State != state {
		f.t.Fatalf("record #%d is %s, want %s", rec.ID, rec.State, state)
	}
	return rec
}

func (f *wfFixture) history(id int64) *engine.RecordHistory {
	f.t.Helper()
	return must[*engine.RecordHistory](f.t)(f.rt.History(context.Background(), reviewer, "wf", "request", id))
}

func events(h *engine.RecordHistory) []string {
	var out []string
	for _, e := range h.Items {
		out = append(out, fmt.Sprintf("%s:%s>%s@%s", e.Event, e.From, e.To, e.Actor))
	}
	return out
}

func TestWorkflowHappyPath(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		rec := f.create(clerk1, "1200.50")
		if rec.State != "draft" {
			t.Fatalf("new record is in %q, want the initial state draft", rec.State)
		}
		rec = f.fire(clerk1, rec.ID, "submit", "").Record
		other := f.toState("10", "submitted")
		if got := rec.Values["req_no"]; got != "SQ2026-0001" {
			t.Errorf("first number = %v, want SQ2026-0001", got)
		}
		if got := other.Values["req_no"]; got != "SQ2026-0002" {
			t.Errorf("second number = %v, want SQ2026-0002", got)
		}
		rec = f.fire(reviewer, rec.ID, "review", "金额无误").Record
		if rec.State != "reviewed" || rec.Values["reviews"] != int64(1) {
			t.Errorf("after review: state %s, reviews %v; want reviewed, 1", rec.State, rec.Values["reviews"])
		}

		// Two of three board members must approve.
		res := f.fire(board1, rec.ID, "approve", "同意")
		if res.Fired || res.Approvals != 1 || res.Quorum != 2 || res.Record.State != "reviewed" {
			t.Fatalf("first approval: fired %v, %d/%d, state %s; want not fired, 1/2, reviewed", res.Fired, res.Approvals, res.Quorum, res.Record.State)
		}
		h := f.history(rec.ID)
		if len(h.Pending) != 1 || h.Pending[0].Approver != "b1" || h.Pending[0].Comment != "同意" {
			t.Errorf("pending approvals = %+v, want b1's with its comment", h.Pending)
		}
		res = f.fire(board2, rec.ID, "approve", "")
		if !res.Fired || res.Record.State != "approved" || res.Approvals != 2 {
			t.Fatalf("second approval: fired %v, state %s, %d approvals; want the transition to happen", res.Fired, res.Record.State, res.Approvals)
		}
		if got := res.Record.Values["approved_by"]; got != "b2" {
			t.Errorf("approved_by = %v, want the actor who completed the quorum, b2", got)
		}
		// The stamped number survives later transitions.
		if got := res.Record.Values["req_no"]; got != "SQ2026-0001" {
			t.Errorf("number after approval = %v, want it kept", got)
		}
		// A role-less transition is open to anyone the access rules allow.
		rec = f.fire(board3, rec.ID, "close", "").Record
		if rec.State != "closed" {
			t.Errorf("close: state %s, want closed", rec.State)
		}

		h = f.history(rec.ID)
		want := []string{"create:>draft@c1", "submit:draft>submitted@c1", "review:submitted>reviewed@r1", "approve:reviewed>approved@b2", "close:approved>closed@b3"}
		if got := events(h); !slices.Equal(got, want) {
			t.Errorf("history = %v\nwant      %v", got, want)
		}
		approve := h.Items[3]
		if len(approve.Approvals) != 2 || approve.Approvals[0].Approver != "b1" || approve.Approvals[1].Approver != "b2" {
			t.Errorf("approve's approvals = %+v, want b1 then b2", approve.Approvals)
		}
		if len(h.Pending) != 0 {
			t.Errorf("pending after the quorum = %+v, want none", h.Pending)
		}
		for _, e := range h.Items {
			if e.DefVersion != f.rt.Project.Hash {
				t.Errorf("history row %s has definition version %q, want %q", e.Event, e.DefVersion, f.rt.Project.Hash)
			}
		}
		if h.Items[2].Comment != "金额无误" || h.Items[2].Label != "复核" || h.Items[2].ToLabel != "已复核" {
			t.Errorf("review row = %+v, want its comment and labels", h.Items[2])
		}
		if rec.DefVersion != f.rt.Project.Hash {
			t.Errorf("record definition version %q, want %q", rec.DefVersion, f.rt.Project.Hash)
		}
		// Effects see each event with its transition.
		wantSeen := []string{"create/", "submit/submit", "create/", "submit/submit", "review/review", "approve/approve", "close/close"}
		if !slices.Equal(f.effect.seen, wantSeen) {
			t.Errorf("effects saw %v, want %v", f.effect.seen, wantSeen)
		}
		report, err := f.rt.VerifyProof(ctx)
		if err != nil || !report.OK() {
			t.Fatalf("audit trail does not verify: %v %v %v %v", err, report.Audit.Broken, report.Problems, report.Ledger.Problems)
		}
		var actions []string
		rows, err := f.rt.DB.Read.QueryContext(ctx, `SELECT action FROM growth_audit WHERE record_id = `+f.rt.DB.Placeholder(1)+` AND entity = 'request' ORDER BY id`, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a string
			_ = rows.Scan(&a)
			actions = append(actions, a)
		}
		rows.Close()
		if want := []string{"create", "submit", "review", "approve", "approve", "close"}; !slices.Equal(actions, want) {
			t.Errorf("audit actions = %v, want %v (one per approval)", actions, want)
		}
	})
}

// wantErr checks err's type (by the HTTP status it maps to) and message.
func wantErr(t *testing.T, err error, status int, contains string) {
	t.Helper()
	var (
		ve *engine.ValidationError
		ce *engine.ConflictError
		fe *engine.ForbiddenError
	)
	got := 0
	switch {
	case err == nil:
		t.Fatalf("succeeded, want %d %q", status, contains)
	case errors.As(err, &ve):
		got = 422
	case errors.As(err, &ce):
		got = 409
	case errors.As(err, &fe):
		got = 403
	case errors.Is(err, engine.ErrNotFound):
		got = 404
	}
	if got != status {
		t.Fatalf("error %v (%T) maps to %d, want %d", err, err, got, status)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q does not say %q", err.Error(), contains)
	}
}

func TestWorkflowRefusals(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		scenarios := []struct {
			name     string
			amount   string
			state    string
			prepare  func(rec *engine.Record) // extra steps before the refused one
			by       engine.Actor
			event    string
			comment  string
			status   int
			contains string
		}{
			{name: "event not allowed from the current state", state: "submitted", by: board1, event: "approve", status: 409, contains: "当前状态为“已提交”"},
			{name: "final state", state: "approved", by: board1, event: "approve", status: 409, contains: "当前状态为“已批准”"},
			{name: "access rules do not grant the event", state: "submitted", by: clerk1, event: "review", status: 403, contains: "您无权"},
			{name: "granted, but not a role of the transition", state: "submitted", by: actor("a1", "auditor"), event: "review", status: 403, contains: "只能由“复核人”执行"},
			{name: "creator may not review", state: "submitted", by: actor("c1", "clerk", "reviewer"), event: "review", status: 403, contains: "不能审批自己创建的记录"},
			{name: "previous approver may not review", state: "draft", prepare: func(rec *engine.Record) { f.fire(clerk2, rec.ID, "submit", "") },
				by: actor("c2", "clerk", "reviewer"), event: "review", status: 403, contains: "不能连续审批：上一步“提交”由您执行"},
			{name: "previous approver may not approve", state: "reviewed", by: actor("r1", "reviewer", "board"), event: "approve", status: 403, contains: "不能连续审批"},
			{name: "rejection needs a comment", state: "submitted", by: reviewer, event: "reject", comment: "  ", status: 422, contains: "“退回”须填写意见"},
			{name: "guard fails with its message", amount: "60000", state: "submitted", by: reviewer, event: "review", status: 422, contains: "超过五万元不能复核"},
			{name: "same approver twice towards the quorum", state: "reviewed", prepare: func(rec *engine.Record) { f.fire(board1, rec.ID, "approve", "") },
				by: board1, event: "approve", status: 409, contains: "您已就“批准”审批过（1/2）"},
			{name: "a guard without a message names the failing term", state: "reviewed", by: reviewer, event: "escalate", status: 422, contains: `不满足条件：purpose != "测试"`},
			{name: "unknown event", state: "draft", by: clerk1, event: "launch", status: 404, contains: "没有事件 launch"},
			{name: "record out of the actor's scope", state: "submitted", by: actor("o1", "outsider"), event: "submit", status: 403, contains: "不在您的数据范围内"},
			{name: "an effect refuses: nothing is written", state: "approved", by: board1, event: "close", status: 409, contains: "余额不足"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				amount := sc.amount
				if amount == "" {
					amount = "100"
				}
				rec := f.toState(amount, sc.state)
				if sc.prepare != nil {
					sc.prepare(rec)
				}
				before := must[*engine.Record](t)(f.rt.Get(ctx, reviewer, "wf", "request", rec.ID))
				hBefore := f.history(rec.ID)
				if sc.event == "close" {
					f.effect.failOn = "close"
					defer func() { f.effect.failOn = "" }()
				}
				_, err := f.rt.Fire(ctx, engine.FireRequest{Actor: sc.by, App: "wf", Entity: "request", ID: rec.ID, Event: sc.event, Comment: sc.comment})
				wantErr(t, err, sc.status, sc.contains)
				after := must[*engine.Record](t)(f.rt.Get(ctx, reviewer, "wf", "request", rec.ID))
				if after.Version != before.Version || after.State != before.State || fmt.Sprint(after.Values) != fmt.Sprint(before.Values) {
					t.Errorf("a refused event changed the record: %+v → %+v", before, after)
				}
				hAfter := f.history(rec.ID)
				if len(hAfter.Items) != len(hBefore.Items) || len(hAfter.Pending) != len(hBefore.Pending) {
					t.Errorf("a refused event changed the history: %v → %v", events(hBefore), events(hAfter))
				}
			})
		}
	})
}

func TestWorkflowEditableStates(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		rec := f.toState("100", "submitted")
		_, err := f.rt.Update(ctx, clerk1, "wf", "request", rec.ID, rec.Version, map[string]any{"purpose": "改"})
		wantErr(t, err, 409, "“已提交”状态下不能修改")
		rec = f.fire(reviewer, rec.ID, "reject", "附件不全").Record
		rec, err = f.rt.Update(ctx, clerk1, "wf", "request", rec.ID, rec.Version, map[string]any{"purpose": "补充附件"})
		if err != nil {
			t.Fatalf("a rejected record is editable, but: %v", err)
		}
		rec = f.fire(clerk1, rec.ID, "submit", "").Record
		if rec.Values["req_no"] != "SQ2026-0001" {
			t.Errorf("resubmitted record got number %v, want its first one kept", rec.Values["req_no"])
		}
	})
}

func TestWorkflowConcurrentFires(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()

		t.Run("one transition wins", func(t *testing.T) {
			rec := f.toState("100", "submitted")
			const n = 8
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.rt.Fire(ctx, engine.FireRequest{Actor: actor(fmt.Sprintf("r%d", i+10), "reviewer"), App: "wf", Entity: "request", ID: rec.ID, Event: "review"})
				}()
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				var ce *engine.ConflictError
				switch {
				case err == nil:
					wins++
				case errors.As(err, &ce) && ce.Code == "state":
				default:
					t.Errorf("a losing fire got %v, want a state conflict", err)
				}
			}
			if wins != 1 {
				t.Fatalf("%d fires succeeded, want exactly 1", wins)
			}
			h := f.history(rec.ID)
			if got := events(h); len(got) != 3 {
				t.Errorf("history = %v, want create, submit and one review", got)
			}
		})

		t.Run("three approvers, quorum two", func(t *testing.T) {
			rec := f.toState("100", "reviewed")
			results := make([]*engine.FireResult, 3)
			errs := make([]error, 3)
			var wg sync.WaitGroup
			for i, by := range []engine.Actor{board1, board2, board3} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = f.rt.Fire(ctx, engine.FireRequest{Actor: by, App: "wf", Entity: "request", ID: rec.ID, Event: "approve"})
				}()
			}
			wg.Wait()
			fired, pending, conflicts := 0, 0, 0
			for i := range results {
				switch {
				case errs[i] != nil:
					var ce *engine.ConflictError
					if !errors.As(errs[i], &ce) || ce.Code != "state" {
						t.Errorf("third approver got %v, want a state conflict", errs[i])
					}
					conflicts++
				case results[i].Fired:
					fired++
				default:
					pending++
				}
			}
			if fired != 1 || pending != 1 || conflicts != 1 {
				t.Fatalf("fired %d, pending %d, conflicts %d; want 1, 1, 1", fired, pending, conflicts)
			}
			h := f.history(rec.ID)
			if last := h.Items[len(h.Items)-1]; last.Event != "approve" || len(last.Approvals) != 2 {
				t.Errorf("last history row = %+v, want approve with two approvals", last)
			}
		})
	})
}

func TestWorkflowAvailableEvents(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		big := f.toState("60000", "submitted")
		small := f.toState("100", "reviewed")
		f.fire(board1, small.ID, "approve", "")
		list := func(id int64, by engine.Actor) string {
			_, opts, err := f.rt.AvailableEvents(ctx, by, "wf", "request", id)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, o := range opts {
				s := o.Event
				if !o.Available {
					s += "(" + o.Reason + ")"
				}
				if o.Quorum > 0 {
					s += fmt.Sprintf("[%d/%d]", o.Approvals, o.Quorum)
				}
				out = append(out, s)
			}
			return strings.Join(out, " ")
		}
		scenarios := []struct {
			name string
			id   int64
			by   engine.Actor
			want string
		}{
			{"guard reported, not hidden", big.ID, reviewer, "review(超过五万元不能复核) reject"},
			{"not_by hides the event from the creator", big.ID, actor("c1", "clerk", "reviewer"), "reject"},
			{"access rules hide what is not granted", big.ID, clerk1, ""},
			{"own approval towards the quorum", small.ID, board1, "approve(您已审批（1/2），等待其他人审批)[1/2] reject"},
			{"another approver", small.ID, board2, "approve[1/2] reject"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				if got := list(sc.id, sc.by); got != sc.want {
					t.Errorf("events = %q, want %q", got, sc.want)
				}
			})
		}
	})
}

func TestWorkflowHistoryAccess(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		rec := f.toState("100", "submitted")
		own := f.create(actor("o1", "outsider"), "5")
		scenarios := []struct {
			name   string
			id     int64
			by     engine.Actor
			status int
			items  int
		}{
			{"reader sees every transition", rec.ID, board1, 0, 2},
			{"no read grant", rec.ID, actor("x", "nobody"), 403, 0},
			{"out of scope is not found", rec.ID, actor("o1", "outsider"), 404, 0},
			{"own record in scope", own.ID, actor("o1", "outsider"), 0, 1},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				h, err := f.rt.History(ctx, sc.by, "wf", "request", sc.id)
				if sc.status != 0 {
					wantErr(t, err, sc.status, "")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(h.Items) != sc.items {
					t.Errorf("%d history rows, want %d", len(h.Items), sc.items)
				}
			})
		}
	})
}

// TestWorkflowNumbersPerYear checks that numbering restarts for each value of
// per and that a number is only taken by a transition that commits.
func TestWorkflowNumbersPerYear(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		var got []string
		for _, year := range []int{2026, 2027, 2026} {
			rec := must[*engine.Record](t)(f.rt.Create(ctx, clerk1, "wf", "request", map[string]any{"amount": "1", "year": year}))
			if year == 2027 {
				// A refused submit takes no number.
				f.effect.failOn = "submit"
				_, err := f.rt.Fire(ctx, engine.FireRequest{Actor: clerk1, App: "wf", Entity: "request", ID: rec.ID, Event: "submit"})
				f.effect.failOn = ""
				wantErr(t, err, 409, "余额不足")
			}
			got = append(got, f.fire(clerk1, rec.ID, "submit", "").Record.Values["req_no"].(string))
		}
		if want := []string{"SQ2026-0001", "SQ2027-0001", "SQ2026-0002"}; !slices.Equal(got, want) {
			t.Errorf("numbers = %v, want %v", got, want)
		}
	})
}

// TestWorkflowQualifiedRoles fires the chain as actors whose roles are
// written "app.role", as the access feature gives them.
func TestWorkflowQualifiedRoles(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := newWorkflowFixture(t, d)
		ctx := context.Background()
		rec := f.create(actor("c1", "wf.clerk"), "10")
		steps := []struct {
			by       engine.Actor
			event    string
			status   int
			contains string
		}{
			{actor("c1", "wf.clerk"), "submit", 0, "submitted"},
			{actor("a1", "wf.auditor"), "review", 403, "只能由“复核人”执行"},
			{actor("r1", "other.reviewer"), "review", 403, "您无权"},
			{actor("r1", "wf.reviewer"), "review", 0, "reviewed"},
			{actor("b1", "wf.board"), "approve", 0, "reviewed"},
			{actor("b2", "wf.board"), "approve", 0, "approved"},
			{actor("b3", "wf.board"), "close", 0, "closed"}, // the guard reads actor.roles as the app names them
		}
		for _, st := range steps {
			res, err := f.rt.Fire(ctx, engine.FireRequest{Actor: st.by, App: "wf", Entity: "request", ID: rec.ID, Event: st.event})
			if st.status != 0 {
				wantErr(t, err, st.status, st.contains)
				continue
			}
			if err != nil {
				t.Fatalf("%s by %v: %v", st.event, st.by.Roles, err)
			}
			if res.Record.State != st.contains {
				t.Errorf("%s by %v: state %s, want %s", st.event, st.by.Roles, res.Record.State, st.contains)
			}
		}
	})
}

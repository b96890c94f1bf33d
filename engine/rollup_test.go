package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// rollupDefs: lines and fees roll up into their batch (sum, count, count
// with where, max, min over a date), batches into their plan (a rollup of a
// rollup), and a batch refuses lines and fees beyond its limit.
var rollupDefs = map[string]string{"roll/app.yaml": `
app: roll
entities:
  plan:
    title: 计划
    fields:
      name:       string
      line_total: {type: rollup, label: 明细总额, entity: batch, via: plan, field: net_total, agg: sum}
  batch:
    title: 批次
    fields:
      plan:         {type: ref, entity: plan}
      limit_amount: {type: money, label: 批次金额, required: true}
      net_total:    {type: rollup, label: 明细合计, entity: line, via: batch, field: net, agg: sum}
      lines:        {type: rollup, entity: line, via: batch, agg: count}
      big_lines:    {type: rollup, entity: line, via: batch, agg: count, where: "net >= 1000"}
      max_net:      {type: rollup, entity: line, via: batch, field: net, agg: max}
      first_day:    {type: rollup, entity: line, via: batch, field: day, agg: min}
      fee_total:    {type: rollup, label: 费用合计, entity: fee, via: batch, field: amount, agg: sum}
      left:         {type: computed, expr: "limit_amount - net_total - fee_total"}
    rules:
      - name: within_limit
        assert: "net_total + fee_total <= limit_amount"
        message: 明细合计不能超过批次金额
  line:
    title: 明细
    fields:
      batch: {type: ref, entity: batch, required: true}
      net:   {type: money, required: true}
      day:   date
      note:  string
  fee:
    title: 费用
    fields:
      batch:  {type: ref, entity: batch, required: true}
      amount: {type: money, required: true}
`}

// rollupFields reads a record's rollup and computed fields as the API shows them.
func rollupFields(t *testing.T, rt *engine.Runtime, entity string, id int64) map[string]any {
	t.Helper()
	rec, err := rt.Get(context.Background(), engine.SystemActor, "roll", entity, id)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := rt.Entity("roll", entity)
	out := map[string]any{"version": rec.Version}
	for _, f := range e.Fields {
		if f.Type == "rollup" || f.Type == "computed" {
			out[f.Name] = nil
			if v := rec.Values[f.Name]; v != nil {
				out[f.Name] = fmt.Sprint(f.Kind.JSON(f, v))
			}
		}
	}
	return out
}

func wantFields(t *testing.T, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], w, got)
		}
	}
}

func TestRollupKeepsParentsExact(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, rollupDefs), engine.OpenAccess{})
		ctx := context.Background()
		sys := engine.SystemActor
		create := func(entity string, values map[string]any) (*engine.Record, error) {
			return rt.Create(ctx, sys, "roll", entity, values)
		}
		plan := enginetest.Must(create("plan", map[string]any{"name": "p"}))
		b1 := enginetest.Must(create("batch", map[string]any{"plan": plan.ID, "limit_amount": "3000.00"}))
		b2 := enginetest.Must(create("batch", map[string]any{"plan": plan.ID, "limit_amount": "5000.00"}))
		wantFields(t, rollupFields(t, rt, "batch", b1.ID), map[string]any{"net_total": "0.00", "lines": "0", "big_lines": "0", "max_net": nil, "first_day": nil, "left": "3000.00", "version": 1})

		l1 := enginetest.Must(create("line", map[string]any{"batch": b1.ID, "net": "1000.10", "day": "2026-03-05"}))
		l2 := enginetest.Must(create("line", map[string]any{"batch": b1.ID, "net": "999.95", "day": "2026-03-01"}))
		wantFields(t, rollupFields(t, rt, "batch", b1.ID), map[string]any{"net_total": "2000.05", "lines": "2", "big_lines": "1", "max_net": "1000.10", "first_day": "2026-03-01", "left": "999.95", "version": 3})
		wantFields(t, rollupFields(t, rt, "plan", plan.ID), map[string]any{"line_total": "2000.05", "version": 3})

		// The line that crosses the limit is refused, naming the batch; nothing changes.
		_, err := create("line", map[string]any{"batch": b1.ID, "net": "1000.00"})
		var ve *engine.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("crossing the limit: want a ValidationError, got %v", err)
		}
		want := fmt.Sprintf("批次 #%d：明细合计不能超过批次金额", b1.ID)
		if got := ve.Fields[engine.RecordField]; len(got) != 1 || got[0].Message != want || got[0].Code != "within_limit" {
			t.Fatalf("crossing the limit: got %+v, want %q (within_limit)", ve.Fields, want)
		}
		wantFields(t, rollupFields(t, rt, "batch", b1.ID), map[string]any{"net_total": "2000.05", "lines": "2", "version": 3})

		// A change no aggregate reads leaves the batch alone.
		l2 = enginetest.Must(rt.Update(ctx, sys, "roll", "line", l2.ID, l2.Version, map[string]any{"note": "备注"}))
		wantFields(t, rollupFields(t, rt, "batch", b1.ID), map[string]any{"version": 3})

		// Moving a line recomputes both batches, and the plan once per batch.
		l1 = enginetest.Must(rt.Update(ctx, sys, "roll", "line", l1.ID, l1.Version, map[string]any{"batch": b2.ID}))
		wantFields(t, rollupFields(t, rt, "batch", b1.ID), map[string]any{"net_total": "999.95", "lines": "1", "big_lines": "0", "max_net": "999.95", "first_day": "2026-03-01", "version": 4})
		wantFields(t, rollupFields(t, rt, "batch", b2.ID), map[string]any{"net_total": "1000.10", "lines": "1", "big_lines": "1", "first_day": "2026-03-05", "version": 2})
		wantFields(t, rollupFields(t, rt, "plan", plan.ID), map[string]any{"line_total": "2000.05"})

		// Changing an amount, then deleting a line, lower the sums.
		l1 = enginetest.Must(rt.Update(ctx, sys, "roll", "line", l1.ID, l1.Version, map[string]any{"net": "0.05"}))
		wantFields(t, rollupFields(t, rt, "batch", b2.ID), map[string]any{"net_total": "0.05", "big_lines": "0", "max_net": "0.05"})
		if err := rt.Delete(ctx, sys, "roll", "line", l2.ID, l2.Version); err != nil {
			t.Fatal(err)
		}
		wantFields(t, rollupFields(t, rt, "batch", b1.ID), map[string]any{"net_total": "0.00", "lines": "0", "max_net": nil, "first_day": nil, "left": "3000.00"})
		wantFields(t, rollupFields(t, rt, "plan", plan.ID), map[string]any{"line_total": "0.05"})

		// Lowering the limit below the lines is refused by the batch's own rule.
		b2 = enginetest.Must(rt.Get(ctx, sys, "roll", "batch", b2.ID))
		if _, err := rt.Update(ctx, sys, "roll", "batch", b2.ID, b2.Version, map[string]any{"limit_amount": "0.04"}); !engine.IsValidation(err) {
			t.Fatalf("limit below the lines: want a ValidationError, got %v", err)
		}
		// A rollup is the platform's: a client cannot write it.
		if _, err := rt.Update(ctx, sys, "roll", "batch", b2.ID, b2.Version, map[string]any{"net_total": "1.00"}); !engine.IsValidation(err) {
			t.Fatalf("writing a rollup: want a ValidationError, got %v", err)
		}

		// Every rollup write is audited as "rollup" with what changed.
		rows, err := rt.DB.Read.QueryContext(ctx, "SELECT action, actor, changes FROM growth_audit WHERE app = 'roll' AND entity = 'batch' AND record_id = "+rt.DB.Placeholder(1)+" ORDER BY chain_seq", b1.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var actions []string
		for rows.Next() {
			var action, actor, changes string
			if err := rows.Scan(&action, &actor, &changes); err != nil {
				t.Fatal(err)
			}
			actions = append(actions, action)
			if action == engine.RollupAction {
				var diff map[string][2]any
				if err := json.Unmarshal([]byte(changes), &diff); err != nil {
					t.Fatal(err)
				}
				if _, ok := diff["net_total"]; !ok || actor != "system" {
					t.Errorf("rollup audit row by %s lists %v, want net_total", actor, diff)
				}
			}
		}
		if fmt.Sprint(actions) != "[create rollup rollup rollup rollup]" {
			t.Errorf("batch audit actions = %v", actions)
		}
		if rep, err := rt.VerifyProof(ctx); err != nil || !rep.OK() {
			t.Fatalf("audit verify: %v %v %v %v", err, rep.Audit.Broken, rep.Problems, rep.Ledger.Problems)
		}
	})
}

// TestRollupLimitUnderConcurrency inserts many lines and fees for one batch
// at once: the limit is never crossed, no request fails for any other reason
// (two kinds of children keep separate audit chains, so only the batch's
// row lock makes them take turns), and the sums are exactly what got in.
func TestRollupLimitUnderConcurrency(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, rollupDefs), engine.OpenAccess{})
		ctx := context.Background()
		batch := enginetest.Must(rt.Create(ctx, engine.SystemActor, "roll", "batch", map[string]any{"limit_amount": "1000.00"}))
		const tries, amount = 24, 100
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		var other []error
		for i := 0; i < tries; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				entity, field := "line", "net"
				if i%2 == 1 {
					entity, field = "fee", "amount"
				}
				_, err := rt.Create(ctx, engine.Actor{User: fmt.Sprintf("u%d", i)}, "roll", entity, map[string]any{"batch": batch.ID, field: fmt.Sprint(amount)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case engine.IsValidation(err):
					refused++
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		if ok != 10 || refused != tries-10 {
			t.Errorf("%d lines got in and %d were refused, want 10 and %d", ok, refused, tries-10)
		}
		var lines, fees int
		if err := rt.DB.Read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM roll_line), (SELECT COUNT(*) FROM roll_fee)`).Scan(&lines, &fees); err != nil || lines+fees != ok {
			t.Errorf("%d lines and %d fees stored (err %v), want %d in all", lines, fees, err, ok)
		}
		wantFields(t, rollupFields(t, rt, "batch", batch.ID), map[string]any{"net_total": fmt.Sprintf("%d.00", lines*amount), "fee_total": fmt.Sprintf("%d.00", fees*amount), "lines": lines, "left": "0.00"})
	})
}

// TestLinkFiltersChecked: growth check (engine.LoadDefinitions) reports a rollup's
// where and a generate's from where that do not compile, at their position.
func TestLinkFiltersChecked(t *testing.T) {
	err := loadErr(t, map[string]string{"app1/app.yaml": `
app: app1
entities:
  batch:
    fields:
      agency: string
      total:  {type: rollup, entity: line, via: batch, field: net, agg: sum, where: "nett > 0"}
      lines:  {type: rollup, entity: line, via: batch, agg: count, where: "net > $limit"}
      ok:     {type: rollup, entity: line, via: batch, agg: count, where: "net >= 1 or batch is null"}
  line:
    fields:
      batch: {type: ref, entity: batch}
      net:   money
  person:
    fields:
      agency: string
workflows:
  batch:
    entity: batch
    initial: draft
    states: [draft]
    final: [draft]
    transitions:
      - event: go
        from: draft
        to: draft
        generate:
          - entity: line
            from: {entity: person, where: "agnecy = $agency"}
            set: {batch: "parent.id"}
`})
	var de *metamodel.DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("want a DefinitionError, got %v", err)
	}
	got := de.Error()
	for _, want := range []string{
		`app1/app.yaml:7:85: field batch.total: where: at 0: unknown field "nett" (did you mean "net"?)`,
		`app1/app.yaml:8:75: field batch.lines: where: a rollup's where takes no $name ($limit)`,
		`app1/app.yaml:29:43: workflow batch: transition go: generate 1 (line): from: where: at 0: unknown field "agnecy"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the problems do not contain %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "batch.ok") {
		t.Errorf("a valid where is reported:\n%s", got)
	}
}

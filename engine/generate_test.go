package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// linkDefs exercise generated records, blocks and refs together: a batch
// generates its lines from people (from), a schedule of lines (count) and a
// note (when); lines roll up into the batch and read the batch and the
// person they point at (refs); an open red note blocks finishing the batch.
var linkDefs = map[string]string{"gen/app.yaml": `
app: gen
entities:
  person:
    title: 人员
    fields:
      name:   {type: string, required: true}
      agency: {type: string, required: true}
      active: {type: bool, default: true}
      salary: {type: money, required: true}
  batch:
    title: 批次
    fields:
      agency:       {type: string, required: true}
      limit_amount: {type: money}
      term:         {type: int, default: 0}
      start:        date
      total:        {type: rollup, label: 明细合计, entity: line, via: batch, field: basic, agg: sum}
      lines:        {type: rollup, entity: line, via: batch, agg: count}
  line:
    title: 明细
    fields:
      batch:  {type: ref, entity: batch, required: true}
      person: {type: ref, entity: person}
      name:   string
      basic:  {type: money, label: 基本工资, required: true, min: 0}
      seq:    int
      due:    date
    rules:
      - name: ceiling
        assert: "basic <= 100000"
        message: 单人工资不能超过十万元
      - name: within_batch_limit
        assert: "refs.batch.limit_amount == 0 || basic <= refs.batch.limit_amount"
        message: 单人工资不能超过批次限额
      - name: same_agency
        when: "person != 0"
        assert: "refs.person.agency == refs.batch.agency"
        message: 人员不属于本批次的单位
  note:
    title: 提示
    fields:
      batch: {type: ref, entity: batch, required: true}
      level: {type: enum, values: [red, blue], required: true}
    blocks:
      - {ref: batch, events: [finish], when: "level == 'red' && state != 'closed'", message: 存在未处理的红色提示，不能完成}
workflows:
  batch:
    entity: batch
    initial: draft
    states: [draft, done]
    final: [done]
    transitions:
      - event: prepare
        from: draft
        to: draft
        guard: "lines == 0"
        generate:
          - entity: line
            from: {entity: person, where: "agency = $agency and active = true"}
            set: {batch: "parent.id", person: "src.id", name: "src.name", basic: "src.salary"}
      - event: plan
        from: draft
        to: draft
        generate:
          - entity: line
            count: "term"
            set: {batch: "parent.id", seq: "i", basic: "i == n ? dec(100) : dec(0)", due: "parent.start.AddDate(i, 0, 0)"}
      - event: warn
        from: draft
        to: draft
        generate:
          - entity: note
            when: "total > 1000"
            set: {batch: "parent.id", level: "'red'"}
      - {event: finish, from: draft, to: done}
  note:
    entity: note
    initial: open
    states: [open, closed]
    final: [closed]
    transitions:
      - {event: close, from: open, to: closed, guard: "refs.batch.state == 'draft'", guard_message: 批次已完成}
`}

// noLineCreate may do everything but create lines by hand.
type noLineCreate struct{ engine.OpenAccess }

func (noLineCreate) Can(actor engine.Actor, e *metamodel.Entity, action string) bool {
	return !(e.Name == "line" && action == "create")
}

// genLines lists a batch's lines as "name:basic" or "seq:due:basic", by id.
func genLines(t *testing.T, rt *engine.Runtime, batch int64) []string {
	t.Helper()
	res, err := rt.List(context.Background(), engine.SystemActor, "gen", "line", engine.ListQuery{Filter: fmt.Sprintf("batch = %d", batch), Sort: "id", PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.Items {
		basic := r.Values["basic"]
		switch {
		case r.Values["name"] != nil:
			out = append(out, fmt.Sprintf("%v:%v", r.Values["name"], basic))
		default:
			out = append(out, fmt.Sprintf("%v:%v:%v", r.Values["seq"], r.Values["due"].(interface{ Format(string) string }).Format("2006-01-02"), basic))
		}
	}
	return out
}

func TestGenerateRecords(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, linkDefs), noLineCreate{})
		ctx := context.Background()
		clerk := engine.Actor{User: "clerk"}
		mk := func(entity string, values map[string]any) *engine.Record {
			return enginetest.Must(rt.Create(ctx, engine.SystemActor, "gen", entity, values))
		}
		mk("person", map[string]any{"name": "张三", "agency": "A", "salary": "800.00"})
		mk("person", map[string]any{"name": "李四", "agency": "A", "salary": "700.50"})
		mk("person", map[string]any{"name": "王五", "agency": "A", "salary": "900.00", "active": false})
		mk("person", map[string]any{"name": "赵六", "agency": "B", "salary": "600.00"})
		rich := mk("person", map[string]any{"name": "钱七", "agency": "C", "salary": "200000.00"})

		// One line per active person of the batch's agency, rolled up at once.
		a := mk("batch", map[string]any{"agency": "A"})
		res, err := rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "gen", Entity: "batch", ID: a.ID, Event: "prepare"})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(genLines(t, rt, a.ID)); got != "[张三:800 李四:700.5]" {
			t.Errorf("generated lines %s", got)
		}
		if got := res.Record.Values["total"]; fmt.Sprint(got) != "1500.5" || res.Record.Values["lines"] != int64(2) || res.Record.Version != a.Version+2 {
			t.Errorf("fired record: total %v, lines %v, version %d: want the rollups of the new lines, written once", got, res.Record.Values["lines"], res.Record.Version)
		}
		var changes string
		if err := rt.DB.Read.QueryRowContext(ctx, "SELECT changes FROM growth_audit WHERE entity = 'line' ORDER BY id LIMIT 1").Scan(&changes); err != nil || !strings.Contains(changes, fmt.Sprintf(`"_generated_by":[null,"gen.batch #%d prepare"]`, a.ID)) {
			t.Errorf("a generated line's audit row: %s (%v)", changes, err)
		}
		if _, err := rt.Create(ctx, clerk, "gen", "line", map[string]any{"batch": a.ID, "basic": "1"}); !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("creating a line by hand without the right: %v", err)
		}

		// A refused line rolls the whole transition back, naming the line.
		c := mk("batch", map[string]any{"agency": "C"})
		_, err = rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "gen", Entity: "batch", ID: c.ID, Event: "prepare"})
		want := fmt.Sprintf("生成 明细（来源 人员 #%d）失败：单人工资不能超过十万元", rich.ID)
		var ve *engine.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields[engine.RecordField]) != 1 || ve.Fields[engine.RecordField][0].Message != want {
			t.Fatalf("a refused generated line: got %v, want %q", err, want)
		}
		if after := enginetest.Must(rt.Get(ctx, engine.SystemActor, "gen", "batch", c.ID)); after.Version != c.Version || len(genLines(t, rt, c.ID)) != 0 {
			t.Errorf("after a refused generation the batch is at version %d with %d lines", after.Version, len(genLines(t, rt, c.ID)))
		}

		// count: one line per year of the term; the last one carries the amount.
		p := mk("batch", map[string]any{"agency": "P", "term": 3, "start": "2026-01-15"})
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "gen", Entity: "batch", ID: p.ID, Event: "plan"}))
		if got := fmt.Sprint(genLines(t, rt, p.ID)); got != "[1:2027-01-15:0 2:2028-01-15:0 3:2029-01-15:100]" {
			t.Errorf("scheduled lines %s", got)
		}

		// when: a note only where the condition holds.
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "gen", Entity: "batch", ID: a.ID, Event: "warn"}))
		enginetest.Must(rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "gen", Entity: "batch", ID: p.ID, Event: "warn"}))
		notes := enginetest.Must(rt.List(ctx, engine.SystemActor, "gen", "note", engine.ListQuery{Total: true}))
		if *notes.Total != 1 || notes.Items[0].Values["batch"] != a.ID {
			t.Errorf("notes: %d, want one for batch %d", *notes.Total, a.ID)
		}

		// Beyond the limit nothing is generated.
		big := mk("batch", map[string]any{"agency": "Z", "term": metamodel.MaxGenerated + 1})
		_, err = rt.Fire(ctx, engine.FireRequest{Actor: clerk, App: "gen", Entity: "batch", ID: big.ID, Event: "plan"})
		if !errors.As(err, &ve) || ve.Fields[engine.RecordField][0].Code != "generate_limit" {
			t.Fatalf("more than the limit: %v", err)
		}
	})
}

package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// batchDefs is an entity whose creates PostgreSQL batches
// (pg_create_batch.go): no reference, workflow or effect; a unique field and
// a rule, so that a request can be refused by the database or by its checks.
var batchDefs = map[string]string{"demo/app.yaml": `
app: demo
entities:
  grant:
    title: 拨款
    fields:
      code:   {type: string, label: 编号, unique: true}
      year:   {type: int, label: 年度, required: true}
      amount: {type: money, label: 金额, required: true}
      due:    {type: date, label: 到期日}
      urgent: {type: bool, label: 加急}
      sent:   {type: datetime, label: 发送时间}
      note:   {type: string, label: 备注}
    rules:
      - assert: "amount > 0"
        message: 金额应大于零
        fields: [amount]
`}

// createTogether runs the creates of inputs at once, one goroutine each,
// on the runtimes in turn, and returns each one's record and error.
func createTogether(t *testing.T, rts []*engine.Runtime, inputs []map[string]any) ([]*engine.Record, []error) {
	t.Helper()
	recs, errs := make([]*engine.Record, len(inputs)), make([]error, len(inputs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, in := range inputs {
		wg.Go(func() {
			<-start
			recs[i], errs[i] = rts[i%len(rts)].Create(context.Background(), engine.SystemActor, "demo", "grant", in)
		})
	}
	close(start)
	wg.Wait()
	return recs, errs
}

// checkTrail fails unless audit verify and the wider proof pass, and every
// record of demo.grant has exactly one audit row, a create.
func checkTrail(t *testing.T, rt *engine.Runtime, records int) {
	t.Helper()
	ctx := context.Background()
	rep := enginetest.Must(rt.VerifyProof(ctx))
	if !rep.OK() {
		t.Fatalf("the proof does not verify: %v %v", rep.Audit.Broken, rep.Problems)
	}
	var n, rows, distinct int
	if err := rt.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM demo_grant`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := rt.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT record_id) FROM growth_audit WHERE app = 'demo' AND entity = 'grant' AND action = 'create'`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != records || rows != records || distinct != records {
		t.Fatalf("%d records, %d create audit rows for %d records; want %d of each", n, rows, distinct, records)
	}
}

// withBadOnes makes create 17 of in take the code taken, already written,
// and create 30 break the rule (checkBadOnesFailAlone).
func withBadOnes(in []map[string]any, taken string) []map[string]any {
	in[17]["code"] = taken
	in[30]["amount"] = "-1.00"
	return in
}

// checkBadOnesFailAlone fails unless the creates of withBadOnes failed, each
// with its own answer, and every other one was written.
func checkBadOnesFailAlone(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		switch i {
		case 17:
			if !errors.Is(err, errcode.Duplicate) {
				t.Fatalf("the create of a taken code: %v, want duplicate", err)
			}
		case 30:
			var ve *engine.ValidationError
			if !errors.As(err, &ve) || ve.Fields["amount"] == nil {
				t.Fatalf("the create breaking the rule: %v, want a validation error on amount", err)
			}
		default:
			if err != nil {
				t.Fatalf("create %d failed beside a bad request: %v", i, err)
			}
		}
	}
}

// checkAsAnswered fails unless every create of grantInputs(…, tag) was
// written and answered with its own record, and each record holds what its
// create was answered with.
func checkAsAnswered(t *testing.T, rt *engine.Runtime, tag string, recs []*engine.Record, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if recs[i].Values["code"] != fmt.Sprintf("%s-%d", tag, i) {
			t.Fatalf("create %d answered record %d with code %v", i, recs[i].ID, recs[i].Values["code"])
		}
		got := enginetest.Must(rt.Get(context.Background(), engine.SystemActor, "demo", "grant", recs[i].ID))
		for _, f := range []string{"code", "year", "amount", "due", "urgent", "sent", "note"} {
			if fmt.Sprint(got.Values[f]) != fmt.Sprint(recs[i].Values[f]) {
				t.Fatalf("record %d holds %s = %v, its create was answered with %v", recs[i].ID, f, got.Values[f], recs[i].Values[f])
			}
		}
	}
}

func grantInputs(n int, tag string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"code": fmt.Sprintf("%s-%d", tag, i), "year": json.Number("2026"), "amount": fmt.Sprintf("%d.50", i+1)}
		if i%2 == 0 { // every other one with the fields of other kinds; the rest NULL
			out[i]["due"], out[i]["urgent"], out[i]["sent"], out[i]["note"] = "2026-12-31", i%4 == 0, "2026-12-06T20:00:00Z", "备注"
		}
	}
	return out
}

// Concurrent creates are written in batches on PostgreSQL; a request that
// the database refuses (a unique value taken) or its own checks refuse (a
// rule) fails alone, with its own answer, and every other create of its
// batch is written; the audit trail verifies and each record has its own
// audit row.
func TestBatchedCreatesFailAlone(t *testing.T) {
	p := enginetest.Load(t, batchDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		rts := []*engine.Runtime{rt}
		recs, errs := createTogether(t, rts, grantInputs(48, "a"))
		checkAsAnswered(t, rt, "a", recs, errs)
		batches, batched, _ := rt.CreateBatchCounts()
		if d == engine.Postgres && (batches == 0 || batched == 0) {
			t.Fatalf("no create was batched (%d batches, %d creates)", batches, batched)
		}
		t.Logf("%d creates: %d batches, %d creates batched", len(recs), batches, batched)

		_, errs = createTogether(t, rts, withBadOnes(grantInputs(48, "b"), "a-3"))
		checkBadOnesFailAlone(t, errs)
		if _, _, fellBack := rt.CreateBatchCounts(); d == engine.Postgres && fellBack == 0 {
			t.Fatal("the batch holding the taken code did not run its creates alone")
		}
		checkTrail(t, rt, 48+46)
	})
}

// Two servers on one database batch their creates side by side: every
// create is written once, and the audit trail verifies.
func TestBatchedCreatesTwoServers(t *testing.T) {
	p := enginetest.Load(t, batchDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		dsn := enginetest.FreshDSN(t, d)
		var rts []*engine.Runtime
		for range 2 {
			rts = append(rts, enginetest.Must(engine.Start(ctx, enginetest.Connect(t, dsn), p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()})))
		}
		for round := range 3 {
			_, errs := createTogether(t, rts, grantInputs(64, fmt.Sprint(round)))
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, create %d: %v", round, i, err)
				}
			}
		}
		checkTrail(t, rts[0], 3*64)
	})
}

// A batched create answers what the same create written alone answers.
func TestBatchedCreateAnswersAsAlone(t *testing.T) {
	p := enginetest.Load(t, batchDefs)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, p, engine.OpenAccess{})
		rt.SetClock(time.Date(2026, 12, 6, 20, 0, 0, 123456000, time.UTC))
		ctx := context.Background()
		answer := func(batching bool, code string) string {
			before := engine.SetCreateBatching(batching)
			defer engine.SetCreateBatching(before)
			rec := enginetest.Must(rt.Create(ctx, engine.SystemActor, "demo", "grant", map[string]any{"code": code, "year": json.Number("2026"), "amount": "12.30"}))
			rec.ID = 0
			rec.Values["code"] = ""
			return string(enginetest.Must(json.Marshal(rec)))
		}
		alone, batched := answer(false, "x"), answer(true, "y")
		if alone != batched {
			t.Fatalf("batched create answered\n%s\nalone\n%s", batched, alone)
		}
		if _, n, _ := rt.CreateBatchCounts(); d == engine.Postgres && n != 1 {
			t.Fatalf("%d creates batched, want 1", n)
		}
		checkTrail(t, rt, 2)
	})
}

// A server whose definitions another server has replaced refuses every
// create, batched or not, with definitions_changed, and writes nothing.
func TestBatchedCreatesRefusedAfterAnotherServerMigrates(t *testing.T) {
	v2 := map[string]string{"demo/app.yaml": strings.Replace(batchDefs["demo/app.yaml"], "      year:   {type: int, label: 年度, required: true}\n",
		"      year:   {type: int, label: 年度, required: true}\n      extra:  string\n", 1)}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		ctx := context.Background()
		dsn := enginetest.FreshDSN(t, d)
		start := func(files map[string]string) *engine.Runtime {
			return enginetest.Must(engine.Start(ctx, enginetest.Connect(t, dsn), enginetest.Load(t, files),
				engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		}
		old := start(batchDefs)
		_, errs := createTogether(t, []*engine.Runtime{old}, grantInputs(20, "a"))
		for i, err := range errs {
			if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
		}
		start(v2)
		_, errs = createTogether(t, []*engine.Runtime{old}, grantInputs(20, "b"))
		for i, err := range errs {
			var ue *engine.UnavailableError
			if !errors.As(err, &ue) || ue.Code != "definitions_changed" {
				t.Fatalf("create %d on the old server: %v, want definitions_changed", i, err)
			}
		}
		if _, _, fellBack := old.CreateBatchCounts(); d == engine.Postgres && fellBack == 0 {
			t.Fatal("no batch gave up on the changed definitions")
		}
		checkTrail(t, old, 20)
	})
}

// BenchmarkBatchedCreates creates b.N records from 50 goroutines through
// Runtime.Create on PostgreSQL (no HTTP), batched and each alone, and
// reports how many creates a batch wrote on average and how many ran alone
// (docs/performance.md).
func BenchmarkBatchedCreates(b *testing.B) {
	if os.Getenv(enginetest.PostgresEnv) == "" {
		b.Skipf("needs %s", enginetest.PostgresEnv)
	}
	p := enginetest.Load(b, batchDefs)
	for _, batching := range []bool{true, false} {
		b.Run(map[bool]string{true: "batched", false: "alone"}[batching], func(b *testing.B) {
			before := engine.SetCreateBatching(batching)
			defer engine.SetCreateBatching(before)
			rt := enginetest.Start(b, engine.Postgres, p, engine.OpenAccess{})
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range 50 {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, err := rt.Create(context.Background(), engine.SystemActor, "demo", "grant", map[string]any{"code": strconv.FormatInt(i, 10), "year": 2026, "amount": "1.00"}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			batches, batched, fellBack := rt.CreateBatchCounts()
			b.ReportMetric(float64(batched)/float64(max(batches, 1)), "creates/batch")
			b.ReportMetric(float64(fellBack), "ran-alone")
		})
	}
}

// A batch that PostgreSQL refuses a lock, because another transaction holds
// its audit heads a little longer than a batch waits (as a batch before it
// still committing on a busy disk does), tries again instead of running its
// creates alone: every create is written, in batches, and the trail
// verifies.
func TestBatchRefusedALockTriesAgain(t *testing.T) {
	rt := enginetest.Start(t, engine.Postgres, enginetest.Load(t, batchDefs), engine.OpenAccess{})
	ctx := context.Background()
	rts := []*engine.Runtime{rt}
	for i, err := range second(createTogether(t, rts, grantInputs(32, "a"))) {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	tx, err := rt.DB.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	held, err := tx.ExecContext(ctx, `SELECT chain FROM growth_audit_heads WHERE chain LIKE 'demo.grant#%' FOR UPDATE`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := held.RowsAffected(); n != 16 {
		t.Fatalf("%d heads held, want the entity's 16", n)
	}
	_, _, fellBefore := rt.CreateBatchCounts()
	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = tx.Rollback()
	}()
	for i, err := range second(createTogether(t, rts, grantInputs(32, "b"))) {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if _, _, fell := rt.CreateBatchCounts(); fell != fellBefore {
		t.Fatalf("%d creates ran alone after their batch was refused a lock, want none", fell-fellBefore)
	}
	if rt.CreateBatchRetries() == 0 {
		t.Fatal("no batch was tried again, yet the heads were held past the batch's lock timeout")
	}
	checkTrail(t, rt, 64)
}

func second[A, B any](_ A, b B) B { return b }

// Fifty clients creating one after another: the creates that one batch
// answers come back while the next batch is being led, and join one batch
// instead of leaving a batch of one or two between every two batches of
// nearly all the clients (pg_create_batch.go, cohort). Every create is
// still written, in batches, and the trail verifies.
func TestBatchesGatherTheCreatesComingBack(t *testing.T) {
	rt := enginetest.Start(t, engine.Postgres, enginetest.Load(t, batchDefs), engine.OpenAccess{})
	ctx := context.Background()
	const clients, each = 50, 40
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := next.Add(1); i <= clients*each; i = next.Add(1) {
				if _, err := rt.Create(ctx, engine.SystemActor, "demo", "grant", map[string]any{"code": strconv.FormatInt(i, 10), "year": 2026, "amount": "1.00"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	checkTrail(t, rt, clients*each)
	// The audit rows of one batch share its transaction.
	rows, err := rt.DB.Read.QueryContext(ctx, `SELECT COUNT(*) FROM growth_audit WHERE app = 'demo' AND entity = 'grant' GROUP BY xmin::text`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var batches, small int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		batches++
		if n <= 2 {
			small++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if small*10 > batches {
		t.Errorf("%d of %d batches wrote one or two creates; want under a tenth", small, batches)
	}
	t.Logf("%d batches for %d creates, %d of one or two", batches, clients*each, small)
}

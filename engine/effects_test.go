package engine_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// probeEffect notes how many ledger rows a spend's creation had written
// when it ran.
type probeEffect struct{ saw *[]int }

func (p probeEffect) Apply(_ engine.EffectContext, ch *engine.Change) error {
	if ch.Entity.Name == "spend" && ch.Action == "create" {
		*p.saw = append(*p.saw, len(engine.LedgerRowsOf(ch)))
	}
	return nil
}

// TestEffectsRunInRegistryOrder adds two effects to the registry, one before
// the ledger and one after it, and finds them run there: the one before sees
// no ledger row of the change yet, the one after sees the reservation.
func TestEffectsRunInRegistryOrder(t *testing.T) {
	var before, after []int
	defer engine.RegisterEffect("probe before", "idempotency", func(*engine.Runtime) engine.Effect { return probeEffect{&before} })()
	defer engine.RegisterEffect("probe after", "ledger", func(*engine.Runtime) engine.Effect { return probeEffect{&after} })()
	f := startFund(t, engine.SQLite)
	// The fund app has workflows and a ledger, and no postings, rollups,
	// blocks, files or schedules: those effects are left out.
	want := []string{"workflow history", "idempotency", "probe before", "ledger", "probe after", "exchange"}
	if got := f.rt.EffectNames(); !slices.Equal(got, want) {
		t.Errorf("effects run: %v, want %v", got, want)
	}
	var registered []string
	for _, name := range engine.RegisteredEffects() {
		if slices.Contains(want, name) {
			registered = append(registered, name)
		}
	}
	if !slices.Equal(registered, want) {
		t.Errorf("the runtime runs %v, in another order than the registry's %v", want, registered)
	}
	f.mustCreate("spend", spendOn(f.grant("100.00"), 0, "10.00"))
	if !slices.Equal(before, []int{0}) || !slices.Equal(after, []int{1}) {
		t.Errorf("before the ledger the spend had written %v ledger rows, after it %v; want [0] and [1]", before, after)
	}
}

// countingEffect counts the creates of the entities it acts on; it has no
// bulk step.
type countingEffect struct {
	only    string // entity name; "" acts on every entity
	creates *atomic.Int64
}

func (c countingEffect) Apply(_ engine.EffectContext, ch *engine.Change) error {
	if ch.Action == "create" && (c.only == "" || ch.Entity.Name == c.only) {
		c.creates.Add(1)
	}
	return nil
}

// scopedCounting acts on one entity only, and says so.
type scopedCounting struct{ countingEffect }

func (c scopedCounting) ActsOn(e *metamodel.Entity) bool { return e.Name == c.only }

// TestEffectWithoutBulkStep: an effect that has no bulk step keeps the
// imports into the entities it acts on row by row, its Apply run for every
// record, and the report names it; imports into other entities still go by
// COPY. An effect that does not say which entities it acts on keeps every
// import row by row.
func TestEffectWithoutBulkStep(t *testing.T) {
	postgresOnly(t)
	ctx := context.Background()
	var spends, all atomic.Int64
	scenarios := []struct {
		name   string
		effect engine.Effect
		count  *atomic.Int64
		want   map[string]string // entity → method
		// creates is how many creates the effect sees: the grant created
		// first, then the two spends and the grant imported.
		creates int64
	}{
		{"acts on spends", scopedCounting{countingEffect{"spend", &spends}}, &spends, map[string]string{"spend": engine.ImportByRows, "grant": engine.ImportByCopy}, 2},
		{"acts on every entity", countingEffect{"", &all}, &all, map[string]string{"spend": engine.ImportByRows, "grant": engine.ImportByRows}, 4},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			defer engine.RegisterEffect("counter", "exchange", func(*engine.Runtime) engine.Effect { return sc.effect })()
			f := startFund(t, engine.Postgres)
			sc.count.Store(0)
			g := itoa(f.grant("1000.00"))
			files := map[string]string{
				"spend": "grant,agency,func_class,amount\n" + g + ",101001,2050201,10.00\n" + g + ",101001,2050201,20.00\n",
				"grant": "agency,func_class,amount\n101001,2050201,10.00\n",
			}
			for _, entity := range []string{"spend", "grant"} {
				report, err := f.rt.Import(ctx, fundClerk, "fund", entity, strings.NewReader(files[entity]), engine.FormatCSV, nil)
				if err != nil {
					t.Fatalf("%s: %v %v", entity, err, rowProblems(report))
				}
				if report.Method != sc.want[entity] {
					t.Errorf("%s written by %q (%s), want %q", entity, report.Method, report.Why, sc.want[entity])
				}
				if report.Method == engine.ImportByRows && report.Why != `effect "counter" has no bulk step` {
					t.Errorf("%s: the report says %q, not that effect counter has no bulk step", entity, report.Why)
				}
			}
			if got := sc.count.Load(); got != sc.creates {
				t.Errorf("the effect ran for %d creates, want %d", got, sc.creates)
			}
			f.verify()
		})
	}
}

// TestLedgerKindsAreOneTable adds a movement kind and an adjustment kind
// that writes it in the tables of metamodel, and nothing else: definitions
// may use the new adjustment kind, it moves the balance as its row says,
// the ledger row carries the new kind, and ledger and audit verification
// replay it.
func TestLedgerKindsAreOneTable(t *testing.T) {
	movements, kinds := metamodel.LedgerMovements, metamodel.AdjustKinds
	metamodel.LedgerMovements = append(slices.Clone(movements), metamodel.LedgerMovement{Kind: "bonus", Approved: 1, Frozen: 1, Label: "奖励", LabelEn: "bonus"})
	metamodel.AdjustKinds = append(slices.Clone(kinds), metamodel.AdjustKind{Kind: "award", Movement: "bonus", Strict: true, Label: "奖励", LabelEn: "award"})
	defer func() { metamodel.LedgerMovements, metamodel.AdjustKinds = movements, kinds }()

	defs := map[string]string{"fund/app.yaml": strings.Replace(ledgerDefs["fund/app.yaml"], "values: [increase, decrease, transfer, change, freeze, unfreeze]", "values: [increase, award]", 1)}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := &fundApp{t: t, rt: enginetest.Start(t, d, enginetest.Load(t, defs), engine.OpenAccess{})}
		g := f.grant("1000.00")
		a := f.mustCreate("adjustment", map[string]any{"grant": g, "kind": "award", "amount": "250.00"})
		f.mustFire("adjustment", a.ID, "approve")
		if got := f.balance("grant", g); got != "1,250.00/0.00/0.00/250.00/1,000.00" {
			t.Errorf("grant after the award: %s, want 1,250.00 approved and 250.00 frozen", got)
		}
		if got := f.ledgerKinds("adjustment", a.ID, "source"); got != "bonus:250.00" {
			t.Errorf("the award's ledger rows: %s", got)
		}
		if !slices.Contains(engine.LedgerKinds(), "bonus") {
			t.Errorf("engine.LedgerKinds() = %v, without bonus", engine.LedgerKinds())
		}
		f.verify()
	})
}

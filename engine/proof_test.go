package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/keys"
)

// proofAttack is one thing a hostile insider with write access to the
// database does by hand, and what `growth audit verify` (VerifyProof, and
// VerifyAnchors when anchored) must then say.
type proofAttack struct {
	name string
	// anchor writes an anchor before the attack and verifies with it.
	anchor bool
	tamper func(t *testing.T, x *proofScene)
	want   []string
}

// proofScene is a fund with a released grant #1 of 1,000,000.00 and a plan
// #1 of 100.00 submitted on it (100.00 reserved on the grant).
type proofScene struct {
	f       *fundApp
	ctx     context.Context
	anchors string
	pub     *keys.PublicKey
}

func (x *proofScene) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := x.f.rt.DB.Write.ExecContext(x.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (x *proofScene) auditID(t *testing.T, chain string, seq int) int64 {
	t.Helper()
	var id int64
	q := fmt.Sprintf("SELECT id FROM growth_audit WHERE chain = '%s' AND chain_seq = %d", chain, seq)
	if err := x.f.rt.DB.Read.QueryRowContext(x.ctx, q).Scan(&id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

// findings is everything verification reports, one finding a line.
func (x *proofScene) findings(t *testing.T) string {
	t.Helper()
	p := enginetest.Must(x.f.rt.VerifyProof(x.ctx))
	l := enginetest.Must(x.f.rt.VerifyLedger(x.ctx))
	lines := append(append(append([]string{}, p.Audit.Broken...), p.Problems...), p.Ledger.Problems...)
	lines = append(lines, l.Problems...)
	if x.anchors != "" {
		a := enginetest.Must(x.f.rt.DB.VerifyAnchors(x.ctx, x.anchors, x.pub))
		lines = append(lines, a.Problems...)
	}
	return strings.Join(lines, "\n")
}

const forgedIncrease = `INSERT INTO growth_ledger (account_app, account_entity, account_id, kind, amount, source_app, source_entity, source_id, source_version, event, actor, at, idempotency_key, note, hash)
VALUES ('fund', 'grant', 1, 'increase', 100000000, 'fund', 'adjustment', 77, 2, 'approve', 'mallory', '2026-01-01T00:00:00.000000Z', '', '', '')`

var proofAttacks = []proofAttack{
	{name: "attack 1: reservation deleted and reserved lowered to match", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `DELETE FROM growth_ledger WHERE source_entity = 'plan' AND kind = 'reserve'`)
		x.exec(t, `UPDATE growth_balances SET reserved = reserved - 10000 WHERE account_entity = 'grant' AND account_id = 1`)
	}, want: []string{"(submit of fund.plan #1, version 2) committed to 1 ledger row(s), none is left (deleted by hand)"}},
	{name: "attack 1: forged increase from a nonexistent adjustment, approved raised to match", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, forgedIncrease)
		x.exec(t, `UPDATE growth_balances SET approved = approved + 100000000 WHERE account_entity = 'grant' AND account_id = 1`)
	}, want: []string{
		"(increase 1,000,000.00 on fund.grant #1, from approve of fund.adjustment #77 version 2): no audit row records the change it names (forged)",
		"(increase 1,000,000.00 on fund.grant #1, from approve of fund.adjustment #77 version 2): its source record fund.adjustment #77 does not exist",
	}},
	{name: "attack 1 on a database written before the wider proof: forged row among the old ones", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE growth_proof_marks SET value = 1000 WHERE name = 'ledger_before'`)
		x.exec(t, forgedIncrease)
		x.exec(t, `UPDATE growth_balances SET approved = approved + 100000000 WHERE account_entity = 'grant' AND account_id = 1`)
	}, want: []string{"its source record fund.adjustment #77 does not exist"}},
	{name: "proof marks moved over rows written with the wider proof", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE growth_proof_marks SET value = 1000`)
	}, want: []string{
		"proof mark ledger_before is 1000, but ledger row 1 (open 1,000,000.00 on fund.grant #1, from release of fund.grant #1 version 2) was written with the wider proof (the mark was moved by hand)",
		"was written with the wider proof, but the proof mark audit_before (1000) says it came before (the mark was moved by hand)",
	}},
	{name: "attack 1: ledger row edited, balance moved to match", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE growth_ledger SET amount = 100 WHERE source_entity = 'plan' AND kind = 'reserve'`)
		x.exec(t, `UPDATE growth_balances SET reserved = reserved - 9900 WHERE account_entity = 'grant' AND account_id = 1`)
	}, want: []string{"(reserve 1.00 on fund.grant #1, from submit of fund.plan #1 version 2): its content no longer matches its hash (edited by hand)"}},
	{name: "attack 1 by an insider who knows the hash: ledger row edited and rehashed", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE growth_ledger SET amount = 100 WHERE source_entity = 'plan' AND kind = 'reserve'`)
		x.exec(t, `UPDATE growth_balances SET reserved = reserved - 9900 WHERE account_entity = 'grant' AND account_id = 1`)
		var id int64
		if err := x.f.rt.DB.Read.QueryRowContext(x.ctx, `SELECT id FROM growth_ledger WHERE source_entity = 'plan'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if err := engine.RehashLedgerRow(x.ctx, x.f.rt.DB, id); err != nil {
			t.Fatal(err)
		}
	}, want: []string{"(submit of fund.plan #1, version 2) committed to 1 ledger row(s), these 1 differ from them"}},
	{name: "a balance edited", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE growth_balances SET reserved = 0 WHERE account_entity = 'grant' AND account_id = 1`)
	}, want: []string{"fund.grant #1: reserved is 0.00, the ledger rows add up to 100.00 (difference -100.00)"}},
	{name: "attack 2: amount of a record edited in its table", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE fund_plan SET amount = 100 WHERE id = 1`)
	}, want: []string{`fund.plan #1 (table fund_plan) differs from its audit trail (last written by submit, audit row `, `): amount is "1.00", the audit trail says "100.00"`}},
	{name: "attack 2: state of a record edited", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE fund_plan SET state = 'approved' WHERE id = 1`)
	}, want: []string{`fund.plan #1 (table fund_plan) differs from its audit trail`, `state is "approved", the audit trail says "submitted"`}},
	{name: "attack 2: a system column edited", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE fund_plan SET created_by = 'mallory' WHERE id = 1`)
	}, want: []string{`fund.plan #1 (table fund_plan) differs from its audit trail`, "no field differs, so a system column (created_by, created_at, updated_at or def_version) was changed"}},
	{name: "attack 2: a record inserted by hand", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `INSERT INTO fund_plan (version, created_by, created_at, updated_at, def_version, state, "grant", agency, func_class, amount)
SELECT version, created_by, created_at, updated_at, def_version, state, "grant", agency, func_class, amount FROM fund_plan WHERE id = 1`)
	}, want: []string{"fund.plan #2 (table fund_plan): no audit row records this record (inserted by hand)"}},
	{name: "attack 2: a record deleted by hand", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `DELETE FROM fund_plan WHERE id = 1`)
	}, want: []string{"fund.plan #1 (table fund_plan): the row is missing, but its audit trail has no delete (last written by submit, audit row "}},
	{name: "audit row edited", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE growth_audit SET actor = 'mallory' WHERE chain = 'fund.plan#01' AND chain_seq = 1`)
	}, want: []string{"chain fund.plan#01: row id ", "(sequence 1, create fund.plan #1) was edited: its content no longer matches its hash"}},
	{name: "insider who knows the hash: audit row rewritten and rehashed", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `UPDATE growth_audit SET actor = 'mallory' WHERE chain = 'fund.plan#01' AND chain_seq = 1`)
		if err := engine.RehashAuditRow(x.ctx, x.f.rt.DB, x.auditID(t, "fund.plan#01", 1)); err != nil {
			t.Fatal(err)
		}
	}, want: []string{"chain fund.plan#01: row id ", "(sequence 2) does not follow the previous row's hash (the row before it was changed or removed)"}},
	{name: "last audit row deleted, head left", tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `DELETE FROM growth_audit WHERE chain = 'fund.plan#01' AND chain_seq = 2`)
	}, want: []string{"chain fund.plan#01: the last row is sequence 1, but the head says 2 (the last rows were deleted)"}},
	{name: "attack 3: the last change undone everywhere and the head set back", anchor: true, tamper: func(t *testing.T, x *proofScene) {
		x.exec(t, `DELETE FROM growth_audit WHERE chain = 'fund.plan#01' AND chain_seq = 2`)
		x.exec(t, `UPDATE growth_audit_heads SET chain_seq = 1, hash = (SELECT hash FROM growth_audit WHERE chain = 'fund.plan#01' AND chain_seq = 1) WHERE chain = 'fund.plan#01'`)
		x.exec(t, `UPDATE fund_plan SET state = 'draft', version = 1, updated_at = created_at WHERE id = 1`)
		x.exec(t, `DELETE FROM growth_ledger WHERE source_entity = 'plan'`)
		x.exec(t, `UPDATE growth_balances SET reserved = reserved - 10000 WHERE account_entity = 'grant' AND account_id = 1`)
		// Without an anchor nothing in the database tells.
		saved := x.anchors
		x.anchors = ""
		if got := x.findings(t); got != "" {
			t.Fatalf("the undone change should leave a consistent database, found:\n%s", got)
		}
		x.anchors = saved
	}, want: []string{"chain fund.plan#01: anchored at sequence 2 (anchor-", "but the chain now ends at sequence 1: rows were cut off the end"}},
}

// runProofAttack sets the scene, checks it verifies, runs the attack and
// returns what verification reports.
func runProofAttack(t *testing.T, d engine.Dialect, a proofAttack) string {
	t.Helper()
	f := startFund(t, d)
	x := &proofScene{f: f, ctx: context.Background()}
	g := f.grant("1000000.00")
	p := f.plan(g, "100.00")
	f.mustFire("plan", p, "submit")
	if g != 1 || p != 1 {
		t.Fatalf("scene: grant #%d, plan #%d", g, p)
	}
	if a.anchor {
		signer := enginetest.Must(keys.Generate(keys.Ed25519))
		x.pub, x.anchors = signer.Public(), filepath.Join(t.TempDir(), "anchors")
		if _, _, err := f.rt.DB.WriteAnchor(x.ctx, x.anchors, signer, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if got := x.findings(t); got != "" {
		t.Fatalf("before the attack, verification reports:\n%s", got)
	}
	a.tamper(t, x)
	return x.findings(t)
}

// missing lists the wanted findings not reported.
func (a proofAttack) missing(got string) []string {
	var out []string
	for _, w := range a.want {
		if !strings.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}

// TestProofCatchesInsiderAttacks reproduces each attack of issue 13 by hand
// on the database and checks that verification names it, in the words an
// operator reads from `growth audit verify`.
func TestProofCatchesInsiderAttacks(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		for _, a := range proofAttacks {
			t.Run(a.name, func(t *testing.T) {
				got := runProofAttack(t, d, a)
				if m := a.missing(got); len(m) > 0 {
					t.Fatalf("verification does not say %q; it says:\n%s", m, got)
				}
			})
		}
	})
}

// TestProofWeakeningsFailTheSuite plants each weakening of the proof in turn
// and shows that the attack tests above then fail: each check is needed, and
// the suite would notice it gone.
func TestProofWeakeningsFailTheSuite(t *testing.T) {
	relevant := map[string][]string{
		"links":          {"insider who knows the hash: audit row rewritten and rehashed"},
		"heads":          {"last audit row deleted, head left"},
		"content":        {"audit row edited", "attack 1: ledger row edited, balance moved to match"},
		"images":         {"attack 1: reservation deleted and reserved lowered to match", "attack 2: amount of a record edited in its table", "attack 2: a record inserted by hand", "attack 2: a record deleted by hand", "attack 1 by an insider who knows the hash: ledger row edited and rehashed"},
		"ledger-sources": {"attack 1 on a database written before the wider proof: forged row among the old ones"},
	}
	byName := map[string]proofAttack{}
	for _, a := range proofAttacks {
		byName[a.name] = a
	}
	for _, check := range engine.VerifyChecks {
		t.Run("without "+check, func(t *testing.T) {
			if len(relevant[check]) == 0 {
				t.Fatalf("no attack test is named for the %s check", check)
			}
			restore := engine.SetVerifyCheck(check, false)
			defer restore()
			for _, name := range relevant[check] {
				a, ok := byName[name]
				if !ok {
					t.Fatalf("no attack %q", name)
				}
				got := runProofAttack(t, engine.SQLite, a)
				if len(a.missing(got)) == 0 {
					t.Errorf("with the %s check off, %q is still reported as before: the check is not what catches it", check, name)
				}
			}
		})
	}
}

// TestProofOfADatabaseWrittenBefore: a database whose rows were written
// before the wider proof still verifies; its records are checked field by
// field against their audit trail's changes (a hand edit is named), and each
// record takes the full proof at its next write.
func TestProofOfADatabaseWrittenBefore(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		ctx := context.Background()
		x := &proofScene{f: f, ctx: ctx}
		g := f.grant("1000000.00")
		p := f.plan(g, "100.00")
		f.mustFire("plan", p, "submit")
		if err := engine.DowngradeProof(ctx, f.rt.DB); err != nil {
			t.Fatal(err)
		}
		rep := enginetest.Must(f.rt.VerifyProof(ctx))
		if !rep.OK() || rep.Legacy != 2 || rep.Records != 2 {
			t.Fatalf("old rows: want ok with 2 of 2 records before the proof, got ok=%v legacy=%d records=%d:\n%s", rep.OK(), rep.Legacy, rep.Records, x.findings(t))
		}
		x.exec(t, `UPDATE fund_plan SET amount = 100 WHERE id = 1`)
		if got, want := x.findings(t), `fund.plan #1 (table fund_plan) differs from its audit trail (last written by submit, audit row 4): amount is "1.00", the audit trail says "100.00"`; !strings.Contains(got, want) {
			t.Fatalf("a hand edit of an old record: want %q, got:\n%s", want, got)
		}
		x.exec(t, `UPDATE fund_plan SET amount = 10000 WHERE id = 1`)
		f.mustFire("plan", p, "approve")
		rep = enginetest.Must(f.rt.VerifyProof(ctx))
		if !rep.OK() || rep.Legacy != 1 {
			t.Fatalf("after the plan's next write: want ok with 1 record before the proof, got ok=%v legacy=%d:\n%s", rep.OK(), rep.Legacy, x.findings(t))
		}
		x.exec(t, `UPDATE fund_plan SET created_by = 'mallory' WHERE id = 1`)
		if got := x.findings(t); !strings.Contains(got, "no field differs, so a system column") {
			t.Fatalf("the plan's full proof should name a system column edit, got:\n%s", got)
		}
	})
}

// TestAnchorsHold: an anchor is signed by the platform key and names every
// chain head; later writes extend it; a changed anchor file, another key,
// a moved proof mark and a chain rewritten with every hash recomputed are
// each named; with an Ed25519 platform key and with an SM2 one.
func TestAnchorsHold(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		for _, kind := range keys.Kinds {
			t.Run(string(kind), func(t *testing.T) { anchorsHold(t, d, kind) })
		}
	})
}

func anchorsHold(t *testing.T, d engine.Dialect, kind keys.Kind) {
	{
		scenarios := []struct {
			name   string
			tamper func(t *testing.T, x *proofScene, file string)
			want   string
		}{
			{"later writes extend the anchor", func(t *testing.T, x *proofScene, file string) {}, ""},
			{"anchor file changed", func(t *testing.T, x *proofScene, file string) {
				data := enginetest.Must(os.ReadFile(file))
				data = []byte(strings.Replace(string(data), `"seq": 2`, `"seq": 1`, 1))
				if err := os.WriteFile(file, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}, "the signature does not match its content (the file was changed)"},
			{"anchor signed by another key", func(t *testing.T, x *proofScene, file string) {
				other := enginetest.Must(keys.Generate(kind))
				x.pub = other.Public()
			}, "not by the platform's key (" + string(kind) + " "},
			{"proof mark moved", func(t *testing.T, x *proofScene, file string) {
				x.exec(t, `UPDATE growth_proof_marks SET value = 1000 WHERE name = 'ledger_before'`)
			}, "proof mark ledger_before was 0 when anchored, now 1000 (changed by hand)"},
			{"chain rewritten with every hash recomputed", func(t *testing.T, x *proofScene, file string) {
				x.exec(t, `UPDATE growth_audit SET actor = 'mallory' WHERE chain = 'fund.plan#01' AND chain_seq = 1`)
				if err := engine.RehashChain(x.ctx, x.f.rt.DB, "fund.plan#01"); err != nil {
					t.Fatal(err)
				}
				if a := enginetest.Must(x.f.rt.DB.VerifyAudit(x.ctx)); !a.OK() {
					t.Fatalf("a chain rewritten from its start verifies on its own, got %v", a.Broken)
				}
			}, "chain fund.plan#01: the row at sequence 2 is not the one anchored (anchor-"},
		}
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				f := startFund(t, d)
				x := &proofScene{f: f, ctx: context.Background()}
				g := f.grant("1000000.00")
				p := f.plan(g, "100.00")
				f.mustFire("plan", p, "submit")
				signer := enginetest.Must(keys.Generate(kind))
				x.pub, x.anchors = signer.Public(), filepath.Join(t.TempDir(), "anchors")
				file, anchor, err := f.rt.DB.WriteAnchor(x.ctx, x.anchors, signer, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if anchor.KeyKind != string(kind) || anchor.KeyFingerprint != signer.Public().Fingerprint() {
					t.Fatalf("anchor names key %s %s, want %s %s", anchor.KeyKind, anchor.KeyFingerprint, kind, signer.Public().Fingerprint())
				}
				if h := anchor.Heads["fund.plan#01"]; h.Seq != 2 {
					t.Fatalf("anchor heads: %+v", anchor.Heads)
				}
				f.mustFire("plan", p, "approve")
				f.plan(g, "50.00")
				sc.tamper(t, x, file)
				got := x.findings(t)
				switch {
				case sc.want == "" && got != "":
					t.Fatalf("want no findings, got:\n%s", got)
				case !strings.Contains(got, sc.want):
					t.Fatalf("want %q, got:\n%s", sc.want, got)
				}
			})
		}
	}
}

// A rollup into a parent of the same entity whose audit rows share the
// child's chain (ids 1 and 17 of 16 chains): the parent's rollup row is
// written while the child's write holds the chain for its own row, which
// follows it; the chain and both records verify.
func TestProofSameChainNestedWrite(t *testing.T) {
	defs := map[string]string{"tree/app.yaml": `
app: tree
title: 树
entities:
  node:
    fields:
      parent: {type: ref, entity: node}
      amount: {type: money, required: true}
      total:  {type: rollup, entity: node, via: parent, field: amount, agg: sum}
`}
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		rt := enginetest.Start(t, d, enginetest.Load(t, defs), engine.OpenAccess{})
		ctx := context.Background()
		for i := 1; i <= 17; i++ {
			v := map[string]any{"amount": "1.00"}
			if i == 17 {
				v["parent"] = 1
			}
			enginetest.Must(rt.Create(ctx, fundClerk, "tree", "node", v))
		}
		parent := enginetest.Must(rt.Get(ctx, fundClerk, "tree", "node", 1))
		if got := fmt.Sprint(parent.Values["total"]); got != "1" {
			t.Fatalf("parent total %s", got)
		}
		rep := enginetest.Must(rt.VerifyProof(ctx))
		if !rep.OK() {
			t.Fatalf("verify: %v %v %v", rep.Audit.Broken, rep.Problems, rep.Ledger.Problems)
		}
	})
}

// Verification on a live server reads one snapshot: while records, their
// audit rows and their ledger rows are being written, every verification
// run finds everything in order (reading the tables one after the other
// outside a snapshot would see a record newer than its audit rows).
func TestProofVerifiesWhileWritesRun(t *testing.T) {
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		f := startFund(t, d)
		ctx := context.Background()
		g := f.grant("1000000.00")
		done := make(chan error, 1)
		go func() {
			for i := 0; i < 40; i++ {
				p, err := f.create("plan", map[string]any{"grant": g, "agency": "101001", "func_class": "2050201", "amount": "1.00"})
				if err == nil {
					err = f.fire("plan", p.ID, "submit")
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		runs := 0
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				if runs == 0 {
					t.Log("the writes ended before a verification ran")
				}
				return
			default:
			}
			rep, err := f.rt.VerifyProof(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Fatalf("verification during writes: %v %v %v", rep.Audit.Broken, rep.Problems, rep.Ledger.Problems)
			}
			runs++
		}
	})
}

package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/metamodel"
)

// run runs a subcommand and returns its exit status and standard output.
func run(t *testing.T, fn func([]string) int, args ...string) (int, string) {
	t.Helper()
	done := capture(t, &os.Stdout)
	code := fn(args)
	return code, done()
}

// capture sends what is written to *f (os.Stdout, os.Stderr) into a pipe
// until done, which puts *f back and returns what was written.
func capture(t *testing.T, f **os.File) (done func() string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := *f
	*f = w
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		out <- string(b)
	}()
	return func() string {
		w.Close()
		*f = saved
		return <-out
	}
}

const reviewData = "../../metamodel/review/testdata"

func TestAuditReportCommand(t *testing.T) {
	seeded := filepath.Join(reviewData, "seeded")
	scenarios := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"markdown findings with positions", []string{seeded}, 0, []string{
			"| high | claims/roles.yaml:6 | role clerk may both create claim and approve it",
			"| high | claims/workflow.yaml:6 | workflow claim: state archived cannot be reached",
			"| medium | claims/workflow.yaml:13 | workflow claim: transition pay has no roles",
			"| clerk 经办 | own | ✓ | ✓ | ✓ |  |  | ✓ | ✓ |  |  |",
			"```mermaid",
		}},
		{"html with drawn diagrams", []string{"--format", "html", "--definitions", seeded}, 0, []string{"<svg", "claims/roles.yaml:6"}},
		{"fail on high findings", []string{seeded, "--fail-on", "high"}, 1, nil},
		{"a higher threshold for large amounts", []string{seeded, "--large-amount", "1e12", "--fail-on", "medium"}, 1, nil},
		{"bad format", []string{seeded, "--format", "pdf"}, 2, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, out := run(t, runAuditReport, sc.args...)
			if code != sc.code {
				t.Errorf("exit status %d, want %d", code, sc.code)
			}
			for _, w := range sc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output has no %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestDiagramCommand(t *testing.T) {
	seeded := filepath.Join(reviewData, "seeded")
	scenarios := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"claims", "claim", "--definitions", seeded}, 0, "stateDiagram-v2"},
		{[]string{"--definitions", seeded, "--format", "dot", "claims", "claim"}, 0, "digraph \"claim\""},
		{[]string{"claims", "claim", "--format", "svg", "--definitions", seeded}, 0, "<svg xmlns"},
		{[]string{"claims", "nope", "--definitions", seeded}, 1, ""},
		{[]string{"claims", "claim", "--format", "png", "--definitions", seeded}, 2, ""},
	}
	for _, sc := range scenarios {
		code, out := run(t, runDiagram, sc.args...)
		if code != sc.code || !strings.Contains(out, sc.want) {
			t.Errorf("growth diagram %s: exit %d, want %d; output %.80q, want %q", strings.Join(sc.args, " "), code, sc.code, out, sc.want)
		}
	}
}

// TestDiffCommand compares two folders, then the same two versions as the
// runtime stored them, and expects the same change list.
func TestDiffCommand(t *testing.T) {
	oldDir, newDir := filepath.Join(reviewData, "diff", "old"), filepath.Join(reviewData, "diff", "new")
	golden, err := os.ReadFile(filepath.Join(reviewData, "golden", "diff.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Every change of diff.txt is printed, the money ones (the quorum)
	// under their own heading.
	hasAll := func(out string) bool {
		for _, line := range strings.Split(strings.TrimSpace(string(golden)), "\n") {
			if !strings.Contains(out, line+"\n") {
				return false
			}
		}
		return strings.Contains(out, "money controls (1 change(s), 0 weaken a control):\n  claims: workflow claim: transition approve now needs 2 distinct approvals (was 1)\nother changes:\n")
	}
	code, out := run(t, runDiff, oldDir, newDir)
	if code != 1 || !hasAll(out) {
		t.Fatalf("diff of folders: exit %d, output:\n%s\nwant the changes of diff.txt", code, out)
	}
	if code, out := run(t, runDiff, newDir, newDir); code != 0 || !strings.HasPrefix(out, "no changes") {
		t.Errorf("a folder against itself: exit %d, %q", code, out)
	}

	dbPath := filepath.Join(t.TempDir(), "growth.db")
	var hashes []string
	for _, dir := range []string{oldDir, newDir} {
		p, err := metamodel.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		db, err := engine.Open(context.Background(), "sqlite:"+dbPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Start(context.Background(), db, p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger(), AllowDestructive: true}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		hashes = append(hashes, p.Hash)
	}
	code, out = run(t, runDiff, "--db", "sqlite:"+dbPath, "--list")
	if code != 0 || !strings.Contains(out, hashes[0]) || !strings.Contains(out, hashes[1]) {
		t.Errorf("--list: exit %d, output %q, want both versions", code, out)
	}
	code, out = run(t, runDiff, "--db", "sqlite:"+dbPath, hashes[0][:10], hashes[1][:10])
	if code != 1 || !hasAll(out) {
		t.Errorf("diff of stored versions: exit %d, output:\n%s\nwant the changes of diff.txt", code, out)
	}
	if code, _ := run(t, runDiff, "--db", "sqlite:"+dbPath, "ffff0000", hashes[1][:10]); code != 2 {
		t.Errorf("an unknown version: exit %d, want 2", code)
	}
}

// TestAuditReportToxicCombinations adds real users to a database of the
// shipped definitions — the insider of issue 13 holding the clerk, reviewer
// and treasury roles, an honest clerk, a reviewer who also signs, a disabled
// account with every role — and expects audit-report --users to list the
// insider and the reviewer-signer with the roles behind each side, and no
// one else.
func TestAuditReportToxicCombinations(t *testing.T) {
	p := enginetest.LoadDir(t, "../../definitions")
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		dsn := enginetest.DSN(t, d)
		ctx := context.Background()
		db := enginetest.Must(engine.Open(ctx, dsn))
		rt := enginetest.Must(engine.Start(ctx, db, p, engine.StartOptions{Access: engine.OpenAccess{}, Logger: enginetest.QuietLogger()}))
		users := engine.NewUsers(rt.DB, p)
		for _, nu := range []engine.NewUser{
			{Name: "insider", DisplayName: "王五", Org: "104001", Roles: []string{"payment.agency_clerk", "payment.agency_reviewer", "payment.treasury"}},
			{Name: "clerk", Org: "104001", Roles: []string{"payment.agency_clerk"}},
			{Name: "revsign", Org: "104001", Roles: []string{"payment.agency_reviewer", "payment.treasury"}},
			{Name: "retired", Org: "104001", Roles: []string{"payment.agency_clerk", "payment.treasury"}, Disabled: true},
		} {
			nu.Password = "Correct-horse-9"
			if _, err := users.Add(ctx, engine.SystemActor, nu); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()

		code, out := run(t, runAuditReport, "../../definitions", "--users", dsn)
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		section := out[strings.Index(out, "App `payment`"):]
		section = section[strings.Index(section, "### Toxic combinations"):strings.Index(section, "### Who can do what")]
		for _, want := range []string{
			"| insider 王五 | 104001 | payment.agency_clerk, payment.agency_reviewer, payment.treasury | may create (as payment.agency_clerk), update (as payment.agency_clerk), submit (as payment.agency_clerk) payment and then agency_review it (as payment.agency_reviewer) | not_by: [editors, submitter] on agency_review (payment/workflows.yaml:82) refuses it on the same record |",
			"| insider 王五 | 104001 | payment.agency_clerk, payment.agency_reviewer, payment.treasury | may create (as payment.agency_clerk), update (as payment.agency_clerk), submit (as payment.agency_clerk), agency_review (as payment.agency_reviewer), reject (as payment.agency_reviewer) payment and then sign it (as payment.treasury) | not_by: [editors, submitter, actors] on sign (payment/workflows.yaml:",
			"| revsign | 104001 | payment.agency_reviewer, payment.treasury | may agency_review (as payment.agency_reviewer), reject (as payment.agency_reviewer) payment and then sign it (as payment.treasury) | not_by: [actors] on sign",
		} {
			if !strings.Contains(section, want) {
				t.Errorf("the payment app's toxic combinations lack\n%s\nsection:\n%s", want, section)
			}
		}
		for _, absent := range []string{"| clerk |", "| retired |"} {
			if strings.Contains(out, absent) {
				t.Errorf("%s is listed, but holds one side only or is disabled:\n%s", absent, section)
			}
		}
	})
}

// TestDiffMoneyWeakenings runs growth diff from the base folder of the money
// cases (testdata/money: accounts, draws, rollups, reports, code attributes)
// and of the exchange cases (testdata/exchange: parties, messages, postings)
// to each folder beside it, where one money control is changed, and expects
// the output in the folder's expected.txt: the change under "money
// controls", marked WEAKER with what can now happen when it loosens one.
//
//	go test ./cmd/growth -run TestDiffMoneyWeakenings -update-money
//
// rewrites the expected files (read them before committing).
func TestDiffMoneyWeakenings(t *testing.T) {
	t.Run("money", func(t *testing.T) { diffMoneyCases(t, "money", 12) })
	t.Run("exchange", func(t *testing.T) { diffMoneyCases(t, "exchange", 8) })
}

// notWeaker are the cases whose change is listed among the money controls
// without loosening one.
var notWeaker = map[string]bool{"charge_rate": true, "signature_kind": true, "posting_accounts": true}

func diffMoneyCases(t *testing.T, family string, want int) {
	root := filepath.Join(reviewData, family)
	base := filepath.Join(root, "base")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "base" {
			continue
		}
		cases++
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(root, e.Name())
			code, out := run(t, runDiff, base, dir)
			out = strings.ReplaceAll(out, root+string(filepath.Separator), "")
			golden := filepath.Join(dir, "expected.txt")
			if *updateMoney {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if code != 1 || out != string(want) {
				t.Errorf("growth diff base %s: exit %d, output\n%s\nwant\n%s", e.Name(), code, out, want)
			}
			if !notWeaker[e.Name()] && !strings.Contains(out, "WEAKER: ") {
				t.Errorf("the weakening is not marked WEAKER:\n%s", out)
			}
			if notWeaker[e.Name()] && strings.Contains(out, "WEAKER: ") {
				t.Errorf("a change that loosens no control is marked WEAKER:\n%s", out)
			}
			// The audit report of the weakened version differs too.
			_, before := run(t, runAuditReport, base)
			_, after := run(t, runAuditReport, dir)
			version := regexp.MustCompile("Definitions `[^`]*`, version `[0-9a-f]*`")
			if version.ReplaceAllString(before, "") == version.ReplaceAllString(after, "") {
				t.Errorf("audit-report is the same before and after")
			}
		})
	}
	if cases < want {
		t.Errorf("%d %s cases, want one per weakening (%d)", cases, family, want)
	}
}

var updateMoney = flag.Bool("update-money", false, "rewrite the expected.txt of the money diff cases")

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"golang.org/x/crypto/bcrypt"
)

// clusterDefs: a grant whose balance spends draw on, and a scheduled rule
// without unless, which makes one more tally per grant every time it runs,
// so that a due time run twice would show.
var clusterDefs = map[string]string{"fund/app.yaml": `
app: fund
title: 资金
entities:
  grant:
    title: 额度
    fields:
      name:   {type: string, required: true}
      amount: {type: money, required: true}
    balance: amount
  spend:
    title: 支付
    fields:
      grant:  {type: ref, entity: grant, required: true}
      amount: {type: money, required: true}
    draws:
      - {on: grant, amount: amount, consume_on: [create]}
  tally:
    title: 计数
    fields:
      grant: {type: ref, entity: grant, required: true}
schedules:
  count:
    title: 计数
    every: 1m
    entity: grant
    create:
      entity: tally
      set: {grant: "src.id"}
roles:
  clerk:
    title: 经办
    scope: all
    can:
      grant: [create, read]
      spend: [create, read]
      tally: [read]
`}

// server is one growth serve process.
type server struct {
	addr string
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestThreeServersOnOnePostgres builds the growth binary and starts three
// `growth serve` processes on one fresh PostgreSQL schema at the same
// moment, as three servers behind a load balancer: the migrations run once;
// 600 payments at once, spread over the three, against room for 300: exactly
// 300 succeed, even though one server is killed mid load (a client retries
// a request whose server vanished on another, with the same Idempotency-Key);
// a scheduled rule's due time runs once; a user disabled on one server is
// refused on the others within a second; growth ledger verify and growth
// audit verify find nothing wrong. It needs PostgreSQL and takes some
// seconds (go test -short skips it).
func TestThreeServersOnOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the three-server test builds the binary and starts processes")
	}
	if os.Getenv(enginetest.PostgresEnv) == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, but CI=true requires the PostgreSQL tests to run", enginetest.PostgresEnv)
		}
		t.Skipf("PostgreSQL not configured (%s)", enginetest.PostgresEnv)
	}
	began := time.Now()
	bin := filepath.Join(t.TempDir(), "growth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binary in %s", time.Since(began).Round(time.Millisecond))
	defs := enginetest.WriteDefinitions(t, clusterDefs)
	dsn := enginetest.FreshDSN(t, engine.Postgres)
	ctx := context.Background()

	servers := make([]*server, 3)
	start := func(i int) {
		t.Helper()
		if servers[i] == nil {
			servers[i] = &server{addr: freeAddr(t)}
		}
		s := servers[i]
		s.log, s.done = &lockedBuffer{}, make(chan struct{})
		s.cmd = exec.Command(bin, "serve", "--db", dsn, "--definitions", defs, "--addr", s.addr, "--schedule-check", "3s")
		s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
	}
	stop := func(i int, sig os.Signal) {
		s := servers[i]
		_ = s.cmd.Process.Signal(sig)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	t.Cleanup(func() {
		for i, s := range servers {
			if s != nil && s.cmd != nil {
				stop(i, syscall.SIGTERM)
			}
		}
	})
	client := &http.Client{Timeout: 30 * time.Second}
	ready := func(i int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			select {
			case <-servers[i].done:
				t.Fatalf("server %d exited:\n%s", i+1, servers[i].log)
			default:
			}
			if resp, err := client.Get("http://" + servers[i].addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %d not ready after a minute:\n%s", i+1, servers[i].log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for i := range servers {
		start(i)
	}
	for i := range servers {
		ready(i)
	}
	t.Logf("three servers ready %s after the start", time.Since(began).Round(time.Millisecond))

	t.Run("the migrations ran once", func(t *testing.T) {
		made := 0
		for _, s := range servers {
			made += strings.Count(s.log.String(), `"change":"create table `)
		}
		if made != 3 {
			t.Fatalf("the three servers created %d tables, want each of the 3 once; logs:\n%s\n%s\n%s", made, servers[0].log, servers[1].log, servers[2].log)
		}
	})

	db := enginetest.Connect(t, dsn)
	users := engine.NewUsers(db, enginetest.LoadDir(t, defs))
	// Cheap hashes, so that the grant exists before the first look at the schedule.
	users.HashCost = bcrypt.MinCost
	for _, u := range []engine.NewUser{
		{Name: "root", Password: "root-password-1", Roles: []string{engine.AdminRole}},
		{Name: "clerk", Password: "clerk-password-1", Roles: []string{"fund.clerk"}},
		{Name: "clerk2", Password: "clerk2-password-1", Roles: []string{"fund.clerk"}},
	} {
		if _, err := users.Add(ctx, engine.SystemActor, u); err != nil {
			t.Fatal(err)
		}
	}
	call := func(i int, method, path, token, key string, body any) (int, map[string]any, error) {
		var r io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			r = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, "http://"+servers[i].addr+path, r)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, nil, err
		}
		_ = json.Unmarshal(raw, &out)
		return resp.StatusCode, out, nil
	}
	login := func(i int, name, password string) string {
		t.Helper()
		status, body, err := call(i, "POST", "/api/auth/login", "", "", map[string]any{"username": name, "password": password})
		if err != nil || status != 200 {
			t.Fatalf("login %s on server %d: %d %v %v", name, i+1, status, body, err)
		}
		return body["token"].(string)
	}
	clerk := login(0, "clerk", "clerk-password-1")
	status, grant, err := call(1, "POST", "/api/fund/grant", clerk, "", map[string]any{"name": "day", "amount": "300.00"})
	if err != nil || status != 201 {
		t.Fatalf("create the grant: %d %v %v", status, grant, err)
	}
	grantID := int64(grant["id"].(float64))

	t.Run("600 payments over three servers, one killed mid load, against room for 300", func(t *testing.T) {
		const payments, workers = 600, 48
		var dead atomic.Bool
		var answered, retried atomic.Int64
		var mu sync.Mutex
		acknowledged := map[int64]bool{}
		var ok, refused int
		var problems []string
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range jobs {
					key := fmt.Sprintf("pay-%d", n)
					var status int
					var body map[string]any
					var err error
					// A client (or the load balancer) sends a request whose
					// server vanished to the next one, with the same key.
					// A retry that reaches a server while the first attempt's
					// transaction is still open (the killed server's connection
					// not yet ended by PostgreSQL) is told 409
					// idempotency_in_progress: a client waits and sends it again.
					for try := 0; try < 40; try++ {
						i := (n + try) % 3
						if i == 2 && dead.Load() {
							continue
						}
						status, body, err = call(i, "POST", "/api/fund/spend", clerk, key, map[string]any{"grant": grantID, "amount": "1.00"})
						if err == nil && status == 409 && body["error"].(map[string]any)["code"] == "idempotency_in_progress" {
							time.Sleep(100 * time.Millisecond)
							continue
						}
						if err == nil {
							break
						}
						retried.Add(1)
					}
					mu.Lock()
					switch {
					case err != nil:
						problems = append(problems, fmt.Sprintf("payment %d: %v", n, err))
					case status == 201:
						ok++
						acknowledged[int64(body["id"].(float64))] = true
					case status == 409 && body["error"].(map[string]any)["code"] == "insufficient_balance":
						refused++
					default:
						problems = append(problems, fmt.Sprintf("payment %d: %d %v", n, status, body))
					}
					mu.Unlock()
					if answered.Add(1) == payments/4 {
						dead.Store(true)
						_ = servers[2].cmd.Process.Kill()
					}
				}
			}()
		}
		loadBegan := time.Now()
		for n := range payments {
			jobs <- n
		}
		close(jobs)
		wg.Wait()
		t.Logf("600 payments in %s; %d requests caught by the kill were sent again to another server", time.Since(loadBegan).Round(time.Millisecond), retried.Load())
		<-servers[2].done
		if len(problems) > 0 {
			t.Fatalf("%d payments got no clear answer, first: %s", len(problems), problems[0])
		}
		if ok != 300 || refused != 300 || len(acknowledged) != 300 {
			t.Fatalf("%d payments succeeded (%d distinct records) and %d were refused for the balance, want exactly 300 and 300", ok, len(acknowledged), refused)
		}
		rows, err := db.Read.QueryContext(ctx, `SELECT id FROM fund_spend`)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			stored[id] = true
		}
		rows.Close()
		for id := range acknowledged {
			if !stored[id] {
				t.Errorf("payment #%d was acknowledged but is not in the database", id)
			}
		}
		if len(stored) != 300 {
			t.Errorf("%d payments stored, want 300", len(stored))
		}
		status, bal, err := call(0, "GET", fmt.Sprintf("/api/fund/grant/%d/balance", grantID), clerk, "", nil)
		if err != nil || status != 200 || bal["available"] != "0.00" || bal["consumed"] != "300.00" {
			t.Errorf("balance after the payments: %d %v %v, want 300.00 consumed and 0.00 available", status, bal, err)
		}
	})

	// The killed server comes back, as a supervisor would restart it.
	start(2)
	ready(2)

	t.Run("a user disabled on one server is refused on the others within a second", func(t *testing.T) {
		root := login(0, "root", "root-password-1")
		token := login(1, "clerk2", "clerk2-password-1")
		for i := range servers {
			if status, _, err := call(i, "GET", "/api/auth/me", token, "", nil); err != nil || status != 200 {
				t.Fatalf("clerk2 on server %d before: %d %v", i+1, status, err)
			}
		}
		if status, body, err := call(0, "PATCH", "/api/admin/users/clerk2", root, "", map[string]any{"enabled": false}); err != nil || status != 200 {
			t.Fatalf("disable on server 1: %d %v %v", status, body, err)
		}
		disabled := time.Now()
		for _, i := range []int{1, 2} {
			for {
				status, _, err := call(i, "GET", "/api/auth/me", token, "", nil)
				if err == nil && status == 401 {
					break
				}
				if time.Since(disabled) > time.Second {
					t.Fatalf("server %d still accepts the disabled user a second later: %d %v", i+1, status, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})

	t.Run("a scheduled rule's due time runs once", func(t *testing.T) {
		// The servers look every 3 s whether this minute's due time ran; wait
		// for a run that saw the grant (the next minute's, at worst).
		deadline := time.Now().Add(75 * time.Second)
		for {
			var n int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM growth_schedule_runs WHERE schedule = 'fund.count' AND created > 0`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no run of the scheduled rule saw the grant")
			}
			time.Sleep(200 * time.Millisecond)
		}
		for i := range servers {
			t0 := time.Now()
			stop(i, syscall.SIGTERM)
			t.Logf("server %d stopped in %s", i+1, time.Since(t0))
		}
		var runs, created, tallies, most int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(created), 0), COALESCE(MAX(created), 0) FROM growth_schedule_runs WHERE schedule = 'fund.count'`).Scan(&runs, &created, &most); err != nil {
			t.Fatal(err)
		}
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM fund_tally`).Scan(&tallies); err != nil {
			t.Fatal(err)
		}
		if tallies != created || most != 1 {
			t.Fatalf("%d tallies after %d due times that report %d created (at most %d in one), want one tally per due time that saw the grant", tallies, runs, created, most)
		}
		t.Logf("%d due times ran, %d of them after the grant existed", runs, created)
	})

	t.Run("ledger verify and audit verify find nothing wrong", func(t *testing.T) {
		for _, args := range [][]string{{"ledger", "verify"}, {"audit", "verify"}} {
			cmd := exec.Command(bin, append(args, "--db", dsn, "--definitions", defs)...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if errors.As(err, &exit) || err != nil || !strings.Contains(string(out), "ok:") {
				t.Errorf("growth %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	})
	t.Logf("the whole test took %s", time.Since(began).Round(time.Millisecond))
}

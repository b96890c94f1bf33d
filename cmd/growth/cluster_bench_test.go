package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

var (
	benchBinOnce sync.Once
	benchBin     string
	benchBinErr  error
)

// BenchmarkServers compares one growth serve process with three on the
// same machine and the same PostgreSQL database: 32 clients spread over the
// servers create records (each its own, no shared balance), pay from one
// shared balance (every payment locks the same balance row), read a page of
// a list, or pay from one hot balance with room for exactly half of the
// payments ("hot": it reports the payments drawn per second until the room
// ran out, and fails unless exactly half were drawn, the others refused as
// insufficient, and the balance ends at zero: no overdraft).
// docs/performance.md has the figures and what they mean.
//
//	GROWTH_TEST_POSTGRES=… go test ./cmd/growth -run '^$' -bench Servers -benchtime 3000x
func BenchmarkServers(b *testing.B) {
	if os.Getenv(enginetest.PostgresEnv) == "" {
		b.Skipf("PostgreSQL not configured (%s)", enginetest.PostgresEnv)
	}
	benchBinOnce.Do(func() {
		benchBin = filepath.Join(os.TempDir(), fmt.Sprintf("growth-bench-%d", os.Getpid()))
		if out, err := exec.Command("go", "build", "-o", benchBin, ".").CombinedOutput(); err != nil {
			benchBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if benchBinErr != nil {
		b.Fatal(benchBinErr)
	}
	for _, work := range []string{"create", "pay", "list", "hot"} {
		for _, n := range []int{1, 3} {
			b.Run(fmt.Sprintf("%s/servers=%d", work, n), func(b *testing.B) { benchServers(b, n, work) })
		}
	}
}

func benchServers(b *testing.B, n int, work string) {
	defs := enginetest.WriteDefinitions(b, clusterDefs)
	dsn := enginetest.FreshDSN(b, engine.Postgres)
	addrs := make([]string, n)
	cmds := make([]*exec.Cmd, n)
	for i := range addrs {
		addrs[i] = freeAddr(b)
		cmd := exec.Command(benchBin, "serve", "--db", dsn, "--definitions", defs, "--addr", addrs[i], "--no-schedules")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		cmds[i] = cmd
		b.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				_ = cmd.Wait()
			}
		})
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, addr := range addrs {
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if resp, err := client.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				b.Fatalf("server %s not ready", addr)
			}
		}
	}
	ctx := context.Background()
	users := engine.NewUsers(enginetest.Connect(b, dsn), enginetest.LoadDir(b, defs))
	users.HashCost = bcrypt.MinCost
	if _, err := users.Add(ctx, engine.SystemActor, engine.NewUser{Name: "clerk", Password: "clerk-password-1", Roles: []string{"fund.clerk"}}); err != nil {
		b.Fatal(err)
	}
	call := func(addr, method, path, token string, body any) (int, map[string]any) {
		var r io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			r = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, "http://"+addr+path, r)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &out)
		return resp.StatusCode, out
	}
	_, login := call(addrs[0], "POST", "/api/auth/login", "", map[string]any{"username": "clerk", "password": "clerk-password-1"})
	token := login["token"].(string)
	_, grant := call(addrs[0], "POST", "/api/fund/grant", token, map[string]any{"name": "g", "amount": "100000000.00"})
	grantID := grant["id"]
	room := b.N / 2 // payments of 1.00 the hot balance has room for
	_, hot := call(addrs[0], "POST", "/api/fund/grant", token, map[string]any{"name": "hot", "amount": fmt.Sprintf("%d.00", room)})
	hotID := hot["id"]
	var drawn, refused, lastDrawn atomic.Int64
	for i := range 50 {
		call(addrs[i%n], "POST", "/api/fund/grant", token, map[string]any{"name": fmt.Sprintf("g%d", i), "amount": "10.00"})
	}

	const clients = 32
	var next atomic.Int64
	var failed atomic.Int64
	var firstFailures sync.Map // the first few unexpected answers, for the failure message
	serverCPU := func() (d time.Duration) {
		for _, c := range cmds {
			d += procCPU(c.Process.Pid)
		}
		return d
	}
	var self0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	servers0 := serverCPU()
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				addr := addrs[(int(i)+c)%n]
				var status, want int
				var body map[string]any
				switch work {
				case "create":
					status, body = call(addr, "POST", "/api/fund/grant", token, map[string]any{"name": "x", "amount": "1.00"})
					want = 201
				case "pay":
					status, body = call(addr, "POST", "/api/fund/spend", token, map[string]any{"grant": grantID, "amount": "0.01"})
					want = 201
				case "list":
					status, body = call(addr, "GET", "/api/fund/grant?page_size=20", token, nil)
					want = 200
				case "hot":
					status, body = call(addr, "POST", "/api/fund/spend", token, map[string]any{"grant": hotID, "amount": "1.00"})
					want = 201
					switch code, _ := body["error"].(map[string]any); {
					case status == 201:
						drawn.Add(1)
						lastDrawn.Store(int64(time.Since(began)))
					case status == 409 && code["code"] == "insufficient_balance":
						refused.Add(1)
						want = 409
					}
				}
				if status != want {
					if n := failed.Add(1); n <= 3 {
						firstFailures.Store(n, fmt.Sprintf("%d %v", status, body))
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		var first []string
		firstFailures.Range(func(_, v any) bool { first = append(first, v.(string)); return true })
		b.Fatalf("%d of %d requests failed, such as: %s", f, b.N, strings.Join(first, "; "))
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	if work == "hot" {
		status, balance := call(addrs[0], "GET", fmt.Sprintf("/api/fund/grant/%v/balance", hotID), token, nil)
		if drawn.Load() != int64(room) || refused.Load() != int64(b.N-room) || status != 200 || balance["available"] != "0.00" {
			b.Fatalf("hot balance with room for %d payments: %d drawn, %d refused, balance %d %v", room, drawn.Load(), refused.Load(), status, balance)
		}
		b.ReportMetric(float64(room)/time.Duration(lastDrawn.Load()).Seconds(), "drawn/s")
	}
	// Where the CPU went, per request: the servers' processes, and this
	// process (the 32 clients); the rest of the machine's two cores is
	// PostgreSQL (and whatever else runs).
	var self1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	clientCPU := time.Duration(self1.Utime.Nano()+self1.Stime.Nano()-self0.Utime.Nano()-self0.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64((serverCPU()-servers0).Microseconds())/float64(b.N), "server-cpu-µs/req")
	b.ReportMetric(float64(clientCPU.Microseconds())/float64(b.N), "client-cpu-µs/req")
}

// procCPU is the CPU time a process has used so far (Linux /proc).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name's closing parenthesis: utime and
	// stime are the 12th and 13th of them, in clock ticks (100 a second).
	i := bytes.LastIndexByte(data, ')')
	fields := bytes.Fields(data[i+1:])
	if len(fields) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(string(fields[11]), &ut)
	fmt.Sscan(string(fields[12]), &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

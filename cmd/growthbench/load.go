package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// requestFunc builds the n-th request of a client.
type requestFunc func(base string, rng *rand.Rand) (*http.Request, int)

type result struct {
	requests int
	errors   int
	rps      float64
	p50, p90 time.Duration
	p99, max time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %6s  p90 %6s  p99 %6s  max %6s  (%d requests, %d errors)",
		r.rps, round(r.p50), round(r.p90), round(r.p99), round(r.max), r.requests, r.errors)
}

func round(d time.Duration) time.Duration {
	switch {
	case d > 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d > 100*time.Microsecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 30 * time.Second}

// load runs clients goroutines against base for d and reports throughput and
// latency percentiles; a response with an unexpected status counts as an error.
func load(base string, clients int, d time.Duration, build requestFunc) result {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, seed*7+1))
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				req, want := build(base, rng)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				if resp.StatusCode != want {
					errs.Add(1)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}(uint64(c + 1))
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	r := result{requests: len(latencies), errors: int(errs.Load()), rps: float64(len(latencies)) / elapsed.Seconds(),
		p50: pct(0.50), p90: pct(0.90), p99: pct(0.99)}
	if len(latencies) > 0 {
		r.max = latencies[len(latencies)-1]
	}
	return r
}

var agencies = []string{"101001", "101002", "102001", "102002", "103001"}

func createRequest(base string, rng *rand.Rand) (*http.Request, int) {
	body := fmt.Sprintf(`{"year": 2026, "agency": %q, "amount": "%d.%02d", "purpose": "办公设备购置"}`,
		agencies[rng.IntN(len(agencies))], 1+rng.IntN(100000), rng.IntN(100))
	req, _ := http.NewRequest("POST", base+"/api/bench/voucher", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	return req, 201
}

// getRequest reads ids the create phase wrote (ids 1..1000 exist after it).
func getRequest(base string, rng *rand.Rand) (*http.Request, int) {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/bench/voucher/%d", base, 1+rng.IntN(1000)), nil)
	return req, 200
}

func listRequest(base string, rng *rand.Rand) (*http.Request, int) {
	filter := fmt.Sprintf("year%%20%%3D%%202026%%20and%%20agency%%20%%3D%%20%%27%s%%27", agencies[rng.IntN(len(agencies))])
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/bench/voucher?filter=%s&page=%d&page_size=20", base, filter, 1+rng.IntN(50)), nil)
	return req, 200
}

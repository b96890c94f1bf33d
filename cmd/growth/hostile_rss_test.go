package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine/enginetest"
)

// TestServeHostileImportRSS is the harness behind the memory figure of
// docs/performance.md: it builds growth, starts `growth serve --demo` on a
// fresh SQLite file, posts an Excel file of 0.5 MB whose one cell holds a
// 500 MB string to the import API as a clerk, and reads the server's peak
// resident memory (VmHWM) from /proc. Linux only; run it on purpose:
//
//	GROWTH_RSS_HARNESS=1 go test ./cmd/growth -run TestServeHostileImportRSS -v
//
// GROWTH_RSS_CELL_MB sets the cell's size (500 by default; 200 stays under
// the limit on the unpacked size and meets the cell limit instead).
// GROWTH_RSS_BINARY measures another build of growth instead (an older one,
// to compare).
func TestServeHostileImportRSS(t *testing.T) {
	if os.Getenv("GROWTH_RSS_HARNESS") == "" {
		t.Skip("set GROWTH_RSS_HARNESS=1 to measure the server's memory during a hostile import")
	}
	dir := t.TempDir()
	bin := os.Getenv("GROWTH_RSS_BINARY")
	if bin == "" {
		bin = filepath.Join(dir, "growth")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	defs, _ := filepath.Abs("../../definitions")
	cmd := exec.Command(bin, "serve", "--demo", "--no-schedules", "--addr", addr,
		"--db", "sqlite:"+filepath.Join(dir, "growth.db"), "--definitions", defs)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 600 {
			t.Fatal("growth serve did not come up")
		}
		time.Sleep(100 * time.Millisecond)
	}

	resp, err := http.Post(base+"/api/auth/login", "application/json",
		strings.NewReader(`{"username": "payment_agency_clerk", "password": "growth-demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if login.Token == "" {
		t.Fatalf("login: %s", resp.Status)
	}

	cellMB := int64(500)
	if v := os.Getenv("GROWTH_RSS_CELL_MB"); v != "" {
		cellMB, _ = strconv.ParseInt(v, 10, 64)
	}
	var file bytes.Buffer
	if err := enginetest.HostileXLSX(&file, []string{"单位", "金额"}, cellMB<<20, true); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "hostile.xlsx")
	fw.Write(file.Bytes())
	mw.Close()

	before := procStatus(t, cmd.Process.Pid)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/payment/payment/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+login.Token)
	start := time.Now()
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	after := procStatus(t, cmd.Process.Pid)

	t.Logf("file %d bytes; answer %s after %v: %s", file.Len(), resp.Status, took.Round(time.Millisecond), answer)
	t.Logf("server RSS before %d MB, after %d MB, peak (VmHWM) %d MB", before["VmRSS"]>>10, after["VmRSS"]>>10, after["VmHWM"]>>10)
	if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(answer, []byte("上限")) {
		t.Errorf("want 422 naming the limit, got %s %s", resp.Status, answer)
	}
	if peak := after["VmHWM"] >> 10; peak >= 256 {
		t.Errorf("peak RSS %d MB, want under 256 MB", peak)
	}
}

// procStatus reads the kB figures of /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

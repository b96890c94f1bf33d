package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// captureStdout runs fn with os.Stdout sent to a pipe and returns what it printed.
func captureStdout(t *testing.T, fn func() int) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	code := fn()
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out), code
}

func TestKeysCommand(t *testing.T) {
	data := t.TempDir()
	out, code := captureStdout(t, func() int { return runKeys([]string{"gen", "--kind", "sm2", "--data", data}) })
	if code != 0 || !strings.Contains(out, "made our sm2 key") || !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Fatalf("gen: %d\n%s", code, out)
	}
	private, err := os.ReadFile(filepath.Join(data, "keys", "own", "sm2.pem"))
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.Split(string(private), "\n")[1]
	shown, code := captureStdout(t, func() int { return runKeys([]string{"show", "--data", data}) })
	if code != 0 || !strings.Contains(shown, "ours (sm2)") {
		t.Fatalf("show: %d\n%s", code, shown)
	}
	for _, printed := range []string{out, shown} {
		if strings.Contains(printed, "PRIVATE") || strings.Contains(printed, secret) {
			t.Fatalf("a private key was printed:\n%s", printed)
		}
	}
	// Our public key, handed to another installation, imports as a party's.
	pub := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(pub, []byte(shown), 0o644); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	out, code = captureStdout(t, func() int { return runKeys([]string{"import", "city", pub, "--data", other}) })
	if code != 0 || !strings.Contains(out, "imported the sm2 key of city") {
		t.Fatalf("import: %d\n%s", code, out)
	}
	fingerprint := strings.Fields(strings.SplitN(shown, "fingerprint (SHA-256) ", 2)[1])[0]
	out, code = captureStdout(t, func() int { return runKeys([]string{"show", "city", "--data", other}) })
	if code != 0 || !strings.Contains(out, fingerprint) {
		t.Errorf("show city: %d\n%s", code, out)
	}
	// A private key is refused as a party's key.
	if _, code := captureStdout(t, func() int {
		return runKeys([]string{"import", "city2", filepath.Join(data, "keys", "own", "sm2.pem"), "--data", other})
	}); code == 0 {
		t.Error("a private key was imported as a party's")
	}
}

func TestExchangeFlags(t *testing.T) {
	scenarios := []struct {
		name    string
		args    []string
		env     map[string]string
		url     string
		wantErr bool
	}{
		{name: "default: embedded, in-process"},
		{name: "external from the environment", env: map[string]string{"GROWTH_EXCHANGE": "nats://10.0.0.5:4222"}, url: "nats://10.0.0.5:4222"},
		{name: "a flag wins", args: []string{"--exchange", "nats://a:4222"}, env: map[string]string{"GROWTH_EXCHANGE": "nats://b:4222"}, url: "nats://a:4222"},
		{name: "loopback listen", args: []string{"--exchange-listen", "127.0.0.1:4333"}},
		{name: "listen on every interface", args: []string{"--exchange-listen", "0.0.0.0:4222"}, wantErr: true},
		{name: "listen with an external broker", args: []string{"--exchange", "nats://a:4222", "--exchange-listen", "127.0.0.1:4222"}, wantErr: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			var f exchangeFlags
			f.register(fs)
			if err := fs.Parse(sc.args); err != nil {
				t.Fatal(err)
			}
			err := f.resolve(fs, func(k string) string { return sc.env[k] })
			if (err != nil) != sc.wantErr {
				t.Fatalf("error %v, want error %v", err, sc.wantErr)
			}
			if err == nil && f.url != sc.url {
				t.Errorf("url %q, want %q", f.url, sc.url)
			}
		})
	}
}

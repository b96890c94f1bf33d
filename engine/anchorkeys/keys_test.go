package anchorkeys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A key is made once, kept owner-only, loads back and signs what its public
// half verifies; it is never replaced, and a private key file readable by
// others is refused.
func TestKeysLifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s, created, err := LoadOrCreate(dir, Platform)
	if err != nil || !created {
		t.Fatalf("first use: created=%v err=%v", created, err)
	}
	priv, pub := Paths(dir, Platform)
	fi, err := os.Stat(priv)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi, err)
	}
	again, created, err := LoadOrCreate(dir, Platform)
	if err != nil || created || again.Public().ID() != s.Public().ID() {
		t.Fatalf("second use: created=%v err=%v", created, err)
	}
	msg := []byte("heads")
	sig, err := again.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePublic(must(os.ReadFile(pub)))
	if err != nil || p.Kind != Ed25519 || !p.Verify(msg, sig) || p.Verify([]byte("other"), sig) {
		t.Fatalf("public key from %s: kind %q err %v", pub, p.Kind, err)
	}
	if _, err := Create(dir, Platform, Ed25519); err == nil || !strings.Contains(err.Error(), "never replaced") {
		t.Fatalf("replacing a key: %v", err)
	}
	if strings.Contains(s.String(), string(must(os.ReadFile(priv)))) {
		t.Fatal("String shows the private key")
	}
	if err := os.Chmod(priv, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, Platform); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a private key readable by others: %v", err)
	}
	if _, err := Create(dir, "other", "rsa"); err == nil || !strings.Contains(err.Error(), `unknown key kind "rsa"`) {
		t.Fatalf("unknown kind: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

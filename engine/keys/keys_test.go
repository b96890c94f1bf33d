package keys_test

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/growth-gov/growth/engine/keys"
)

func TestSignAndVerifyBothKinds(t *testing.T) {
	for _, kind := range keys.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			k, err := keys.Generate(kind)
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte(`{"amount":"1234.56"}`)
			sig, err := k.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			pub := k.Public()
			if !pub.Verify(msg, sig) {
				t.Fatal("a fresh signature does not verify")
			}
			if pub.Verify([]byte(`{"amount":"9234.56"}`), sig) {
				t.Error("a signature verifies an altered message")
			}
			bad := bytes.Clone(sig)
			bad[len(bad)/2] ^= 1
			if pub.Verify(msg, bad) {
				t.Error("an altered signature verifies")
			}
			other, _ := keys.Generate(kind)
			if other.Public().Verify(msg, sig) {
				t.Error("another key verifies the signature")
			}
			// The files round-trip.
			data, err := k.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			back, err := keys.ParsePrivatePEM(data)
			if err != nil || back.Kind() != kind || back.Public().Fingerprint() != pub.Fingerprint() {
				t.Fatalf("private key round trip: %v", err)
			}
			pubBack, err := keys.ParsePublicPEM(pub.MarshalPEM())
			if err != nil || pubBack.Kind() != kind || !pubBack.Verify(msg, sig) {
				t.Fatalf("public key round trip: %v", err)
			}
		})
	}
}

func TestPrivateKeyNeverPrinted(t *testing.T) {
	for _, kind := range keys.Kinds {
		k, _ := keys.Generate(kind)
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("key", "key", k, "value", *k)
		for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%v", *k), fmt.Sprintf("%+v", *k)} {
			if s != "[private key]" {
				t.Errorf("%s key printed as %q", kind, s)
			}
		}
		if !strings.Contains(logged.String(), "key=\"[private key]\" value=\"[private key]\"") {
			t.Errorf("%s key logged as %s", kind, logged.String())
		}
	}
}

func TestStore(t *testing.T) {
	s := keys.Store{Dir: t.TempDir()}
	if _, err := s.Own(keys.SM2); !errors.Is(err, keys.ErrNoKey) {
		t.Fatalf("no key yet: got %v", err)
	}
	k, exists, err := s.Generate(keys.SM2, false)
	if err != nil || exists {
		t.Fatalf("generate: %v exists=%v", err, exists)
	}
	info, err := os.Stat(filepath.Join(s.Dir, "own", "sm2.pem"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v mode %v", err, info.Mode())
	}
	again, exists, err := s.Generate(keys.SM2, false)
	if err != nil || !exists || again.Public().Fingerprint() != k.Public().Fingerprint() {
		t.Fatal("a second gen replaced the key")
	}
	if _, err := s.Import("bank_a", []byte("junk")); err == nil {
		t.Error("junk imported")
	}
	priv, _ := k.MarshalPEM()
	if _, err := s.Import("bank_a", priv); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("a private key imported as a party's: %v", err)
	}
	if _, err := s.Import("../x", k.Public().MarshalPEM()); err == nil {
		t.Error("a party name with a path imported")
	}
	if _, err := s.Import("bank_a", k.Public().MarshalPEM()); err != nil {
		t.Fatal(err)
	}
	p, err := s.Party("bank_a")
	if err != nil || p.Fingerprint() != k.Public().Fingerprint() {
		t.Fatalf("party key: %v", err)
	}
	if _, err := s.Party("nobody"); !errors.Is(err, keys.ErrNoKey) {
		t.Errorf("unknown party: %v", err)
	}
}

// A party may hand over an X.509 certificate (an SM2 one from a Chinese CA)
// instead of a bare key.
func TestImportCertificate(t *testing.T) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &smx509.Certificate{
		SerialNumber: big.NewInt(7),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	tmpl.Subject.CommonName = "测试银行"
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	s := keys.Store{Dir: t.TempDir()}
	p, err := s.Import("bank_b", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind() != keys.SM2 || !strings.Contains(p.Subject, "测试银行") {
		t.Fatalf("certificate key: kind %s subject %q", p.Kind(), p.Subject)
	}
	msg := []byte("receipt")
	sig, err := sm2.SignASN1(rand.Reader, priv, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Verify(msg, sig) {
		t.Error("a signature by the certificate's key does not verify")
	}
}

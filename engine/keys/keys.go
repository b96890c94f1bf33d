// Package keys holds the signing keys of this installation and the public
// keys (or certificates) of the parties it exchanges signed data with. Two
// kinds are supported: ed25519 (RFC 8032) and sm2 (GM/T 0003 signatures over
// an SM3 digest with the standard's default signer id, what Chinese CAs such
// as CFCA issue certificates for).
//
// Keys are PEM files under one folder: own/KIND.pem holds our private key of
// each kind (mode 0600), parties/NAME.pem a party's public key or X.509
// certificate. A private key never leaves this package as text except to its
// own file: it prints, formats and logs as [private key].
package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Kind is a signature algorithm.
type Kind string

// The kinds of key.
const (
	Ed25519 Kind = "ed25519"
	SM2     Kind = "sm2"
)

// Kinds lists every kind, the default first.
var Kinds = []Kind{Ed25519, SM2}

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Kinds, k) {
		return "", fmt.Errorf("key kind %q: want ed25519 or sm2", s)
	}
	return k, nil
}

// PrivateKey is a signing key. Its String, GoString and LogValue hide it,
// on the value as on the pointer.
type PrivateKey struct {
	kind Kind
	ed   ed25519.PrivateKey
	sm   *sm2.PrivateKey
}

// Generate makes a new key of kind.
func Generate(kind Kind) (*PrivateKey, error) {
	switch kind {
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return &PrivateKey{kind: kind, ed: priv}, nil
	case SM2:
		priv, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return &PrivateKey{kind: kind, sm: priv}, nil
	}
	return nil, fmt.Errorf("key kind %q: want ed25519 or sm2", kind)
}

// Kind is the key's algorithm.
func (k *PrivateKey) Kind() Kind { return k.kind }

// String hides the key.
func (k PrivateKey) String() string { return "[private key]" }

// GoString hides the key from %#v.
func (k PrivateKey) GoString() string { return "[private key]" }

// LogValue hides the key from slog.
func (k PrivateKey) LogValue() slog.Value { return slog.StringValue("[private key]") }

// Public is the key's public half.
func (k *PrivateKey) Public() *PublicKey {
	if k.kind == SM2 {
		return &PublicKey{kind: SM2, sm: &k.sm.PublicKey}
	}
	return &PublicKey{kind: Ed25519, ed: k.ed.Public().(ed25519.PublicKey)}
}

// Sign signs msg: Ed25519 over the message itself, SM2 over the SM3 digest
// of the signer's Z value and the message (GB/T 32918.2), ASN.1 encoded.
func (k *PrivateKey) Sign(msg []byte) ([]byte, error) {
	if k.kind == SM2 {
		return sm2.SignASN1(rand.Reader, k.sm, msg, sm2.DefaultSM2SignerOpts)
	}
	return ed25519.Sign(k.ed, msg), nil
}

// MarshalPEM encodes the key as a PKCS #8 "PRIVATE KEY" block, for its file.
func (k *PrivateKey) MarshalPEM() ([]byte, error) {
	var key any = k.ed
	if k.kind == SM2 {
		key = k.sm
	}
	der, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivatePEM reads a PKCS #8 private key of either kind.
func ParsePrivatePEM(data []byte) (*PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("PEM block %q: want PRIVATE KEY", block.Type)
	}
	key, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	switch key := key.(type) {
	case ed25519.PrivateKey:
		return &PrivateKey{kind: Ed25519, ed: key}, nil
	case *sm2.PrivateKey:
		return &PrivateKey{kind: SM2, sm: key}, nil
	}
	return nil, fmt.Errorf("private key of type %T: want ed25519 or sm2", key)
}

// PublicKey verifies signatures of one kind.
type PublicKey struct {
	kind Kind
	ed   ed25519.PublicKey
	sm   *ecdsa.PublicKey
	// Subject is the certificate's subject when the key came in one.
	Subject string
}

// Kind is the key's algorithm.
func (p *PublicKey) Kind() Kind { return p.kind }

// Verify reports whether sig is a valid signature of msg by this key.
func (p *PublicKey) Verify(msg, sig []byte) bool {
	if p.kind == SM2 {
		return sm2.VerifyASN1WithSM2(p.sm, nil, msg, sig)
	}
	return len(sig) == ed25519.SignatureSize && ed25519.Verify(p.ed, msg, sig)
}

func (p *PublicKey) der() []byte {
	var key any = p.ed
	if p.kind == SM2 {
		key = p.sm
	}
	der, err := smx509.MarshalPKIXPublicKey(key)
	if err != nil {
		panic(err) // both kinds always marshal
	}
	return der
}

// MarshalPEM encodes the key as a PKIX "PUBLIC KEY" block.
func (p *PublicKey) MarshalPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p.der()})
}

// Fingerprint is the SHA-256 of the key's PKIX encoding, in hex: what two
// parties compare over the phone before trusting a key.
func (p *PublicKey) Fingerprint() string {
	sum := sha256.Sum256(p.der())
	return hex.EncodeToString(sum[:])
}

// ParsePublicPEM reads a "PUBLIC KEY" (PKIX) or "CERTIFICATE" (X.509) PEM
// block of either kind.
func ParsePublicPEM(data []byte) (*PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block (want PUBLIC KEY or CERTIFICATE)")
	}
	var key any
	subject := ""
	switch block.Type {
	case "PUBLIC KEY":
		k, err := smx509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	case "CERTIFICATE":
		cert, err := smx509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		key, subject = cert.PublicKey, cert.Subject.String()
	case "PRIVATE KEY":
		return nil, errors.New("this is a private key: import the party's public key or certificate")
	default:
		return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY or CERTIFICATE", block.Type)
	}
	switch k := key.(type) {
	case ed25519.PublicKey:
		return &PublicKey{kind: Ed25519, ed: k, Subject: subject}, nil
	case *ecdsa.PublicKey:
		if sm2.IsSM2PublicKey(k) {
			return &PublicKey{kind: SM2, sm: k, Subject: subject}, nil
		}
	}
	return nil, fmt.Errorf("public key of type %T: want ed25519 or sm2", key)
}

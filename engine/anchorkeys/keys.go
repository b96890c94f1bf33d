// Package keys holds the platform's signing keys: one key pair per name in a
// folder under the data directory (NAME.key, the private key as PKCS#8 PEM,
// readable by its owner only; NAME.pub, the public key as PKIX PEM, to hand
// out). Audit anchors are signed with the key named "platform".
//
// A key has a kind. Ed25519 (crypto/ed25519 of Go's standard library) is the
// only kind so far; a kind is one entry of the kinds table, so SM2 can be
// added beside it without changing callers or files already written.
// Private keys are never printed or logged: only Signer.Sign uses them.
package anchorkeys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// Key kinds.
const Ed25519 = "ed25519"

// Platform is the name of the key that signs audit anchors.
const Platform = "platform"

// kind is how one kind of key is made, recognised, used and checked.
type kind struct {
	generate func() (crypto.Signer, error)
	// owns reports whether a parsed key is of this kind.
	owns   func(key any) bool
	verify func(pub crypto.PublicKey, msg, sig []byte) bool
}

var kinds = map[string]kind{
	Ed25519: {
		generate: func() (crypto.Signer, error) {
			_, priv, err := ed25519.GenerateKey(rand.Reader)
			return priv, err
		},
		owns: func(key any) bool {
			switch key.(type) {
			case ed25519.PrivateKey, ed25519.PublicKey:
				return true
			}
			return false
		},
		verify: func(pub crypto.PublicKey, msg, sig []byte) bool {
			p, ok := pub.(ed25519.PublicKey)
			return ok && ed25519.Verify(p, msg, sig)
		},
	},
}

func kindOf(key any) (string, error) {
	for name, k := range kinds {
		if k.owns(key) {
			return name, nil
		}
	}
	return "", fmt.Errorf("unsupported key type %T", key)
}

// PublicKey is a public key and its kind.
type PublicKey struct {
	Kind string
	Key  crypto.PublicKey
	// PEM is the key as written in NAME.pub.
	PEM []byte
}

// ID is a short fingerprint of the key: the first 16 hex digits of the
// SHA-256 of its PKIX form.
func (p PublicKey) ID() string {
	der, _ := x509.MarshalPKIXPublicKey(p.Key)
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// Verify reports whether sig is the key's signature of msg.
func (p PublicKey) Verify(msg, sig []byte) bool {
	k, ok := kinds[p.Kind]
	return ok && k.verify(p.Key, msg, sig)
}

// Signer signs with a private key held in memory.
type Signer struct {
	name   string
	signer crypto.Signer
	public PublicKey
}

// Name is the key's name (its file name without extension).
func (s *Signer) Name() string { return s.name }

// Public is the key's public half.
func (s *Signer) Public() PublicKey { return s.public }

// Sign signs msg (Ed25519 signs the message itself, not a digest).
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	return s.signer.Sign(rand.Reader, msg, crypto.Hash(0))
}

// String never shows the private key.
func (s *Signer) String() string {
	return fmt.Sprintf("%s key %q (%s)", s.public.Kind, s.name, s.public.ID())
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Paths are the files of key name in dir.
func Paths(dir, name string) (private, public string) {
	return filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
}

// ErrNoKey is returned by Load when the key files are missing.
var ErrNoKey = errors.New("no such key")

// Load reads key name from dir.
func Load(dir, name string) (*Signer, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("key name %q: use lower-case letters, digits, - and _", name)
	}
	privPath, _ := Paths(dir, name)
	data, err := os.ReadFile(privPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, privPath)
	}
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(privPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): chmod 600 it", privPath, fi.Mode().Perm())
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM PRIVATE KEY", privPath)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", privPath, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: the key cannot sign", privPath)
	}
	return newSigner(name, signer)
}

func newSigner(name string, signer crypto.Signer) (*Signer, error) {
	k, err := kindOf(signer)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return nil, err
	}
	pub := PublicKey{Kind: k, Key: signer.Public(), PEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
	return &Signer{name: name, signer: signer, public: pub}, nil
}

// Create makes a new key pair of kind and writes it to dir (created 0700):
// NAME.key 0600, NAME.pub 0644. It refuses to replace a key.
func Create(dir, name, kindName string) (*Signer, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("key name %q: use lower-case letters, digits, - and _", name)
	}
	k, ok := kinds[kindName]
	if !ok {
		return nil, fmt.Errorf("unknown key kind %q (known: %s)", kindName, Ed25519)
	}
	privPath, pubPath := Paths(dir, name)
	if _, err := os.Stat(privPath); err == nil {
		return nil, fmt.Errorf("%s exists: a key is never replaced", privPath)
	}
	signer, err := k.generate()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, err
	}
	s, err := newSigner(name, signer)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(privPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pubPath, s.public.PEM, 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadOrCreate loads key name from dir, creating an Ed25519 key when there
// is none; created says which.
func LoadOrCreate(dir, name string) (s *Signer, created bool, err error) {
	s, err = Load(dir, name)
	if errors.Is(err, ErrNoKey) {
		s, err = Create(dir, name, Ed25519)
		return s, err == nil, err
	}
	return s, false, err
}

// ParsePublic reads a public key in PKIX PEM (a NAME.pub file).
func ParsePublic(data []byte) (PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return PublicKey{}, errors.New("not a PEM PUBLIC KEY")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return PublicKey{}, err
	}
	k, err := kindOf(key)
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{Kind: k, Key: key, PEM: pem.EncodeToMemory(block)}, nil
}

package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// ErrNoKey is returned for a key that has not been generated or imported.
var ErrNoKey = errors.New("no such key")

// Store is a folder of keys: own/KIND.pem are ours (private, mode 0600),
// parties/NAME.pem the parties' public keys or certificates.
type Store struct {
	Dir string
}

var partyName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

func (s Store) ownPath(kind Kind) string { return filepath.Join(s.Dir, "own", string(kind)+".pem") }

func (s Store) partyPath(name string) (string, error) {
	if !partyName.MatchString(name) {
		return "", fmt.Errorf("party %q: names are lower-case letters, digits and _, starting with a letter", name)
	}
	return filepath.Join(s.Dir, "parties", name+".pem"), nil
}

// Own reads our private key of kind; ErrNoKey when none was generated.
func (s Store) Own(kind Kind) (*PrivateKey, error) {
	path := s.ownPath(kind)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: our %s key (%s); run growth keys gen --kind %s", ErrNoKey, kind, path, kind)
	}
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivatePEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if k.Kind() != kind {
		return nil, fmt.Errorf("%s holds a %s key, not %s", path, k.Kind(), kind)
	}
	return k, nil
}

// Generate makes our key of kind and writes it; an existing key is kept
// (and returned with exists = true) unless replace is set.
func (s Store) Generate(kind Kind, replace bool) (k *PrivateKey, exists bool, err error) {
	if !replace {
		if k, err := s.Own(kind); err == nil {
			return k, true, nil
		} else if !errors.Is(err, ErrNoKey) {
			return nil, false, err
		}
	}
	k, err = Generate(kind)
	if err != nil {
		return nil, false, err
	}
	data, err := k.MarshalPEM()
	if err != nil {
		return nil, false, err
	}
	return k, false, writeFile(s.ownPath(kind), data, 0o600)
}

// Party reads the public key of the named party; ErrNoKey when none was
// imported.
func (s Store) Party(name string) (*PublicKey, error) {
	path, err := s.partyPath(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: party %s has no public key (%s); run growth keys import %s FILE", ErrNoKey, name, path, name)
	}
	if err != nil {
		return nil, err
	}
	p, err := ParsePublicPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Import stores a party's public key or certificate (PEM) after checking
// that it parses.
func (s Store) Import(name string, data []byte) (*PublicKey, error) {
	path, err := s.partyPath(name)
	if err != nil {
		return nil, err
	}
	p, err := ParsePublicPEM(data)
	if err != nil {
		return nil, err
	}
	return p, writeFile(path, data, 0o644)
}

// writeFile writes data to path through a temporary file, so a crash leaves
// the old key or the new one, never half of one.
func writeFile(path string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

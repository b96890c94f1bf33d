// Package enginetest is the test-app factory: a fresh SQLite file or a fresh
// PostgreSQL schema per test, definitions written from strings, and a started
// runtime. Every engine, apps and ui test uses it so that the same scenarios
// run on both databases.
package enginetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/keys"
	"github.com/growth-gov/growth/metamodel"
)

// PostgresEnv names the environment variable holding the PostgreSQL URL tests
// use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "GROWTH_TEST_POSTGRES"

// Dialects lists the databases a test runs on: SQLite always, PostgreSQL when
// GROWTH_TEST_POSTGRES is set. Under CI (CI=true) PostgreSQL is required and
// its absence fails the test instead of skipping it.
func Dialects(t testing.TB) []engine.Dialect {
	out := []engine.Dialect{engine.SQLite}
	if os.Getenv(PostgresEnv) != "" {
		out = append(out, engine.Postgres)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set, but CI=true requires the PostgreSQL tests to run", PostgresEnv)
	} else {
		t.Logf("PostgreSQL tests skipped: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them", PostgresEnv)
	}
	return out
}

// ForEachDB runs fn as a subtest per database.
func ForEachDB(t *testing.T, fn func(t *testing.T, d engine.Dialect)) {
	for _, d := range Dialects(t) {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// OpenDB opens a fresh, empty database of dialect d, dropped when t ends.
func OpenDB(t testing.TB, d engine.Dialect) *engine.DB {
	t.Helper()
	return Connect(t, FreshDSN(t, d))
}

// FreshDSN makes a fresh, empty database of dialect d (a SQLite file, or a
// PostgreSQL schema) and returns its address, for tests that open it more
// than once, as several servers do; the database is dropped when t ends.
func FreshDSN(t testing.TB, d engine.Dialect) string {
	t.Helper()
	ctx := context.Background()
	switch d {
	case engine.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case engine.Postgres:
		base := os.Getenv(PostgresEnv)
		if base == "" {
			t.Skipf("PostgreSQL not configured (%s)", PostgresEnv)
		}
		schema := "t_" + randomHex(6)
		admin, err := engine.Open(ctx, base)
		if err != nil {
			t.Fatalf("PostgreSQL at %s is not reachable: %v", base, err)
		}
		if _, err := admin.Write.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = admin.Write.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		return withSearchPath(base, schema)
	}
	t.Fatalf("unknown dialect %q", d)
	return ""
}

// Connect opens dsn, closed when t ends (before FreshDSN drops it).
func Connect(t testing.TB, dsn string) *engine.DB {
	t.Helper()
	db, err := engine.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN is the address of a fresh, empty database of dialect d, for commands
// that open the database themselves (--db); a PostgreSQL schema is dropped
// when t ends.
func DSN(t testing.TB, d engine.Dialect) string {
	t.Helper()
	if d == engine.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL not configured (%s)", PostgresEnv)
	}
	ctx := context.Background()
	schema := "t_" + randomHex(6)
	admin, err := engine.Open(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable: %v", base, err)
	}
	if _, err := admin.Write.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Write.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return withSearchPath(base, schema)
}

func withSearchPath(base, schema string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WriteDefinitions writes files (path relative to a fresh definitions folder →
// content) and returns the folder.
func WriteDefinitions(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Load loads and checks definitions from files as every command does
// (engine.LoadDefinitions) and fails the test on any problem.
func Load(t testing.TB, files map[string]string) *metamodel.Project {
	t.Helper()
	p, err := engine.LoadDefinitions(WriteDefinitions(t, files))
	if err != nil {
		t.Fatalf("definitions do not load:\n%v", err)
	}
	return p
}

// LoadDir loads and checks a definitions folder (such as the shipped
// ../../definitions).
func LoadDir(t testing.TB, dir string) *metamodel.Project {
	t.Helper()
	p, err := engine.LoadDefinitions(dir)
	if err != nil {
		t.Fatalf("definitions in %s do not load:\n%v", dir, err)
	}
	return p
}

// Start opens a fresh database of dialect d and starts a runtime on p with
// access, which a test names as the server would: engine.NewRoleAccess for
// the definitions' roles (RoleAccess), or engine.OpenAccess{} for a test
// that lets everyone do everything. When p declares exchanges, the runtime
// signs with fresh keys of every kind (TestKeys), so that events producing
// messages fire as in production.
func Start(t testing.TB, d engine.Dialect, p *metamodel.Project, access engine.Access) *engine.Runtime {
	t.Helper()
	db := OpenDB(t, d)
	rt, err := engine.Start(context.Background(), db, p, engine.StartOptions{Access: access, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("start on %s: %v", d, err)
	}
	if len(p.Exchanges()) > 0 {
		rt.SetExchangeKeys(TestKeys(t))
	}
	return rt
}

// RoleAccess is the access of p's roles, as growth serve builds it.
func RoleAccess(t testing.TB, p *metamodel.Project) *engine.RoleAccess {
	t.Helper()
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	return access
}

// TestKeys is a fresh key folder with our keys of every kind and no party's;
// a test imports the parties it plays and gives the store to the runtime
// (rt.SetExchangeKeys).
func TestKeys(t testing.TB) keys.Store {
	t.Helper()
	s := keys.Store{Dir: t.TempDir()}
	for _, k := range keys.Kinds {
		if _, _, err := s.Generate(k, false); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Must returns v, or panics on err (the test fails with the error): for
// calls whose failure is not what a test is about, such as
// enginetest.Must(rt.Create(…)).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// CopyDir copies a definitions folder (such as the shipped one) to a fresh
// temporary folder, for tests that change a definition and restart.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

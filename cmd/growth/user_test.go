package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// withStdin runs fn with os.Stdin reading text (not a terminal, as in a script).
func withStdin(t *testing.T, text string, fn func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	fn()
}

func TestUserCommand(t *testing.T) {
	defs := enginetest.WriteDefinitions(t, map[string]string{"grants/app.yaml": `
app: grants
codesets:
  org:
    title: 单位
    levels: [3, 3]
    codes:
      - {code: "101", name: 教育厅}
      - {code: "101001", name: 教育厅本级, parent: "101"}
entities:
  grant:
    org_field: agency
    fields:
      agency: {type: code, codeset: org, required: true}
roles:
  clerk: {scope: own_org, can: {grant: [read]}}
`})
	db := "sqlite:" + filepath.Join(t.TempDir(), "growth.db")
	common := []string{"--db", db, "--definitions", defs}
	user := func(stdin string, args ...string) (int, string) {
		var code int
		var out string
		withStdin(t, stdin, func() { code, out = run(t, runUser, append(args, common...)...) })
		return code, out
	}
	scenarios := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"add with the password on stdin", "s3cret-pass\n", []string{"add", "Zhang.San", "--role", "grants.clerk", "--org", "101001", "--display", "张三"}, 0, "added zhang.san (张三), roles grants.clerk, org 101001"},
		{"add an admin", "adm1n-pass\n", []string{"add", "root", "--role", "admin"}, 0, "added root"},
		{"the same name again", "s3cret-pass\n", []string{"add", "zhang.san", "--role", "grants.clerk"}, 1, ""},
		{"an unqualified role", "s3cret-pass\n", []string{"add", "li.si", "--role", "clerk"}, 1, ""},
		{"an org outside the org tree", "s3cret-pass\n", []string{"add", "li.si", "--role", "grants.clerk", "--org", "999"}, 1, ""},
		{"no role", "s3cret-pass\n", []string{"add", "li.si"}, 2, ""},
		{"no password", "", []string{"add", "li.si", "--role", "grants.clerk"}, 1, ""},
		{"a common password", "12345678\n", []string{"add", "li.si", "--role", "grants.clerk"}, 1, ""},
		{"an easily guessed password", "asdfghjkl;'\n", []string{"add", "li.si", "--role", "grants.clerk"}, 1, ""},
		{"no name", "", []string{"disable"}, 2, ""},
		{"list", "", []string{"list"}, 0, "101001 教育厅本级"},
		{"move to the department", "", []string{"set-roles", "zhang.san", "--org", "101"}, 0, "zhang.san: roles grants.clerk, org 101"},
		{"change to a common password", "qwertyui\n", []string{"passwd", "zhang.san"}, 1, ""},
		{"change the password", "n3w-password\n", []string{"passwd", "zhang.san"}, 0, "password of zhang.san changed"},
		{"disable", "", []string{"disable", "zhang.san"}, 0, "disabled zhang.san"},
		{"unknown user", "", []string{"disable", "nobody"}, 1, ""},
		{"unknown subcommand", "", []string{"promote", "zhang.san"}, 2, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, out := user(sc.stdin, sc.args...)
			if code != sc.code {
				t.Fatalf("exit %d, want %d; output: %s", code, sc.code, out)
			}
			if sc.want != "" && !strings.Contains(out, sc.want) {
				t.Errorf("output %q lacks %q", out, sc.want)
			}
		})
	}
	// What the CLI did is what the server sees: the new password, the
	// department, the user disabled; every change audited as the CLI's.
	ctx := context.Background()
	p := enginetest.LoadDir(t, defs)
	database, err := engine.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close()
	users := engine.NewUsers(database, p)
	if _, err := users.Login(ctx, "root", "adm1n-pass", "127.0.0.1", engine.BearerSession); err != nil {
		t.Errorf("root logs in: %v", err)
	}
	// Disabled: answered as a wrong password, even with the right one.
	if _, err := users.Login(ctx, "zhang.san", "n3w-password", "127.0.0.1", engine.BearerSession); err == nil || !strings.Contains(err.Error(), "用户名或密码错误") {
		t.Errorf("disabled zhang.san logs in: %v", err)
	}
	u, err := users.Get(ctx, "zhang.san")
	if err != nil || u.Org != "101" || u.Enabled {
		t.Errorf("zhang.san = %+v, %v", u, err)
	}
	var n int
	if err := database.Read.QueryRow(`SELECT COUNT(*) FROM growth_audit WHERE app = 'growth' AND entity = 'user' AND actor LIKE 'cli:%'`).Scan(&n); err != nil || n != 5 {
		t.Errorf("%d user changes audited as the CLI's (%v), want 5", n, err)
	}
}

// TestDefinitionsFolderMissing: run outside the project's folder, a command
// says how to point at the definitions instead of "no such file".
func TestDefinitionsFolderMissing(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := loadProject("")
	if err == nil || !strings.Contains(err.Error(), "--definitions DIR") || !strings.Contains(err.Error(), "GROWTH_DEFINITIONS") {
		t.Fatalf("err = %v, want a hint at --definitions", err)
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "growth.db")
	if code := runSeed([]string{"--db", db}); code != 1 {
		t.Errorf("seed without definitions: exit %d", code)
	}
}

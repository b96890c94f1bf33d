package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

func TestSessionSettings(t *testing.T) {
	scenarios := []struct {
		name    string
		args    []string
		env     map[string]string
		secure  bool
		idle    time.Duration
		wantErr bool
	}{
		{name: "defaults: plain http works", idle: 30 * time.Minute},
		{name: "flags", args: []string{"--secure-cookies", "--session-idle", "15m"}, secure: true, idle: 15 * time.Minute},
		{name: "environment", env: map[string]string{"GROWTH_SECURE_COOKIES": "true", "GROWTH_SESSION_IDLE": "45m"}, secure: true, idle: 45 * time.Minute},
		{name: "a flag wins over the environment", args: []string{"--secure-cookies=false", "--session-idle=10m"},
			env: map[string]string{"GROWTH_SECURE_COOKIES": "true", "GROWTH_SESSION_IDLE": "45m"}, idle: 10 * time.Minute},
		{name: "not a boolean", env: map[string]string{"GROWTH_SECURE_COOKIES": "yes please"}, wantErr: true},
		{name: "not a duration", env: map[string]string{"GROWTH_SESSION_IDLE": "30"}, wantErr: true},
		{name: "too short", args: []string{"--session-idle", "10s"}, wantErr: true},
		{name: "longer than the session", args: []string{"--session-idle", "9h"}, wantErr: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			resolve := registerSessionFlags(fs)
			if err := fs.Parse(sc.args); err != nil {
				t.Fatal(err)
			}
			got, err := resolve(func(k string) string { return sc.env[k] })
			if sc.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.secureCookies != sc.secure || got.idle != sc.idle {
				t.Errorf("got secure=%v idle=%s, want secure=%v idle=%s", got.secureCookies, got.idle, sc.secure, sc.idle)
			}
		})
	}
}

func TestMetricsToken(t *testing.T) {
	for _, sc := range []struct {
		name, flag, env, want string
		wantErr               bool
	}{
		{name: "none: this host and admins only"},
		{name: "flag", flag: "0123456789abcdef", want: "0123456789abcdef"},
		{name: "environment", env: "fedcba9876543210", want: "fedcba9876543210"},
		{name: "the flag wins", flag: "0123456789abcdef", env: "fedcba9876543210", want: "0123456789abcdef"},
		{name: "too short", env: "secret", wantErr: true},
	} {
		got, err := resolveMetricsToken(sc.flag, func(k string) string {
			if k == "GROWTH_METRICS_TOKEN" {
				return sc.env
			}
			return ""
		})
		if (err != nil) != sc.wantErr || got != sc.want {
			t.Errorf("%s: %q, %v", sc.name, got, err)
		}
	}
}

// growth serve --oidc reads the single sign-on file; the client secret
// comes from the environment; an unknown key, or a rule naming a role the
// definitions lack, stops serve with what is wrong.
func TestLoadOIDC(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"fund/app.yaml": "app: fund\ntitle: 资金\nentities:\n  grant:\n    fields:\n      amount: money\nroles:\n  clerk:\n    scope: all\n    can:\n      grant: [read]\n"})
	users := engine.NewUsers(nil, p)
	env := func(k string) string {
		if k == "GROWTH_OIDC_CLIENT_SECRET" {
			return "from-the-environment"
		}
		return ""
	}
	base := "issuer: https://sso.example.gov.cn\nclient_id: growth\nredirect_url: https://growth.example.gov.cn/auth/oidc/callback\n"
	for _, sc := range []struct{ name, file, wantErr string }{
		{"good", base + "provision: true\nrules:\n  - {claim: groups, equals: clerks, roles: [fund.clerk]}\n", ""},
		{"unknown key", base + "client_secret: in-the-file\n", "client_secret"},
		{"unknown role", base + "rules:\n  - {claim: groups, equals: x, roles: [fund.boss]}\n", "fund.boss"},
		{"no issuer", "client_id: growth\nredirect_url: https://growth.example.gov.cn/auth/oidc/callback\n", "issuer is missing"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "oidc.yaml")
			if err := os.WriteFile(path, []byte(sc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			o, err := loadOIDC(path, users, env)
			if sc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), sc.wantErr) {
					t.Fatalf("got %v, want an error about %s", err, sc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Config.ClientSecret != "from-the-environment" || !o.Config.Provision || o.Config.LocalPasswords || len(o.Config.Rules) != 1 {
				t.Errorf("config %+v", o.Config)
			}
		})
	}
}

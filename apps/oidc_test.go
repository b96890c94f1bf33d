package apps_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/engine/web"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/oauth2"
	"golang.org/x/text/language"
)

// ssoUsers are the identity provider's users (storage.UserStore).
type ssoUsers map[string]*storage.User

func (u ssoUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u ssoUsers) GetUserByUsername(name string) *storage.User {
	for _, user := range u {
		if user.Username == name {
			return user
		}
	}
	return nil
}
func (u ssoUsers) ExampleClientID() string { return "growth" }

var providerUsers = ssoUsers{
	"u1": {ID: "u1", Username: "zhang", Password: "provider-pass-1", FirstName: "三", LastName: "张", Email: "zhang@czt.gov.example", EmailVerified: true, PreferredLanguage: language.Chinese},
	"u2": {ID: "u2", Username: "li", Password: "provider-pass-2", FirstName: "四", LastName: "李", Email: "li@sjt.gov.example", EmailVerified: true, PreferredLanguage: language.Chinese},
	"u3": {ID: "u3", Username: "wang", Password: "provider-pass-3", FirstName: "五", LastName: "王", Email: "wang@elsewhere.example", EmailVerified: true, PreferredLanguage: language.Chinese},
}

// startProvider starts an OpenID provider built from zitadel/oidc's op
// package (its example server and in-memory storage) on host, with the
// clients given; it returns the issuer URL. Providers started on one
// storage sign with one key.
func startProvider(t *testing.T, host string, st *storage.Storage, clients ...*storage.Client) string {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + strings.Replace(l.Addr().String(), "127.0.0.1", host, 1)
	storage.RegisterClients(clients...)
	if st == nil {
		st = storage.NewStorage(providerUsers)
	}
	// The example sets the process's default logger to this one.
	srv := &http.Server{Handler: exampleop.SetupServer(issuer, st, enginetest.QuietLogger(), false)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return issuer
}

// serveOn serves an auth server's app on ln (the provider redirects
// browsers to it, so it needs a real port).
func serveOn(t *testing.T, s *authServer, ln net.Listener) {
	t.Helper()
	go func() { _ = s.app.Listener(ln) }()
	t.Cleanup(func() { _ = s.app.Shutdown() })
}

// browserClient is a browser: cookies, and redirects followed.
func browserClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

// signIn follows start to the provider's login page and signs in there as
// user; it returns the last answer (after the redirects that follow).
func signIn(t *testing.T, c *http.Client, start, user, password string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	page := resp.Request.URL
	id := page.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("%s did not lead to the provider's login page but to %s (%d)", start, page, resp.StatusCode)
	}
	form := url.Values{"id": {id}, "username": {user}, "password": {password}}
	resp, err = c.PostForm(page.Scheme+"://"+page.Host+"/login/username", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func cookieOf(c *http.Client, base, name string) string {
	u, _ := url.Parse(base)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// Single sign-on end to end against a real OpenID provider: the code flow
// with PKCE gives a Growth web session; claims map to roles and org by the
// configured rules (and provision a user on first login); logout ends the
// Growth session; a user disabled in Growth, or unknown where provisioning
// is off, is refused; with local passwords off, a password login is refused.
func TestOIDCLogin(t *testing.T) {
	p := enginetest.Load(t, authDefs)
	clock := time.Now()
	s := startAuthServerOn(t, enginetest.FreshDSN(t, engine.SQLite), p, &clock)
	s.users.NoPasswords = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	issuer := startProvider(t, "localhost", nil, storage.WebClient("growth", "growth-secret", base+"/auth/oidc/callback"))
	sso, err := apps.NewOIDC(apps.OIDCConfig{Issuer: issuer, ClientID: "growth", ClientSecret: "growth-secret", RedirectURL: base + "/auth/oidc/callback",
		Provision: true, Rules: []apps.OIDCRule{
			{Claim: "email", Equals: "zhang@czt.gov.example", Roles: []string{"grants.clerk"}, Org: "101001"},
			{Claim: "email", Equals: "li@sjt.gov.example", Roles: []string{"grants.auditor"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.auth.OIDC, s.auth.Logger = sso, enginetest.QuietLogger()
	// The routes are added when the app is made: make it again with OIDC on.
	if s.app, err = apps.New(s.rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: s.auth}); err != nil {
		t.Fatal(err)
	}
	serveOn(t, s, ln)

	me := func(c *http.Client) (int, map[string]any) {
		resp, err := c.Get(base + "/api/auth/me")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	t.Run("first login provisions the user with the mapped roles and org", func(t *testing.T) {
		c := browserClient(t)
		resp, body := signIn(t, c, base+"/auth/oidc/login?next=/api/auth/me", "zhang", "provider-pass-1")
		if resp.StatusCode != 200 || !strings.Contains(body, `"name":"zhang"`) {
			t.Fatalf("after signing in: %d at %s: %s", resp.StatusCode, resp.Request.URL, body)
		}
		status, user := me(c)
		roles, _ := user["roles"].([]any)
		if status != 200 || user["org"] != "101001" || len(roles) != 1 || roles[0] != "grants.clerk" || !strings.Contains(user["display_name"].(string), "张") {
			t.Fatalf("me: %d %v", status, user)
		}
		token := cookieOf(c, base, web.SessionCookie)
		req, _ := http.NewRequest("POST", base+"/api/grants/grant", strings.NewReader(`{"agency": "101001", "amount": "10.00"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(web.CSRFHeader, web.CSRFTokenFor(token))
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("the clerk's write through the SSO session: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()

		t.Run("logout ends the Growth session", func(t *testing.T) {
			req, _ := http.NewRequest("POST", base+"/api/auth/logout", nil)
			req.Header.Set(web.CSRFHeader, web.CSRFTokenFor(token))
			resp, err := c.Do(req)
			if err != nil || resp.StatusCode != 204 {
				t.Fatalf("logout: %v %v", resp.StatusCode, err)
			}
			resp.Body.Close()
			// The cookie was cleared; the token itself is revoked too.
			req, _ = http.NewRequest("GET", base+"/api/auth/me", nil)
			req.Header.Set("Cookie", web.SessionCookie+"="+token)
			resp, _ = http.DefaultClient.Do(req)
			if resp.StatusCode != 401 {
				t.Fatalf("the session after logout: %d", resp.StatusCode)
			}
			resp.Body.Close()
		})
	})
	t.Run("another rule gives another role", func(t *testing.T) {
		c := browserClient(t)
		signIn(t, c, base+"/auth/oidc/login", "li", "provider-pass-2")
		if status, user := me(c); status != 200 || user["roles"].([]any)[0] != "grants.auditor" {
			t.Fatalf("me: %d %v", status, user)
		}
	})
	t.Run("a user disabled in Growth is refused", func(t *testing.T) {
		off := false
		if _, err := s.users.Change(context.Background(), engine.SystemActor, "zhang", engine.UserChange{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		resp, body := signIn(t, browserClient(t), base+"/auth/oidc/login", "zhang", "provider-pass-1")
		if resp.StatusCode != 401 || !strings.Contains(body, "账户已停用") {
			t.Fatalf("disabled user: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("with the web UI's login page, a refusal lands there saying why", func(t *testing.T) {
		s.auth.LoginPage = "/login"
		defer func() { s.auth.LoginPage = "" }()
		resp, _ := signIn(t, browserClient(t), base+"/auth/oidc/login", "zhang", "provider-pass-1")
		if got := resp.Request.URL; got.Path != "/login" || got.Query().Get("sso") != "disabled" {
			t.Fatalf("the disabled user's browser ended at %s", got)
		}
	})
	t.Run("without provisioning an unknown user is refused", func(t *testing.T) {
		sso.Config.Provision = false
		defer func() { sso.Config.Provision = true }()
		resp, body := signIn(t, browserClient(t), base+"/auth/oidc/login", "wang", "provider-pass-3")
		if resp.StatusCode != 401 || !strings.Contains(body, "没有用户 wang") {
			t.Fatalf("unknown user: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("a callback this server did not start is refused", func(t *testing.T) {
		resp, err := browserClient(t).Get(base + "/auth/oidc/callback?code=stolen&state=guessed")
		if err != nil || resp.StatusCode != 401 {
			t.Fatalf("forged callback: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	})
	t.Run("local passwords are off", func(t *testing.T) {
		resp, err := http.Post(base+"/api/auth/login", "application/json", strings.NewReader(`{"username": "li", "password": "whatever-1"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(body), "已关闭本地密码登录") {
			t.Fatalf("password login: %d %s", resp.StatusCode, body)
		}
	})
}

// idTokenFrom runs the code flow with PKCE against issuer as a client
// would and returns the raw ID token, issued with nonce.
func idTokenFrom(t *testing.T, issuer, clientID, secret, redirect, user, password, nonce string) string {
	t.Helper()
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	verifier := oauth2.GenerateVerifier()
	c := browserClient(t)
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, _ := signIn(t, c, conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), user, password)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("no code in the redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	return raw
}

// Growth accepts an ID token only when the provider it trusts signed it for
// this client, it has not expired, and it carries this login's nonce.
func TestOIDCRefusesTokens(t *testing.T) {
	const redirect = "http://127.0.0.1:1/auth/oidc/callback"
	// Two issuers that sign with the same key: a token of the other one is
	// refused for its issuer, not its signature.
	st := storage.NewStorage(providerUsers)
	issuer := startProvider(t, "localhost", st, storage.WebClient("growth-r", "secret-r", redirect))
	other := startProvider(t, "127.0.0.1", st, storage.WebClient("growth-r", "secret-r", redirect))
	raw := idTokenFrom(t, issuer, "growth-r", "secret-r", redirect, "li", "provider-pass-2", "nonce-1")
	fromOther := idTokenFrom(t, other, "growth-r", "secret-r", redirect, "li", "provider-pass-2", "nonce-1")

	verifierFor := func(issuer, clientID string) *apps.OIDC {
		o, err := apps.NewOIDC(apps.OIDCConfig{Issuer: issuer, ClientID: clientID, RedirectURL: redirect})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	ctx := context.Background()
	good := verifierFor(issuer, "growth-r")
	if _, claims, err := good.VerifyIDToken(ctx, raw, "nonce-1"); err != nil || claims["sub"] != "u2" {
		t.Fatalf("a good token is refused: %v %v", claims, err)
	}
	parts := strings.Split(raw, ".")
	payload := []byte(parts[1])
	payload[len(payload)/2] ^= 1
	tampered := parts[0] + "." + string(payload) + "." + parts[2]
	late := verifierFor(issuer, "growth-r")
	late.Now = func() time.Time { return time.Now().Add(24 * time.Hour) }

	for _, sc := range []struct {
		name  string
		o     *apps.OIDC
		token string
		nonce string
		want  string
	}{
		{"wrong signature", good, tampered, "nonce-1", "signature"},
		{"wrong issuer", good, fromOther, "nonce-1", "issued by a different provider"},
		{"wrong audience", verifierFor(issuer, "someone-else"), raw, "nonce-1", "audience"},
		{"expired", late, raw, "nonce-1", "expired"},
		{"another login's nonce", good, raw, "nonce-2", "nonce"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			_, _, err := sc.o.VerifyIDToken(ctx, sc.token, sc.nonce)
			if err == nil {
				t.Fatal("accepted")
			}
			var expired *oidc.TokenExpiredError
			if !strings.Contains(strings.ToLower(err.Error()), sc.want) && !(sc.want == "expired" && errors.As(err, &expired)) {
				t.Fatalf("refused for %v, want a refusal about %s", err, sc.want)
			}
		})
	}
}

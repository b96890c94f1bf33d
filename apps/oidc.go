package apps

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
	"golang.org/x/oauth2"
)

// Single sign-on through OpenID Connect: the authorization code flow with
// PKCE (S256) and a nonce, using github.com/coreos/go-oidc (discovery, key
// sets, ID token checks: signature, issuer, audience, expiry) and
// golang.org/x/oauth2 (the code exchange).
//
//	GET /auth/oidc/login?next=/path   → the provider's login page
//	GET /auth/oidc/callback           ← the provider sends the user back
//
// The callback checks state, exchanges the code with the PKCE verifier,
// verifies the ID token and its nonce, reads the claims (the ID token's,
// and the userinfo endpoint's for the same subject), maps them to a Growth
// user by the configured rules and opens an ordinary web session: logout,
// idle limits, disabling and the audit trail work as for a password login.
// The flow's state lives in a short-lived cookie, so that the callback may
// reach another server than the login did.

// OIDCConfig configures single sign-on; cmd reads it from a file.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (discovery at
	// Issuer/.well-known/openid-configuration).
	Issuer       string `yaml:"issuer"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"-"`
	// RedirectURL is this installation's callback as users' browsers reach
	// it: https://growth.example.gov.cn/auth/oidc/callback.
	RedirectURL string `yaml:"redirect_url"`
	// Scopes default to openid, profile and email.
	Scopes []string `yaml:"scopes"`
	// NameClaim names the claim that is the Growth user name
	// (default preferred_username); DisplayClaim the display name (name).
	NameClaim    string `yaml:"name_claim"`
	DisplayClaim string `yaml:"display_claim"`
	// OrgClaim, when set, names a claim holding the user's org code.
	OrgClaim string `yaml:"org_claim"`
	// Rules grant roles and an org by claim values. With rules, the roles
	// of every login are the union of the matching rules' roles (none
	// matching: no roles); without rules, roles are managed in Growth.
	Rules []OIDCRule `yaml:"rules"`
	// Provision creates a user on first login; without it a user must
	// exist in Growth (growth user add) before logging in.
	Provision bool `yaml:"provision"`
	// LocalPasswords keeps password login available next to the provider.
	LocalPasswords bool `yaml:"local_passwords"`
	// Label is the login button's text (default 统一身份认证登录).
	Label string `yaml:"label"`
}

// OIDCRule grants Roles, and Org if set, to users whose claim Claim equals
// Equals or, for a list claim (groups), contains it.
type OIDCRule struct {
	Claim  string   `yaml:"claim"`
	Equals string   `yaml:"equals"`
	Roles  []string `yaml:"roles"`
	Org    string   `yaml:"org"`
}

// Check says what is missing or wrong in c, for serve to refuse to start.
func (c *OIDCConfig) Check() error {
	var problems []string
	if c.Issuer == "" {
		problems = append(problems, "issuer is missing")
	}
	if c.ClientID == "" {
		problems = append(problems, "client_id is missing")
	}
	if !strings.HasSuffix(c.RedirectURL, "/auth/oidc/callback") {
		problems = append(problems, "redirect_url must be this server's public URL followed by /auth/oidc/callback")
	}
	for i, r := range c.Rules {
		if r.Claim == "" || r.Equals == "" || (len(r.Roles) == 0 && r.Org == "") {
			problems = append(problems, fmt.Sprintf("rule %d needs claim, equals and roles or org", i+1))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("oidc: %s", strings.Join(problems, "; "))
	}
	return nil
}

// OIDC logs users in through an OpenID Connect provider.
type OIDC struct {
	Config OIDCConfig
	// Now is the clock ID tokens are checked against (tests move it).
	Now func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC returns single sign-on through the provider c names. The
// provider is discovered at the first login, so that a provider that is
// down does not keep Growth from starting.
func NewOIDC(c OIDCConfig) (*OIDC, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	if c.NameClaim == "" {
		c.NameClaim = "preferred_username"
	}
	if c.DisplayClaim == "" {
		c.DisplayClaim = "name"
	}
	if c.Label == "" {
		c.Label = "统一身份认证登录"
	}
	return &OIDC{Config: c, Now: time.Now}, nil
}

// errSSO is the answer to a login the provider did not vouch for; the
// detail goes to the log.
var errSSO = engine.Unauthorized("统一身份认证未通过，请重新登录")

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(ctx, o.Config.Issuer)
	if err != nil {
		t := errcode.SSOUnavailable.Format("统一身份认证服务暂时无法访问，请稍后重试：%v", err)
		return nil, &engine.UnavailableError{Code: errcode.SSOUnavailable, Message: t.Zh, MessageEn: t.En}
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.Config.ClientID, ClientSecret: o.Config.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.Config.RedirectURL, Scopes: o.Config.Scopes}
}

// VerifyIDToken checks a raw ID token — its signature against the
// provider's keys, its issuer, audience (this client), expiry, and nonce —
// and returns its claims.
func (o *OIDC) VerifyIDToken(ctx context.Context, raw, nonce string) (*oidc.IDToken, map[string]any, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return nil, nil, err
	}
	tok, err := p.Verifier(&oidc.Config{ClientID: o.Config.ClientID, Now: o.Now}).Verify(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	if tok.Nonce != nonce {
		return nil, nil, errors.New("oidc: the ID token's nonce is not the one this login sent")
	}
	claims := map[string]any{}
	if err := tok.Claims(&claims); err != nil {
		return nil, nil, err
	}
	return tok, claims, nil
}

// Identity maps claims to a Growth user by the configuration.
func (o *OIDC) Identity(tok *oidc.IDToken, claims map[string]any) (engine.ExternalIdentity, error) {
	c := o.Config
	name, _ := claims[c.NameClaim].(string)
	if strings.TrimSpace(name) == "" {
		return engine.ExternalIdentity{}, fmt.Errorf("oidc: the claims carry no %s (name_claim)", c.NameClaim)
	}
	id := engine.ExternalIdentity{Issuer: tok.Issuer, Subject: tok.Subject, Name: name}
	id.DisplayName, _ = claims[c.DisplayClaim].(string)
	if c.OrgClaim != "" {
		id.Org, _ = claims[c.OrgClaim].(string)
	}
	if len(c.Rules) > 0 {
		id.Roles = []string{}
		for _, r := range c.Rules {
			if !claimHas(claims[r.Claim], r.Equals) {
				continue
			}
			for _, role := range r.Roles {
				if !containsString(id.Roles, role) {
					id.Roles = append(id.Roles, role)
				}
			}
			if r.Org != "" && id.Org == "" {
				id.Org = r.Org
			}
		}
	}
	return id, nil
}

func claimHas(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	case bool:
		return fmt.Sprint(x) == want
	case float64:
		return fmt.Sprint(x) == want
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// oidcFlowCookie carries one login's state, nonce, PKCE verifier and
// where to go afterwards, from /auth/oidc/login to the callback.
const oidcFlowCookie = "growth_oidc"

type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// localPath accepts a path of this site only ("/x", not "//host" or "/\host").
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n\t") && !strings.Contains(p, "://")
}

func (a *Auth) oidcLogin(c *fiber.Ctx) error {
	p, err := a.OIDC.discover(c.UserContext())
	if err != nil {
		return err
	}
	flow := oidcFlow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Next: c.Query("next")}
	if !localPath(flow.Next) {
		flow.Next = "/"
	}
	data, _ := json.Marshal(flow)
	c.Cookie(&fiber.Cookie{Name: oidcFlowCookie, Value: base64.RawURLEncoding.EncodeToString(data), Path: "/auth/oidc/",
		MaxAge: 600, HTTPOnly: true, Secure: a.SecureCookie, SameSite: fiber.CookieSameSiteLaxMode})
	url := a.OIDC.oauth(p).AuthCodeURL(flow.State, oauth2.S256ChallengeOption(flow.Verifier), oidc.Nonce(flow.Nonce))
	return c.Redirect(url, fiber.StatusFound)
}

// oidcCallback finishes a login; when the web UI's login page is known
// (Auth.LoginPage), a refusal sends the browser there with a code the page
// explains (?sso=disabled, unknown_user, expired or failed) rather than
// leaving it on a JSON answer.
func (a *Auth) oidcCallback(c *fiber.Ctx) error {
	err := a.oidcFinish(c)
	if err == nil || a.LoginPage == "" {
		return err
	}
	code := "failed"
	var ue *engine.UnavailableError
	switch {
	case errors.Is(err, engine.ErrAccountDisabled):
		code = "disabled"
	case errors.Is(err, errSSOExpired):
		code = "expired"
	case strings.Contains(err.Error(), "没有用户"):
		code = "unknown_user"
	case errors.As(err, &ue):
		code = "unavailable"
	case !errors.Is(err, engine.ErrUnauthorized):
		return err
	}
	a.log().Warn("oidc: login refused", "reason", code, "error", err.Error())
	return c.Redirect(a.LoginPage+"?sso="+code, fiber.StatusSeeOther)
}

// errSSOExpired: the callback came without this browser's flow cookie, or
// with another state.
var errSSOExpired = engine.Unauthorized("登录已过期或不是从本系统发起的，请重新登录")

func (a *Auth) oidcFinish(c *fiber.Ctx) error {
	ctx := c.UserContext()
	raw, err := base64.RawURLEncoding.DecodeString(c.Cookies(oidcFlowCookie))
	var flow oidcFlow
	if err != nil || json.Unmarshal(raw, &flow) != nil || flow.State == "" {
		return errSSOExpired
	}
	a.clearCookiePath(c, oidcFlowCookie, "/auth/oidc/")
	if c.Query("state") != flow.State {
		return errSSOExpired
	}
	if e := c.Query("error"); e != "" {
		a.log().Warn("oidc: the provider refused the login", "error", e, "description", c.Query("error_description"))
		return errSSO
	}
	p, err := a.OIDC.discover(ctx)
	if err != nil {
		return err
	}
	token, err := a.OIDC.oauth(p).Exchange(ctx, c.Query("code"), oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		a.log().Warn("oidc: code exchange failed", "error", err.Error())
		return errSSO
	}
	rawID, _ := token.Extra("id_token").(string)
	tok, claims, err := a.OIDC.VerifyIDToken(ctx, rawID, flow.Nonce)
	if err != nil {
		a.log().Warn("oidc: ID token refused", "error", err.Error())
		return errSSO
	}
	// The userinfo endpoint adds the profile claims many providers keep out
	// of the ID token; only for the same subject.
	if info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(token)); err == nil && info.Subject == tok.Subject {
		extra := map[string]any{}
		if info.Claims(&extra) == nil {
			for k, v := range extra {
				if _, has := claims[k]; !has {
					claims[k] = v
				}
			}
		}
	}
	id, err := a.OIDC.Identity(tok, claims)
	if err != nil {
		a.log().Warn("oidc: claims do not name a user", "error", err.Error())
		return errSSO
	}
	s, err := a.Users.LoginExternal(ctx, id, a.OIDC.Config.Provision, web.ClientAddress(c), engine.CookieSession)
	if err != nil {
		return err
	}
	a.SetSessionCookie(c, s)
	return c.Redirect(flow.Next, fiber.StatusSeeOther)
}

func (a *Auth) clearCookiePath(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: path, Expires: time.Unix(0, 0), MaxAge: -1, HTTPOnly: true, Secure: a.SecureCookie, SameSite: fiber.CookieSameSiteLaxMode})
}

package ui_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/ui"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/language"
)

// ssoUserStore is the identity provider's one user.
type ssoUserStore struct{}

var ssoUser = &storage.User{ID: "u1", Username: "zhang", Password: "provider-pass-1", FirstName: "三", LastName: "张",
	Email: "zhang@czt.gov.example", EmailVerified: true, PreferredLanguage: language.Chinese}

func (ssoUserStore) GetUserByID(id string) *storage.User {
	if id == ssoUser.ID {
		return ssoUser
	}
	return nil
}
func (ssoUserStore) GetUserByUsername(name string) *storage.User {
	if name == ssoUser.Username {
		return ssoUser
	}
	return nil
}
func (ssoUserStore) ExampleClientID() string { return "growth-ui" }

// In a real browser: the login page's single sign-on button leads to the
// provider (a zitadel/oidc provider in the test process); signing in there
// comes back logged in to Growth as the user the rules made, with the
// mapped role and org; logging out ends the Growth session.
func TestBrowserSingleSignOn(t *testing.T) {
	ctx := newChromium(t)
	p := enginetest.LoadDir(t, shippedDir)
	rt := enginetest.Start(t, engine.SQLite, p, engine.OpenAccess{})
	access, err := engine.NewRoleAccess(p)
	if err != nil {
		t.Fatal(err)
	}
	rt.Access = access

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + strings.Replace(pl.Addr().String(), "127.0.0.1", "localhost", 1)
	storage.RegisterClients(storage.WebClient("growth-ui", "ui-secret", base+"/auth/oidc/callback"))
	provider := &http.Server{Handler: exampleop.SetupServer(issuer, storage.NewStorage(ssoUserStore{}), enginetest.QuietLogger(), false)}
	go func() { _ = provider.Serve(pl) }()
	t.Cleanup(func() { provider.Close() })

	users := engine.NewUsers(rt.DB, p)
	users.HashCost = bcrypt.MinCost
	users.NoPasswords = true
	auth := apps.NewAuth(users)
	auth.LoginPage = "/login"
	auth.Logger = enginetest.QuietLogger()
	if auth.OIDC, err = apps.NewOIDC(apps.OIDCConfig{Issuer: issuer, ClientID: "growth-ui", ClientSecret: "ui-secret", RedirectURL: base + "/auth/oidc/callback",
		Provision: true, Rules: []apps.OIDCRule{{Claim: "email", Equals: "zhang@czt.gov.example", Roles: []string{"indicator.division_clerk"}, Org: "104"}}}); err != nil {
		t.Fatal(err)
	}
	app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if err := ui.Mount(app, rt, ui.Options{Sessions: auth, Logger: enginetest.QuietLogger()}); err != nil {
		t.Fatal(err)
	}
	s := &server{rt: rt, app: app, users: users}
	go func() { _ = s.app.Listener(ln) }()
	t.Cleanup(func() { _ = s.app.Shutdown() })

	b := tab{t: t, ctx: ctx, base: base}
	b.open("/login")
	b.do("the login page offers single sign-on and no password form", chromedp.WaitVisible(chromedp.CSS("#login-sso")))
	if html := b.text("section.login"); strings.Contains(html, "密码") {
		t.Errorf("the login page still asks for a password: %q", html)
	}
	b.click("single sign-on", "#login-sso", "#username")
	b.do("sign in at the provider",
		chromedp.SetValue(chromedp.CSS("#username"), "zhang"),
		chromedp.SetValue(chromedp.CSS("#password"), "provider-pass-1"),
		markPage,
		chromedp.Submit(chromedp.CSS("#password")),
		onNextPage("#inbox-total"),
	)
	// The header shows the display name the provider gave, the login name
	// on hover.
	if who := b.text("#current-user"); who != "三 张" {
		t.Errorf("the header greets %q, want the provider's name 三 张", who)
	}
	if login, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("current-user").title`)); err != nil || !strings.HasPrefix(login, "zhang ") {
		t.Errorf("logged in as %q (%v), want zhang on hover", login, err)
	}
	u, err := users.Get(t.Context(), "zhang")
	if err != nil || u.Org != "104" || len(u.Roles) != 1 || u.Roles[0] != "indicator.division_clerk" {
		t.Fatalf("the provisioned user: %+v %v", u, err)
	}
	b.click("log out", "#logout", "#login-sso")
	b.open("/ui/indicator/indicator")
	b.do("after logout the pages need a login again", chromedp.WaitVisible(chromedp.CSS("#login-sso")))
}

package ui_test

import (
	"net/http"
	"testing"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
	"github.com/growth-gov/growth/ui"
)

// With a single sign-on provider configured the login page offers it,
// keeping where the user was going; with local passwords off it shows no
// password form.
func TestLoginPageOffersSingleSignOn(t *testing.T) {
	p := enginetest.Load(t, map[string]string{"notes/app.yaml": "app: notes\ntitle: 记事\nentities:\n  note:\n    title: 记事\n    fields:\n      text: string\n"})
	for _, passwords := range []bool{true, false} {
		rt := enginetest.Start(t, engine.SQLite, p, engine.OpenAccess{})
		s := serve(t, rt)
		sso, err := apps.NewOIDC(apps.OIDCConfig{Issuer: "https://sso.example.gov.cn", ClientID: "growth",
			RedirectURL: "https://growth.example.gov.cn/auth/oidc/callback", LocalPasswords: passwords})
		if err != nil {
			t.Fatal(err)
		}
		auth := apps.NewAuth(s.users)
		auth.OIDC = sso
		s.users.NoPasswords = !passwords
		app, err := apps.New(rt, apps.Options{Logger: enginetest.QuietLogger(), Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		if err := ui.Mount(app, rt, ui.Options{Sessions: auth, Logger: enginetest.QuietLogger()}); err != nil {
			t.Fatal(err)
		}
		s.app = app
		page := s.browser(t).get("/login?next=/ui/notes/note")
		page.want(t, "login page", http.StatusOK, `id="login-sso" href="/auth/oidc/login?next=%2Fui%2Fnotes%2Fnote"`, "统一身份认证登录")
		s.browser(t).get("/login?sso=disabled").want(t, "login page after a refused sign-on", http.StatusOK, "您在本系统的账户已停用")
		if passwords {
			page.want(t, "login page with passwords", http.StatusOK, `name="password"`)
		} else {
			page.lacks(t, "login page without passwords", `name="password"`)
		}
	}
}

package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/enginetest"
)

// userForm is the add form as an administrator fills it in.
func userForm(name, password, password2, org string, roles ...string) url.Values {
	return url.Values{"name": {name}, "display_name": {"张三"}, "password": {password}, "password2": {password2}, "org": {org},
		"roles": roles, "enabled": {"false", "true"}}
}

// The user administration pages: only admins reach them; a user added there
// can log in; refusals are shown next to their fields with the input kept
// and say what the admin API says; a change writes only what the admin
// changed; disabling a user ends their session and their logins.
func TestUserAdministration(t *testing.T) {
	p := enginetest.LoadDir(t, shippedDir)
	enginetest.ForEachDB(t, func(t *testing.T, d engine.Dialect) {
		s := startServer(t, d, p)
		ctx := context.Background()
		s.addUser(t, "root", "", engine.AdminRole)
		s.addUser(t, "clerk", "104", "indicator.division_clerk")

		clerk := s.browser(t)
		clerk.login("clerk")
		clerk.get("/").lacks(t, "a clerk's portal", "/ui/admin/users")
		for _, path := range []string{"/ui/admin/users", "/ui/admin/users/new", "/ui/admin/users/root"} {
			clerk.get(path).want(t, "a clerk opens "+path, http.StatusForbidden, "只有管理员")
		}
		clerk.get("/")
		clerk.post("/ui/admin/users/new", userForm("mallory", testPassword, testPassword, "", engine.AdminRole)).
			want(t, "a clerk adds a user", http.StatusForbidden, "只有管理员")
		if _, err := s.users.Get(ctx, "mallory"); err == nil {
			t.Fatal("a clerk's post added a user")
		}

		admin := s.browser(t)
		admin.login("root")
		admin.get("/").want(t, "an admin's portal", 200, `id="nav-users"`, `id="portal-admin"`)
		list := admin.get("/ui/admin/users")
		list.want(t, "the list", 200, `data-user="clerk"`, `data-user="root"`, "业务处室经办（预算指标管理）", "系统管理员", `<span class="code">104</span>`, "四川省教育厅")
		list.lacks(t, "the list", "⟦")
		form := admin.get("/ui/admin/users/new")
		form.want(t, "the add form", 200, `name="password2"`, `value="indicator.division_clerk"`, "业务处室经办", `value="admin"`,
			`/ui/codes/agency?target=f-org`)
		form.lacks(t, "the add form", "⟦")
		for _, path := range []string{"/ui/admin/users/new?lang=en", "/ui/admin/users?lang=en", "/ui/admin/users/clerk?lang=en"} {
			en := admin.get(path)
			en.want(t, path, 200, "Users", "Org")
			en.lacks(t, path, "⟦")
		}
		admin.get("/ui/admin/users/new?lang=zh")
		added := admin.post("/ui/admin/users/new", userForm("zhang.san", testPassword, testPassword, "104001", "indicator.division_clerk"))
		added.want(t, "add", http.StatusSeeOther)
		if added.location != "/ui/admin/users/zhang.san" {
			t.Errorf("after adding: to %q", added.location)
		}
		admin.get(added.location).want(t, "the added user's page", 200, "已添加用户 zhang.san", "四川省教育厅（本级）")
		admin.do("POST", "/ui/admin/users/new", userForm("li.si", testPassword, testPassword, "")).
			want(t, "a post without a CSRF token", http.StatusForbidden)

		scenarios := []struct {
			name   string
			form   url.Values
			status int
			field  string
			text   string
		}{
			{"passwords differ", userForm("wang.wu", testPassword, "another-password", "104001"), http.StatusUnprocessableEntity, "field-password2", "两次输入的密码不一致"},
			{"an org of no org tree", userForm("wang.wu", testPassword, testPassword, "999999"), http.StatusUnprocessableEntity, "field-org", "单位 999999 不在单位代码集"},
			{"a short password", userForm("wang.wu", "short", "short", "104001"), http.StatusUnprocessableEntity, "field-password", "密码至少 8 个字符"},
			{"a common password", userForm("wang.wu", "qwertyui", "qwertyui", "104001"), http.StatusUnprocessableEntity, "field-password", "这是常见密码，很容易被猜到；请换一个"},
			{"an unknown role", userForm("wang.wu", testPassword, testPassword, "104001", "indicator.nobody"), http.StatusUnprocessableEntity, "field-roles", "角色 indicator.nobody 不存在"},
			{"a name taken", userForm("zhang.san", testPassword, testPassword, "104001"), http.StatusConflict, "field-name", "已存在同名用户"},
		}
		for _, sc := range scenarios {
			admin.get("/ui/admin/users/new")
			page := admin.post("/ui/admin/users/new", sc.form)
			page.want(t, sc.name, sc.status, `value="`+sc.form.Get("name")+`"`, `value="`+sc.form.Get("org")+`"`)
			if field := page.section(sc.field); !strings.Contains(field, sc.text) {
				t.Errorf("%s: %s lacks %q; %s", sc.name, sc.field, sc.text, excerpt(page.body))
			}
			page.lacks(t, sc.name, `value="`+testPassword+`"`)
		}
		// The API refuses the bad org with the same words.
		apiOrg := adminAPI(t, s, "POST", "/api/admin/users", `{"name": "wang.wu", "password": "`+testPassword+`", "org": "999999"}`)
		if msg := strings.Join(apiOrg.Error.Fields["org"], ""); !strings.Contains(msg, "单位 999999 不在单位代码集") {
			t.Errorf("the API's message for the bad org: %q", msg)
		}

		zhang, err := s.users.Get(ctx, "zhang.san")
		if err != nil {
			t.Fatal(err)
		}
		if zhang.DisplayName != "张三" || zhang.Org != "104001" || !slices.Equal(zhang.Roles, []string{"indicator.division_clerk"}) || !zhang.Enabled {
			t.Fatalf("the user added: %+v", zhang)
		}
		if rows := userAudit(t, s, zhang.ID); len(rows) != 1 || rows[0] != "root create" {
			t.Errorf("audit rows of the added user: %v, want one create by root", rows)
		}
		user := s.browser(t)
		user.login("zhang.san")
		user.get("/ui/indicator/indicator").want(t, "the new user's list", 200)

		// A change writes only what the admin changed: another admin's
		// change of the roles since the page was opened stays.
		page := admin.get("/ui/admin/users/zhang.san")
		page.want(t, "the user's page", 200, `value="张三"`, `id="role-indicator-division_clerk" name="roles" value="indicator.division_clerk" checked`)
		both := []string{"indicator.division_clerk", "indicator.division_reviewer"}
		if _, err := s.users.Change(ctx, engine.SystemActor, "zhang.san", engine.UserChange{Roles: &both}); err != nil {
			t.Fatal(err)
		}
		edit := url.Values{"_orig.display_name": {"张三"}, "_orig.org": {"104001"}, "_orig.roles": {"indicator.division_clerk"}, "_orig.enabled": {"true"},
			"display_name": {"张三丰"}, "org": {"104001"}, "roles": {"indicator.division_clerk"}, "enabled": {"false", "true"}}
		admin.post("/ui/admin/users/zhang.san", edit).want(t, "rename", http.StatusSeeOther)
		if got, _ := s.users.Get(ctx, "zhang.san"); got.DisplayName != "张三丰" || !slices.Equal(got.Roles, both) {
			t.Errorf("after renaming from an older page: %q %v, want 张三丰 and the other admin's roles %v", got.DisplayName, got.Roles, both)
		}
		admin.get("/ui/admin/users/zhang.san").want(t, "after the change", 200, "已保存用户 zhang.san", `value="张三丰"`)
		bad := url.Values{"_orig.org": {"104001"}, "org": {"999999"}, "display_name": {"张三丰"}, "_orig.display_name": {"张三丰"}}
		page = admin.post("/ui/admin/users/zhang.san", bad)
		page.want(t, "a bad org on the user's page", http.StatusUnprocessableEntity, `value="999999"`, `name="_orig.org" value="104001"`)
		if !strings.Contains(page.section("field-org"), "不在单位代码集") {
			t.Errorf("the bad org's message is not next to the org; %s", excerpt(page.body))
		}

		// An admin may not lock themselves out; another user they may.
		admin.get("/ui/admin/users/root")
		admin.post("/ui/admin/users/root", url.Values{"_orig.enabled": {"true"}, "enabled": {"false"}, "_orig.roles": {"admin"}, "roles": {"admin"}}).
			want(t, "an admin disables themselves", http.StatusForbidden, "不能停用自己")
		admin.get("/ui/admin/users/zhang.san")
		admin.post("/ui/admin/users/zhang.san", url.Values{"_orig.enabled": {"true"}, "enabled": {"false"}}).want(t, "disable", http.StatusSeeOther)
		if got := user.get("/ui/indicator/indicator"); got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, "/login") {
			t.Errorf("a disabled user's session: %d %s, want the login page", got.status, got.location)
		}
		user.get("/login")
		user.post("/login", url.Values{"username": {"zhang.san"}, "password": {testPassword}}).want(t, "a disabled user logs in: told as a wrong password", http.StatusUnauthorized, "用户名或密码错误")
		admin.get("/ui/admin/users").want(t, "the list after disabling", 200, "停用")

		// Enabled again with a new password, the user logs in with it.
		admin.get("/ui/admin/users/zhang.san")
		admin.post("/ui/admin/users/zhang.san", url.Values{"_orig.enabled": {"false"}, "enabled": {"false", "true"},
			"password": {"new-password-42"}, "password2": {"new-password-42"}}).want(t, "enable and reset the password", http.StatusSeeOther)
		user.get("/login")
		if in := user.post("/login", url.Values{"username": {"zhang.san"}, "password": {"new-password-42"}}); in.status != http.StatusSeeOther {
			t.Errorf("login with the new password: %d %s", in.status, excerpt(in.body))
		}

		// The user called "new" has a page of their own.
		s.addUser(t, "new", "")
		admin.get("/ui/admin/users").want(t, "the list links the user new", 200, `href="/ui/admin/users/_new"`)
		admin.get("/ui/admin/users/_new").want(t, "the user new", 200, "用户 new")
	})
}

// apiAnswer is an error answer of the REST API.
type apiAnswer struct {
	Error struct {
		Code   string              `json:"code"`
		Fields map[string][]string `json:"fields"`
	} `json:"error"`
}

// adminAPI logs root in over the API and sends body as root.
func adminAPI(t *testing.T, s *server, method, path, body string) apiAnswer {
	t.Helper()
	send := func(method, path, body, token string) *http.Response {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := s.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := send("POST", "/api/auth/login", `{"username": "root", "password": "`+testPassword+`"}`, "")
	var login struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil || login.Token == "" {
		t.Fatalf("API login: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	resp = send(method, path, body, login.Token)
	defer resp.Body.Close()
	var out apiAnswer
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// userAudit is the audit trail of a user: "actor action" per row.
func userAudit(t *testing.T, s *server, id int64) []string {
	t.Helper()
	db := s.rt.DB
	rows, err := db.Read.QueryContext(context.Background(), `SELECT actor, action FROM growth_audit WHERE app = 'growth' AND entity = 'user' AND record_id = `+db.Placeholder(1)+` ORDER BY chain_seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var actor, action string
		if err := rows.Scan(&actor, &action); err != nil {
			t.Fatal(err)
		}
		out = append(out, actor+" "+action)
	}
	return out
}

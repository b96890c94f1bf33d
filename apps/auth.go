package apps

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
	"github.com/growth-gov/growth/metamodel/errcode"
)

// Auth authenticates requests and serves login, logout, the current user and
// user administration:
//
//	POST  /api/auth/login          {"username", "password"} → {"token", "expires_at", "user"}
//	POST  /api/auth/logout         revokes the session of the request
//	GET   /api/auth/me             the user of the request
//	GET   /api/admin/users         every user (admin role)
//	POST  /api/admin/users         {"name", "display_name", "password", "roles", "org", "enabled"}
//	PATCH /api/admin/users/{name}  any of display_name, password, roles, org, enabled
//
// API clients send "Authorization: Bearer <token>"; the web UI keeps its
// session in an HttpOnly cookie and proves every form post with a CSRF token
// (engine/web).
type Auth struct {
	// Sessions is the web session (cookie and CSRF token) the API shares
	// with the web UI: Users and SecureCookie are its.
	web.Sessions
	// OIDC, when set, logs users in through an OpenID Connect provider
	// (oidc.go) at /auth/oidc/login.
	OIDC *OIDC
	// LoginPage, when set, is the web UI's login page, where a refused
	// single sign-on sends the browser (with ?sso=reason).
	LoginPage string
	// Logger receives what a client is not told (why a provider's answer
	// was refused); slog.Default when nil.
	Logger *slog.Logger
}

func (a *Auth) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// NewAuth returns the authentication of users.
func NewAuth(users *engine.Users) *Auth { return &Auth{Sessions: web.Sessions{Users: users}} }

// Actor identifies the caller: a bearer token, or else the session cookie,
// which on a request that may change something (not GET, HEAD or OPTIONS)
// must come with the session's CSRF token. No credential, a malformed,
// forged, expired or revoked one, or a disabled user is ErrUnauthorized.
func (a *Auth) Actor(c *fiber.Ctx) (engine.Actor, error) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		token, ok := bearerToken(h)
		if !ok {
			return engine.Actor{}, engine.Unauthorized("Authorization 头应为 “Bearer 令牌”")
		}
		return a.Users.Authenticate(c.UserContext(), token, engine.BearerSession)
	}
	if c.Cookies(web.SessionCookie) != "" {
		actor, err := a.ActorFromCookie(c)
		if err != nil {
			return engine.Actor{}, err
		}
		if !safeMethod(c.Method()) {
			if err := a.VerifyCSRF(c); err != nil {
				return engine.Actor{}, err
			}
		}
		return actor, nil
	}
	return a.Users.Authenticate(c.UserContext(), "", engine.BearerSession)
}

// bearerToken takes the token out of "Bearer <token>".
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// proxyHeader is the header naming the client when proxies are trusted.
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// mount adds the auth and admin routes; they come before the generic record
// routes, which would otherwise read /api/auth/login as app "auth".
func (a *Auth) mount(app *fiber.App) {
	app.Post("/api/auth/login", a.login)
	app.Post("/api/auth/logout", a.logout)
	app.Get("/api/auth/me", a.me)
	if a.OIDC != nil {
		app.Get("/auth/oidc/login", a.oidcLogin)
		app.Get("/auth/oidc/callback", a.oidcCallback)
	}
	admin := app.Group("/api/admin/users")
	admin.Get("/", a.listUsers)
	admin.Post("/", a.addUser)
	admin.Patch("/:name", a.changeUser)
}

// decodeStrict reads a JSON object into dst, refusing unknown fields.
func decodeStrict(body []byte, dst any) error {
	if err := checkJSON(body); err != nil {
		return err
	}
	// null (or any non-object) would decode into the zero value: an empty
	// change answered 200 as if it were one.
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return web.NewError(errcode.Malformed, "请求体应为 JSON 对象")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return web.NewError(errcode.Malformed, "请求体不是有效的 JSON 对象，或含有无法识别的字段：%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return web.NewError(errcode.Malformed, "JSON 对象之后还有多余内容")
	}
	return nil
}

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (a *Auth) login(c *fiber.Ctx) error {
	var body loginBody
	if err := decodeStrict(c.Body(), &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Username) == "" || body.Password == "" {
		return engine.Malformed("username", errcode.Required, "请输入用户名和密码")
	}
	s, err := a.Users.Login(c.UserContext(), body.Username, body.Password, web.ClientAddress(c), engine.BearerSession)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"token": s.Token, "token_type": "Bearer", "expires_at": s.ExpiresAt.UTC().Format(time.RFC3339), "user": a.userJSON(s.User)})
}

func (a *Auth) logout(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		token, ok := bearerToken(h)
		if !ok {
			return engine.Unauthorized("Authorization 头应为 “Bearer 令牌”")
		}
		if err := a.Users.Logout(c.UserContext(), token, engine.BearerSession); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
	if err := a.LogoutCookie(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *Auth) me(c *fiber.Ctx) error {
	actor, err := a.Actor(c)
	if err != nil {
		return err
	}
	u, err := a.Users.Get(c.UserContext(), actor.User)
	if err != nil {
		return err
	}
	return c.JSON(a.userJSON(u))
}

// userJSON renders a user for the API, with the name of its org.
func (a *Auth) userJSON(u *engine.User) fiber.Map {
	return fiber.Map{"id": u.ID, "name": u.Name, "display_name": u.DisplayName, "org": u.Org, "org_name": engine.OrgName(a.Users.Project(), u.Org),
		"roles": u.Roles, "enabled": u.Enabled, "created_at": u.CreatedAt.UTC().Format(time.RFC3339), "updated_at": u.UpdatedAt.UTC().Format(time.RFC3339)}
}

// admin returns the actor of an admin request, or 401/403.
func (a *Auth) admin(c *fiber.Ctx) (engine.Actor, error) {
	actor, err := a.Actor(c)
	if err != nil {
		return engine.Actor{}, err
	}
	if !slices.Contains(actor.Roles, engine.AdminRole) {
		return engine.Actor{}, engine.Forbidden("只有管理员（admin 角色）可以管理用户")
	}
	return actor, nil
}

func (a *Auth) listUsers(c *fiber.Ctx) error {
	if _, err := a.admin(c); err != nil {
		return err
	}
	users, err := a.Users.List(c.UserContext())
	if err != nil {
		return err
	}
	items := make([]fiber.Map, len(users))
	for i, u := range users {
		items[i] = a.userJSON(u)
	}
	return c.JSON(fiber.Map{"items": items})
}

type newUserBody struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	Password    string   `json:"password"`
	Roles       []string `json:"roles"`
	Org         string   `json:"org"`
	Enabled     *bool    `json:"enabled"`
}

func (a *Auth) addUser(c *fiber.Ctx) error {
	actor, err := a.admin(c)
	if err != nil {
		return err
	}
	var body newUserBody
	if err := decodeStrict(c.Body(), &body); err != nil {
		return err
	}
	u, err := a.Users.Add(c.UserContext(), actor, engine.NewUser{Name: body.Name, DisplayName: body.DisplayName, Password: body.Password,
		Roles: body.Roles, Org: body.Org, Disabled: body.Enabled != nil && !*body.Enabled})
	if err != nil {
		return err
	}
	c.Location("/api/admin/users/" + u.Name)
	return c.Status(fiber.StatusCreated).JSON(a.userJSON(u))
}

type userPatchBody struct {
	DisplayName *string   `json:"display_name"`
	Password    *string   `json:"password"`
	Roles       *[]string `json:"roles"`
	Org         *string   `json:"org"`
	Enabled     *bool     `json:"enabled"`
}

func (a *Auth) changeUser(c *fiber.Ctx) error {
	actor, err := a.admin(c)
	if err != nil {
		return err
	}
	var body userPatchBody
	if err := decodeStrict(c.Body(), &body); err != nil {
		return err
	}
	name := c.Params("name")
	u, err := a.Users.Change(c.UserContext(), actor, name, engine.UserChange{DisplayName: body.DisplayName, Password: body.Password,
		Roles: body.Roles, Org: body.Org, Enabled: body.Enabled})
	if err != nil {
		return err
	}
	return c.JSON(a.userJSON(u))
}

// SingleSignOn is where the web UI's single sign-on button starts and its
// text; "" when no OpenID Connect provider is configured.
func (a *Auth) SingleSignOn() (path, label string) {
	if a.OIDC == nil {
		return "", ""
	}
	return "/auth/oidc/login", a.OIDC.Config.Label
}

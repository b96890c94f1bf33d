package openapi

import (
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// Login, logout, the current user and user administration (apps/auth.go).
// The server mounts them when it authenticates users, which is how serve
// runs it.

// platformRoles are the roles that exist without any definition
// (engine.PlatformRoles; a test compares the two), and adminRole the one that
// manages users.
var platformRoles = []string{adminRole}

const adminRole = "admin"

// Users' limits, as the engine checks them.
const (
	userNamePattern      = `^[a-z0-9][a-z0-9_.@-]{0,63}$`
	minPasswordLength    = 8
	maxDisplayNameLength = 100
)

// addAuthPaths adds login, logout, the current user and user administration.
func (b *builder) addAuthPaths() error {
	tags := []string{authTag}

	login := &operation{
		Tags:        tags,
		Summary:     "Log in",
		Description: "Checks the password and starts a session; send its token as `Authorization: Bearer <token>` until it expires or POST /api/auth/logout ends it. Needs no token. Repeated failures lock the account, or slow the caller's address, for a while (429).",
		OperationID: "login",
		RequestBody: &requestBody{Required: true, Content: jsonBody(ref("LoginInput"))},
		Responses:   responses("200", "The session.", ref("Login"), "400", "401", "413", "429", "500"),
		Security:    public(),
	}
	if err := b.add("/api/auth/login", &pathItem{Post: login}); err != nil {
		return err
	}
	logout := &operation{
		Tags:        tags,
		Summary:     "Log out",
		Description: "Ends the session of the request's bearer token (or, from the web UI, of its session cookie, which it clears; that needs the X-CSRF-Token header). A request with neither credential is refused (403).",
		OperationID: "logout",
		Responses:   responses("204", "The session has ended.", nil, "401", "403", "500"),
	}
	if err := b.add("/api/auth/logout", &pathItem{Post: logout}); err != nil {
		return err
	}
	me := &operation{
		Tags:        tags,
		Summary:     "The current user",
		Description: "The user of the request's credential.",
		OperationID: "me",
		Responses:   responses("200", "The user.", ref("User"), "401", "500"),
	}
	if err := b.add("/api/auth/me", &pathItem{Get: me}); err != nil {
		return err
	}

	admin := "Needs the " + adminRole + " role (403 otherwise)."
	list := &operation{
		Tags:        tags,
		Summary:     "List users",
		Description: "Every user, by name. " + admin,
		OperationID: "list_users",
		Responses:   responses("200", "The users.", ref("UserList"), "401", "403", "500"),
	}
	create := &operation{
		Tags:        tags,
		Summary:     "Add a user",
		Description: "Adds a user who can log in with the given password. " + admin,
		OperationID: "create_user",
		RequestBody: &requestBody{Required: true, Content: jsonBody(ref("UserInput"))},
		Responses: orderedResponses("201", &response{
			Description: "The user as stored.",
			Headers:     map[string]*header{"Location": {Description: "/api/admin/users/{name}", Schema: &schema{Type: "string"}}},
			Content:     jsonBody(ref("User")),
		}),
	}
	errorRefs(create.Responses, "400", "401", "403", "409", "413", "422", "500")
	if err := b.add("/api/admin/users", &pathItem{Get: list, Post: create}); err != nil {
		return err
	}
	change := &operation{
		Tags:        tags,
		Summary:     "Change a user",
		Description: "Changes the given properties. Disabling a user or changing the password ends the user's sessions. An admin cannot disable themselves or take away their own admin role (403). " + admin,
		OperationID: "update_user",
		RequestBody: &requestBody{Required: true, Content: jsonBody(ref("UserPatch"))},
		Responses:   responses("200", "The user as stored.", ref("User"), "400", "401", "403", "404", "413", "422", "500"),
	}
	name := &parameter{Name: "name", In: "path", Required: true, Description: "The user's name (case does not matter).", Schema: &schema{Type: "string"}}
	return b.add("/api/admin/users/{name}", &pathItem{Parameters: []*parameter{name}, Patch: change})
}

// addUserSchemas adds the bodies of login and user administration.
func addUserSchemas(schemas *ordered[*schema], p *metamodel.Project) {
	schemas.Set("LoginInput", &schema{
		Type:     "object",
		Required: []string{"username", "password"},
		Properties: orderedOf(
			"username", &schema{Type: "string", Description: "The user's name; case and surrounding spaces do not matter."},
			"password", &schema{Type: "string", Format: "password"},
		),
		AdditionalProperties: false,
	})
	schemas.Set("Login", &schema{
		Type:     "object",
		Required: []string{"token", "token_type", "expires_at", "user"},
		Properties: orderedOf(
			"token", &schema{Type: "string", Description: "Send it as `Authorization: Bearer <token>`."},
			"token_type", &schema{Type: "string", Enum: []string{"Bearer"}},
			"expires_at", &schema{Type: "string", Format: "date-time", Description: "When the session ends unless it is ended sooner."},
			"user", ref("User"),
		),
	})
	schemas.Set("User", &schema{
		Type:     "object",
		Title:    "User",
		Required: []string{"id", "name", "display_name", "org", "org_name", "roles", "enabled", "created_at", "updated_at"},
		Properties: orderedOf(
			"id", &schema{Type: "integer", Format: "int64"},
			"name", &schema{Type: "string", Pattern: userNamePattern, Description: "The login name, lower case."},
			"display_name", &schema{Type: "string"},
			"org", &schema{Type: "string", Description: "The code of the user's org, which bounds the records roles with an org scope see; empty for none."},
			"org_name", &schema{Type: "string", Description: "The org's name; empty when the org is empty or no longer a code."},
			// The engine answers a user created or changed without roles with
			// null rather than [] (apps/auth.go renders User.Roles as is).
			"roles", &schema{Type: "array", Items: &schema{Type: "string"}, Nullable: true,
				Description: "The user's roles, sorted: " + adminRole + " or app.role. null, not [], in the answer to adding or changing a user to no roles."},
			"enabled", &schema{Type: "boolean", Description: "A disabled user cannot log in."},
			"created_at", &schema{Type: "string", Format: "date-time"},
			"updated_at", &schema{Type: "string", Format: "date-time"},
		),
	})
	schemas.Set("UserList", &schema{
		Type:       "object",
		Required:   []string{"items"},
		Properties: orderedOf("items", &schema{Type: "array", Items: ref("User")}),
	})
	roles := func() *schema {
		return &schema{Type: "array", Items: &schema{Type: "string", Enum: roleNames(p)},
			Description: "Roles: " + adminRole + " (manages users; no access to records) or app.role, a role of an app's definitions."}
	}
	org := func() *schema {
		return &schema{Type: "string", Description: orgDescription(p)}
	}
	password := func() *schema {
		return &schema{Type: "string", Format: "password", MinLength: ptr(minPasswordLength),
			Description: "At least 8 characters, at most 72 bytes, not the user's name."}
	}
	display := func() *schema {
		return &schema{Type: "string", MaxLength: ptr(maxDisplayNameLength)}
	}
	schemas.Set("UserInput", &schema{
		Type:     "object",
		Required: []string{"name", "password"},
		Properties: orderedOf(
			"name", &schema{Type: "string", Description: "The login name: lower-case letters, digits and _ . @ -, from a letter or digit, at most 64 characters (stored lower case)."},
			"display_name", withText(display(), "Default: the name."),
			"password", password(),
			"roles", roles(),
			"org", org(),
			"enabled", &schema{Type: "boolean", Default: true},
		),
		AdditionalProperties: false,
	})
	schemas.Set("UserPatch", &schema{
		Type:        "object",
		Description: "The properties to change; those left out keep their value.",
		Properties: orderedOf(
			"display_name", withText(display(), "Not empty."),
			"password", password(),
			"roles", roles(),
			"org", org(),
			"enabled", &schema{Type: "boolean"},
		),
		AdditionalProperties: false,
	})
}

// withText sets s's description.
func withText(s *schema, description string) *schema {
	s.Description = description
	return s
}

// roleNames are the roles a user may be given: the platform's, then
// "app.role" for every role of every app.
func roleNames(p *metamodel.Project) []string {
	out := append([]string(nil), platformRoles...)
	for _, a := range p.Apps {
		for _, r := range a.Roles {
			out = append(out, a.Name+"."+r.Name)
		}
	}
	return out
}

// orgDescription says which code sets a user's org comes from: those some
// entity's org_field takes its codes from.
func orgDescription(p *metamodel.Project) string {
	var sets []string
	seen := map[string]bool{}
	for _, a := range p.Apps {
		for _, e := range a.Entities {
			f := e.Field(e.OrgField)
			if f == nil || f.Set == nil || seen[f.Set.Name] {
				continue
			}
			seen[f.Set.Name] = true
			sets = append(sets, f.Set.Label()+" (`"+f.Set.Name+"`)")
		}
	}
	d := "The code of the user's org; empty for none."
	if len(sets) > 0 {
		d += " A code of " + strings.Join(sets, " or ") + "."
	}
	return d
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/growth-gov/growth/apps"
	"github.com/growth-gov/growth/engine"
	"golang.org/x/term"
)

func init() {
	register(command{name: "user", summary: "manage users: add, list, disable, enable, set-roles, passwd", run: runUser})
}

const userUsage = `usage:
  growth user add NAME --role R[,R…] [--org CODE] [--display NAME]   password from stdin, or a prompt
  growth user list
  growth user disable NAME
  growth user enable NAME
  growth user set-roles NAME --role R[,R…] [--org CODE]
  growth user passwd NAME                                            password from stdin, or a prompt

Roles are "app.role" as defined in the definitions (payment.agency_clerk) or
the platform role admin. The org is a code of an org tree (the code set of an
entity's org_field, such as agency 101001). Every change is audited.
Common flags: --db (env GROWTH_DB), --definitions (env GROWTH_DEFINITIONS).`

func runUser(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, userUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	// The name comes first (growth user add NAME --role …); flag stops at it.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), userUsage) }
	var dbf dbFlags
	dbf.register(fs)
	roles := fs.String("role", "", "roles, comma-separated: app.role or admin")
	org := fs.String("org", "", "org code (a code of an org tree)")
	display := fs.String("display", "", "display name (default: the login name)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	needsName := sub != "list"
	if needsName && name == "" {
		fmt.Fprintf(os.Stderr, "growth user %s: the user's name is missing\n\n%s\n", sub, userUsage)
		return 2
	}
	ctx := context.Background()
	p, err := loadProject(dbf.definitions)
	if err != nil {
		return fail("user", err)
	}
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("user", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fail("user", err)
	}
	users := engine.NewUsers(db, p)
	by := cliActor()
	switch sub {
	case "add":
		if *roles == "" {
			fmt.Fprintln(os.Stderr, "growth user add: --role is required (app.role, or admin)")
			return 2
		}
		password, err := readPassword(name)
		if err != nil {
			return fail("user add", err)
		}
		u, err := users.Add(ctx, by, engine.NewUser{Name: name, DisplayName: *display, Password: password, Roles: splitList(*roles), Org: *org})
		if err != nil {
			return fail("user add", explain(err))
		}
		fmt.Printf("added %s (%s), roles %s, org %s\n", u.Name, u.DisplayName, strings.Join(u.Roles, ","), orDash(u.Org))
	case "list":
		list, err := users.List(ctx)
		if err != nil {
			return fail("user list", err)
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tDISPLAY NAME\tORG\tROLES\tENABLED")
		for _, u := range list {
			org := orDash(u.Org)
			if n := engine.OrgName(p, u.Org); n != "" {
				org += " " + n
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\n", u.Name, u.DisplayName, org, strings.Join(u.Roles, ","), u.Enabled)
		}
		w.Flush()
	case "disable", "enable":
		enabled := sub == "enable"
		if _, err := users.Change(ctx, by, name, engine.UserChange{Enabled: &enabled}); err != nil {
			return fail("user "+sub, explain(err))
		}
		fmt.Printf("%sd %s\n", sub, engine.NormalizeUserName(name))
	case "set-roles":
		ch := engine.UserChange{}
		if *roles != "" {
			list := splitList(*roles)
			ch.Roles = &list
		}
		if *org != "" {
			ch.Org = org
		}
		if *display != "" {
			ch.DisplayName = display
		}
		if ch.Roles == nil && ch.Org == nil && ch.DisplayName == nil {
			fmt.Fprintln(os.Stderr, "growth user set-roles: give --role, --org or --display")
			return 2
		}
		u, err := users.Change(ctx, by, name, ch)
		if err != nil {
			return fail("user set-roles", explain(err))
		}
		fmt.Printf("%s: roles %s, org %s\n", u.Name, strings.Join(u.Roles, ","), orDash(u.Org))
	case "passwd":
		password, err := readPassword(name)
		if err != nil {
			return fail("user passwd", err)
		}
		if _, err := users.Change(ctx, by, name, engine.UserChange{Password: &password}); err != nil {
			return fail("user passwd", explain(err))
		}
		fmt.Printf("password of %s changed; its sessions are ended\n", engine.NormalizeUserName(name))
	default:
		fmt.Fprintf(os.Stderr, "growth user: unknown subcommand %q\n\n%s\n", sub, userUsage)
		return 2
	}
	return 0
}

// cliActor is who the audit trail names for changes made here.
func cliActor() engine.Actor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return engine.Actor{User: "cli:" + name}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// explain lists a validation error's problems one per line.
func explain(err error) error {
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var lines []string
	for field, list := range ve.Fields {
		for _, fe := range list {
			lines = append(lines, field+": "+fe.Message)
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

// readPassword reads a password: the first line of stdin when stdin is not
// a terminal (scripts: echo "$PW" | growth user add …), else twice from a
// prompt that does not echo.
func readPassword(name string) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", errors.New("no password on stdin")
		}
		return line, nil
	}
	fmt.Fprintf(os.Stderr, "password for %s: ", name)
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(os.Stderr, "again: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	if string(first) != string(second) {
		return "", errors.New("the passwords differ")
	}
	return string(first), nil
}

// setupAccess returns the authentication of the users of rt, whose access
// (the roles of the definitions) was given at start; with demo it first
// creates the demo users.
func setupAccess(ctx context.Context, rt *engine.Runtime, demo bool, log *slog.Logger) (*apps.Auth, error) {
	users := engine.NewUsers(rt.DB, rt.Project)
	if demo {
		list, err := users.EnsureDemoUsers(ctx)
		if err != nil {
			return nil, fmt.Errorf("demo users: %w", err)
		}
		for _, d := range list {
			log.Warn("demo user", "name", d.Name, "roles", strings.Join(d.Roles, ","), "org", d.Org, "created", d.Created)
		}
		log.Warn("demo users are enabled: anyone who can reach this server can log in with password " + engine.DemoPassword + "; do not use --demo in production")
	} else if list, err := users.List(ctx); err == nil && len(list) == 0 {
		// A newcomer's first start: nobody can log in yet, so say how.
		log.Warn("no users yet: nobody can log in. Create one with `growth user add NAME --role app.role --org CODE` (docs/access.md), or try the shipped apps with `growth seed` and `growth serve --demo`")
	}
	return apps.NewAuth(users), nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/growth-gov/growth/engine"
)

func init() {
	register(command{name: "plan", summary: "show the schema changes (SQL) the definitions need", run: runPlan})
	register(command{name: "migrate", summary: "apply schema changes; --allow-destructive for drops and narrowing", run: runMigrate})
}

func runPlan(args []string) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	allow := fs.Bool("allow-destructive", false, "also plan destructive changes (old data archived)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	p, err := loadProject(dbf.definitions)
	if err != nil {
		return fail("plan", err)
	}
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("plan", err)
	}
	defer db.Close()
	plan, err := db.PlanSchema(ctx, p, *allow)
	if err != nil {
		return fail("plan", err)
	}
	if len(plan.Steps) == 0 && len(plan.Refused) == 0 {
		fmt.Println("-- the database matches the definitions; nothing to do")
		return 0
	}
	for _, s := range plan.Steps {
		fmt.Printf("-- %s\n", s.Description)
		for _, stmt := range s.SQL {
			fmt.Println(strings.TrimSpace(stmt) + ";")
		}
		fmt.Println()
	}
	if err := plan.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func runMigrate(args []string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	allow := fs.Bool("allow-destructive", false, "apply destructive changes; old data is kept under archive names")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	p, err := loadProject(dbf.definitions)
	if err != nil {
		return fail("migrate", err)
	}
	access, err := roleAccess(p)
	if err != nil {
		return fail("migrate", err)
	}
	db, err := openDB(ctx, &dbf)
	if err != nil {
		return fail("migrate", err)
	}
	defer db.Close()
	log := newLogger(os.Stderr)
	if _, err := engine.Start(ctx, db, p, engine.StartOptions{Access: access, AllowDestructive: *allow, Logger: log, TakeOver: true}); err != nil {
		return fail("migrate", err)
	}
	fmt.Println("ok: the database matches the definitions")
	return 0
}

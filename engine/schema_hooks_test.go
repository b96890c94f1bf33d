package engine

import (
	"context"
	"strings"

	"github.com/growth-gov/growth/metamodel"
)

// FreshSchemaSQL is the DDL dialect d gives p's tables in a database that
// has none of them yet, with PostgreSQL's pg_trgm in schema trigram ("" for
// none): what growth plan prints before the first start, each step as
// "-- description" and its statements. Written without a connection, for
// the DDL goldens (schema_ddl_test.go).
func FreshSchemaSQL(d Dialect, p *metamodel.Project, trigram string) (string, error) {
	plan, err := d.plan(p, nil, trigram, "", false)
	if err != nil {
		return "", err
	}
	return PlanText(plan), nil
}

// PlanText writes a plan as growth plan prints it.
func PlanText(plan *Plan) string {
	var b strings.Builder
	for _, s := range plan.Steps {
		b.WriteString("-- " + s.Description + "\n")
		for _, stmt := range s.SQL {
			b.WriteString(strings.TrimSpace(stmt) + ";\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TrigramSchema is where db has pg_trgm, or "".
func TrigramSchema(ctx context.Context, db *DB) (string, error) { return db.trigramSchema(ctx) }

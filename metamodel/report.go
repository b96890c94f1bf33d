package metamodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Reports are grouped totals over one entity: measures aggregate a field
// (sum, count, min, max), sum the records' ledger balances, or compute a value
// from the group's other measures (an execution rate). The engine runs them as
// one GROUP BY query under the reader's data scope.

// BalanceMeasures are the ledger amounts a report may sum.
var BalanceMeasures = []string{"approved", "reserved", "consumed", "frozen", "available"}

// ReportGroupable reports whether a report may group by name on e: a field,
// or the workflow state.
func ReportGroupable(e *Entity, name string) bool {
	return e.Field(name) != nil || (name == "state" && e.Workflow != nil)
}

func checkReport(a *App, r *Report, ps *Problems) {
	checkName("report", r.Name, r.NamePos, ps)
	if r.Entity == "" {
		ps.Addf(r.NamePos, "report %s: entity is missing", r.Name)
		return
	}
	e := a.Entity(r.Entity)
	if e == nil {
		ps.Addf(r.At["entity"], "report %s: entity %q does not exist in app %s%s", r.Name, r.Entity, a.Name, suggest(r.Entity, entityNames(a)))
		return
	}
	for _, key := range []string{"group_by", "filters"} {
		names := r.GroupBy
		if key == "filters" {
			names = r.Filters
		}
		for i, name := range names {
			if !ReportGroupable(e, name) {
				ps.Addf(itemPos(r.At, key, i), "report %s: %s: field %q is not a field of entity %s%s", r.Name, key, name, e.Name, suggest(name, fieldNames(e)))
			}
		}
	}
	if len(r.Measures) == 0 {
		ps.Addf(r.NamePos, "report %s: needs at least one measure", r.Name)
	}
	checkReportMasks(r, e, ps)
	names := map[string]bool{}
	env := map[string]any{}
	for i, m := range r.Measures {
		measure := fmt.Sprintf("report %s: measure %d", r.Name, i+1)
		if m.Name == "" {
			ps.Addf(m.Pos, "%s: name is missing", measure)
		} else {
			measure = fmt.Sprintf("report %s: measure %s", r.Name, m.Name)
			checkName("measure", m.Name, m.At["name"], ps)
			if names[m.Name] {
				ps.Addf(m.At["name"], "%s: the name is used twice", measure)
			}
			names[m.Name] = true
		}
		kinds := 0
		for _, given := range []bool{m.Agg != "", m.Balance != "", m.Expr != ""} {
			if given {
				kinds++
			}
		}
		if kinds != 1 {
			ps.Addf(m.Pos, "%s: give exactly one of agg (with field), balance or expr", measure)
			continue
		}
		switch {
		case m.Agg != "":
			checkAggMeasure(e, m, measure, ps)
		case m.Balance != "":
			if !slices.Contains(BalanceMeasures, m.Balance) {
				ps.Addf(m.At["balance"], "%s: balance must be one of %s, got %q", measure, strings.Join(BalanceMeasures, ", "), m.Balance)
			}
			if e.Balance == nil {
				ps.Addf(m.At["balance"], "%s: entity %s declares no balance, so it has no ledger amounts to sum", measure, e.Name)
			}
		case m.Expr != "":
			prog, err := CompileValue(m.Expr, env)
			if err != nil {
				ps.Addf(m.At["expr"], "%s: expression does not compile (it may use the measures before it): %s", measure, exprError(err, env))
			} else {
				m.Program = prog
			}
		}
		if m.Name != "" {
			env[m.Name] = decimal.Zero
		}
	}
}

func checkAggMeasure(e *Entity, m *Measure, measure string, ps *Problems) {
	switch m.Agg {
	case "count":
	case "sum", "min", "max":
		f := e.Field(m.Field)
		switch {
		case m.Field == "":
			ps.Addf(m.Pos, "%s: agg %s needs field: the field aggregated", measure, m.Agg)
		case f == nil:
			ps.Addf(m.At["field"], "%s: field %q is not a field of entity %s%s", measure, m.Field, e.Name, suggest(m.Field, fieldNames(e)))
		case m.Agg == "sum" && f.Kind != nil && f.Kind.Column(f).Kind != ColumnScaled && f.Kind.Column(f).Kind != ColumnInt:
			ps.Addf(m.At["field"], "%s: cannot sum %s field %s; sum takes int, decimal, money and computed number fields", measure, f.Type, f.Name)
		}
	default:
		ps.Addf(m.At["agg"], "%s: agg must be one of %s, got %q%s", measure, strings.Join(Aggregates, ", "), m.Agg, suggest(m.Agg, Aggregates))
	}
}

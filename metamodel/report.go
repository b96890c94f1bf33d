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
// the workflow state, or a path along ref fields to one of those
// (indicator.project.name).
func ReportGroupable(e *Entity, name string) bool {
	_, _, _, err := ResolvePath(e, name)
	return err == nil
}

// ResolvePath resolves a field name or a dotted path on e: each part but the
// last is a ref field, the last a field (or state) of the entity reached.
// hops are the ref fields followed, end the entity reached and f the last
// field (nil for state).
func ResolvePath(e *Entity, name string) (hops []*Field, end *Entity, f *Field, err error) {
	parts := strings.Split(name, ".")
	end = e
	for i, part := range parts {
		last := i == len(parts)-1
		if last && part == "state" && end.Workflow != nil {
			return hops, end, nil, nil
		}
		f = end.Field(part)
		switch {
		case f == nil:
			return nil, nil, nil, fmt.Errorf("field %q is not a field of entity %s%s", part, end.Name, suggest(part, fieldNames(end)))
		case last:
			return hops, end, f, nil
		case f.Target == nil:
			return nil, nil, nil, fmt.Errorf("%s.%s is not a ref field, so %s cannot go on past it", end.Name, part, name)
		case len(hops) >= 3:
			return nil, nil, nil, fmt.Errorf("%s follows more than 3 references", name)
		}
		hops = append(hops, f)
		end = f.Target
	}
	return nil, nil, nil, fmt.Errorf("empty field name")
}

// CodeLevels is the code length at each of the first n levels of set (the
// widths of its levels added up), nil if set has no fixed-width levels.
func CodeLevels(set *CodeSet, n int) []int {
	levels := setLevels(set)
	if n > len(levels) {
		return nil
	}
	var out []int
	w := 0
	for _, l := range levels[:n] {
		w += l
		out = append(out, w)
	}
	return out
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
			if _, _, _, err := ResolvePath(e, name); err != nil {
				ps.Addf(itemPos(r.At, key, i), "report %s: %s: %s", r.Name, key, err)
			}
		}
	}
	if c := r.Chart; c != nil {
		if !slices.Contains(ChartTypes, c.Type) {
			ps.Addf(c.Pos, "report %s: chart: type must be one of %s, got %q%s", r.Name, strings.Join(ChartTypes, ", "), c.Type, suggest(c.Type, ChartTypes))
		}
		if c.Type == "pie" && len(c.Measures) > 1 {
			ps.Addf(c.At["measures"], "report %s: chart: a pie draws one measure, got %d", r.Name, len(c.Measures))
		}
		if len(r.GroupBy) == 0 {
			ps.Addf(c.Pos, "report %s: chart: the report has no group_by, so there is nothing to draw it over", r.Name)
		}
		for i, name := range c.Measures {
			if !slices.ContainsFunc(r.Measures, func(m *Measure) bool { return m.Name == name }) {
				ps.Addf(itemPos(c.At, "measures", i), "report %s: chart: %q is not a measure of the report", r.Name, name)
			}
		}
	}
	for i, name := range r.Tags {
		if a.Project().Tag(name) == nil {
			ps.Addf(itemPos(r.At, "tags", i), "report %s: tags: data tag %q is not declared (tags:)%s", r.Name, name, suggest(name, tagNames(a.Project())))
		}
	}
	for name, n := range r.Levels {
		pos := itemPos(r.At, "levels", name)
		_, _, f, err := ResolvePath(e, name)
		switch {
		case !slices.Contains(r.GroupBy, name):
			ps.Addf(pos, "report %s: levels: %s is not one of the report's group_by fields", r.Name, name)
		case err != nil || f == nil || f.Set == nil:
			ps.Addf(pos, "report %s: levels: %s is not a code field", r.Name, name)
		case len(setLevels(f.Set)) == 0:
			ps.Addf(pos, "report %s: levels: code set %s of %s declares no levels (fixed-width codes), so its codes cannot be cut to a level", r.Name, f.Set.Name, name)
		case n < 1 || n > len(setLevels(f.Set)):
			ps.Addf(pos, "report %s: levels: %s: code set %s has levels 1 to %d, got %d", r.Name, name, f.Set.Name, len(setLevels(f.Set)), n)
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
		for _, given := range []bool{m.Agg != "", m.Balance != "", m.Expr != "", m.Movement != ""} {
			if given {
				kinds++
			}
		}
		if kinds != 1 {
			ps.Addf(m.Pos, "%s: give exactly one of agg (with field), balance, movement or expr", measure)
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
		case m.Movement != "":
			if kinds := LedgerMovementKinds(); !slices.Contains(kinds, m.Movement) {
				ps.Addf(m.At["movement"], "%s: movement must be one of %s, got %q%s", measure, strings.Join(kinds, ", "), m.Movement, suggest(m.Movement, kinds))
			}
			if e.Balance == nil {
				ps.Addf(m.At["movement"], "%s: entity %s declares no balance, so it has no ledger movements to sum", measure, e.Name)
			}
			if m.Source != "" && a.Project().Entity(a, m.Source) == nil {
				ps.Addf(m.At["source"], "%s: source: entity %q does not exist", measure, m.Source)
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
		var f *Field
		var err error
		if m.Field != "" {
			_, _, f, err = ResolvePath(e, m.Field)
		}
		switch {
		case m.Field == "":
			ps.Addf(m.Pos, "%s: agg %s needs field: the field aggregated", measure, m.Agg)
		case err != nil:
			ps.Addf(m.At["field"], "%s: %s", measure, err)
		case f == nil:
			ps.Addf(m.At["field"], "%s: field %q is the workflow state, which cannot be aggregated", measure, m.Field)
		case m.Agg == "sum" && f.Kind != nil && f.Kind.Column(f).Kind != ColumnScaled && f.Kind.Column(f).Kind != ColumnInt:
			ps.Addf(m.At["field"], "%s: cannot sum %s field %s; sum takes int, decimal, money and computed number fields", measure, f.Type, f.Name)
		}
	default:
		ps.Addf(m.At["agg"], "%s: agg must be one of %s, got %q%s", measure, strings.Join(Aggregates, ", "), m.Agg, suggest(m.Agg, Aggregates))
	}
}

// checkTag checks a data tag's name and entity; its criterion is in the
// filter language, which the engine checks (engine.CheckFilters: fields,
// codes, tags that name themselves).
func checkTag(p *Project, a *App, t *Tag, ps *Problems) {
	if t.Name == "" || strings.ContainsAny(t.Name, " \t\r\n()',\"#$\u3000") {
		ps.Addf(t.NamePos, "tag %q: a tag's name may not hold spaces, quotes, parentheses, commas, # or $", t.Name)
	}
	for _, other := range p.Apps {
		if other == a {
			break
		}
		for _, o := range other.Tags {
			if o.Name == t.Name {
				ps.Addf(t.NamePos, "tag %s: also declared in app %s; tag names are unique across the project", t.Name, other.Name)
			}
		}
	}
	if strings.TrimSpace(t.Where) == "" {
		ps.Addf(t.NamePos, "tag %s: where is missing: the criterion, e.g. func_class under '205'", t.Name)
	}
	if t.Entity == "" {
		ps.Addf(t.NamePos, "tag %s: entity is missing: the entity whose fields the criterion names", t.Name)
		return
	}
	if t.Target = p.Entity(a, t.Entity); t.Target == nil {
		ps.Addf(t.At["entity"], "tag %s: entity %q does not exist%s", t.Name, t.Entity, suggest(t.Entity, entityNames(a)))
	}
}

func tagNames(p *Project) []string {
	var out []string
	for _, a := range p.Apps {
		for _, t := range a.Tags {
			out = append(out, t.Name)
		}
	}
	return out
}

// setLevels are the levels of set, or of the national set it extends.
func setLevels(set *CodeSet) []int {
	if set == nil {
		return nil
	}
	if len(set.Levels) == 0 && set.Base != nil {
		return set.Base.Levels
	}
	return set.Levels
}

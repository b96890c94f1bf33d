package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// ReportResult is a report's rows, one per group, and the totals row.
type ReportResult struct {
	Report  *metamodel.Report
	Entity  *metamodel.Entity
	Columns []ReportColumn
	Rows    []ReportRow
	Totals  ReportRow
}

// ReportColumn describes one column: a group key or a measure.
type ReportColumn struct {
	Name    string
	Label   string
	Group   bool
	Measure *metamodel.Measure
}

// ReportRow holds a group's keys and measures: group values in canonical form
// (with labels for codes, enums and states), measures as decimal.Decimal, int64,
// or nil for an expression that divided by zero.
type ReportRow struct {
	Values map[string]any
	Labels map[string]string
}

// Report runs report name of app for actor: one GROUP BY query over the
// entity under the actor's data scope, the report's fixed where, and the
// reader's filter (on the report's declared filters only).
func (rt *Runtime) Report(ctx context.Context, actor Actor, app, name, userFilter string) (*ReportResult, error) {
	a := rt.Project.App(app)
	if a == nil {
		return nil, fmt.Errorf("%w: app %s", ErrUnknown, app)
	}
	var r *metamodel.Report
	for _, rep := range a.Reports {
		if rep.Name == name {
			r = rep
		}
	}
	if r == nil {
		return nil, fmt.Errorf("%w: report %s.%s", ErrUnknown, app, name)
	}
	s, err := rt.store(app, r.Entity)
	if err != nil {
		return nil, err
	}
	e := s.entity
	if !rt.Access.Can(actor, e, "read") {
		return nil, forbidden("您无权查看%s", e.Label())
	}
	q := rt.DB.Quote
	res := &ReportResult{Report: r, Entity: e}
	var sel, group []string
	for _, g := range r.GroupBy {
		if rt.Access.Hidden(actor, e, g) {
			return nil, forbidden("报表“%s”按您不可见的字段 %s 分组", r.Title, g)
		}
		sel = append(sel, "t."+q(g))
		group = append(group, "t."+q(g))
		res.Columns = append(res.Columns, ReportColumn{Name: g, Label: groupLabel(e, g), Group: true})
	}
	joinBalances := false
	for _, m := range r.Measures {
		res.Columns = append(res.Columns, ReportColumn{Name: m.Name, Label: m.Label, Measure: m})
		switch {
		case m.Agg == "count":
			sel = append(sel, "COUNT(*)")
		case m.Agg != "":
			if rt.Access.Hidden(actor, e, m.Field) {
				return nil, forbidden("报表“%s”汇总您不可见的字段 %s", r.Title, m.Field)
			}
			sel = append(sel, strings.ToUpper(m.Agg)+"(t."+q(m.Field)+")")
		case m.Balance != "":
			joinBalances = true
			col := "b." + m.Balance
			if m.Balance == "available" {
				col = "b.approved - b.reserved - b.consumed - b.frozen"
			}
			sel = append(sel, "COALESCE(SUM("+col+"), 0)")
		}
	}
	from := " FROM " + q(s.table) + " t"
	var args []any
	if joinBalances {
		from += " LEFT JOIN growth_balances b ON b.account_app = " + rt.DB.Placeholder(1) + " AND b.account_entity = " + rt.DB.Placeholder(2) + " AND b.account_id = t." + q("id")
		args = append(args, app, e.Name)
	}
	var conds []string
	addFilter := func(src string, resolve filter.Resolver, what string) error {
		if strings.TrimSpace(src) == "" {
			return nil
		}
		node, err := filter.Parse(src)
		if err != nil {
			return &BadQueryError{Param: what, Message: err.Error()}
		}
		cond, a, err := filter.Compile(node, resolve, binder{rt.DB}, len(args))
		if err != nil {
			return &BadQueryError{Param: what, Message: err.Error()}
		}
		conds, args = append(conds, "("+cond+")"), append(args, a...)
		return nil
	}
	prefixed := func(resolve filter.Resolver) filter.Resolver {
		return func(name string) (filter.Column, bool) {
			c, ok := resolve(name)
			c.SQL = "t." + c.SQL
			return c, ok
		}
	}
	if err := addFilter(r.Where, prefixed(rt.scopeResolver(s)), "where"); err != nil {
		return nil, fmt.Errorf("report %s.%s: %w", app, name, err)
	}
	declared := map[string]bool{}
	for _, f := range r.Filters {
		declared[f] = true
	}
	userResolve := prefixed(rt.resolver(actor, s))
	if err := addFilter(userFilter, func(name string) (filter.Column, bool) {
		if !declared[name] {
			return filter.Column{}, false
		}
		return userResolve(name)
	}, "filter"); err != nil {
		return nil, err
	}
	if scope := rt.Access.Scope(actor, e); scope != nil {
		cond, a, err := filter.Compile(scope, prefixed(rt.scopeResolver(s)), binder{rt.DB}, len(args))
		if err != nil {
			return nil, fmt.Errorf("data scope of %s: %w", e.QualifiedName(), err)
		}
		conds, args = append(conds, "("+cond+")"), append(args, a...)
	}
	query := "SELECT " + strings.Join(sel, ", ") + from
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	if len(group) > 0 {
		query += " GROUP BY " + strings.Join(group, ", ") + " ORDER BY " + strings.Join(group, ", ")
	}
	rows, err := rt.DB.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, rt.dbError(s, "report", err)
	}
	defer rows.Close()
	totals := map[string]any{}
	for rows.Next() {
		raw := make([]any, len(sel))
		ptrs := make([]any, len(sel))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, rt.dbError(s, "report", err)
		}
		row := ReportRow{Values: map[string]any{}, Labels: map[string]string{}}
		for i, g := range r.GroupBy {
			v, label, err := rt.groupValue(e, g, raw[i])
			if err != nil {
				return nil, err
			}
			row.Values[g] = v
			if label != "" {
				row.Labels[g] = label
			}
		}
		i := len(r.GroupBy)
		for _, m := range r.Measures {
			if m.Expr != "" {
				continue
			}
			v := measureValue(e, m, raw[i])
			i++
			row.Values[m.Name] = v
			totals[m.Name] = addMeasure(m, totals[m.Name], v)
		}
		if err := evalExprMeasures(r, row.Values); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, rt.dbError(s, "report", err)
	}
	rt.labelRefGroups(ctx, actor, e, r, res.Rows)
	if len(r.GroupBy) == 0 && len(res.Rows) == 1 {
		res.Totals = res.Rows[0]
		res.Rows = nil
		return res, nil
	}
	for _, m := range r.Measures {
		if _, ok := totals[m.Name]; !ok && m.Expr == "" && m.Agg != "min" && m.Agg != "max" {
			totals[m.Name] = zeroMeasure(e, m)
		}
	}
	res.Totals = ReportRow{Values: totals}
	if err := evalExprMeasures(r, totals); err != nil {
		return nil, err
	}
	return res, nil
}

func groupLabel(e *metamodel.Entity, name string) string {
	if f := e.Field(name); f != nil {
		return f.DisplayLabel()
	}
	return "状态"
}

// groupValue converts a group key to canonical form with its label.
func (rt *Runtime) groupValue(e *metamodel.Entity, name string, raw any) (any, string, error) {
	if name == "state" {
		s := asString(raw)
		return s, stateLabel(e.Workflow, s), nil
	}
	f := e.Field(name)
	v, err := fromDB(f.Kind.Column(f), raw)
	if err != nil || v == nil {
		return v, "", err
	}
	switch f.Type {
	case "code":
		if f.Set != nil {
			if n := f.Set.Lookup(v.(string)); n != nil {
				return v, n.Name, nil
			}
		}
	case "enum":
		return v, metamodel.EnumLabel(f, v.(string)), nil
	}
	return v, "", nil
}

// measureValue converts an aggregate from the database: money and decimals
// (summed in integer units) back to exact decimals, counts to int64.
func measureValue(e *metamodel.Entity, m *metamodel.Measure, raw any) any {
	if raw == nil {
		return nil
	}
	n, isInt := asInt64(raw)
	if !isInt {
		// Some drivers return a SUM of BIGINT as NUMERIC text.
		if d, err := decimal.NewFromString(asString(raw)); err == nil {
			n, isInt = d.IntPart(), true
		}
	}
	switch {
	case m.Balance != "":
		return decimal.New(n, -2)
	case m.Agg == "count":
		return n
	}
	f := e.Field(m.Field)
	c := f.Kind.Column(f)
	switch {
	case c.Kind == metamodel.ColumnScaled && isInt:
		return decimal.New(n, -int32(c.Scale))
	case c.Kind == metamodel.ColumnInt && isInt:
		return n
	}
	// min and max of dates, instants, text, bool: the same canonical value on
	// both databases, whatever the driver returned.
	if v, err := fromDB(c, raw); err == nil {
		return v
	}
	return raw
}

func zeroMeasure(e *metamodel.Entity, m *metamodel.Measure) any {
	return measureValue(e, m, int64(0))
}

// addMeasure accumulates a group's value into the totals row.
func addMeasure(m *metamodel.Measure, total, v any) any {
	if v == nil {
		return total
	}
	if total == nil {
		return v
	}
	switch t := total.(type) {
	case decimal.Decimal:
		d := v.(decimal.Decimal)
		switch m.Agg {
		case "min":
			return decimal.Min(t, d)
		case "max":
			return decimal.Max(t, d)
		}
		return t.Add(d)
	case int64:
		n := v.(int64)
		switch m.Agg {
		case "min":
			return min(t, n)
		case "max":
			return max(t, n)
		}
		return t + n
	}
	return total
}

// evalExprMeasures computes expr measures from the row's other measures.
func evalExprMeasures(r *metamodel.Report, values map[string]any) error {
	env := map[string]any{}
	for _, m := range r.Measures {
		if m.Expr == "" {
			switch v := values[m.Name].(type) {
			case decimal.Decimal:
				env[m.Name] = v
			case int64:
				env[m.Name] = decimal.NewFromInt(v)
			default:
				env[m.Name] = decimal.Zero
			}
			continue
		}
		if m.Program == nil {
			continue
		}
		out, err := metamodel.Run(m.Program, env)
		if err != nil {
			if strings.Contains(err.Error(), "division by zero") {
				values[m.Name] = nil
				env[m.Name] = decimal.Zero
				continue
			}
			return fmt.Errorf("report %s: measure %s: %w", r.Name, m.Name, err)
		}
		scale := m.Scale
		if scale == 0 {
			scale = 2
		}
		var d decimal.Decimal
		switch x := out.(type) {
		case decimal.Decimal:
			d = x
		case int:
			d = decimal.NewFromInt(int64(x))
		case float64:
			d = decimal.NewFromFloat(x)
		default:
			return fmt.Errorf("report %s: measure %s gave %T, not a number", r.Name, m.Name, out)
		}
		d = d.Round(int32(scale))
		values[m.Name] = d
		env[m.Name] = d
	}
	return nil
}

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
			if m.Agg == "sum" {
				sel = append(sel, rt.DB.sumSQL("t."+q(m.Field))...)
			} else {
				sel = append(sel, strings.ToUpper(m.Agg)+"(t."+q(m.Field)+")")
			}
		case m.Balance != "":
			joinBalances = true
			col := "b." + m.Balance
			if m.Balance == "available" {
				col = "b.approved - b.reserved - b.consumed - b.frozen"
			}
			sel = append(sel, rt.DB.sumSQL("COALESCE("+col+", 0)")...)
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
			n := rt.DB.measureColumns(m)
			v := measureValue(e, m, raw[i:i+n])
			i += n
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

// sumSQL selects the exact sum of an integer expression (money and decimals
// are stored in minor units). PostgreSQL sums a BIGINT into NUMERIC, which
// never overflows. SQLite's integer SUM fails past 2^63, so there the sum is
// taken in two parts, the high and the low 32 bits of each value, which stay
// far inside int64 for up to 2^31 rows; exactSum adds them in Go.
func (db *DB) sumSQL(x string) []string {
	if db.Dialect == SQLite {
		return []string{"SUM((" + x + ") >> 32)", "SUM((" + x + ") & 4294967295)"}
	}
	return []string{"SUM(" + x + ")"}
}

// measureColumns is the number of columns a measure takes in the select.
func (db *DB) measureColumns(m *metamodel.Measure) int {
	switch {
	case m.Expr != "":
		return 0
	case m.Balance != "" || m.Agg == "sum":
		return len(db.sumSQL(""))
	}
	return 1
}

var twoTo32 = decimal.NewFromInt(1 << 32)

// exactSum reads the columns of sumSQL back as one exact integer; false for
// the sum over no rows.
func exactSum(raw []any) (decimal.Decimal, bool) {
	part := func(v any) (decimal.Decimal, bool) {
		if n, ok := asInt64(v); ok {
			return decimal.NewFromInt(n), true
		}
		// PostgreSQL's NUMERIC arrives as text.
		d, err := decimal.NewFromString(asString(v))
		return d, err == nil
	}
	if raw[0] == nil {
		return decimal.Zero, false
	}
	hi, ok := part(raw[0])
	if !ok || len(raw) == 1 {
		return hi, ok
	}
	lo, ok := part(raw[1])
	return hi.Mul(twoTo32).Add(lo), ok
}

// measureValue converts an aggregate from the database: sums of money and
// decimals (in minor units) back to exact decimals, counts and sums of ints to
// int64 (a decimal where an int sum passes int64).
func measureValue(e *metamodel.Entity, m *metamodel.Measure, raw []any) any {
	if m.Balance != "" || m.Agg == "sum" {
		n, ok := exactSum(raw)
		if !ok {
			return nil
		}
		if m.Balance != "" {
			return n.Shift(-2)
		}
		f := e.Field(m.Field)
		if c := f.Kind.Column(f); c.Kind == metamodel.ColumnScaled {
			return n.Shift(-int32(c.Scale))
		}
		if n.IsInteger() && n.Abs().LessThan(maxInt64) {
			return n.IntPart()
		}
		return n
	}
	if raw[0] == nil {
		return nil
	}
	if m.Agg == "count" {
		n, _ := asInt64(raw[0])
		return n
	}
	f := e.Field(m.Field)
	c := f.Kind.Column(f)
	n, isInt := asInt64(raw[0])
	switch {
	case c.Kind == metamodel.ColumnScaled && isInt:
		return decimal.New(n, -int32(c.Scale))
	case c.Kind == metamodel.ColumnInt && isInt:
		return n
	}
	// min and max of dates, instants, text, bool: the same canonical value on
	// both databases, whatever the driver returned.
	if v, err := fromDB(c, raw[0]); err == nil {
		return v
	}
	return raw[0]
}

var maxInt64 = decimal.NewFromInt(1<<63 - 1)

func zeroMeasure(e *metamodel.Entity, m *metamodel.Measure) any {
	return measureValue(e, m, []any{int64(0), int64(0)})
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
		d, ok := v.(decimal.Decimal)
		if !ok {
			d = decimal.NewFromInt(v.(int64))
		}
		switch m.Agg {
		case "min":
			return decimal.Min(t, d)
		case "max":
			return decimal.Max(t, d)
		}
		return t.Add(d)
	case int64:
		n, ok := v.(int64)
		if !ok {
			return decimal.NewFromInt(t).Add(v.(decimal.Decimal))
		}
		switch m.Agg {
		case "min":
			return min(t, n)
		case "max":
			return max(t, n)
		}
		if sum := t + n; (sum > t) == (n > 0) {
			return sum
		}
		return decimal.NewFromInt(t).Add(decimal.NewFromInt(n))
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

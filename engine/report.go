package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// ReportResult is a report's rows, one per group (with subtotal rows when the
// report groups code fields by level), and the totals row.
type ReportResult struct {
	Report  *metamodel.Report
	Entity  *metamodel.Entity
	Columns []ReportColumn
	Rows    []ReportRow
	Totals  ReportRow
	// Filter is the reader's filter the report ran with.
	Filter string
}

// ReportColumn describes one column: a group key or a measure.
type ReportColumn struct {
	Name    string
	Label   string
	Group   bool
	Measure *metamodel.Measure
	// Field is the field a group column shows (nil for state), Entity the
	// entity it belongs to (the report's, or one reached along refs).
	Field  *metamodel.Field
	Entity *metamodel.Entity
	// Widths are the code lengths of the levels grouped (levels: in the report).
	Widths []int
}

// ReportRow holds a group's keys and measures: group values in canonical form
// (with labels for codes, enums and states), measures as decimal.Decimal, int64,
// or nil for an expression that divided by zero.
type ReportRow struct {
	Values map[string]any
	Labels map[string]string
	// Subtotal rows total the groups below one level of a code (Level: how many
	// group keys, counting each code level, the row is keyed by); the group
	// columns after them are empty.
	Subtotal bool
	Level    int
	// Under marks group values that stand for a code and every code below it.
	Under map[string]bool
}

// reportGroup is one group_by entry as the query reads it.
type reportGroup struct {
	name   string
	entity *metamodel.Entity
	field  *metamodel.Field
	widths []int
}

// Report runs report name of app for actor: one GROUP BY query over the
// entity (joined to the records its paths reference) under the actor's data
// scope, the report's fixed where, and the reader's filter (on the report's
// declared filters only).
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
		return nil, Forbidden("您无权查看%s", entityLabel(e))
	}
	q := rt.DB.Quote
	j := newJoins(rt.DB, "t")
	res := &ReportResult{Report: r, Entity: e, Filter: userFilter}
	var sel, group []string
	var groups []reportGroup
	for _, g := range r.GroupBy {
		if !rt.pathAllowed(actor, e, g) {
			return nil, Forbidden("报表“%s”按您不可见的字段 %s 分组", r.Title, g)
		}
		col, err := j.column(e, g)
		if err != nil {
			return nil, err
		}
		_, end, f, _ := metamodel.ResolvePath(e, g)
		rg := reportGroup{name: g, entity: end, field: f}
		if n := r.Levels[g]; n > 0 && f != nil {
			rg.widths = metamodel.CodeLevels(f.Set, n)
			col = "SUBSTR(" + col + ", 1, " + fmt.Sprint(rg.widths[len(rg.widths)-1]) + ")"
		}
		groups = append(groups, rg)
		sel = append(sel, col)
		group = append(group, col)
		res.Columns = append(res.Columns, ReportColumn{Name: g, Label: pathLabel(e, g), Group: true, Field: f, Entity: end, Widths: rg.widths})
	}
	var args []any
	var fromArgs []string
	joinBalances := false
	var moves []string
	var moveArgs []any
	for _, m := range r.Measures {
		res.Columns = append(res.Columns, ReportColumn{Name: m.Name, Label: m.Label, Measure: m})
		switch {
		case m.Agg == "count":
			sel = append(sel, "COUNT(*)")
		case m.Agg != "":
			if !rt.pathAllowed(actor, e, m.Field) {
				return nil, Forbidden("报表“%s”汇总您不可见的字段 %s", r.Title, m.Field)
			}
			col, err := j.column(e, m.Field)
			if err != nil {
				return nil, err
			}
			if m.Agg == "sum" {
				sel = append(sel, rt.DB.sumSQL(col)...)
			} else {
				sel = append(sel, strings.ToUpper(m.Agg)+"("+col+")")
			}
		case m.Balance != "":
			joinBalances = true
			col := "b." + m.Balance
			if m.Balance == "available" {
				col = "b.approved - b.reserved - b.consumed - b.frozen"
			}
			sel = append(sel, rt.DB.sumSQL("COALESCE("+col+", 0)")...)
		case m.Movement != "":
			alias := fmt.Sprintf("m%d", len(moves)+1)
			cond := "kind = " + rt.DB.Placeholder(0)
			moveArgs = append(moveArgs, m.Movement)
			if m.Source != "" {
				src := rt.Project.Entity(a, m.Source)
				cond += " AND source_app = " + rt.DB.Placeholder(0) + " AND source_entity = " + rt.DB.Placeholder(0)
				moveArgs = append(moveArgs, src.App.Name, src.Name)
			}
			moves = append(moves, "SUM(CASE WHEN "+cond+" THEN amount ELSE 0 END) AS "+alias)
			sel = append(sel, rt.DB.sumSQL("COALESCE(mv."+alias+", 0)")...)
		}
	}
	if joinBalances {
		fromArgs = append(fromArgs, " LEFT JOIN growth_balances b ON b.account_app = "+rt.DB.Placeholder(0)+" AND b.account_entity = "+rt.DB.Placeholder(0)+" AND b.account_id = t."+q("id"))
		args = append(args, app, e.Name)
	}
	if len(moves) > 0 {
		fromArgs = append(fromArgs, " LEFT JOIN (SELECT account_id, "+strings.Join(moves, ", ")+" FROM growth_ledger WHERE account_app = "+rt.DB.Placeholder(0)+" AND account_entity = "+rt.DB.Placeholder(0)+" GROUP BY account_id) mv ON mv.account_id = t."+q("id"))
		args = append(append(args, moveArgs...), app, e.Name)
	}
	var conds []string
	addFilter := func(src string, resolve filter.Resolver, what string) error {
		if strings.TrimSpace(src) == "" {
			return nil
		}
		node, err := filter.Parse(src)
		if err == nil {
			// The reader names only the report's tags; its where any.
			if what == "filter" {
				node, err = rt.expandReportTags(node, append([]string{}, r.Tags...))
			} else {
				node, err = rt.expandTags(node, nil)
			}
		}
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
			if strings.Contains(name, ".") {
				return s.pathColumn(name, j, nil)
			}
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
	whereResolve := prefixed(rt.scopeResolver(s))
	if err := addFilter(userFilter, func(name string) (filter.Column, bool) {
		if tagged, ok := strings.CutPrefix(name, tagField); ok {
			return whereResolve(tagged) // a condition of one of the report's tags
		}
		if !declared[name] || !rt.pathAllowed(actor, e, name) {
			return filter.Column{}, false
		}
		return userResolve(name)
	}, "filter"); err != nil {
		var bq *BadQueryError
		if errors.As(err, &bq) && strings.Contains(bq.Message, "data tag") {
			// the message names the report's tags
		} else if errors.As(err, &bq) && len(r.Filters) > 0 {
			bq.Message += "; this report may be filtered on " + strings.Join(r.Filters, ", ")
		} else if errors.As(err, &bq) {
			bq.Message += "; this report takes no filter"
		}
		return nil, err
	}
	if scope := rt.Access.Scope(actor, e); scope != nil {
		cond, a, err := filter.Compile(scope, prefixed(rt.scopeResolver(s)), binder{rt.DB}, len(args))
		if err != nil {
			return nil, fmt.Errorf("data scope of %s: %w", e.QualifiedName(), err)
		}
		conds, args = append(conds, "("+cond+")"), append(args, a...)
	}
	query := "SELECT " + strings.Join(sel, ", ") + " FROM " + q(s.table) + " t" + strings.Join(j.sql, "") + strings.Join(fromArgs, "")
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	if len(group) > 0 {
		query += " GROUP BY " + strings.Join(group, ", ") + " ORDER BY " + strings.Join(group, ", ")
	}
	query = rt.DB.numberPlaceholders(query)
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
		for i, g := range groups {
			v, label, err := rt.groupValue(g.entity, g.field, raw[i])
			if err != nil {
				return nil, err
			}
			row.Values[g.name] = v
			if label != "" {
				row.Labels[g.name] = label
			}
			if code, ok := v.(string); ok && len(g.widths) > 0 && len(code) == g.widths[len(g.widths)-1] {
				if row.Under == nil {
					row.Under = map[string]bool{}
				}
				row.Under[g.name] = true
			}
		}
		i := len(groups)
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
	if len(r.Levels) > 0 {
		if res.Rows, err = subtotals(r, groups, res.Rows); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// pathLabel labels a group column: the field's label, after the labels of the
// refs followed (指标·功能分类).
func pathLabel(e *metamodel.Entity, name string) string {
	hops, _, f, err := metamodel.ResolvePath(e, name)
	if err != nil {
		return name
	}
	var parts []string
	for _, h := range hops {
		parts = append(parts, h.DisplayLabel())
	}
	if f == nil {
		parts = append(parts, "状态")
	} else {
		parts = append(parts, f.DisplayLabel())
	}
	return strings.Join(parts, "·")
}

// groupValue converts a group key to canonical form with its label; f is
// nil for the workflow state of e.
func (rt *Runtime) groupValue(e *metamodel.Entity, f *metamodel.Field, raw any) (any, string, error) {
	if f == nil {
		s := asString(raw)
		return s, stateLabel(e.Workflow, s), nil
	}
	v, err := fromDB(f.Kind.Column(f), raw)
	if err != nil || v == nil {
		return v, "", err
	}
	label, _ := metamodel.ValueLabel(f, v, false)
	return v, label, nil
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
	case m.Balance != "" || m.Movement != "" || m.Agg == "sum":
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
	if m.Balance != "" || m.Movement != "" || m.Agg == "sum" {
		n, ok := exactSum(raw)
		if !ok {
			return nil
		}
		if m.Balance != "" || m.Movement != "" {
			return n.Shift(-2)
		}
		_, _, f, _ := metamodel.ResolvePath(e, m.Field)
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
	_, _, f, _ := metamodel.ResolvePath(e, m.Field)
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

// subtotals orders a levelled report's rows as a tree and adds a subtotal row
// for every group prefix: each level of a levelled code field, and each group
// before it (agency, then 类, 款 within it, then the rows at the last level).
func subtotals(r *metamodel.Report, groups []reportGroup, rows []ReportRow) ([]ReportRow, error) {
	type comp struct {
		group int
		level int // index into widths; -1 for an unlevelled group
	}
	var comps []comp
	for gi, g := range groups {
		if len(g.widths) == 0 {
			comps = append(comps, comp{gi, -1})
			continue
		}
		for l := range g.widths {
			comps = append(comps, comp{gi, l})
		}
	}
	// key gives a row's value at component c; short is true for a code too
	// short to have that level (a record coded at 类 has no 款).
	key := func(row ReportRow, c comp) (v any, short bool) {
		g := groups[c.group]
		v = row.Values[g.name]
		if c.level < 0 || v == nil {
			return v, false
		}
		code := v.(string)
		if w := g.widths[c.level]; len(code) >= w {
			return code[:w], false
		}
		return nil, true
	}
	subs := map[string]*ReportRow{}
	var order []string
	for _, row := range rows {
		for k := 1; k < len(comps); k++ {
			id := ""
			skip := false
			for _, c := range comps[:k] {
				v, short := key(row, c)
				if short {
					skip = true
					break
				}
				id += fmt.Sprintf("%T:%v\x00", v, v)
			}
			if skip {
				continue
			}
			id = fmt.Sprint(k) + "\x00" + id
			sub := subs[id]
			if sub == nil {
				sub = &ReportRow{Values: map[string]any{}, Labels: map[string]string{}, Subtotal: true, Level: k}
				for _, c := range comps[:k] {
					g := groups[c.group]
					v, _ := key(row, c)
					sub.Values[g.name] = v
					if c.level < 0 {
						if l, ok := row.Labels[g.name]; ok {
							sub.Labels[g.name] = l
						}
						continue
					}
					if v == nil {
						continue
					}
					if sub.Under == nil {
						sub.Under = map[string]bool{}
					}
					sub.Under[g.name] = true
					if n := g.field.Set.Lookup(v.(string)); n != nil {
						sub.Labels[g.name] = n.Name
					}
				}
				subs[id] = sub
				order = append(order, id)
			}
			for _, m := range r.Measures {
				if m.Expr == "" {
					sub.Values[m.Name] = addMeasure(m, sub.Values[m.Name], row.Values[m.Name])
				}
			}
		}
	}
	out := make([]ReportRow, 0, len(rows)+len(order))
	for _, id := range order {
		sub := subs[id]
		if err := evalExprMeasures(r, sub.Values); err != nil {
			return nil, err
		}
		out = append(out, *sub)
	}
	for _, row := range rows {
		row.Level = len(comps)
		out = append(out, row)
	}
	// Tree order: by each component in turn, a subtotal before the rows it totals.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for ci, c := range comps {
			ai, bi := ci < a.Level, ci < b.Level
			if !ai || !bi {
				return ai != bi && !ai
			}
			av, _ := key(a, c)
			bv, _ := key(b, c)
			if cmp := compareValues(av, bv); cmp != 0 {
				return cmp < 0
			}
		}
		return false
	})
	return out, nil
}

// compareValues orders group values: empty first, then by value.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case int64:
		if y, ok := b.(int64); ok {
			return cmpInt(x, y)
		}
	case decimal.Decimal:
		if y, ok := b.(decimal.Decimal); ok {
			return x.Cmp(y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmpInt(boolInt(x), boolInt(y))
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

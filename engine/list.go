package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// ListQuery is what a list request asks for.
type ListQuery struct {
	// Filter is in the filter language (docs/filter.md).
	Filter string
	// Sort is a comma-separated list of fields, "-" for descending; the
	// default is newest first.
	Sort     string
	Page     int
	PageSize int
	// Total asks for the number of all matching records, which costs a count.
	Total bool
	// Search is text to find in the entity's search fields (search: in the
	// definition), as a substring of any of them.
	Search string
	// Sums names money fields to total over every matching record (not
	// just the page), exactly; it needs Total.
	Sums []string
}

// ListResult is one page of records.
type ListResult struct {
	Items    []*Record
	Page     int
	PageSize int
	HasMore  bool
	// Total is set only when asked for.
	Total *int64
	// Sums are the totals asked for in ListQuery.Sums.
	Sums map[string]decimal.Decimal
}

// MaxPageSize caps a page so that one request cannot read a whole table.
const MaxPageSize = 200

// MaxPage caps the page number: page × page_size stays a small offset on
// every database (a huge page overflowed PostgreSQL's OFFSET). Deeper rows are
// reached with a filter (id > N, a date range) rather than by paging.
const MaxPage = 10000

// checkPage refuses a page number beyond MaxPage.
func checkPage(page int) error {
	if page > MaxPage {
		return &BadQueryError{Param: "page", Message: fmt.Sprintf("at most %d; narrow the list with a filter to reach later rows", MaxPage)}
	}
	return nil
}

// BadQueryError is a malformed list query (filter or sort); it names what is wrong.
type BadQueryError struct {
	Param   string
	Message string
	// MessageEn is the message in English when Message is not.
	MessageEn string
}

// BadQuery is a BadQueryError of param, its message built from format and
// args (errcode.Malformed.Format).
func BadQuery(param, format string, args ...any) *BadQueryError {
	t := errcode.Malformed.Format(format, args...)
	return &BadQueryError{Param: param, Message: t.Zh, MessageEn: t.En}
}

func (e *BadQueryError) Error() string { return e.Param + ": " + e.Message }

// Text is the message in English when english is set and there is one.
func (e *BadQueryError) Text(english bool) string {
	return errcode.Text{Zh: e.Message, En: e.MessageEn}.In(english)
}

// binder adapts a dialect to the filter compiler: a *DB's, or a bare
// Dialect's when definitions are checked without a database.
type binder struct{ dialect sqlText }

// sqlText writes the SQL of one dialect; a *DB does through its Dialect.
type sqlText interface {
	Placeholder(n int) string
	toDB(c metamodel.Column, v any) any
	timeArg(t time.Time) any
}

func (b binder) Placeholder(n int) string { return b.dialect.Placeholder(n) }

func (b binder) Arg(f *metamodel.Field, v any) any {
	if f == nil {
		if t, ok := v.(time.Time); ok {
			return b.dialect.timeArg(t)
		}
		return v
	}
	return b.dialect.toDB(f.Kind.Column(f), v)
}

// resolver lets an actor's filters and sorts name the fields it may see and
// the system columns.
func (rt *Runtime) resolver(actor Actor, s *entityStore) filter.Resolver {
	all := rt.scopeResolver(s)
	return func(name string) (filter.Column, bool) {
		if strings.Contains(name, ".") {
			if !rt.pathAllowed(actor, s.entity, name) {
				return filter.Column{}, false
			}
			return s.pathColumn(name, nil, all)
		}
		if rt.Access.Hidden(actor, s.entity, name) {
			return filter.Column{}, false
		}
		return all(name)
	}
}

// scopeResolver resolves every column: data scopes may name any field.
func (rt *Runtime) scopeResolver(s *entityStore) filter.Resolver { return s.columnResolver() }

// columnResolver resolves every column of the store's table: the system
// columns and every field.
func (s *entityStore) columnResolver() filter.Resolver {
	return func(name string) (filter.Column, bool) {
		q := quoteName(name)
		switch name {
		case "id", "version":
			return filter.Column{SQL: q, Kind: filter.SystemInt}, true
		case "created_by":
			return filter.Column{SQL: q, Kind: filter.SystemText}, true
		case "state":
			if s.hasState {
				return filter.Column{SQL: q, Kind: filter.SystemText}, true
			}
			return filter.Column{}, false
		case "created_at", "updated_at":
			return filter.Column{SQL: q, Kind: filter.SystemTime}, true
		}
		if f := s.entity.Field(name); f != nil {
			return filter.Column{SQL: q, Field: f}, true
		}
		return filter.Column{}, false
	}
}

// List reads one page of records matching q.
func (rt *Runtime) List(ctx context.Context, actor Actor, app, entity string, q ListQuery) (*ListResult, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	if !rt.Access.Can(actor, s.entity, "read") {
		return nil, Forbidden("您无权查看%s", entityLabel(s.entity))
	}
	rt.DB.freshenStatistics()
	where, args, node, scope, err := rt.where(actor, s, q.Filter)
	if err != nil {
		return nil, err
	}
	if where, args, err = rt.search(actor, s, where, args, q.Search); err != nil {
		return nil, err
	}
	order, err := rt.orderBy(actor, s, q.Sort)
	if err != nil {
		return nil, err
	}
	page, size := q.Page, q.PageSize
	if page < 1 {
		page = 1
	}
	if size < 1 {
		size = 20
	}
	if size > MaxPageSize {
		return nil, &BadQueryError{Param: "page_size", Message: fmt.Sprintf("at most %d", MaxPageSize)}
	}
	if err := checkPage(page); err != nil {
		return nil, err
	}
	sqlText, pageArgs := s.selectSQL+where+order, args
	res := &ListResult{Page: page, PageSize: size}
	if rt.plannedOnce(ctx, s, q, page, node, scope) {
		// The LIMIT written out, so that PostgreSQL may keep one plan
		// (list_plan.go), and the query sent with the other lists of the
		// moment (list_pipeline.go); run alone if that did not answer.
		sqlText += firstPageLimit(size)
		res.Items, res.HasMore, err = rt.DB.pipelinedPage(ctx, s, sqlText, pageArgs, size)
		if err != nil {
			if ctx.Err() != nil {
				return nil, rt.dbError(s, "list", err)
			}
			res.Items = nil
		}
	} else {
		n := len(args)
		sqlText += fmt.Sprintf(" LIMIT %s OFFSET %s", rt.DB.Placeholder(n+1), rt.DB.Placeholder(n+2))
		pageArgs = append(args, size+1, (page-1)*size)
	}
	if res.Items == nil {
		if res.Items, res.HasMore, err = rt.page(ctx, s, sqlText, pageArgs, size); err != nil {
			return nil, err
		}
	}
	if q.Total {
		sel := []string{"COUNT(*)"}
		var sums []*metamodel.Field
		for _, name := range q.Sums {
			f := s.entity.Field(name)
			if f == nil || !f.Is(metamodel.Money) || rt.Access.Hidden(actor, s.entity, name) {
				return nil, &BadQueryError{Param: "sums", Message: fmt.Sprintf("%q is not a money field you may see", name)}
			}
			sums = append(sums, f)
			sel = append(sel, "COALESCE(SUM("+rt.DB.Quote(name)+"), 0)")
		}
		raw := make([]any, len(sel))
		ptrs := make([]any, len(sel))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rt.DB.Read.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+rt.DB.Quote(s.table)+where, args...).Scan(ptrs...); err != nil {
			return nil, rt.dbError(s, "count", err)
		}
		total, _ := asInt64(raw[0])
		res.Total = &total
		if len(sums) > 0 {
			res.Sums = map[string]decimal.Decimal{}
		}
		for i, f := range sums {
			// A sum of BIGINT is a NUMERIC on PostgreSQL, read as text.
			n := decimal.Zero
			if v, ok := asInt64(raw[i+1]); ok {
				n = decimal.New(v, 0)
			} else if n, err = decimal.NewFromString(asString(raw[i+1])); err != nil {
				return nil, fmt.Errorf("sum of %s: %w", f.Name, err)
			}
			res.Sums[f.Name] = n.Shift(-int32(f.Kind.Column(f).Scale))
		}
	}
	return res, nil
}

// page runs a page's query alone and returns its records (at most size)
// and whether more follow.
func (rt *Runtime) page(ctx context.Context, s *entityStore, sqlText string, args []any, size int) ([]*Record, bool, error) {
	rows, err := rt.DB.Read.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, false, rt.dbError(s, "list", err)
	}
	defer rows.Close()
	items, more := make([]*Record, 0, size), false
	for rows.Next() {
		if len(items) == size {
			more = true
			break
		}
		rec, err := s.scan(rows)
		if err != nil {
			return nil, false, rt.dbError(s, "list", err)
		}
		items = append(items, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, false, rt.dbError(s, "list", err)
	}
	// Give the connection back before counting: a page that is not the last
	// leaves its rows open, and holding one connection while waiting for
	// another deadlocks once every connection of the pool is held so.
	if err := rows.Close(); err != nil {
		return nil, false, rt.dbError(s, "list", err)
	}
	return items, more, nil
}

// where builds the WHERE clause of a list: the user's filter AND the actor's
// data scope, both parameterised. It also returns the parsed filter and the
// scope's condition when it was added (nil when there is none or the filter
// implies it).
func (rt *Runtime) where(actor Actor, s *entityStore, src string) (string, []any, filter.Node, filter.Node, error) {
	var conds []string
	var args []any
	var node, scoped filter.Node
	if strings.TrimSpace(src) != "" {
		var err error
		node, err = filter.Parse(src)
		if err == nil {
			node, err = rt.expandTags(node, nil)
		}
		if err != nil {
			return "", nil, nil, nil, filterError(err)
		}
		cond, a, err := filter.Compile(node, rt.resolver(actor, s), binder{rt.DB}, 0)
		if err != nil {
			return "", nil, nil, nil, filterError(err)
		}
		conds, args = append(conds, "("+cond+")"), a
	}
	if scope := rt.Access.Scope(actor, s.entity); scope != nil && !scopeImplied(node, scope, s.entity) {
		cond, a, err := filter.Compile(scope, rt.scopeResolver(s), binder{rt.DB}, len(args))
		if err != nil {
			return "", nil, nil, nil, fmt.Errorf("data scope of %s: %w", s.entity.QualifiedName(), err)
		}
		conds, args = append(conds, "("+cond+")"), append(args, a...)
		scoped = scope
	}
	if len(conds) == 0 {
		return "", nil, node, nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, node, scoped, nil
}

// MaxSearch caps the length of a search text, in characters.
const MaxSearch = 100

// search adds to where the condition that text is a substring of one of the
// entity's search fields the actor may see: LIKE with the user's % and _
// escaped, bound as a parameter; ILIKE on PostgreSQL, whose LIKE is case
// sensitive (SQLite's LIKE ignores ASCII case already).
func (rt *Runtime) search(actor Actor, s *entityStore, where string, args []any, text string) (string, []any, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return where, args, nil
	}
	if utf8.RuneCountInString(text) > MaxSearch || hasNUL(text) || !utf8.ValidString(text) {
		return "", nil, &BadQueryError{Param: "q", Message: fmt.Sprintf("a search text of at most %d characters, without NUL", MaxSearch)}
	}
	if len(s.entity.Search) == 0 {
		return "", nil, &BadQueryError{Param: "q", Message: s.entity.Label() + " declares no search fields (search: in its definition)"}
	}
	op := " LIKE "
	if rt.DB.Dialect == Postgres {
		op = " ILIKE "
	}
	pattern := "%" + escapeLikeText(text) + "%"
	var terms []string
	for _, name := range s.entity.Search {
		if rt.Access.Hidden(actor, s.entity, name) {
			continue
		}
		args = append(args, pattern)
		terms = append(terms, rt.DB.Quote(name)+op+rt.DB.Placeholder(len(args))+` ESCAPE '\'`)
	}
	cond := "(" + strings.Join(terms, " OR ") + ")"
	if len(terms) == 0 {
		cond = "(1 = 0)" // nothing this actor may see is searched
	}
	if where == "" {
		return " WHERE " + cond, args, nil
	}
	return where + " AND " + cond, args, nil
}

// escapeLikeText makes s match itself in a LIKE pattern with escape \.
func escapeLikeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func filterError(err error) error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return &BadQueryError{Param: "filter", Message: fe.Error()}
	}
	return &BadQueryError{Param: "filter", Message: err.Error()}
}

func (rt *Runtime) orderBy(actor Actor, s *entityStore, sort string) (string, error) {
	if strings.TrimSpace(sort) == "" {
		return " ORDER BY " + rt.DB.Quote("id") + " DESC", nil
	}
	resolve := rt.resolver(actor, s)
	var parts []string
	hasID := false
	for _, item := range strings.Split(sort, ",") {
		item = strings.TrimSpace(item)
		dir := " ASC"
		if strings.HasPrefix(item, "-") {
			dir, item = " DESC", item[1:]
		} else {
			item = strings.TrimPrefix(item, "+")
		}
		col, ok := resolve(item)
		if !ok {
			return "", &BadQueryError{Param: "sort", Message: fmt.Sprintf("unknown field %q", item)}
		}
		hasID = hasID || item == "id"
		parts = append(parts, col.SQL+dir)
	}
	if !hasID {
		// A stable order, so pages neither repeat nor skip records.
		parts = append(parts, rt.DB.Quote("id")+" DESC")
	}
	return " ORDER BY " + strings.Join(parts, ", "), nil
}

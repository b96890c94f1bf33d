package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/growth-gov/growth/engine/filter"
	"github.com/growth-gov/growth/engine/render"
	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/shopspring/decimal"
)

// ExportFile is a generated file (exports: in the definitions).
type ExportFile struct {
	// Name is the download's file name.
	Name string
	// ContentType says the format and the encoding (text/csv; charset=GBK).
	ContentType string
	Data        []byte
	// Lines is the number of rows from lines (without a header row).
	Lines int
	// Total is the sum of the export's total expression, when it has one.
	Total *decimal.Decimal
	// SHA256 is the hex digest of Data, also written to the audit row.
	SHA256 string

	totalScale int32
}

// TotalText is Total with the digits of the field it was checked against
// ("1500.50"), or "" when the export has no total.
func (f *ExportFile) TotalText() string {
	if f.Total == nil {
		return ""
	}
	return f.Total.StringFixed(f.totalScale)
}

// Export builds the file called name of record id of app.entity for actor:
// the record under actor's data scope, its lines under actor's scope on the
// lines' entity, one row per line. It needs the export action on the entity
// and read on the lines' entity, and refuses (forbidden) when a column would
// show actor a field hidden from them. A check total that does not agree, a
// value longer than its column or one the encoding cannot write is a
// ConflictError and no file. Every file made leaves an audit row
// "export:<name>" on the record with the file's name, digest, line count and
// total.
func (rt *Runtime) Export(ctx context.Context, actor Actor, app, entity string, id int64, name string) (*ExportFile, error) {
	a := rt.Project.App(app)
	if a == nil {
		return nil, fmt.Errorf("%w: app %s", ErrUnknown, app)
	}
	x := a.Export(name)
	if x == nil || x.Target == nil || x.Target.Name != entity {
		return nil, &SentinelError{Sentinel: ErrUnknown, Text: errcode.NotFound.Format("导出文件 %s.%s.%s", app, entity, name)}
	}
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	e := s.entity
	if !rt.Access.Can(actor, e, "export") {
		return nil, Forbidden("您无权导出%s", entityLabel(e))
	}
	if !rt.Access.Can(actor, e, "read") {
		return nil, Forbidden("您无权查看%s", entityLabel(e))
	}
	for _, f := range x.RecordFieldsUsed {
		if rt.Access.Hidden(actor, e, f) {
			return nil, Forbidden("导出文件“%s”用到您不可见的字段 %s.%s", exportLabel(x), e.Name, f)
		}
	}
	var ls *entityStore
	if x.Lines != nil {
		ls = rt.stores[x.Lines.Target.QualifiedName()]
		if !rt.Access.Can(actor, ls.entity, "read") {
			return nil, Forbidden("您无权查看%s，不能导出“%s”", entityLabel(ls.entity), exportLabel(x))
		}
		for _, f := range x.LineFieldsUsed {
			if rt.Access.Hidden(actor, ls.entity, f) {
				return nil, Forbidden("导出文件“%s”用到您不可见的字段 %s.%s", exportLabel(x), ls.entity.Name, f)
			}
		}
	}
	var rec *Record
	var lines []*Record
	err = rt.readSnapshot(ctx, func(q querier) error {
		var err error
		if rec, err = rt.getScoped(ctx, q, actor, s, id); err != nil {
			return err
		}
		if ls != nil {
			lines, err = rt.exportLines(ctx, q, actor, x, ls, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	now := rt.now()
	out, err := renderExport(x, rec, lines, Today(now))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(out.Data)
	out.SHA256 = hex.EncodeToString(sum[:])
	changes := map[string][2]any{"file": {nil, out.Name}, "sha256": {nil, out.SHA256}, "lines": {nil, out.Lines}}
	if out.Total != nil {
		changes["total"] = [2]any{nil, out.TotalText()}
	}
	err = rt.DB.Tx(ctx, func(tx *sql.Tx) error {
		return rt.DB.appendAudit(ctx, tx, AuditEntry{App: app, Entity: entity, RecordID: id, Action: "export:" + name, Actor: actor.User,
			At: now.UTC().Truncate(time.Microsecond), Changes: changes, DefVersion: rt.Project.Hash})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// renderExport writes the file of export x for record rec and its lines
// (engine/render), a file the values refuse being a ConflictError of the
// render's code.
func renderExport(x *metamodel.Export, rec *Record, lines []*Record, today time.Time) (*ExportFile, error) {
	in := render.Input{Export: x, Record: renderRecord(rec), Today: today, CleanName: cleanFileName}
	if len(lines) > 0 {
		in.Lines = make([]render.Record, len(lines))
		for i, line := range lines {
			in.Lines[i] = renderRecord(line)
		}
	}
	f, err := render.Export(in)
	var refused *render.Error
	if errors.As(err, &refused) {
		return nil, &ConflictError{Code: refused.Code, Message: refused.Text.Zh, MessageEn: refused.Text.En}
	}
	if err != nil {
		return nil, err
	}
	return &ExportFile{Name: f.Name, ContentType: f.ContentType, Data: f.Data, Lines: f.Lines, Total: f.Total, totalScale: f.TotalScale}, nil
}

func renderRecord(r *Record) render.Record {
	return render.Record{ID: r.ID, State: r.State, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Values: r.Values}
}

// asDecimal is an expression's value as an amount (render.Decimal).
func exportLabel(x *metamodel.Export) string {
	if x.Title != "" {
		return x.Title
	}
	return x.Name
}

// readSnapshot runs fn over one consistent view of the database where the
// dialect gives one cheaply: a read-only REPEATABLE READ transaction on
// PostgreSQL. SQLite reads straight from the read pool (its transactions take
// the write lock here); a check total still refuses a file whose lines changed
// under it.
func (rt *Runtime) readSnapshot(ctx context.Context, fn func(q querier) error) error {
	if rt.DB.Dialect != Postgres {
		return fn(rt.DB.Read)
	}
	tx, err := rt.DB.Read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// getScoped reads record id of s as Get does, through q.
func (rt *Runtime) getScoped(ctx context.Context, q querier, actor Actor, s *entityStore, id int64) (*Record, error) {
	query, args := s.getSQL, []any{id}
	if scope := rt.Access.Scope(actor, s.entity); scope != nil {
		cond, scopeArgs, err := filter.Compile(scope, rt.scopeResolver(s), binder{rt.DB}, 1)
		if err != nil {
			return nil, fmt.Errorf("data scope of %s: %w", s.entity.QualifiedName(), err)
		}
		query += " AND " + cond
		args = append(args, scopeArgs...)
	}
	rec, err := s.scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFound("%s #%d", entityLabel(s.entity), id)
	}
	if err != nil {
		return nil, rt.dbError(s, "get", err)
	}
	return rec, nil
}

// exportLines reads the lines of record id: via = id, the export's where,
// and actor's data scope on the lines' entity, in the export's order.
func (rt *Runtime) exportLines(ctx context.Context, q querier, actor Actor, x *metamodel.Export, ls *entityStore, id int64) ([]*Record, error) {
	l := x.Lines
	where, args, err := rt.definitionWhere(ls, l.Where)
	if err != nil {
		return nil, fmt.Errorf("export %s: lines: where: %w", x.Name, err)
	}
	// Conditions in the order of their arguments: SQLite's ? are positional.
	var conds []string
	if where != "" {
		conds = append(conds, "("+where+")")
	}
	conds = append(conds, rt.DB.Quote(l.Via)+" = "+rt.DB.Placeholder(len(args)+1))
	args = append(args, id)
	if scope := rt.Access.Scope(actor, ls.entity); scope != nil {
		cond, a, err := filter.Compile(scope, rt.scopeResolver(ls), binder{rt.DB}, len(args))
		if err != nil {
			return nil, fmt.Errorf("data scope of %s: %w", ls.entity.QualifiedName(), err)
		}
		conds, args = append(conds, "("+cond+")"), append(args, a...)
	}
	order, err := ls.definitionOrder(l.Sort)
	if err != nil {
		return nil, fmt.Errorf("export %s: lines: sort: %w", x.Name, err)
	}
	rows, err := q.QueryContext(ctx, ls.selectSQL+" WHERE "+strings.Join(conds, " AND ")+order, args...)
	if err != nil {
		return nil, rt.dbError(ls, "export lines", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		rec, err := ls.scan(rows)
		if err != nil {
			return nil, rt.dbError(ls, "export lines", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, rt.dbError(ls, "export lines", err)
	}
	return out, nil
}

// definitionWhere compiles a filter written in the definitions (which may
// name any field of s) to SQL; "" gives no condition.
func (rt *Runtime) definitionWhere(s *entityStore, src string) (string, []any, error) {
	if strings.TrimSpace(src) == "" {
		return "", nil, nil
	}
	node, err := filter.Parse(src)
	if err != nil {
		return "", nil, err
	}
	return filter.Compile(node, rt.scopeResolver(s), binder{rt.DB}, 0)
}

// definitionOrder is the ORDER BY of a sort written in the definitions:
// fields separated by commas, - for descending, then id ascending.
func (s *entityStore) definitionOrder(sort string) (string, error) {
	resolve := s.columnResolver()
	var parts []string
	hasID := false
	for _, item := range strings.Split(sort, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		dir := " ASC"
		if strings.HasPrefix(item, "-") {
			dir, item = " DESC", item[1:]
		} else {
			item = strings.TrimPrefix(item, "+")
		}
		col, ok := resolve(item)
		if !ok {
			return "", fmt.Errorf("unknown field %q", item)
		}
		hasID = hasID || item == "id"
		parts = append(parts, col.SQL+dir)
	}
	if !hasID {
		parts = append(parts, quoteName("id")+" ASC")
	}
	return " ORDER BY " + strings.Join(parts, ", "), nil
}

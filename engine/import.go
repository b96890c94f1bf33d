package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/growth-gov/growth/metamodel/errcode"
	"github.com/xuri/excelize/v2"
)

// Bulk import (docs/import.md): a CSV or Excel file whose first row names the
// fields (by name or label) becomes records of one entity, all or nothing.
// Every row goes through what an API create does — decodeInput, defaults,
// computed fields, validate, data scope, references, then the insert with its
// audit row and effects (the ledger) — and the file is imported only when
// every row passes; otherwise nothing is written and the report lists every
// bad row with its line number and reasons. On PostgreSQL a clean file whose
// records need no per-row effects is written with COPY (import_copy.go).

// Import formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// FileField is the key of problems with the file itself (columns, format).
const FileField = "_file"

// ImportRowError is what is wrong with one row: by field, as in a
// ValidationError; RecordField holds problems of the whole row.
type ImportRowError struct {
	Line   int                     `json:"line"`
	Fields map[string][]FieldError `json:"fields"`
}

// ImportReport says what an import did or why it did not.
type ImportReport struct {
	App      string   `json:"app"`
	Entity   string   `json:"entity"`
	Columns  []string `json:"columns"`
	Total    int      `json:"total"`
	Imported int      `json:"imported"`
	// IDs are the records created, in file order.
	IDs []int64 `json:"ids,omitempty"`
	// Method says how the records were written: ImportByCopy (PostgreSQL
	// COPY, import_copy.go) or ImportByRows (one INSERT per row).
	Method string `json:"method,omitempty"`
	// Why says, for a file written row by row, what kept it from COPY.
	Why    string           `json:"why,omitempty"`
	Errors []ImportRowError `json:"errors,omitempty"`
}

// ImportRejectedError is returned when any row is bad: nothing was imported.
type ImportRejectedError struct{ Report *ImportReport }

func (e *ImportRejectedError) Error() string { return e.Text(false) }

// Text is the message in English when english is set.
func (e *ImportRejectedError) Text(english bool) string {
	return errcode.ImportRejected.Format("导入未执行：%d 行有误，未导入任何记录", len(e.Report.Errors)).In(english)
}

// Is makes errors.Is(err, errcode.ImportRejected) true.
func (e *ImportRejectedError) Is(target error) bool { return target == errcode.ImportRejected }

// importRow is one data row of the file.
type importRow struct {
	line  int
	cells []string
}

// Import reads a CSV or Excel file of records of app.entity and creates them
// all in one transaction, or none. progress, if given, is called as rows are
// written (done of total), one call at a time but, while COPY streams the
// rows, from another goroutine. A file with bad rows returns the report
// listing them and an *ImportRejectedError.
func (rt *Runtime) Import(ctx context.Context, actor Actor, app, entity string, r io.Reader, format string, progress func(done, total int)) (*ImportReport, error) {
	return rt.importWith(ctx, actor, app, entity, r, format, progress, nil)
}

// importWith is Import with a last step inside the import's transaction.
func (rt *Runtime) importWith(ctx context.Context, actor Actor, app, entity string, r io.Reader, format string, progress func(done, total int), last func(tx *sql.Tx, report *ImportReport) error) (*ImportReport, error) {
	s, err := rt.store(app, entity)
	if err != nil {
		return nil, err
	}
	e := s.entity
	if !rt.Access.Can(actor, e, "create") {
		return nil, Forbidden("您无权新建%s", entityLabel(e))
	}
	report := &ImportReport{App: app, Entity: entity}
	rows, err := readTable(r, format, rt.ImportLimits)
	if err != nil {
		return rt.rejectFile(report, tableErrorOf(err, 1))
	}
	if len(rows) == 0 {
		return rt.rejectFile(report, tableErrorf(1, "文件是空的：第一行应为字段名（或字段标题）"))
	}
	eventsCol, eventsErr := importEventsColumn(e, actor, rows[0].cells)
	if eventsErr != nil {
		return rt.rejectFile(report, &tableError{line: rows[0].line, text: tableErrorOf(eventsErr, 1).text})
	}
	fields, ferr := importColumns(e, rows[0].cells)
	for _, f := range fields {
		if f != nil {
			report.Columns = append(report.Columns, f.Name)
		}
	}
	if ferr != nil {
		return rt.rejectFile(report, &tableError{line: rows[0].line, text: tableErrorOf(ferr, 1).text})
	}
	rows = rows[1:]
	report.Total = len(rows)

	// Every row is validated, the rows split over the CPUs, before anything
	// is committed: each is checked on its own, as a create would be. A file
	// that may go by COPY starts streaming its first rows while later ones
	// are still being checked (import_validate.go); a refused row stops the
	// COPY and rolls it back.
	v := rt.validateRows(ctx, actor, e, fields, rows, format)
	defer func() { _ = v.wait() }()
	records := v.records
	var bad map[int]*ValidationError
	// settle waits for every row's checks and lists the bad rows, those
	// refused and those repeating a unique value of an earlier row:
	// errImportAbort when there are any.
	settle := func() error {
		if bad != nil {
			if len(bad) > 0 {
				return errImportAbort
			}
			return nil
		}
		if err := v.wait(); err != nil {
			return err
		}
		bad = map[int]*ValidationError{}
		for i, verr := range v.refused {
			if verr != nil {
				bad[i] = verr
			}
		}
		duplicatesInFile(e, rows, records, bad)
		if len(bad) > 0 {
			return errImportAbort
		}
		return nil
	}

	// Write every valid row in one transaction. A clean file is written
	// straight through, the parents' rollups recomputed once each at the
	// end. When a row is refused there (a reference, a duplicate, an
	// overdraft, a parent's rule) — or rows are bad already — the rows are
	// written again, each in a savepoint and its parents' rollups with it, so
	// that every refused row is listed and the rows after it are still
	// checked. Any bad row, found here or above, rolls the whole transaction
	// back.
	write := func(savepoints bool) error {
		return rt.writeTx(ctx, func(tx *sql.Tx) error {
			var rollups *rollupBatch
			if !savepoints && eventsCol < 0 {
				// Not with events: a later row's guard may read a parent's
				// rollup as the rows before it left it.
				rollups = &rollupBatch{}
			}
			for i, rec := range records {
				if err := ctx.Err(); err != nil {
					return err
				}
				if rec == nil {
					continue
				}
				if savepoints {
					if _, err := tx.ExecContext(ctx, "SAVEPOINT import_row"); err != nil {
						return fmt.Errorf("import savepoint: %w", err)
					}
				}
				rowErr := rt.insertImported(ctx, tx, s, actor, rec, rollups)
				if rowErr == nil && eventsCol >= 0 && eventsCol < len(rows[i].cells) {
					rowErr = rt.fireImported(ctx, tx, s, rec, rows[i].cells[eventsCol])
				}
				if rowErr != nil {
					ve, ok := asRowError(rowErr)
					if !ok {
						return fmt.Errorf("line %d: %w", rows[i].line, rowErr)
					}
					if !savepoints {
						return errImportRetry
					}
					if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT import_row"); err != nil {
						return fmt.Errorf("import savepoint: %w", err)
					}
					bad[i] = ve
				}
				if savepoints {
					if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT import_row"); err != nil {
						return fmt.Errorf("import savepoint: %w", err)
					}
				}
				if progress != nil {
					progress(i+1, len(records))
				}
			}
			if len(bad) > 0 {
				return errImportRejected
			}
			if rollups != nil {
				if err := rollups.run(ctx, tx, rt, actor, 0); err != nil {
					if _, isRow := asRowError(err); isRow {
						return errImportRetry
					}
					return err
				}
			}
			if last != nil {
				report.Imported = len(records)
				return last(tx, report)
			}
			return nil
		})
	}
	steps, why := rt.copyPlan(e)
	if why == "" && eventsCol >= 0 {
		why = "the _events column fires events record by record"
	}
	err = errImportRetry
	if why == "" && len(records) > 0 {
		err = rt.copyImported(ctx, s, actor, v, steps, progress, settle, func(tx *sql.Tx) error {
			if last == nil {
				return nil
			}
			report.Imported = len(records)
			return last(tx, report)
		})
		if errors.Is(err, errImportAbort) {
			// Bad rows (settle lists them below): the per-row pass names
			// what else the database refuses.
			err = errImportRetry
		}
	}
	switch serr := settle(); {
	case errors.Is(serr, errImportAbort):
		err = errImportRetry
	case serr != nil:
		return nil, serr
	case why == "" && len(records) > 0:
		report.Method = ImportByCopy
	default:
		report.Method, report.Why = ImportByRows, why
		err = write(false)
	}
	if errors.Is(err, errImportRetry) {
		if report.Method == ImportByCopy {
			report.Why = "a row was refused in the COPY transaction"
		}
		report.Method = ImportByRows
		err = write(true)
	}
	if errors.Is(err, errImportRejected) {
		return rt.reject(report, rows, bad)
	}
	if err != nil {
		return nil, err
	}
	report.Imported = len(records)
	for _, rec := range records {
		report.IDs = append(report.IDs, rec.ID)
	}
	return report, nil
}

// importRecord validates the cells of one row as a create of e by actor
// would: the record, or what refuses it (verr), or err when the database
// fails.
func (rt *Runtime) importRecord(ctx context.Context, actor Actor, e *metamodel.Entity, fields []*metamodel.Field, cells []string, format string, writable func(*metamodel.Field) bool, now time.Time) (rec *Record, verr *ValidationError, err error) {
	input := map[string]any{}
	for j, cell := range cells {
		if j < len(fields) && fields[j] != nil && strings.TrimSpace(cell) != "" {
			input[fields[j].Name] = importCell(fields[j], cell, format)
		}
	}
	values, verr := decodeInput(e, input, writable)
	if verr != nil {
		return nil, verr, nil
	}
	applyDefaults(e, values)
	rec = &Record{App: e.App.Name, Entity: e.Name, Version: 1, CreatedBy: actor.User, CreatedAt: now, UpdatedAt: now, DefVersion: rt.Project.Hash, Values: values}
	if e.Workflow != nil {
		rec.State = e.Workflow.Initial
	}
	if err := rt.loadRefs(ctx, rt.DB.Read, e, rec, &namedRefs{actor: actor, named: values}); err != nil {
		return nil, nil, err
	}
	if err := rt.prepare(e, rec); err != nil {
		if !errors.As(err, &verr) {
			return nil, nil, err
		}
		return nil, verr, nil
	}
	if !rt.Access.Sees(actor, e, rec) {
		return nil, Invalid(RecordField, errcode.Scope, "不能为您的数据范围以外的单位新建%s", entityLabel(e)), nil
	}
	return rec, nil, nil
}

// inParallel runs fn over [0, n) cut into one contiguous part per CPU, of
// at least grain items each (one part when n is small), and returns the
// first error.
func inParallel(n, grain int, fn func(lo, hi int) error) error {
	parts := min(runtime.GOMAXPROCS(0), n/max(grain, 1))
	if parts < 2 {
		return fn(0, n)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[p] = fn(n*p/parts, n*(p+1)/parts)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

var (
	errImportRejected = errors.New("import rejected")
	errImportRetry    = errors.New("import: write again row by row")
	errImportAbort    = errors.New("import: rows are bad")
)

// insertImported is Create's write step for one validated record, inside the
// import's transaction. rollups, when not nil, collects the parents whose
// rollups the import recomputes once at its end.
func (rt *Runtime) insertImported(ctx context.Context, tx *sql.Tx, s *entityStore, actor Actor, rec *Record, rollups *rollupBatch) error {
	if err := rt.checkRefScope(ctx, tx, actor, s.entity, rec.Values); err != nil {
		return err
	}
	if err := rt.checkRefs(ctx, tx, s.entity, rec.Values); err != nil {
		return err
	}
	args := []any{rec.Version, rec.CreatedBy, rt.DB.timeArg(rec.CreatedAt), rt.DB.timeArg(rec.UpdatedAt), rec.DefVersion}
	if s.hasState {
		args = append(args, rec.State)
	}
	args = append(args, s.fieldArgs(rt.DB, rec.Values)...)
	if err := tx.QueryRowContext(ctx, s.insertSQL, args...).Scan(&rec.ID); err != nil {
		return rt.dbError(s, "import", err)
	}
	ch := &Change{Actor: actor, Entity: s.entity, Action: "create", New: rec, rollups: rollups}
	actx, slot, err := rt.DB.lockAuditHead(ctx, tx, rec.App, rec.Entity, rec.ID, ch)
	if err != nil {
		return err
	}
	if err := rt.applyEffects(actx, tx, ch); err != nil {
		return err
	}
	if err := rt.DB.writeAudit(actx, tx, slot, AuditEntry{App: rec.App, Entity: rec.Entity, RecordID: rec.ID, Action: "create", Actor: actor.User, At: rec.CreatedAt,
		Changes: diffValues(s.entity, nil, rec.Values), DefVersion: rec.DefVersion, Version: rec.Version, Image: s.recordImage(rec), Ledger: ch.ledgerRows}); err != nil {
		return err
	}
	return ch.runBalanceUpdates()
}

// asRowError turns what refused one row into its report entry; other errors
// (the database is gone) stop the import.
func asRowError(err error) (*ValidationError, bool) {
	var ve *ValidationError
	var ce *ConflictError
	var fe *ForbiddenError
	switch {
	case errors.As(err, &ve):
		return ve, true
	case errors.As(err, &ce):
		out := &ValidationError{Fields: map[string][]FieldError{}}
		for k, v := range ce.Fields {
			out.Fields[k] = append(out.Fields[k], v...)
		}
		if len(ce.Fields) == 0 {
			out.addError(RecordField, FieldError{Code: ce.Code, Message: ce.Message, MessageEn: ce.MessageEn})
		}
		return out, true
	case errors.As(err, &fe):
		return InvalidText(RecordField, errcode.Forbidden, errcode.Text{Zh: fe.Message, En: fe.MessageEn}), true
	}
	return nil, false
}

// rejectFile refuses the import for a problem with the file itself.
func (rt *Runtime) rejectFile(report *ImportReport, te *tableError) (*ImportReport, error) {
	report.Errors = []ImportRowError{{Line: te.line, Fields: map[string][]FieldError{FileField: {fieldError(errcode.File, te.text)}}}}
	return report, &ImportRejectedError{Report: report}
}

func (rt *Runtime) reject(report *ImportReport, rows []importRow, bad map[int]*ValidationError) (*ImportReport, error) {
	idx := make([]int, 0, len(bad))
	for i := range bad {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		report.Errors = append(report.Errors, ImportRowError{Line: rows[i].line, Fields: bad[i].Fields})
	}
	report.Imported, report.IDs, report.Method, report.Why = 0, nil, "", ""
	return report, &ImportRejectedError{Report: report}
}

// importColumns maps the header row to fields: a field's name, label or
// English label, case-insensitively.
func importColumns(e *metamodel.Entity, header []string) ([]*metamodel.Field, error) {
	byName := map[string]*metamodel.Field{}
	for _, f := range e.Fields {
		for _, n := range []string{f.Name, f.Label, f.LabelEn} {
			if n != "" {
				byName[strings.ToLower(n)] = f
			}
		}
	}
	out := make([]*metamodel.Field, len(header))
	seen := map[*metamodel.Field]int{}
	var zh, en []string
	problem := func(t errcode.Text) { zh, en = append(zh, t.Zh), append(en, t.In(true)) }
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		f := byName[strings.ToLower(h)]
		switch {
		case f == nil:
			problem(errcode.File.Format("第 %d 列“%s”不是%s的字段", i+1, h, entityLabel(e)))
		case seen[f] > 0:
			problem(errcode.File.Format("第 %d 列“%s”与第 %d 列是同一字段 %s", i+1, h, seen[f], f.Name))
		default:
			seen[f] = i + 1
			out[i] = f
		}
	}
	if len(zh) > 0 {
		return out, &tableError{line: 1, text: errcode.Text{Zh: strings.Join(zh, "；"), En: strings.Join(en, "; ")}}
	}
	return out, nil
}

// duplicatesInFile marks rows that repeat a unique value of an earlier row.
func duplicatesInFile(e *metamodel.Entity, rows []importRow, records []*Record, bad map[int]*ValidationError) {
	var groups [][]string
	for _, f := range e.Fields {
		if f.Unique {
			groups = append(groups, []string{f.Name})
		}
	}
	groups = append(groups, e.Unique...)
	for _, g := range groups {
		first := map[string]int{}
		for i, rec := range records {
			if rec == nil {
				continue
			}
			var parts []string
			empty := false
			for _, name := range g {
				v := rec.Values[name]
				if v == nil {
					empty = true
				}
				parts = append(parts, fmt.Sprint(v))
			}
			if empty {
				continue
			}
			key := strings.Join(parts, "\x00")
			if j, dup := first[key]; dup {
				if bad[i] == nil {
					bad[i] = &ValidationError{}
				}
				bad[i].Add(g[0], errcode.Duplicate, "与第 %d 行重复（%s）", rows[j].line, strings.Join(g, "、"))
				continue
			}
			first[key] = i
		}
	}
}

// importCell turns a cell into API-like input. Excel stores dates as day
// numbers; they become dates here.
func importCell(f *metamodel.Field, cell, format string) any {
	cell = strings.TrimSpace(cell)
	col := f.Kind.Column(f).Kind
	if format == FormatXLSX && (col == metamodel.ColumnDate || col == metamodel.ColumnTimestamp) {
		if n, err := strconv.ParseFloat(cell, 64); err == nil {
			if t, err := excelize.ExcelDateToTime(n, false); err == nil {
				if col == metamodel.ColumnDate {
					return t.Format(time.DateOnly)
				}
				return t.Format(time.RFC3339)
			}
		}
	}
	return cell
}

// readTable reads every non-empty row of a CSV file or of the first sheet of
// an Excel file, with its line number, within the limits (import_limits.go).
func readTable(r io.Reader, format string, limits ImportLimits) ([]importRow, error) {
	l := limits.orDefaults()
	switch strings.ToLower(format) {
	case FormatCSV:
		return readCSV(r, l)
	case FormatXLSX:
		return readXLSX(r, l)
	}
	return nil, tableErrorf(1, "不支持的文件格式 %q：请上传 CSV 或 Excel（xlsx）文件", format)
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// ImportFormat guesses the format from a file name: .xlsx is Excel, anything
// else CSV.
func ImportFormat(name string) string {
	if strings.HasSuffix(strings.ToLower(name), ".xlsx") {
		return FormatXLSX
	}
	return FormatCSV
}

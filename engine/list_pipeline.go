package engine

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/growth-gov/growth/metamodel"
)

// On PostgreSQL a list's own cost to the database is mostly the round trip:
// the backend waking up, reading the query, sending the rows back
// (docs/performance.md, "PostgreSQL lists sent together"). So the first pages
// that PostgreSQL runs with a kept plan (list_plan.go: bounded, cheap) are
// sent together: a list queues its query, and one of at most
// listPipelines goroutines takes every list queued so far (at most
// listBatchMax) and sends them to PostgreSQL in one pipeline — all the
// queries in one write, one Sync, the rows of each read back in order — on
// one connection of the pool. Under load many lists share one round trip;
// alone, a list makes the same one round trip as before.
//
// What a list sees does not change: each query is sent after its request
// arrived, and PostgreSQL takes each statement's snapshot when it runs it
// (READ COMMITTED: a snapshot per statement; under a stricter default
// isolation, one for the pipeline at its first statement, still after every
// list in it arrived), so every write committed before the list started is
// seen, also one made by another server. Nothing is kept between lists. The
// statements of one pipeline run in one implicit transaction of SELECTs; if
// one fails, PostgreSQL skips the rest until the Sync, so a list whose
// query failed in a pipeline, for whatever reason, runs again alone on its
// own connection (list.go) and fails only if it fails alone.

// listPipelines is how many pipelines of lists may be in flight at once.
const listPipelines = 2

// listBatchMax caps the lists sent in one pipeline.
const listBatchMax = 64

// listPipelineTimeout bounds one pipeline, whatever the requests' contexts.
const listPipelineTimeout = time.Minute

// listCall is one list in the queue: its query and, once done, its rows.
type listCall struct {
	sql  string
	args []any
	size int
	page rawPage
	err  error
	done chan struct{}
}

// rawPage is the rows of one list as PostgreSQL sent them, copied off the
// connection so that the list's own goroutine decodes them while the
// pipeline goes on with the next list.
type rawPage struct {
	fields []pgconn.FieldDescription
	data   []byte
	// ends are where each value ends in data, row after row; -1 is NULL.
	ends []int32
	rows int
	more bool
}

// listPipeline is the queue of lists waiting to be sent.
type listPipeline struct {
	mu      sync.Mutex
	queue   []*listCall
	running int
}

// pipelinedPage runs one page's query through the pipeline and returns its
// records (at most size) and whether more follow. An error means the query
// did not run to the end in the pipeline; the caller runs it alone.
func (db *DB) pipelinedPage(ctx context.Context, s *entityStore, sqlText string, args []any, size int) ([]*Record, bool, error) {
	call := &listCall{sql: sqlText, args: args, size: size, done: make(chan struct{})}
	p := &db.lists
	p.mu.Lock()
	p.queue = append(p.queue, call)
	start := p.running < listPipelines
	if start {
		p.running++
	}
	p.mu.Unlock()
	if start {
		go p.drain(db)
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	if call.err != nil {
		return nil, false, call.err
	}
	items, err := call.page.records(s)
	more := call.page.more
	call.page.release()
	if err != nil {
		return nil, false, err
	}
	return items, more, nil
}

// drain sends the queued lists, a pipeline at a time, until none is left.
func (p *listPipeline) drain(db *DB) {
	for {
		p.mu.Lock()
		n := min(len(p.queue), listBatchMax)
		if n == 0 {
			p.running--
			p.mu.Unlock()
			return
		}
		batch := make([]*listCall, n)
		copy(batch, p.queue)
		rest := copy(p.queue, p.queue[n:])
		clear(p.queue[rest:])
		p.queue = p.queue[:rest]
		p.mu.Unlock()
		db.sendLists(batch)
	}
}

// errNotSent marks a list whose pipeline failed before its rows were read.
var errNotSent = errors.New("list pipeline: not run")

// sendLists runs batch in one pipeline on one connection and hands each list
// its rows or an error, each as soon as its rows are read.
func (db *DB) sendLists(batch []*listCall) {
	answered := 0
	defer func() {
		for _, c := range batch[answered:] {
			if c.err == nil {
				c.err = errNotSent
			}
			close(c.done)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), listPipelineTimeout)
	defer cancel()
	conn, err := db.Read.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.Raw(func(dc any) error {
		pc, ok := pgxConnOf(dc)
		if !ok {
			return errNotSent
		}
		b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(batch))}
		for _, c := range batch {
			b.Queue(c.sql, c.args...)
		}
		br := pc.SendBatch(ctx, b)
		defer br.Close()
		for _, c := range batch {
			rows, err := br.Query()
			if err == nil {
				err = c.page.read(rows, c.size)
			}
			if err != nil {
				// The pipeline stops here: PostgreSQL skips the
				// statements after a failed one until the Sync.
				c.err = err
				return err
			}
			close(c.done)
			answered++
		}
		return nil
	})
}

// read copies at most size rows from rows, and notes whether more follow.
func (p *rawPage) read(rows pgx.Rows, size int) error {
	defer rows.Close()
	if b, _ := pageBufs.Get().(*rawPage); b != nil {
		p.fields, p.data, p.ends = b.fields[:0], b.data[:0], b.ends[:0]
	}
	p.fields = append(p.fields, rows.FieldDescriptions()...)
	for rows.Next() {
		if p.rows == size {
			p.more = true
			break
		}
		for _, v := range rows.RawValues() {
			if v == nil {
				p.ends = append(p.ends, -1)
				continue
			}
			p.data = append(p.data, v...)
			p.ends = append(p.ends, int32(len(p.data)))
		}
		p.rows++
	}
	rows.Close()
	return rows.Err()
}

// pageBufs keeps the buffers of pages already turned into records, so that
// a page's rows are copied without growing new ones.
var pageBufs sync.Pool // of *rawPage

// maxPageBuf is the largest page buffer kept for reuse.
const maxPageBuf = 64 << 10

// release hands the page's buffers back for reuse; p's rows are gone.
func (p *rawPage) release() {
	if cap(p.data) > maxPageBuf {
		return
	}
	pageBufs.Put(&rawPage{fields: p.fields[:0], data: p.data[:0], ends: p.ends[:0]})
	*p = rawPage{}
}

// records decodes the page's rows into records.
func (p *rawPage) records(s *entityStore) ([]*Record, error) {
	return p.recordsBy(s, p.direct(s))
}

// recordsBy decodes the page's rows into records, straight from the row
// (rawRow.record) when direct, else through entityStore.scan.
func (p *rawPage) recordsBy(s *entityStore, direct bool) ([]*Record, error) {
	items := make([]*Record, 0, p.rows)
	r := &rawRow{page: p}
	for i := 0; i < p.rows; i++ {
		var rec *Record
		var err error
		if direct {
			rec, err = r.record(s)
		} else {
			rec, err = s.scan(r)
		}
		if err != nil {
			return nil, err
		}
		items = append(items, rec)
		r.row++
	}
	if r.typeMap != nil {
		typeMaps.Put(r.typeMap)
	}
	return items, nil
}

// direct reports whether the page's columns are the entity's system
// columns (and state) in the types Growth's PostgreSQL tables give them,
// followed by its fields: then record reads a row without entityStore.scan.
func (p *rawPage) direct(s *entityStore) bool {
	n := len(systemColumns) + len(s.fields)
	if s.hasState {
		n++
	}
	if len(p.fields) != n {
		return false
	}
	text := func(i int) bool {
		oid := p.fields[i].DataTypeOID
		return oid == pgtype.TextOID || oid == pgtype.VarcharOID
	}
	for i, oid := range [...]uint32{pgtype.Int8OID, pgtype.Int8OID, 0, pgtype.TimestamptzOID, pgtype.TimestamptzOID, 0} {
		if oid == 0 && !text(i) || oid != 0 && p.fields[i].DataTypeOID != oid {
			return false
		}
	}
	return !s.hasState || text(len(systemColumns))
}

// rawRow scans one row of a rawPage into *any destinations as database/sql
// with pgx's stdlib driver does (stdlib.Rows.Next), so that
// entityStore.scan reads the same values either way; record makes the same
// record as entityStore.scan straight from the row.
type rawRow struct {
	page    *rawPage
	row     int
	start   int32
	typeMap *pgtype.Map
	// texts are the text values of the row before, by column, boxed: a
	// text equal to the one above it (a page's creator, definition
	// version, agency…) is not allocated again.
	texts []any
}

// typeMaps are pgx type maps for decoding values off their connection.
var typeMaps = sync.Pool{New: func() any { return pgtype.NewMap() }}

func (r *rawRow) Scan(dest ...any) error {
	p := r.page
	n := len(p.fields)
	if len(dest) != n {
		return fmt.Errorf("list pipeline: %d columns for %d values", n, len(dest))
	}
	ends := p.ends[r.row*n : (r.row+1)*n]
	for i, d := range dest {
		dst, ok := d.(*any)
		if !ok {
			return fmt.Errorf("list pipeline: scan into %T", d)
		}
		if ends[i] < 0 {
			*dst = nil
			continue
		}
		src := p.data[r.start:ends[i]]
		r.start = ends[i]
		v, err := r.value(p.fields[i], src)
		if err != nil {
			return fmt.Errorf("convert field %d failed: %w", i, err)
		}
		*dst = v
	}
	return nil
}

// record is entityStore.scan of the row, for a page whose columns are as
// direct expects: the system columns decoded without going through any,
// the fields with value and fromDB as scan converts them.
func (r *rawRow) record(s *entityStore) (*Record, error) {
	p := r.page
	n := len(p.fields)
	ends := p.ends[r.row*n : (r.row+1)*n]
	if r.texts == nil {
		r.texts = make([]any, n)
	}
	// col is column i's value as Scan would put it in its *any.
	col := func(i int) (any, error) {
		if ends[i] < 0 {
			return nil, nil
		}
		src := p.data[r.start:ends[i]]
		r.start = ends[i]
		fd := p.fields[i]
		if fd.DataTypeOID == pgtype.TextOID || fd.DataTypeOID == pgtype.VarcharOID {
			if t, ok := r.texts[i].(string); !ok || t != string(src) {
				r.texts[i] = string(src)
			}
			return r.texts[i], nil
		}
		v, err := r.value(fd, src)
		if err != nil {
			return nil, fmt.Errorf("convert field %d failed: %w", i, err)
		}
		return v, nil
	}
	// int8 is column i's binary bigint, unboxed, read only if it is one.
	int8 := func(i int) (int64, bool) {
		fd := p.fields[i]
		if ends[i] < 0 || fd.DataTypeOID != pgtype.Int8OID || fd.Format != pgtype.BinaryFormatCode || ends[i]-r.start != 8 {
			return 0, false
		}
		v := int64(be.Uint64(p.data[r.start:ends[i]]))
		r.start = ends[i]
		return v, true
	}
	// instant is column i's timestamptz as scanTime makes it.
	instant := func(i int) (time.Time, error) {
		if ends[i] >= 0 && p.fields[i].Format == pgtype.BinaryFormatCode && ends[i]-r.start == 8 {
			us := int64(be.Uint64(p.data[r.start:ends[i]]))
			if us != math.MaxInt64 && us != math.MinInt64 { // ±infinity
				r.start = ends[i]
				return time.Unix(pgEpochSeconds+us/1_000_000, us%1_000_000*1_000).UTC(), nil
			}
		}
		v, err := col(i)
		if err != nil {
			return time.Time{}, err
		}
		return scanTime(v)
	}
	rec := &Record{App: s.entity.App.Name, Entity: s.entity.Name, Values: make(map[string]any, len(s.fields))}
	var ok bool
	if rec.ID, ok = int8(0); !ok {
		v, err := col(0)
		if err != nil {
			return nil, err
		}
		if rec.ID, ok = asInt64(v); !ok {
			return nil, fmt.Errorf("id: unexpected %T", v)
		}
	}
	if rec.Version, ok = int8(1); !ok {
		v, err := col(1)
		if err != nil {
			return nil, err
		}
		rec.Version, _ = asInt64(v)
	}
	v, err := col(2)
	if err != nil {
		return nil, err
	}
	rec.CreatedBy = asString(v)
	if rec.CreatedAt, err = instant(3); err != nil {
		return nil, err
	}
	if rec.UpdatedAt, err = instant(4); err != nil {
		return nil, err
	}
	if v, err = col(5); err != nil {
		return nil, err
	}
	rec.DefVersion = asString(v)
	i := len(systemColumns)
	if s.hasState {
		if v, err = col(i); err != nil {
			return nil, err
		}
		rec.State = asString(v)
		i++
	}
	for j, f := range s.fields {
		if c := s.columns[j]; c.Kind == metamodel.ColumnScaled {
			// money and decimals: the bigint straight into the decimal
			if n, ok := int8(i + j); ok {
				rec.Values[f.Name] = decimal.New(n, -int32(c.Scale))
				continue
			}
		}
		if v, err = col(i + j); err != nil {
			return nil, err
		}
		if v, err = fromDB(s.columns[j], v); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", s.table, f.Name, err)
		}
		rec.Values[f.Name] = v
	}
	return rec, nil
}

// value is what stdlib.Rows.Next makes of one column's value, and
// database/sql's scan into *any after it (a []byte copied): the common
// types of Growth's tables decoded here, the others with pgx's scan plans.
func (r *rawRow) value(fd pgconn.FieldDescription, src []byte) (driver.Value, error) {
	binary := fd.Format == pgtype.BinaryFormatCode
	switch fd.DataTypeOID {
	case pgtype.TextOID, pgtype.VarcharOID:
		return string(src), nil
	case pgtype.Int8OID:
		if binary && len(src) == 8 {
			return int64(be.Uint64(src)), nil
		}
	case pgtype.TimestamptzOID:
		if binary && len(src) == 8 {
			us := int64(be.Uint64(src))
			if us != math.MaxInt64 && us != math.MinInt64 { // ±infinity
				return time.Unix(pgEpochSeconds+us/1_000_000, us%1_000_000*1_000), nil
			}
		}
	}
	if r.typeMap == nil {
		r.typeMap = typeMaps.Get().(*pgtype.Map)
	}
	m, oid, format := r.typeMap, fd.DataTypeOID, fd.Format
	switch oid {
	case pgtype.BoolOID:
		return scanValue(m, oid, format, src, func(d bool) (driver.Value, error) { return d, nil })
	case pgtype.ByteaOID, pgtype.JSONOID, pgtype.JSONBOID, pgtype.XMLOID:
		return scanValue(m, oid, format, src, func(d []byte) (driver.Value, error) { return bytes.Clone(d), nil })
	case pgtype.CIDOID, pgtype.OIDOID, pgtype.XIDOID:
		return scanValue(m, oid, format, src, func(d pgtype.Uint32) (driver.Value, error) { return d.Value() })
	case pgtype.DateOID:
		return scanValue(m, oid, format, src, func(d pgtype.Date) (driver.Value, error) { return d.Value() })
	case pgtype.Float4OID:
		return scanValue(m, oid, format, src, func(d float32) (driver.Value, error) { return float64(d), nil })
	case pgtype.Float8OID:
		return scanValue(m, oid, format, src, func(d float64) (driver.Value, error) { return d, nil })
	case pgtype.Int2OID:
		return scanValue(m, oid, format, src, func(d int16) (driver.Value, error) { return int64(d), nil })
	case pgtype.Int4OID:
		return scanValue(m, oid, format, src, func(d int32) (driver.Value, error) { return int64(d), nil })
	case pgtype.Int8OID:
		return scanValue(m, oid, format, src, func(d int64) (driver.Value, error) { return d, nil })
	case pgtype.TimestampOID:
		return scanValue(m, oid, format, src, func(d pgtype.Timestamp) (driver.Value, error) { return d.Value() })
	case pgtype.TimestamptzOID:
		return scanValue(m, oid, format, src, func(d pgtype.Timestamptz) (driver.Value, error) { return d.Value() })
	}
	return scanValue(m, oid, format, src, func(d string) (driver.Value, error) { return d, nil })
}

// scanValue decodes src into a T with pgx's scan plan and makes the
// driver.Value of it with value.
func scanValue[T any](m *pgtype.Map, oid uint32, format int16, src []byte, value func(T) (driver.Value, error)) (driver.Value, error) {
	var d T
	if err := m.PlanScan(oid, format, &d).Scan(src, &d); err != nil {
		return nil, err
	}
	return value(d)
}

// be reads PostgreSQL's binary integers.
var be = binary.BigEndian

// pgEpochSeconds is 2000-01-01 00:00:00 UTC, PostgreSQL's epoch, in Unix
// seconds.
const pgEpochSeconds = 946684800

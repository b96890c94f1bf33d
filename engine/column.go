package engine

import (
	"fmt"
	"time"

	"github.com/growth-gov/growth/metamodel"
	"github.com/shopspring/decimal"
)

// sqliteTime is how instants are stored in SQLite: fixed width, so that text
// order is time order.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// columnDDL is the column type of a storage class in a dialect.
func (d Dialect) columnDDL(c metamodel.Column) string {
	switch c.Kind {
	case metamodel.ColumnText:
		if d == Postgres && c.Size > 0 {
			return fmt.Sprintf("VARCHAR(%d)", c.Size)
		}
		return "TEXT"
	case metamodel.ColumnInt, metamodel.ColumnScaled:
		if d == SQLite {
			return "INTEGER"
		}
		return "BIGINT"
	case metamodel.ColumnBool:
		return "BOOLEAN"
	case metamodel.ColumnDate:
		if d == Postgres {
			return "DATE"
		}
		return "TEXT"
	case metamodel.ColumnTimestamp:
		if d == Postgres {
			return "TIMESTAMPTZ"
		}
		return "TEXT"
	}
	panic(fmt.Sprintf("engine: unknown column kind %d", c.Kind))
}

// toDB turns a canonical value into a database argument.
func (d Dialect) toDB(c metamodel.Column, v any) any {
	if v == nil {
		return nil
	}
	switch c.Kind {
	case metamodel.ColumnScaled:
		// Exact: the field type has already refused more digits than Scale.
		return v.(decimal.Decimal).Shift(int32(c.Scale)).IntPart()
	case metamodel.ColumnDate:
		return v.(time.Time).Format(time.DateOnly)
	case metamodel.ColumnTimestamp:
		return d.timeArg(v.(time.Time))
	}
	return v
}

// timeArg is an instant as a database argument.
func (d Dialect) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d == SQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// fromDB turns a scanned database value into the canonical value.
func fromDB(c metamodel.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Kind {
	case metamodel.ColumnText:
		// v itself when it already is the value: no second allocation.
		switch s := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(s), nil
		}
	case metamodel.ColumnInt:
		if _, ok := v.(int64); ok {
			return v, nil
		}
		if n, ok := asInt64(v); ok {
			return n, nil
		}
	case metamodel.ColumnScaled:
		if n, ok := asInt64(v); ok {
			return decimal.New(n, -int32(c.Scale)), nil
		}
	case metamodel.ColumnBool:
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			return b != 0, nil
		}
	case metamodel.ColumnDate:
		switch t := v.(type) {
		case time.Time:
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		case string:
			return time.Parse(time.DateOnly, t)
		}
	case metamodel.ColumnTimestamp:
		return scanTime(v)
	}
	return nil, fmt.Errorf("cannot read %T as column kind %d", v, c.Kind)
}

func scanTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		if u, ok := parseSQLiteTime(t); ok {
			return u, nil
		}
		return time.Parse(time.RFC3339Nano, t)
	case []byte:
		return time.Parse(time.RFC3339Nano, string(t))
	}
	return time.Time{}, fmt.Errorf("cannot read %T as a time", v)
}

// parseSQLiteTime reads an instant as SQLite stores it (sqliteTime) without
// time.Parse's generality: the same time, or false for any other text
// (which time.Parse then reads, or refuses).
func parseSQLiteTime(s string) (time.Time, bool) {
	if len(s) != len(sqliteTime) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec, micro := num(11, 13), num(14, 16), num(17, 19), num(20, 26)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 || micro < 0 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31 April: time.Parse refuses it
	}
	return t, true
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	}
	return 0, false
}

package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/growth-gov/growth/metamodel"
)

// Numbers stamped by workflow transitions (payment numbers, voucher numbers)
// come from counters in growth_sequences, one row per counter. A counter is
// advanced inside the transaction of the transition that uses it: a rolled
// back transition gives its number back, so the numbers of committed records
// have no gaps, and two concurrent transitions never share one (the UPDATE
// locks the counter's row until the transaction ends).

// NumberZone is the time zone of the date parts ({yyyy}, {mm}, {dd}) of
// stamped numbers: China Standard Time, so that a number given just after
// midnight on 1 January belongs to the new year whatever the server's zone.
var NumberZone = time.FixedZone("CST", 8*60*60)

// nextInSequence advances the counter called name and returns its new value,
// starting at 1.
func (rt *Runtime) nextInSequence(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	ph := rt.DB.Placeholder
	advance := `UPDATE growth_sequences SET value = value + 1 WHERE name = ` + ph(1) + ` RETURNING value`
	var v int64
	err := tx.QueryRowContext(ctx, advance, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO growth_sequences (name, value) VALUES (`+ph(1)+`, 0) ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return 0, fmt.Errorf("sequence %s: %w", name, err)
		}
		err = tx.QueryRowContext(ctx, advance, name).Scan(&v)
	}
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	return v, nil
}

// stampNumber gives rec the next number of n unless it already has one: a
// record keeps its number when it passes the transition again.
func (rt *Runtime) stampNumber(ctx context.Context, tx *sql.Tx, n *metamodel.NumberAction, values map[string]any, at time.Time) error {
	if n == nil || n.Target == nil {
		return nil
	}
	if s, _ := values[n.Field].(string); s != "" {
		return nil
	}
	local := at.In(NumberZone)
	value := func(p metamodel.NumberPart) string {
		switch {
		case p.Field != nil:
			switch v := values[p.Field.Name].(type) {
			case nil:
				return ""
			case string:
				return v
			case int64:
				return strconv.FormatInt(v, 10)
			default:
				return fmt.Sprint(v)
			}
		case p.Date == "yyyy":
			return local.Format("2006")
		case p.Date == "yy":
			return local.Format("06")
		case p.Date == "mm":
			return local.Format("01")
		case p.Date == "dd":
			return local.Format("02")
		}
		return ""
	}
	seq, err := rt.nextInSequence(ctx, tx, n.CounterName(value))
	if err != nil {
		return err
	}
	values[n.Field] = n.Render(value, seq)
	return nil
}

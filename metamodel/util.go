package metamodel

import (
	"strconv"

	"github.com/shopspring/decimal"
)

var decimalZero = decimal.Zero

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
func formatInt(n int64) string     { return strconv.FormatInt(n, 10) }

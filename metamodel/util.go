package metamodel

import (
	"strconv"

	"github.com/shopspring/decimal"
)

var decimalZero = decimal.Zero

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// Closest is the candidate nearest to a misspelt word, or "" when none is
// near: the "did you mean" of messages outside the checker.
func Closest(word string, candidates []string) string { return closest(word, candidates) }

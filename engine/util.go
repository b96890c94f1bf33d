package engine

import (
	"errors"
	"strings"
)

func isErr(err, target error) bool { return errors.Is(err, target) }

// trimSentinel drops the English sentinel prefix ("unknown code: …") from a
// wrapped error, leaving the message meant for users.
func trimSentinel(err error) string {
	msg := err.Error()
	if u := errors.Unwrap(err); u != nil {
		msg = strings.TrimPrefix(msg, u.Error()+": ")
	}
	return msg
}

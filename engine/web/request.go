package web

import (
	"fmt"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// RequestIDHeader carries the id of a request: the client's, when it sends a
// usable one (a proxy's, say), else a new one. The answer carries it back,
// and the log line of an internal error or a panic names it.
const RequestIDHeader = "X-Request-ID"

const requestIDKey = "growth.request_id"

// AssignRequestID gives every request an id; it runs before anything else.
func AssignRequestID(c *fiber.Ctx) error {
	id := c.Get(RequestIDHeader)
	if !usableRequestID(id) {
		id = utils.UUIDv4()
	}
	c.Locals(requestIDKey, id)
	c.Set(RequestIDHeader, id)
	return c.Next()
}

// usableRequestID accepts up to 64 letters, digits, '-', '_' and '.': an id
// that cannot forge a log line or grow without bound.
func usableRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// RequestID is the id of the request c serves ("" outside the server).
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

// PanicError is a panic of a handler, recovered: it is logged with its stack
// and the request id and answered as an internal error (500), and the server
// goes on serving.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Recovered turns the value recover returned into an error (nil for nil).
// The web UI's own recovery uses it, so that both log a panic alike.
func Recovered(v any) error {
	if v == nil {
		return nil
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// RecoverPanics makes a panic below it an error that the error handler
// answers.
func RecoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if perr := Recovered(recover()); perr != nil {
			err = perr
		}
	}()
	return c.Next()
}

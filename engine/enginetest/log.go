package enginetest

import (
	"io"
	"log/slog"
)

// quietLogger drops runtime logs so that test output shows only failures.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// QuietLogger is quietLogger for other packages' tests.
func QuietLogger() *slog.Logger { return quietLogger() }

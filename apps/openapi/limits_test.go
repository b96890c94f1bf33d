package openapi_test

import (
	"slices"
	"testing"

	"github.com/growth-gov/growth/apps/openapi"
	"github.com/growth-gov/growth/engine"
	"github.com/growth-gov/growth/engine/web"
)

// TestLimitsAgreeWithTheEngine compares what the document states from copies
// (this package may not import the engine or the server) with the originals.
func TestLimitsAgreeWithTheEngine(t *testing.T) {
	scenarios := []struct {
		what      string
		got, want any
	}{
		{"platform roles", openapi.PlatformRoles, engine.PlatformRoles},
		{"longest Idempotency-Key", openapi.MaxIdempotencyKeyLength, engine.MaxIdempotencyKeyLength},
		{"largest page", openapi.MaxPageSize, engine.MaxPageSize},
		{"shortest password", openapi.MinPasswordLength, engine.MinPasswordLength},
		{"session cookie", openapi.SessionCookie, web.SessionCookie},
	}
	for _, sc := range scenarios {
		if a, ok := sc.got.([]string); ok {
			if !slices.Equal(a, sc.want.([]string)) {
				t.Errorf("%s: the document says %v, the engine %v", sc.what, sc.got, sc.want)
			}
			continue
		}
		if sc.got != sc.want {
			t.Errorf("%s: the document says %v, the engine %v", sc.what, sc.got, sc.want)
		}
	}
}

package main

import "runtime/debug"

// serveGCPercent is the garbage collector's target for `growth serve` when
// the operator sets none: the heap may grow to three times what is live
// before a collection, not twice. Under the side-by-side load a tenth of a
// list's CPU was the collector; at 200 the CPU per request fell by about a
// tenth, for some 20 MB more resident memory (docs/performance.md,
// docs/deploy.md). GOGC and GOMEMLIMIT, when set, are the operator's and are
// left as they are.
const serveGCPercent = 200

// tuneGC sets serve's garbage collector target unless GOGC is set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

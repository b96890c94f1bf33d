package engine

import "strings"

// storableText makes s storable as text on every database: invalid UTF-8
// and NUL bytes (which PostgreSQL refuses) become U+FFFD. For text the
// platform records about a request (a login name tried, an address), which
// is kept as evidence rather than refused.
func storableText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// hasNUL reports whether s holds a NUL byte, which no text field may hold.
func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

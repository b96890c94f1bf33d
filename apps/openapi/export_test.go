package openapi

// Values the external tests compare with the engine's and the server's,
// which this package may not import.
var (
	PlatformRoles = platformRoles
	ErrorCodes    = errorCodes
)

const (
	MaxIdempotencyKeyLength = maxIdempotencyKeyLength
	MaxPageSize             = maxPageSize
	DefaultPageSize         = defaultPageSize
	DefaultLedgerPageSize   = defaultLedgerPageSize
	MinPasswordLength       = minPasswordLength
	SessionCookie           = sessionCookie
)

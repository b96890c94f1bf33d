// Package migrations holds the versioned SQL of the platform's own tables
// (growth_…), one folder per dialect, embedded into the binary. Entity tables are
// not here: the engine derives them from the definitions.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql, applied in file-name order.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS

package engine

import "context"

// AnalyzeStale runs the stale-statistics check now, and waits for its
// ANALYZEs (db_statistics.go).
func (db *DB) AnalyzeStale(ctx context.Context) error { return db.analyzeStale(ctx) }

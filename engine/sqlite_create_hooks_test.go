package engine

// GroupedWrites is how many writes SQLite's group commit has run
// (db_group.go), those that failed included.
func (db *DB) GroupedWrites() int64 {
	if db.group == nil {
		return 0
	}
	return db.group.writes.Load()
}

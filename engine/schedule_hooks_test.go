package engine

// SetScheduleBatch makes scheduled runs read n records at a time until the
// returned function restores the default, so that tests reach the paging
// with a few records.
func SetScheduleBatch(n int) (restore func()) {
	old := scheduleBatch
	scheduleBatch = n
	return func() { scheduleBatch = old }
}

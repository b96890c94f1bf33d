package engine

// SetImportCopy turns the COPY path of imports on PostgreSQL on or off until
// the returned function restores it, so that tests can write the same file
// row by row and compare.
func SetImportCopy(on bool) (restore func()) {
	old := importCopyEnabled
	importCopyEnabled = on
	return func() { importCopyEnabled = old }
}

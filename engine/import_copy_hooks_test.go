package engine

import "database/sql"

// SetImportCopy turns the COPY path of imports on PostgreSQL on or off until
// the returned function restores it, so that tests can write the same file
// row by row and compare.
func SetImportCopy(on bool) (restore func()) {
	old := importCopyEnabled
	importCopyEnabled = on
	return func() { importCopyEnabled = old }
}

// ObserveImportTx calls begun with each COPY transaction of an import as it
// begins, and what begun returns once that transaction has ended, until the
// returned function restores the previous observer.
func ObserveImportTx(begun func(tx *sql.Tx) (ended func())) (restore func()) {
	old := copyTxObserver
	copyTxObserver = begun
	return func() { copyTxObserver = old }
}

// Package render writes the files of the definitions' exports: CSV or fixed
// width, UTF-8 or GBK, with header rows, padding, check totals and formula
// neutralisation. It takes an export's definition and the values already
// read; it reads no database, checks no access and writes no audit row
// (engine.Runtime.Export and the exchange do, and call it), so a file's
// layout can be tested without a runtime.
//
// It imports metamodel and nothing else of Growth.
package render
